"""Fixtures for the pure matching engine: no Django, no database.

The independent feasibility checker lives in benchmarks/matching/checker.py (one copy, shared with
the benchmarks); it is loaded by path so these tests work whether or not tests/ is a package.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from matching.engine.model import Interval, Practitioner, Shortfall, Ward

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CHECKER_PATH = Path(__file__).resolve().parents[3] / "benchmarks" / "matching" / "checker.py"
LAGRANGIAN_PATH = CHECKER_PATH.with_name("lagrangian_bound.py")


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def checker() -> ModuleType:
    return _load("matching_feasibility_checker", CHECKER_PATH)


@pytest.fixture(scope="session")
def lagrangian() -> ModuleType:
    """benchmarks/matching/lagrangian_bound.py: the Lagrangian upper bound the benchmark reports."""
    return _load("matching_lagrangian_bound", LAGRANGIAN_PATH)


@pytest.fixture(scope="session")
def ward() -> Ward:
    return Ward(
        id="W1",
        trust="T1",
        setting="picu",
        lat=53.4808,
        lon=-2.2426,
        name="Willow Ward",
        trust_name="Northfield Trust",
    )


@pytest.fixture(scope="session")
def make_shortfall() -> Callable[..., Shortfall]:
    def make(**overrides: Any) -> Shortfall:
        fields: dict[str, Any] = dict(
            id="S1", ward="W1", role="rmn", min_band=5, start=at(2, 7, 30), end=at(2, 20), headcount=1,
            requires=frozenset({"pmva_rrn"}),
        )  # fmt: skip
        fields.update(overrides)
        return Shortfall(**fields)

    return make


@pytest.fixture(scope="session")
def make_practitioner() -> Callable[..., Practitioner]:
    def make(**overrides: Any) -> Practitioner:
        fields: dict[str, Any] = dict(
            id="P1", role="rmn", band=5, gender="female", lat=53.4808, lon=-2.2426, radius_km=30.0,
            credentials={"pmva_rrn": NOW + timedelta(days=365)},
        )  # fmt: skip
        fields.update(overrides)
        return Practitioner(**fields)

    return make


def booked(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)


# The repository's tests/conftest.py has autouse fixtures that reach into Django (taxonomy seeding,
# the ORM-backed snapshot). The engine needs neither, so override them here by name: these tests
# stay runnable without Django settings or a database.
@pytest.fixture(autouse=True)
def _taxonomy() -> None:
    return None


@pytest.fixture(autouse=True)
def _fresh_matching_snapshot() -> None:
    return None
