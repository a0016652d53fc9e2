"""Turn a notification's payload into the words each channel sends. Times in payloads are ISO
strings in UTC; templates show them in Europe/London (the project TIME_ZONE)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template import Context, Engine
from django.template.loader import render_to_string
from django.utils import timezone

from notifications.models import Notification

_DATETIME_KEYS = ("starts_at", "ends_at", "expires_at")
# Subjects, plain-text bodies and SMS are not HTML: render them without HTML escaping.
_TEXT_ENGINE = Engine(app_dirs=True, autoescape=False)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _parse_datetime(value):
    if not isinstance(value, str):
        return value
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    return timezone.localtime(parsed)


def _parse_date(value):
    if not isinstance(value, str):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return value


def context_for(notification: Notification) -> dict:
    payload = dict(notification.payload or {})
    for key in _DATETIME_KEYS:
        if key in payload:
            payload[key] = _parse_datetime(payload[key])
    if "expires_on" in payload:
        payload["expires_on"] = _parse_date(payload["expires_on"])
    items = []
    for entry in payload.get("items", []) or []:
        entry = dict(entry)
        for key in _DATETIME_KEYS:
            if key in entry:
                entry[key] = _parse_datetime(entry[key])
        kind = entry.get("kind")
        entry["label"] = Notification.Kind(kind).label if kind in Notification.Kind.values else kind
        items.append(entry)
    payload["items"] = items
    recipient = notification.recipient
    return {
        "notification": notification,
        "recipient_name": recipient.get_full_name() or recipient.username,
        "p": payload,
        "is_urgent": notification.is_urgent,
    }


def render_email(notification: Notification) -> RenderedEmail:
    context = context_for(notification)
    kind = notification.kind
    subject = _render_text(f"notifications/email/{kind}_subject.txt", context)
    text = _render_text(f"notifications/email/{kind}.txt", context)
    html = render_to_string(f"notifications/email/{kind}.html", context)
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


def render_sms(notification: Notification) -> str:
    context = context_for(notification)
    template = _TEXT_ENGINE.select_template(
        [f"notifications/sms/{notification.kind}.txt", "notifications/sms/default.txt"]
    )
    return " ".join(template.render(Context(context)).split())


def _render_text(name: str, context: dict) -> str:
    return _TEXT_ENGINE.get_template(name).render(Context(context))
