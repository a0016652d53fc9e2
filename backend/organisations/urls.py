from rest_framework.routers import SimpleRouter

from backend.organisations.apis import SiteViewSet, TrustViewSet, WardViewSet

router = SimpleRouter()
router.register("trusts", TrustViewSet, basename="trust")
router.register("sites", SiteViewSet, basename="site")
router.register("wards", WardViewSet, basename="ward")
urlpatterns = router.urls
