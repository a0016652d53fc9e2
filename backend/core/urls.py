from rest_framework.routers import SimpleRouter

from backend.core.apis import AuditEventViewSet

router = SimpleRouter()
router.register("audit", AuditEventViewSet, basename="audit")
urlpatterns = router.urls
