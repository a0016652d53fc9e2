"""Every /api/v1/ route, gathered from the apps that own them."""

from django.urls import include, path

urlpatterns = [
    path("", include("backend.core.urls")),
    path("", include("backend.accounts.urls")),
    path("", include("backend.organisations.urls")),
    path("", include("backend.practitioners.urls")),
    path("", include("jobs.analytics.urls")),
    path("", include("jobs.urls")),
    path("", include("matching.urls")),
    path("", include("notifications.urls")),
]
