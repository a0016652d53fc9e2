from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from backend.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "kind", "trust", "agency", "is_staff")
    list_filter = ("kind", "trust", "agency", "is_agency_admin", "is_staff", "is_superuser", "is_active")
    list_select_related = ("trust", "agency")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("wards",)
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Organisation", {"fields": ("kind", "trust", "agency", "wards", "is_agency_admin", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Organisation", {"classes": ("wide",), "fields": ("kind", "trust", "agency", "email")}),
    )
