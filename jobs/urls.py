from rest_framework.routers import SimpleRouter

from jobs.apis import ShortfallViewSet

router = SimpleRouter()
router.register("shortfalls", ShortfallViewSet, basename="shortfall")
urlpatterns = router.urls
