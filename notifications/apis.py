from __future__ import annotations

import django_filters
from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core.permissions import IsAgencyStaff, IsPractitioner
from notifications import ical, selectors, services
from notifications.models import Delivery, Notification
from notifications.serializers import (
    CalendarFeedSerializer,
    DeliveryTraceSerializer,
    InboxNotificationSerializer,
    MarkedReadSerializer,
    NotificationPreferenceSerializer,
    UnreadCountSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own in-app inbox, newest first."""

    serializer_class = InboxNotificationSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["kind"]

    def get_queryset(self):
        return selectors.notifications_for(self.request.user)

    @extend_schema(responses={200: UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_fields=[])
    def unread_count(self, request):
        return Response({"unread": selectors.unread_count(request.user)})

    @extend_schema(request=None, responses={200: InboxNotificationSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = services.mark_read(notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=None, responses={200: MarkedReadSerializer})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": services.mark_all_read(user=request.user)})


class NotificationPreferencesApi(APIView):
    permission_classes = [IsAuthenticated]

    @staticmethod
    def _body(preference) -> dict:
        return NotificationPreferenceSerializer(
            {
                "channels": preference.channels,
                "quiet_hours_start": preference.quiet_hours_start,
                "quiet_hours_end": preference.quiet_hours_end,
                "digest_kinds": preference.digest_kinds,
            }
        ).data

    @extend_schema(responses={200: NotificationPreferenceSerializer})
    def get(self, request):
        return Response(self._body(services.preferences_for(request.user)))

    @extend_schema(
        request=NotificationPreferenceSerializer, responses={200: NotificationPreferenceSerializer}
    )
    def put(self, request):
        serializer = NotificationPreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = services.set_preferences(user=request.user, **serializer.validated_data)
        return Response(self._body(preference))


class CalendarFeedApi(APIView):
    """A practitioner's secret iCalendar URL: read it, rotate it (POST), revoke it (DELETE)."""

    permission_classes = [IsPractitioner]

    def _body(self, request, feed) -> dict:
        url = request.build_absolute_uri(f"/calendar/{feed.token}.ics") if feed else None
        return CalendarFeedSerializer(
            {"is_active": feed is not None, "url": url, "created_at": feed.updated_at if feed else None}
        ).data

    @extend_schema(responses={200: CalendarFeedSerializer})
    def get(self, request):
        return Response(self._body(request, selectors.calendar_feed_for(request.user)))

    @extend_schema(request=None, responses={201: CalendarFeedSerializer})
    def post(self, request):
        feed = services.rotate_calendar_token(user=request.user)
        return Response(self._body(request, feed), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        services.revoke_calendar_token(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def calendar_feed(request, token: str) -> HttpResponse:
    """GET /calendar/<token>.ics: no login, the token is the credential."""
    bookings = selectors.calendar_bookings(token=token)
    if bookings is None:
        raise Http404
    body = ical.booking_calendar(bookings=bookings, domain=request.get_host().split(":")[0], name="My shifts")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


class DeliveryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(field_name="notification__kind", choices=Notification.Kind.choices)
    recipient = django_filters.NumberFilter(field_name="notification__recipient_id")

    class Meta:
        model = Delivery
        fields = ["status", "channel", "kind", "recipient"]


class DeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """What was sent to whom, through which channel, and what happened (agency staff)."""

    serializer_class = DeliveryTraceSerializer
    permission_classes = [IsAgencyStaff]
    filterset_class = DeliveryFilter

    def get_queryset(self):
        return selectors.deliveries_for(self.request.user)


class WebhookEndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Trust systems' webhook endpoints, managed by agency staff for their trusts. Setting
    is_active back to true re-enables a disabled endpoint."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsAgencyStaff]
    filterset_fields = ["trust", "is_active"]

    def get_queryset(self):
        return selectors.webhook_endpoints_for(self.request.user).select_related("trust")

    @extend_schema(responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.create_webhook_endpoint(**serializer.validated_data)
        return Response(
            WebhookEndpointCreatedSerializer(endpoint, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        serializer = self.get_serializer(endpoint, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        endpoint = services.update_webhook_endpoint(endpoint=endpoint, fields=dict(serializer.validated_data))
        return Response(self.get_serializer(endpoint).data)
