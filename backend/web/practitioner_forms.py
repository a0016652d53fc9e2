"""Practitioner portal forms. Each one renders and parses the page's fields, then hands the values to
the API's own serializer, so a web upload and an API upload are refused for the same reasons with
the same words (file type and size, date order, channel names)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from rest_framework import serializers

from backend.organisations.models import CredentialType
from backend.practitioners.models import Availability
from backend.practitioners.serializers import AvailabilitySerializer, CredentialSerializer
from jobs.serializers import BookingCancelSerializer
from notifications.models import Notification
from notifications.serializers import NotificationPreferenceSerializer
from notifications.services import DIGESTIBLE_KINDS, USER_CHANNELS, default_channels

# What a practitioner hears about (agency-only kinds such as safe-staffing alerts are not offered).
PRACTITIONER_KINDS = (
    Notification.Kind.OFFER,
    Notification.Kind.OFFER_WITHDRAWN,
    Notification.Kind.BOOKING_CONFIRMED,
    Notification.Kind.BOOKING_CANCELLED,
    Notification.Kind.SHIFT_REMINDER,
    Notification.Kind.CREDENTIAL_EXPIRING,
)
CHANNEL_LABELS = {"email": "Email", "sms": "Text message"}


def _first_message(errors) -> str:
    """DRF errors are a list (or a nested dict for list/dict fields): the first readable message."""
    while isinstance(errors, dict | list):
        if not errors:
            return ""
        errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
    return str(errors)


class SerializerCheckedForm(forms.Form):
    """A form whose values are checked by an API serializer; its errors land on the form fields."""

    serializer_class: type[serializers.Serializer]
    # Serializer field -> form field, where the names differ.
    field_map: dict[str, str] = {}

    def serializer_data(self) -> dict:
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        serializer = self.serializer_class(data=self.serializer_data())
        if serializer.is_valid():
            self.validated_data = dict(serializer.validated_data)
            return cleaned
        for name, errors in serializer.errors.items():
            field = self.field_map.get(name, name)
            self.add_error(field if field in self.fields else None, _first_message(errors))
        return cleaned


class BookingCancelForm(SerializerCheckedForm):
    serializer_class = BookingCancelSerializer
    reason = forms.CharField(
        label="Why are you cancelling?",
        max_length=300,
        help_text="The trust sees this. For example: unwell, family emergency.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": "Tell the trust why you are cancelling."},
    )

    def serializer_data(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class CredentialUploadForm(SerializerCheckedForm):
    serializer_class = CredentialSerializer
    credential_type = forms.ModelChoiceField(
        label="Credential",
        queryset=CredentialType.objects.order_by("name"),
        empty_label="Choose a credential",
        error_messages={"required": "Choose the credential you are adding."},
    )
    reference = forms.CharField(
        label="Certificate or reference number (optional)", max_length=60, required=False
    )
    issued_on = forms.DateField(
        label="Issued on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the date it was issued.", "invalid": "Enter a real date."},
    )
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        help_text="Leave blank if it does not expire.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a real date."},
    )
    evidence = forms.FileField(
        label="Evidence",
        help_text="A PDF, PNG or JPEG of the certificate, 5 MB at most.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
        error_messages={"required": "Choose the file that shows this credential."},
    )

    def serializer_data(self) -> dict:
        data = self.cleaned_data
        return {
            "credential_type": data["credential_type"].code,
            "reference": data.get("reference", ""),
            "issued_on": data["issued_on"].isoformat(),
            "expires_on": data["expires_on"].isoformat() if data.get("expires_on") else None,
            "evidence": data["evidence"],
        }


class AvailabilityForm(SerializerCheckedForm):
    """A window of Europe/London wall-clock times; a night may run into the next day."""

    serializer_class = AvailabilitySerializer
    field_map = {"starts_at": "start_time", "ends_at": "end_time"}
    kind = forms.ChoiceField(
        label="I am", choices=Availability.Kind.choices, initial=Availability.Kind.AVAILABLE
    )
    start_date = forms.DateField(
        label="From date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the first day.", "invalid": "Enter a real date."},
    )
    start_time = forms.TimeField(
        label="From time",
        initial=dt.time(7, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter the start time.", "invalid": "Enter a time like 07:00."},
    )
    end_date = forms.DateField(
        label="To date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the last day.", "invalid": "Enter a real date."},
    )
    end_time = forms.TimeField(
        label="To time",
        initial=dt.time(20, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter the end time.", "invalid": "Enter a time like 20:00."},
    )
    note = forms.CharField(label="Note (optional)", max_length=200, required=False)

    def clean(self):
        data = self.cleaned_data
        if not self.errors:  # order, "in the future" and the 31-day limit are the serializer's rules
            data["starts_at"] = timezone.make_aware(
                dt.datetime.combine(data["start_date"], data["start_time"])
            )
            data["ends_at"] = timezone.make_aware(dt.datetime.combine(data["end_date"], data["end_time"]))
        return super().clean()

    def serializer_data(self) -> dict:
        data = self.cleaned_data
        return {
            "starts_at": data["starts_at"].isoformat(),
            "ends_at": data["ends_at"].isoformat(),
            "kind": data["kind"],
            "note": data.get("note", ""),
        }


def _channel_field_name(kind: str) -> str:
    return f"channels_{kind}"


class NotificationPreferencesForm(SerializerCheckedForm):
    """Email / text per kind (in-app is always on), quiet hours and the daily summary."""

    serializer_class = NotificationPreferenceSerializer
    quiet_hours_start = forms.TimeField(
        label="Quiet from",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter when quiet hours start.", "invalid": "Enter a time like 22:00."},
    )
    quiet_hours_end = forms.TimeField(
        label="Quiet until",
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"required": "Enter when quiet hours end.", "invalid": "Enter a time like 07:00."},
    )
    digest_kinds = forms.MultipleChoiceField(
        label="Send these in one daily summary instead (unless urgent)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(k.value, k.label) for k in PRACTITIONER_KINDS if k in DIGESTIBLE_KINDS],
    )

    def __init__(self, *args, preference, **kwargs):
        self.preference = preference
        initial = {
            "quiet_hours_start": preference.quiet_hours_start,
            "quiet_hours_end": preference.quiet_hours_end,
            "digest_kinds": list(preference.digest_kinds or []),
        }
        for kind in PRACTITIONER_KINDS:
            saved = (preference.channels or {}).get(kind.value)
            initial[_channel_field_name(kind.value)] = (
                saved if saved is not None else default_channels(kind=kind.value, urgent=False)
            )
        super().__init__(*args, initial=initial, **kwargs)
        for kind in PRACTITIONER_KINDS:
            self.fields[_channel_field_name(kind.value)] = forms.MultipleChoiceField(
                label=kind.label,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                choices=[(c.value, CHANNEL_LABELS[c.value]) for c in USER_CHANNELS],
            )

    def channel_fields(self):
        return [self[_channel_field_name(kind.value)] for kind in PRACTITIONER_KINDS]

    def serializer_data(self) -> dict:
        data = self.cleaned_data
        # Kinds this page does not show keep what they had.
        channels = {k: v for k, v in (self.preference.channels or {}).items()}
        for kind in PRACTITIONER_KINDS:
            channels[kind.value] = data.get(_channel_field_name(kind.value), [])
        return {
            "channels": channels,
            "quiet_hours_start": data["quiet_hours_start"].strftime("%H:%M"),
            "quiet_hours_end": data["quiet_hours_end"].strftime("%H:%M"),
            "digest_kinds": data.get("digest_kinds", []),
        }
