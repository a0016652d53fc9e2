"""Read and write ``staffing-match-instance/1`` JSON (see MATCHING_INSTANCE.md).

Instances are already resolved: canonical role codes, setting presets folded into ``requires``.
They carry no status, registration or rate, so those take defaults that pass. A few optional
keys beyond the documented ones are read when present (ward ``name``/``trust_name``/``needs``,
practitioner ``blocked_wards``/``competences``/``rating``/``reliability``) so that exports from the
database can carry more; the generator writes only the documented keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from matching.engine.clock import format_utc, parse_utc
from matching.engine.model import (
    Assignment,
    Edge,
    Interval,
    Practitioner,
    Reliability,
    Rules,
    Shortfall,
    Ward,
    WardHistory,
)

FORMAT = "staffing-match-instance/1"


@dataclass(frozen=True)
class Instance:
    now: datetime
    rules: Rules
    wards: tuple[Ward, ...]
    shortfalls: tuple[Shortfall, ...]
    practitioners: tuple[Practitioner, ...]

    @property
    def ward_by_id(self) -> dict[str, Ward]:
        return {ward.id: ward for ward in self.wards}


def load_instance(source: str | Path | Mapping[str, Any]) -> Instance:
    document = source if isinstance(source, Mapping) else json.loads(Path(source).read_text())
    if document.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} document: format={document.get('format')!r}")
    rules_doc = document.get("rules", {})
    rules = Rules(
        min_rest_hours=float(rules_doc.get("min_rest_hours", 11)),
        week_hours_cap=float(rules_doc.get("week_hours_cap", 48)),
    )
    wards = tuple(
        Ward(
            id=w["id"],
            trust=w["trust"],
            setting=w["setting"],
            lat=float(w["lat"]),
            lon=float(w["lon"]),
            name=w.get("name", ""),
            trust_name=w.get("trust_name", ""),
            needs=frozenset(w.get("needs", ())),
        )
        for w in document["wards"]
    )
    shortfalls = tuple(
        Shortfall(
            id=s["id"],
            ward=s["ward"],
            role=s["role"],
            min_band=int(s["min_band"]),
            start=parse_utc(s["start"]),
            end=parse_utc(s["end"]),
            headcount=int(s.get("headcount", 1)),
            requires=frozenset(s.get("requires", ())),
            desired_competences=frozenset(s.get("desired_competences", ())),
            gender=s.get("gender"),
        )
        for s in document["shortfalls"]
    )
    practitioners = tuple(_practitioner(p) for p in document["practitioners"])
    return Instance(parse_utc(document["now"]), rules, wards, shortfalls, practitioners)


def _practitioner(p: Mapping[str, Any]) -> Practitioner:
    rating = p.get("rating") or {}
    reliability = p.get("reliability") or {}
    return Practitioner(
        id=p["id"],
        role=p["role"],
        band=int(p["band"]),
        gender=p.get("gender"),
        lat=float(p["lat"]),
        lon=float(p["lon"]),
        radius_km=float(p["radius_km"]),
        week_hours_cap=None if p.get("week_hours_cap") is None else float(p["week_hours_cap"]),
        credentials={code: parse_utc(expires) for code, expires in p.get("credentials", {}).items()},
        competences=frozenset(p.get("competences", ())),
        blocked_trusts=frozenset(p.get("blocked_trusts", ())),
        blocked_wards=frozenset(p.get("blocked_wards", ())),
        booked=tuple(Interval(parse_utc(b["start"]), parse_utc(b["end"])) for b in p.get("booked", ())),
        history=tuple(
            WardHistory(
                ward=h["ward"],
                shifts=int(h["shifts"]),
                last_worked=parse_utc(h["last_worked"]) if h.get("last_worked") else None,
            )
            for h in p.get("history", ())
        ),
        rating_count=int(rating.get("count", 0)),
        rating_mean=rating.get("mean"),
        reliability=Reliability(
            completed=int(reliability.get("completed", 0)),
            late_cancellations=int(reliability.get("late_cancellations", 0)),
            no_shows=int(reliability.get("no_shows", 0)),
        ),
    )


def dump_instance(instance: Instance) -> dict[str, Any]:
    """The documented keys only."""
    return {
        "format": FORMAT,
        "now": format_utc(instance.now),
        "rules": {
            "min_rest_hours": instance.rules.min_rest_hours,
            "week_hours_cap": instance.rules.week_hours_cap,
        },
        "wards": [
            {"id": w.id, "trust": w.trust, "setting": w.setting, "lat": w.lat, "lon": w.lon}
            for w in instance.wards
        ],
        "shortfalls": [
            {
                "id": s.id,
                "ward": s.ward,
                "role": s.role,
                "min_band": s.min_band,
                "start": format_utc(s.start),
                "end": format_utc(s.end),
                "headcount": s.headcount,
                "requires": sorted(s.requires),
                "gender": s.gender,
            }
            for s in instance.shortfalls
        ],
        "practitioners": [
            {
                "id": p.id,
                "role": p.role,
                "band": p.band,
                "gender": p.gender,
                "lat": p.lat,
                "lon": p.lon,
                "radius_km": p.radius_km,
                "week_hours_cap": p.week_hours_cap,
                "credentials": {code: format_utc(expires) for code, expires in sorted(p.credentials.items())},
                "blocked_trusts": sorted(p.blocked_trusts),
                "booked": [{"start": format_utc(b.start), "end": format_utc(b.end)} for b in p.booked],
                "history": [
                    {
                        "ward": h.ward,
                        "shifts": h.shifts,
                        "last_worked": None if h.last_worked is None else format_utc(h.last_worked),
                    }
                    for h in p.history
                ],
            }
            for p in instance.practitioners
        ],
    }


def solution_document(
    assignments: list[Assignment], objective: float, seconds: float, edges: list[Edge] | None = None
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "assignments": [
            {"shortfall": a.shortfall, "practitioner": a.practitioner, "score": a.score} for a in assignments
        ],
        "objective": objective,
        "filled": len(assignments),
        "seconds": round(seconds, 4),
    }
    if edges is not None:
        document["edges"] = [
            {"shortfall": e.shortfall, "practitioner": e.practitioner, "score": e.score} for e in edges
        ]
    return document
