"""The offer policies compared, each expressed as Trust.cascade_settings (the same knobs a trust
sets in production; jobs/services/cascade.py CascadePolicy), applied to every trust of a run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    name: str
    label: str
    cascade_settings: dict


POLICIES: dict[str, Policy] = {
    p.name: p
    for p in (
        Policy("broadcast", "Broadcast, first come first served", {"broadcast": 1}),
        Policy(
            "familiar_first",
            "Familiar-first cascade (defaults: hold 30 min, wave 1 = 10, lapsed holds offered again)",
            {},
        ),
        Policy("hold_15", "Familiar-first, hold 15 min", {"hold_minutes": 15}),
        Policy("hold_90", "Familiar-first, hold 90 min", {"hold_minutes": 90}),
        Policy("wave1_3", "Familiar-first, wave 1 = top 3", {"wave1_size": 3}),
        Policy("wave1_25", "Familiar-first, wave 1 = top 25", {"wave1_size": 25}),
        Policy(
            "no_reoffer",
            "Familiar-first, lapsed holds never offered again (the default before the simulator)",
            {"reoffer_lapsed_holds": 0},
        ),
        Policy(
            "quiet_holds",
            "Familiar-first, holds sent in quiet hours run from the end of them",
            {"holds_wait_out_quiet_hours": 1},
        ),
    )
}


def policy(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; known: {', '.join(POLICIES)}") from None
