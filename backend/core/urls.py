from django.urls import path
from rest_framework.routers import SimpleRouter

from backend.core.apis import AuditEventViewSet, PingApi

router = SimpleRouter()
router.register("audit", AuditEventViewSet, basename="audit")
urlpatterns = [path("ping/", PingApi.as_view(), name="ping"), *router.urls]
