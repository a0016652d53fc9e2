from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from backend.core.apis import ApiDocsView
from backend.core.health import healthz, readyz
from notifications.urls import calendar_urlpatterns

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its init script served as a file: no inline script under the CSP.
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include("backend.api_urls")),
    path("", include(calendar_urlpatterns)),
    path("", include("backend.web.urls")),
]
handler404 = "backend.core.exceptions.page_not_found"  # JSON under /api/
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
