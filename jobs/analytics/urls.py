from django.urls import path

from jobs.analytics.apis import FillRateApi, FillRateSeriesApi, UrgentShortfallsApi

urlpatterns = [
    path("fill-rates/", FillRateApi.as_view(), name="fill-rates"),
    path("fill-rates/series/", FillRateSeriesApi.as_view(), name="fill-rate-series"),
    path("shortfalls/urgent/", UrgentShortfallsApi.as_view(), name="urgent-shortfalls"),
]
