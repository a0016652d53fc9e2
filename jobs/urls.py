from django.urls import path
from rest_framework.routers import SimpleRouter

from jobs.apis import ShortfallViewSet
from jobs.booking_apis import BookingViewSet
from jobs.cascade_apis import ShortfallBroadenApi, ShortfallCascadeApi
from jobs.offer_apis import OfferViewSet

router = SimpleRouter()
router.register("shortfalls", ShortfallViewSet, basename="shortfall")
router.register("offers", OfferViewSet, basename="offer")
router.register("bookings", BookingViewSet, basename="booking")
urlpatterns = [
    path("shortfalls/<int:id>/cascade/", ShortfallCascadeApi.as_view(), name="shortfall-cascade"),
    path("shortfalls/<int:id>/broaden/", ShortfallBroadenApi.as_view(), name="shortfall-broaden"),
    *router.urls,
]
