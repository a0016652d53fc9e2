from __future__ import annotations

from django.contrib import admin

from backend.organisations.models import (
    Agency,
    Band,
    Competence,
    CredentialType,
    Role,
    Setting,
    SettingRequirement,
    Site,
    Trust,
    TrustRequirement,
    Ward,
)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "registration_body")
    list_filter = ("registration_body",)
    search_fields = ("name", "code")


@admin.register(Band)
class BandAdmin(admin.ModelAdmin):
    list_display = ("number", "name")
    search_fields = ("name",)


@admin.register(Setting)
class SettingAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(CredentialType)
class CredentialTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "validity_months")
    search_fields = ("name", "code")


@admin.register(Competence)
class CompetenceAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


@admin.register(SettingRequirement)
class SettingRequirementAdmin(admin.ModelAdmin):
    list_display = ("setting", "credential_type", "role")
    list_filter = ("setting", "role", "credential_type")
    list_select_related = ("setting", "credential_type", "role")
    search_fields = ("setting__name", "credential_type__name")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


class TrustRequirementInline(admin.TabularInline):
    model = TrustRequirement
    extra = 0


@admin.register(Trust)
class TrustAdmin(admin.ModelAdmin):
    list_display = ("name", "ods_code", "agency", "band_policy", "escalate_hours_before")
    list_filter = ("agency", "band_policy")
    list_select_related = ("agency",)
    search_fields = ("name", "ods_code")
    inlines = [TrustRequirementInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "trust", "postcode")
    list_filter = ("trust",)
    list_select_related = ("trust",)
    search_fields = ("name", "postcode", "trust__name")


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ("name", "trust", "site", "setting", "gender", "beds", "is_active")
    list_filter = ("trust", "setting", "gender", "is_active")
    list_select_related = ("trust", "site", "setting")
    # aliases is a JSON list; icontains matches against its text, which is what a search box wants.
    search_fields = ("name", "aliases")
    autocomplete_fields = ("site",)
