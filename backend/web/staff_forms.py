"""Forms of the trust and agency staff pages. Each only parses input: the rules are the services'."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from backend.practitioners.models import PractitionerListing
from jobs.services.shortfall_import import MAX_BYTES


class ShortfallImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file from your e-roster",
        help_text=(
            f"Columns: external_reference, ward, role, band, date, start, end, and optionally headcount "
            f"and notes. Times are UK time. At most {MAX_BYTES // 1024} KB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose a CSV file to upload.", "empty": "The file is empty."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refuse by the declared size before reading anything into memory.
        if upload.size > MAX_BYTES:
            raise ValidationError(
                f"The file is larger than {MAX_BYTES // 1024} KB. Split it into smaller files."
            )
        return upload


class ImportConfirmForm(forms.Form):
    token = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


class NoShowForm(forms.Form):
    reason = forms.CharField(
        label="Why is this a no-show?",
        max_length=300,
        error_messages={"required": "Say why the booking is a no-show."},
    )


class CancelShortfallForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=300,
        help_text="Booked staff are told the shift is cancelled, with this reason.",
        error_messages={"required": "Say why the shift is cancelled."},
    )


class RateBookingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Rating",
        choices=[
            (n, f"{n} – {label}")
            for n, label in enumerate(["very poor", "poor", "fair", "good", "excellent"], start=1)
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating from 1 to 5."},
    )
    would_book_again = forms.BooleanField(label="We would book them again", required=False, initial=True)
    do_not_book = forms.BooleanField(label="Do not book them again at our trust", required=False)
    reason = forms.CharField(
        label="Comments (required for do not book)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("do_not_book") and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Give a reason when you ask not to book someone again.")
        if cleaned.get("do_not_book") and cleaned.get("would_book_again"):
            self.add_error("would_book_again", "Untick this if you ask not to book them again.")
        return cleaned


class ListingForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        label="Practitioner", queryset=None, empty_label="Choose someone who has worked for you"
    )
    kind = forms.ChoiceField(label="List", choices=PractitionerListing.Kind.choices, widget=forms.RadioSelect)
    ward = forms.ModelChoiceField(
        label="Ward (optional)", queryset=None, required=False, empty_label="Every ward of the trust"
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        help_text="Required for do not book. The practitioner's agency can see it.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, practitioners, wards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["ward"].queryset = wards


class BroadenForm(forms.Form):
    extra_radius_km = forms.IntegerField(
        label="Extra travel radius (km)", required=False, min_value=0, max_value=200
    )
    min_band = forms.TypedChoiceField(
        label="Lowest band",
        required=False,
        choices=[("", "Keep the band"), *[(band, f"Band {band}") for band in range(2, 10)]],
        coerce=int,
        empty_value=None,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("extra_radius_km") is None and cleaned.get("min_band") is None:
            raise ValidationError("Widen the radius or lower the band.")
        return cleaned
