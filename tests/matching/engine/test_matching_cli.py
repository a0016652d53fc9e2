"""`python -m matching generate` and `python -m matching solve` round trip, as an outside user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matching", *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def test_generate_then_solve_round_trip_prints_only_the_solution_json(tmp_path, checker):
    instance_path = tmp_path / "instance.json"

    run("generate", "--shortfalls", "40", "--practitioners", "150", "--seed", "3", "-o", str(instance_path))
    solved = run("solve", str(instance_path), "--edges", "--time-limit", "20")

    solution = json.loads(solved.stdout)  # nothing but the JSON on stdout (no solver banner)
    instance = json.loads(instance_path.read_text())
    assert instance["format"] == "staffing-match-instance/1"
    assert set(solution) == {"assignments", "objective", "filled", "seconds", "edges"}
    assert solution["filled"] == len(solution["assignments"]) > 0
    assert checker.check_solution(instance, solution) == []


def test_solve_without_edges_omits_them(tmp_path):
    instance_path = tmp_path / "instance.json"
    run("generate", "--shortfalls", "10", "--practitioners", "40", "--seed", "2", "-o", str(instance_path))

    solution = json.loads(run("solve", str(instance_path)).stdout)

    assert set(solution) == {"assignments", "objective", "filled", "seconds"}


def test_generation_is_deterministic_for_a_seed(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"

    run("generate", "--shortfalls", "20", "--practitioners", "50", "--seed", "9", "-o", str(first))
    run("generate", "--shortfalls", "20", "--practitioners", "50", "--seed", "9", "-o", str(second))

    assert first.read_text() == second.read_text()
