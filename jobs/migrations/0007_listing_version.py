"""A version number for cached listings (roles for you, shortfall lists): the sequence
``listing_version`` moves whenever a statement changes a row that a listing shows (shortfalls,
bookings, competences wanted, wards, trusts and their credential requirements). Statement-level
triggers with transition tables: one bump per statement that changed at least one row (a sweep
that updates nothing does not invalidate). PostgreSQL only; other databases do not cache listings
(backend/core/listing_cache.py)."""

from django.db import migrations

TABLES = (
    "jobs_shortfall",
    "jobs_booking",
    "jobs_shortfall_required_competences",
    "jobs_shortfall_desired_competences",
    "organisations_ward",
    "organisations_trust",
    "organisations_settingrequirement",
    "organisations_trustrequirement",
    "organisations_role",
    "organisations_competence",
)

FUNCTIONS = """
CREATE SEQUENCE IF NOT EXISTS listing_version;
CREATE OR REPLACE FUNCTION bump_listing_version_if_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM changed_rows) THEN
        PERFORM nextval('listing_version');
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION bump_listing_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('listing_version');
    RETURN NULL;
END $$;
"""


def _triggers(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_listing_inserted AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_listing_version_if_rows();
CREATE TRIGGER {table}_listing_updated AFTER UPDATE ON {table}
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_listing_version_if_rows();
CREATE TRIGGER {table}_listing_deleted AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION bump_listing_version_if_rows();
CREATE TRIGGER {table}_listing_truncated AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION bump_listing_version();
"""


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    for table in TABLES:
        schema_editor.execute(_triggers(table))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        for event in ("inserted", "updated", "deleted", "truncated"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_listing_{event} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS bump_listing_version_if_rows(), bump_listing_version()")
    schema_editor.execute("DROP SEQUENCE IF EXISTS listing_version")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0006_shortfall_ward_in_trust"),
        ("organisations", "0004_ward_id_trust_unique"),
    ]

    operations = [migrations.RunPython(add, drop)]
