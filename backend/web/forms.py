"""Portal forms. Dates and times are entered as Europe/London wall-clock times."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone

from backend.organisations.models import Role, Setting
from backend.organisations.selectors import wards_for

MAX_SHIFT = dt.timedelta(hours=16)


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class RolesFilterForm(forms.Form):
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    setting = forms.ModelChoiceField(
        label="Setting",
        queryset=Setting.objects.all(),
        to_field_name="code",
        required=False,
        empty_label="Any setting",
    )
    max_distance_km = forms.IntegerField(label="Within (km)", required=False, min_value=1, max_value=500)
    search = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="A ward name or a setting, for example “Willow” or “PICU”.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be on or after the start date.")
        return cleaned

    def query(self) -> dict:
        """Keyword arguments for matching.services.roles_for (the end date is inclusive)."""
        data = self.cleaned_data
        return {
            "starts_after": local_midnight(data["date_from"]) if data.get("date_from") else None,
            "starts_before": local_midnight(data["date_to"] + dt.timedelta(days=1))
            if data.get("date_to")
            else None,
            "setting": data["setting"].code if data.get("setting") else None,
            "max_distance_km": data.get("max_distance_km"),
            "search": data.get("search") or None,
        }


class ShortfallForm(forms.Form):
    ward = forms.ModelChoiceField(label="Ward", queryset=None, empty_label="Choose a ward")
    role = forms.ModelChoiceField(label="Role", queryset=Role.objects.all(), empty_label="Choose a role")
    min_band = forms.TypedChoiceField(
        label="Minimum band",
        choices=[(band, f"Band {band}") for band in range(2, 10)],
        coerce=int,
        initial=5,
    )
    headcount = forms.IntegerField(label="Staff needed", min_value=1, max_value=50, initial=1)
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="Start time", widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(
        label="End time",
        help_text="An end time before the start time means the next day (a night shift).",
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    notes = forms.CharField(
        label="Notes (optional)", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ward"].queryset = wards_for(user).filter(is_active=True).order_by("name")

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day is None or start is None or end is None:
            return cleaned
        # In UTC: two datetimes sharing one zoneinfo subtract as wall-clock time, an hour out across
        # a clock change.
        starts_at = timezone.make_aware(dt.datetime.combine(day, start)).astimezone(dt.UTC)
        end_day = day + dt.timedelta(days=1) if end <= start else day
        ends_at = timezone.make_aware(dt.datetime.combine(end_day, end)).astimezone(dt.UTC)
        if ends_at - starts_at > MAX_SHIFT:
            self.add_error("end_time", "A shift cannot be longer than 16 hours.")
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "ward": data["ward"],
            "role": data["role"],
            "min_band": data["min_band"],
            "headcount": data["headcount"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "notes": data["notes"],
        }

    # Field names of post_shortfall's ValidationFailed errors mapped onto this form's fields.
    SERVICE_FIELDS = {"ends_at": "end_time", "starts_at": "start_time"}
