"""Independent feasibility checker for `staffing-match-instance/1` solutions.

Written from MATCHING_INSTANCE.md alone and deliberately sharing no code with ``matching.engine``
(plain dicts, datetime arithmetic, loops): if the engine and this file disagree, one of them is
wrong, and we want to find out rather than have both wrong the same way.
Used by the benchmarks and by tests/matching/engine.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

EARTH_RADIUS_KM = 6371.0088
WEEK = timedelta(hours=168)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


class Checker:
    def __init__(self, instance: dict[str, Any]) -> None:
        self.instance = instance
        self.rest = timedelta(hours=instance["rules"]["min_rest_hours"])
        self.default_cap = float(instance["rules"]["week_hours_cap"])
        self.wards = {w["id"]: w for w in instance["wards"]}
        self.shortfalls = {s["id"]: s for s in instance["shortfalls"]}
        self.practitioners = {p["id"]: p for p in instance["practitioners"]}

    def cap_hours(self, practitioner: dict[str, Any]) -> float:
        cap = practitioner.get("week_hours_cap")
        return self.default_cap if cap is None else float(cap)

    def pair_problems(self, shortfall_id: str, practitioner_id: str, *, km_slack: float = 1e-9) -> list[str]:
        """Rules 1-5, and 6-8 against the practitioner's booked shifts only."""
        s, p = self.shortfalls.get(shortfall_id), self.practitioners.get(practitioner_id)
        if s is None or p is None:
            return [f"unknown pair {shortfall_id}/{practitioner_id}"]
        ward = self.wards[s["ward"]]
        start, end = _time(s["start"]), _time(s["end"])
        problems = []
        if p["role"] != s["role"] or p["band"] < s["min_band"]:
            problems.append("1 role/band")
        for name in s.get("requires", []):
            expires = p.get("credentials", {}).get(name)
            if expires is None or _time(expires) < end:
                problems.append(f"2 credential {name}")
        # The engine computes the same formula in numpy; allow rounding noise only at the boundary.
        if _km(p["lat"], p["lon"], ward["lat"], ward["lon"]) > p["radius_km"] + km_slack:
            problems.append("3 travel")
        if s.get("gender") is not None and s["gender"] != p.get("gender"):
            problems.append("4 gender")
        if ward["trust"] in p.get("blocked_trusts", []):
            problems.append("5 blocked trust")
        booked = [(_time(b["start"]), _time(b["end"])) for b in p.get("booked", [])]
        problems += self.schedule_problems(
            p, booked, [(start, end)], label=f"{shortfall_id}/{practitioner_id}"
        )
        return problems

    def schedule_problems(
        self,
        practitioner: dict[str, Any],
        booked: list[tuple[datetime, datetime]],
        assigned: list[tuple[datetime, datetime]],
        label: str,
    ) -> list[str]:
        """Rules 6-8 for every pair/window that involves at least one assigned shift."""
        problems = []
        shifts = [(s, e, False) for s, e in booked] + [(s, e, True) for s, e in assigned]
        for i in range(len(shifts)):
            for j in range(i + 1, len(shifts)):
                a, b = shifts[i], shifts[j]
                if not (a[2] or b[2]):
                    continue
                if a[0] < b[1] and b[0] < a[1]:
                    problems.append(f"6 overlap {label}")
                    continue
                gap = b[0] - a[1] if a[1] <= b[0] else a[0] - b[1]
                if gap < self.rest:
                    problems.append(f"7 rest {label}")
        cap = self.cap_hours(practitioner)
        for x_start, _, _ in shifts:
            inside = [sh for sh in shifts if x_start <= sh[0] < x_start + WEEK]
            if not any(sh[2] for sh in inside):
                continue
            hours = sum((e - s).total_seconds() for s, e, _ in inside) / 3600
            if hours > cap:
                problems.append(f"8 weekly hours {label}: {hours:g} > {cap:g}")
        return problems

    def solution_problems(self, assignments: list[dict[str, Any]]) -> list[str]:
        problems: list[str] = []
        per_shortfall: dict[str, list[str]] = defaultdict(list)
        per_practitioner: dict[str, list[str]] = defaultdict(list)
        for a in assignments:
            per_shortfall[a["shortfall"]].append(a["practitioner"])
            per_practitioner[a["practitioner"]].append(a["shortfall"])
            for problem in self.pair_problems(a["shortfall"], a["practitioner"]):
                if not problem.startswith(("6", "7", "8")):  # schedule rules checked jointly below
                    problems.append(f"{problem} {a['shortfall']}/{a['practitioner']}")
            if not 0 < a["score"] <= 1:
                problems.append(f"score out of (0, 1] {a}")
        for shortfall_id, people in per_shortfall.items():
            if len(people) > self.shortfalls[shortfall_id]["headcount"]:
                problems.append(f"9 headcount {shortfall_id}")
            if len(set(people)) != len(people):
                problems.append(f"9 duplicate practitioner on {shortfall_id}")
        for practitioner_id, shortfall_ids in per_practitioner.items():
            p = self.practitioners[practitioner_id]
            booked = [(_time(b["start"]), _time(b["end"])) for b in p.get("booked", [])]
            assigned = [
                (_time(self.shortfalls[s]["start"]), _time(self.shortfalls[s]["end"]))
                for s in set(shortfall_ids)
            ]
            problems += self.schedule_problems(p, booked, assigned, label=practitioner_id)
        return problems

    def edge_problems(self, edges: list[dict[str, Any]]) -> list[str]:
        problems = []
        seen = set()
        for edge in edges:
            pair = (edge["shortfall"], edge["practitioner"])
            if pair in seen:
                problems.append(f"duplicate edge {pair}")
            seen.add(pair)
            problems += [f"{problem} edge {pair}" for problem in self.pair_problems(*pair)]
        return problems

    def missing_edges(self) -> list[tuple[str, str]]:
        """Eligible pairs by this checker's rules (slow: every shortfall x practitioner)."""
        return [
            (s["id"], p["id"])
            for s in self.instance["shortfalls"]
            for p in self.instance["practitioners"]
            if not self.pair_problems(s["id"], p["id"], km_slack=-1e-9)
        ]


def check_solution(instance: dict[str, Any], solution: dict[str, Any]) -> list[str]:
    """All violations in a solve output (assignments, and edges when present)."""
    checker = Checker(instance)
    problems = checker.solution_problems(solution["assignments"])
    objective = sum(a["score"] for a in solution["assignments"])
    if abs(objective - solution["objective"]) > 1e-6 * max(1.0, objective):
        problems.append(f"objective {solution['objective']} != sum of scores {objective}")
    if solution["filled"] != len(solution["assignments"]):
        problems.append("filled != number of assignments")
    if "edges" in solution:
        problems += checker.edge_problems(solution["edges"])
        edge_scores = {(e["shortfall"], e["practitioner"]): e["score"] for e in solution["edges"]}
        for a in solution["assignments"]:
            if edge_scores.get((a["shortfall"], a["practitioner"])) != a["score"]:
                problems.append(f"assignment not among edges with its score: {a}")
    return problems
