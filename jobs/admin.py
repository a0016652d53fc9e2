from __future__ import annotations

from django.contrib import admin

from jobs.models import Booking, Offer, Shortfall, TrustFeedback, WardFeedback

# Practitioners (50,000 rows), users and shortfalls are big tables: their foreign keys are
# autocompletes or raw ids, never a <select> over the whole table.


@admin.register(Shortfall)
class ShortfallAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "trust",
        "ward",
        "role",
        "min_band",
        "headcount",
        "starts_at",
        "shift_type",
        "status",
    )
    list_filter = ("status", "trust", "role", "shift_type")
    list_select_related = ("trust", "ward", "role")
    search_fields = ("ward__name", "external_reference", "trust__name", "=id")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("ward",)
    raw_id_fields = ("posted_by",)
    filter_horizontal = ("required_competences", "desired_competences")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("id", "shortfall", "practitioner", "wave", "score", "status", "expires_at")
    list_filter = ("status", "wave", "is_exclusive_hold")
    list_select_related = ("shortfall__role", "practitioner__user")
    search_fields = ("practitioner__user__last_name", "=practitioner__registration_number", "=shortfall__id")
    autocomplete_fields = ("practitioner",)
    raw_id_fields = ("shortfall",)
    date_hierarchy = "expires_at"


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "practitioner",
        "shortfall",
        "starts_at",
        "ends_at",
        "status",
        "is_late_cancellation",
    )
    list_filter = ("status", "is_late_cancellation", "shortfall__trust")
    list_select_related = ("shortfall__role", "practitioner__user")
    search_fields = ("practitioner__user__last_name", "=practitioner__registration_number", "=shortfall__id")
    autocomplete_fields = ("practitioner",)
    raw_id_fields = ("shortfall", "offer", "booked_by")
    date_hierarchy = "starts_at"


@admin.register(TrustFeedback)
class TrustFeedbackAdmin(admin.ModelAdmin):
    list_display = ("booking", "rating", "would_book_again", "do_not_book", "created_at")
    list_filter = ("rating", "would_book_again", "do_not_book")
    list_select_related = ("booking",)
    search_fields = ("booking__practitioner__user__last_name", "=booking__id")
    raw_id_fields = ("booking", "given_by")


@admin.register(WardFeedback)
class WardFeedbackAdmin(admin.ModelAdmin):
    list_display = ("booking", "induction", "supervision", "felt_safe", "created_at")
    list_filter = ("induction", "supervision", "felt_safe")
    list_select_related = ("booking",)
    search_fields = ("booking__shortfall__ward__name", "=booking__id")
    raw_id_fields = ("booking",)
