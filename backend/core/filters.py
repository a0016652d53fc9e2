"""Shared django-filter filters."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, normalised to UTC.

    Python accepts UTC offsets up to ±24 h, PostgreSQL only up to ±15:59: an aware value passed on
    with its own offset (`?starts_after=2024-01-01T00:00+20:00`) is a database error, a 500. In UTC
    it is always valid; a value that leaves datetime's range on conversion is invalid input."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCIsoDateTimeField
