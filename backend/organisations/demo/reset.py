"""Emptiness check and `--reset` for the demo seed.

Clears every domain table (people, organisations, shortfalls, offers, bookings, notifications,
sessions) but keeps the taxonomy (data migration rows) and the audit trail, which is append-only:
PostgreSQL refuses UPDATE and DELETE on it by trigger. Users the audit trail points at cannot be
deleted, so they are archived instead: renamed, deactivated and detached from trust and agency.

PostgreSQL truncates what it can in one statement (TRUNCATE is refused for a table that a kept
table references, whatever the rows), then deletes the rest child-first; SQLite deletes child-first.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from backend.core.models import AuditEvent

CLEARED_APPS = (
    "accounts",
    "organisations",
    "practitioners",
    "matching",
    "jobs",
    "notifications",
    "authtoken",
    "admin",
    "sessions",
)
TAXONOMY_MODELS = ("Role", "Band", "Setting", "CredentialType", "Competence", "SettingRequirement")
SEEDED_MODELS = ("organisations.Agency", "organisations.Trust", "accounts.User", "practitioners.Practitioner")


def is_empty() -> bool:
    return not any(apps.get_model(label).objects.exists() for label in SEEDED_MODELS)


def _kept(model: type[models.Model]) -> bool:
    return model is AuditEvent or (
        model._meta.app_label == "organisations" and model.__name__ in TAXONOMY_MODELS
    )


def cleared_models() -> list[type[models.Model]]:
    """Every concrete model of the cleared apps (auto-created M2M tables included), children first."""
    installed = {config.label for config in apps.get_app_configs()}
    candidates = [
        model
        for label in CLEARED_APPS
        if label in installed
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if not model._meta.proxy and not model._meta.swapped and not _kept(model)
    ]
    return _children_first(candidates)


def _targets(model: type[models.Model]) -> list[type[models.Model]]:
    return [
        field.related_model
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is not None and field.related_model is not model
    ]


def _children_first(candidates: list[type[models.Model]]) -> list[type[models.Model]]:
    chosen = set(candidates)
    ordered: list[type[models.Model]] = []
    pending = list(candidates)
    while pending:
        referenced = {target for model in pending for target in _targets(model) if target in chosen}
        ready = [model for model in pending if model not in referenced]
        if not ready:  # a cycle: nothing in the domain has one today, so fail loudly if one appears
            raise RuntimeError(f"cannot order demo tables for deletion: {[m.__name__ for m in pending]}")
        ordered.extend(ready)
        chosen.difference_update(ready)
        pending = [model for model in pending if model not in ready]
    return ordered


def reset(connection) -> None:
    cleared = cleared_models()
    quote = connection.ops.quote_name
    user_model = apps.get_model("accounts", "User")
    with connection.cursor() as cursor:
        _archive_audited_users(cursor, quote, user_model)
        deleted = cleared
        if connection.vendor == "postgresql":
            # Rows inserted earlier in this transaction leave deferred FK checks pending, and
            # PostgreSQL refuses to TRUNCATE a table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            truncated, deleted = _split_for_truncate(cleared)
            if truncated:
                cursor.execute(
                    "TRUNCATE {}".format(", ".join(quote(model._meta.db_table) for model in truncated))
                )
        for model in deleted:
            table = quote(model._meta.db_table)
            if model is user_model:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id NOT IN "
                    f"(SELECT actor_id FROM {quote(AuditEvent._meta.db_table)} WHERE actor_id IS NOT NULL)"
                )
            else:
                cursor.execute(f"DELETE FROM {table}")


def _archive_audited_users(cursor, quote, user_model) -> None:
    table = quote(user_model._meta.db_table)
    audit = quote(AuditEvent._meta.db_table)
    cursor.execute(
        f"UPDATE {table} SET username = SUBSTR('archived-' || CAST(id AS VARCHAR(20)) || '-' || username, 1, 150), "
        "is_active = %s, is_staff = %s, is_superuser = %s, password = %s, kind = %s, "
        "trust_id = NULL, agency_id = NULL, is_agency_admin = %s "
        f"WHERE id IN (SELECT actor_id FROM {audit} WHERE actor_id IS NOT NULL) AND username NOT LIKE %s",
        [False, False, False, "!archived", "practitioner", False, "archived-%"],
    )


def _split_for_truncate(cleared: list[type[models.Model]]):
    """Tables PostgreSQL may TRUNCATE together: none referenced by a table that stays. The rest
    (the users the audit trail references, and whatever those point at) are deleted row by row."""
    every = [
        model for config in apps.get_app_configs() for model in config.get_models(include_auto_created=True)
    ]
    truncated = set(cleared)
    changed = True
    while changed:
        changed = False
        for model in every:
            if model in truncated:
                continue
            for target in _targets(model):
                if target in truncated:
                    truncated.discard(target)
                    changed = True
    return [model for model in cleared if model in truncated], [
        model for model in cleared if model not in truncated
    ]
