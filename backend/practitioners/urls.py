from django.urls import path
from rest_framework.routers import SimpleRouter

from backend.practitioners.apis import AvailabilityViewSet, CredentialViewSet, MeApi, PractitionerViewSet

router = SimpleRouter()
router.register("practitioners", PractitionerViewSet, basename="practitioner")
router.register("credentials", CredentialViewSet, basename="credential")
router.register("availability", AvailabilityViewSet, basename="availability")
urlpatterns = [path("me/", MeApi.as_view(), name="me"), *router.urls]
