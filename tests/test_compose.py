"""docker-compose.yml stays valid and wired up (no Docker engine needed, no database).

Run alone with: .venv/bin/python -m pytest tests/test_compose.py -q
(or, without Django at all: ... -p no:django --noconftest -q, since tests/conftest.py imports DRF).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
APP_SERVICES = ("migrate", "web", "worker", "beat")
SHARED_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _environment(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):  # the KEY=value list form
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return environment


def _depends_on(service: dict) -> list[str]:
    depends_on = service.get("depends_on", [])
    return list(depends_on) if isinstance(depends_on, dict | list) else []


def test_compose_file_matches_the_compose_specification():
    # The schema ships inside check-jsonschema ("vendor" schemas), so this works offline.
    check_jsonschema = Path(sys.executable).parent / "check-jsonschema"

    result = subprocess.run(
        [str(check_jsonschema), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_every_dependency_names_a_defined_service(compose):
    defined = set(compose["services"])

    undefined = {
        (name, dependency)
        for name, service in compose["services"].items()
        for dependency in _depends_on(service)
        if dependency not in defined
    }

    assert undefined == set()


def test_app_services_share_one_environment(compose):
    services = compose["services"]
    shared = _environment(services["web"])

    assert set(SHARED_VARIABLES) <= set(shared)
    for name in APP_SERVICES:
        assert _environment(services[name]) == shared, name


def test_app_services_use_the_compose_postgres_and_redis(compose):
    environment = _environment(compose["services"]["web"])

    assert environment["DATABASE_URL"] == "postgres://staffing:staffing@postgres:5432/staffing"
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")
    assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    assert environment["DEBUG"] == "false"


def test_schema_users_wait_for_a_successful_migration(compose):
    services = compose["services"]

    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, (
            name
        )
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}, name
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_every_dependency_waited_on_for_health_has_a_healthcheck(compose):
    services = compose["services"]

    unchecked = {
        (name, dependency)
        for name, service in services.items()
        if isinstance(service.get("depends_on"), dict)
        for dependency, condition in service["depends_on"].items()
        if condition.get("condition") == "service_healthy" and "healthcheck" not in services[dependency]
    }

    assert unchecked == set()


def test_worker_consumes_every_queue_one_task_at_a_time(compose):
    command = compose["services"]["worker"]["command"]

    assert command[:4] == ["celery", "-A", "backend", "worker"]
    assert set(command[command.index("-Q") + 1].split(",")) == {
        "offers",
        "notifications",
        "analytics",
        "celery",
    }
    assert command[command.index("--prefetch-multiplier") + 1] == "1"
