from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications.apis import (
    CalendarFeedApi,
    DeliveryViewSet,
    NotificationPreferencesApi,
    NotificationViewSet,
    WebhookEndpointViewSet,
    calendar_feed,
)

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = [
    path(
        "me/notification-preferences/", NotificationPreferencesApi.as_view(), name="notification-preferences"
    ),
    path("me/calendar/", CalendarFeedApi.as_view(), name="calendar-feed-token"),
    *router.urls,
]

# Outside /api/v1: included from backend/urls.py.
calendar_urlpatterns = [
    path("calendar/<str:token>.ics", calendar_feed, name="calendar-feed"),
]
