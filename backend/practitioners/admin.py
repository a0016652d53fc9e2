from __future__ import annotations

from django.contrib import admin

from backend.practitioners.models import (
    Availability,
    Credential,
    PlacementImport,
    PlacementReviewItem,
    Practitioner,
    PractitionerListing,
    WardExperience,
)

# Practitioners run to tens of thousands of rows: every foreign key to them (and to users) is an
# autocomplete or raw id, never a <select> that renders the whole table.


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    fields = (
        "credential_type",
        "reference",
        "issued_on",
        "expires_on",
        "evidence",
        "verified_by",
        "verified_at",
    )
    raw_id_fields = ("verified_by",)


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "band", "status", "agency", "registration_body", "registration_number")
    list_filter = ("role", "band", "status", "agency")
    list_select_related = ("user", "role", "agency")
    search_fields = (
        "user__first_name",
        "user__last_name",
        "user__username",
        "=registration_number",
    )
    autocomplete_fields = ("user",)
    filter_horizontal = ("competences", "settings_experience", "preferred_settings")
    inlines = [CredentialInline]

    @admin.display(ordering="user__last_name", description="name")
    def name(self, practitioner: Practitioner) -> str:
        return str(practitioner)


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    list_display = ("credential_type", "practitioner", "reference", "issued_on", "expires_on", "verified_at")
    list_filter = ("credential_type", ("expires_on", admin.DateFieldListFilter), "verified_at")
    list_select_related = ("credential_type", "practitioner__user")
    search_fields = ("practitioner__user__last_name", "=practitioner__registration_number", "reference")
    autocomplete_fields = ("practitioner",)
    raw_id_fields = ("verified_by",)
    date_hierarchy = "expires_on"


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "kind", "starts_at", "ends_at", "note")
    list_filter = ("kind",)
    list_select_related = ("practitioner__user",)
    search_fields = ("practitioner__user__last_name", "=practitioner__registration_number")
    autocomplete_fields = ("practitioner",)
    date_hierarchy = "starts_at"


@admin.register(WardExperience)
class WardExperienceAdmin(admin.ModelAdmin):
    list_display = (
        "practitioner",
        "ward",
        "shifts_worked",
        "first_worked_at",
        "last_worked_at",
        "last_rating",
        "source",
    )
    list_filter = ("source", "ward__trust")
    list_select_related = ("practitioner__user", "ward")
    search_fields = ("practitioner__user__last_name", "=practitioner__registration_number", "ward__name")
    autocomplete_fields = ("practitioner", "ward")


@admin.register(PractitionerListing)
class PractitionerListingAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "kind", "trust", "ward", "expires_at", "review_on")
    list_filter = ("kind", "trust")
    list_select_related = ("practitioner__user", "trust", "ward")
    search_fields = ("practitioner__user__last_name", "=practitioner__registration_number", "reason")
    autocomplete_fields = ("practitioner", "ward")
    raw_id_fields = ("created_by",)


class PlacementReviewItemInline(admin.TabularInline):
    model = PlacementReviewItem
    extra = 0
    fields = ("row_number", "trust_text", "ward_text", "shifts", "problem", "status")
    readonly_fields = ("row_number", "trust_text", "ward_text", "shifts", "problem")


@admin.register(PlacementImport)
class PlacementImportAdmin(admin.ModelAdmin):
    list_display = (
        "practitioner",
        "filename",
        "rows_total",
        "rows_imported",
        "rows_for_review",
        "created_at",
    )
    list_select_related = ("practitioner__user",)
    search_fields = ("practitioner__user__last_name", "=practitioner__registration_number", "filename")
    raw_id_fields = ("practitioner", "uploaded_by")
    readonly_fields = ("file_sha256",)
    inlines = [PlacementReviewItemInline]
