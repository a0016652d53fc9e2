"""Settings read the environment and fail loudly, naming the variable, on malformed values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.env import (
    ImproperEnvironment,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
INHERITED = ("SECRET_KEY", "DATABASE_URL", "DEBUG", "REDIS_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS")


def start_django(**env_overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in INHERITED}
    env["DJANGO_SETTINGS_MODULE"] = "backend.settings"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_that_is_not_a_boolean_stops_start_naming_debug():
    result = start_django(DEBUG="maybe")

    assert result.returncode != 0
    assert "ImproperEnvironment: DEBUG='maybe' is not a boolean" in result.stderr


def test_debug_off_without_secret_key_stops_start_naming_secret_key():
    result = start_django(DEBUG="false")

    assert result.returncode != 0
    assert "ImproperEnvironment: SECRET_KEY is required when DEBUG is off" in result.stderr


def test_mysql_database_url_stops_start_with_unsupported_scheme():
    result = start_django(DEBUG="true", DATABASE_URL="mysql://x")

    assert result.returncode != 0
    assert "DATABASE_URL='mysql://x' has unsupported scheme 'mysql'" in result.stderr


def test_debug_on_with_nothing_else_starts_on_sqlite():
    result = start_django(DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# --- backend.env parse functions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        ("YES", True),
        (" on ", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
    ],
)
def test_env_bool_accepts_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)

    assert env_bool("FLAG", default=not expected) is expected


def test_env_bool_uses_default_when_unset(monkeypatch):
    monkeypatch.delenv("FLAG", raising=False)

    assert env_bool("FLAG", default=True) is True


def test_env_bool_rejects_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")

    with pytest.raises(ImproperEnvironment, match=r"^FLAG='maybe' is not a boolean"):
        env_bool("FLAG", default=False)


def test_env_int_parses_and_defaults(monkeypatch):
    monkeypatch.setenv("HOURS", "48")
    assert env_int("HOURS", 11) == 48
    monkeypatch.setenv("HOURS", " ")
    assert env_int("HOURS", 11) == 11


def test_env_int_rejects_non_integers_naming_the_variable(monkeypatch):
    monkeypatch.setenv("HOURS", "forty")

    with pytest.raises(ImproperEnvironment, match=r"^HOURS='forty' is not an integer\.$"):
        env_int("HOURS", 11)


def test_env_str_treats_empty_as_unset_and_enforces_required(monkeypatch):
    monkeypatch.setenv("NAME", "")
    assert env_str("NAME", "fallback") == "fallback"

    with pytest.raises(ImproperEnvironment, match=r"^NAME is required but not set\.$"):
        env_str("NAME", required=True)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example, ,b.example ,")

    assert env_list("HOSTS", ["default"]) == ["a.example", "b.example"]


def test_postgres_url_becomes_a_postgresql_database(tmp_path):
    config = database_from_url(
        "postgres://app:p%40ss@db.internal:6543/staffing?sslmode=require", base_dir=tmp_path
    )

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("staffing", "app", "p@ss")
    assert (config["HOST"], config["PORT"]) == ("db.internal", "6543")
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_postgres_url_without_database_name_is_rejected(tmp_path):
    with pytest.raises(ImproperEnvironment, match="names no database"):
        database_from_url("postgres://app@db.internal:5432/", base_dir=tmp_path)


def test_postgres_url_with_malformed_port_is_rejected(tmp_path):
    with pytest.raises(ImproperEnvironment, match="malformed port"):
        database_from_url("postgres://app@db.internal:port/staffing", base_dir=tmp_path)


def test_relative_sqlite_url_resolves_under_base_dir_and_creates_the_folder(tmp_path):
    config = database_from_url("sqlite:///var/demo.sqlite3", base_dir=tmp_path)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == str(tmp_path / "var" / "demo.sqlite3")
    assert (tmp_path / "var").is_dir()


def test_absolute_sqlite_url_is_kept(tmp_path):
    config = database_from_url(f"sqlite:///{tmp_path}/abs.sqlite3", base_dir=Path("/elsewhere"))

    assert config["NAME"] == str(tmp_path / "abs.sqlite3")


def test_unsupported_scheme_is_rejected_naming_it(tmp_path):
    with pytest.raises(
        ImproperEnvironment, match=r"unsupported scheme 'mysql'; use postgres:// or sqlite:///"
    ):
        database_from_url("mysql://x", base_dir=tmp_path)
