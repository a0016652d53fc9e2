"""Metrics of one run (read from the run's database, DESIGN.md definitions), the comparison table
and the plots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from django.db import connection

from backend.practitioners.models import Practitioner
from jobs.simulation.runner import RunResult

SIM = "s.external_reference LIKE 'sim-%%'"

_FILLED_SQL = f"""
SELECT b.id, b.practitioner_id, s.ward_id,
       EXTRACT(EPOCH FROM (b.created_at - s.posted_at)) / 3600.0,
       EXISTS (
         SELECT 1 FROM jobs_booking p JOIN jobs_shortfall ps ON ps.id = p.shortfall_id
         WHERE p.practitioner_id = b.practitioner_id AND ps.ward_id = s.ward_id
           AND p.status = 'completed' AND p.id <> b.id
           AND p.ends_at <= b.starts_at AND p.ends_at > b.starts_at - make_interval(days => %s)
       ),
       EXISTS (
         SELECT 1 FROM jobs_booking p JOIN jobs_shortfall ps ON ps.id = p.shortfall_id
         WHERE p.practitioner_id = b.practitioner_id AND ps.ward_id = s.ward_id
           AND p.status = 'completed' AND p.id <> b.id
           AND p.ends_at <= b.starts_at AND p.ends_at > b.starts_at - interval '365 days'
       )
FROM jobs_booking b JOIN jobs_shortfall s ON s.id = b.shortfall_id
WHERE {SIM} AND s.status <> 'cancelled' AND b.status IN ('completed', 'no_show')
ORDER BY b.id
"""


def _rows(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def metrics(result: RunResult, *, continuity_days: int) -> dict:
    """Read this run's outcome from its database (call with the run database current)."""
    (slots,) = _rows(
        f"SELECT COALESCE(SUM(headcount), 0) FROM jobs_shortfall s WHERE {SIM} AND status <> 'cancelled'"
    )[0]
    filled = _rows(_FILLED_SQL, [continuity_days])
    hours_to_fill = np.array([float(r[3]) for r in filled]) if filled else np.zeros(0)
    per_ward = _rows(
        f"""SELECT s.ward_id, COUNT(DISTINCT b.practitioner_id) FROM jobs_booking b
            JOIN jobs_shortfall s ON s.id = b.shortfall_id
            WHERE {SIM} AND b.status IN ('completed', 'no_show') GROUP BY s.ward_id"""
    )
    offers = _rows(
        f"""SELECT o.practitioner_id, COUNT(*) FROM jobs_offer o JOIN jobs_shortfall s ON s.id = o.shortfall_id
            WHERE {SIM} GROUP BY o.practitioner_id"""
    )
    (made, by_practitioner, late) = _rows(
        f"""SELECT COUNT(*), COUNT(*) FILTER (WHERE b.status = 'cancelled_by_practitioner'),
                   COUNT(*) FILTER (WHERE b.is_late_cancellation)
            FROM jobs_booking b JOIN jobs_shortfall s ON s.id = b.shortfall_id WHERE {SIM}"""
    )[0]
    pool = Practitioner.objects.filter(status=Practitioner.Status.ACTIVE).count()
    offer_counts = np.array([n for _, n in offers] + [0] * max(0, pool - len(offers)), dtype=float)
    sends = result.messages.get("jobs.notify_offer", 0)
    n = len(filled)
    counters = result.counters
    return {
        "policy": result.policy,
        "slots": int(slots),
        "filled": n,
        "fill_rate": n / slots if slots else 0.0,
        "time_to_fill_median_h": float(np.median(hours_to_fill)) if n else None,
        "time_to_fill_p90_h": float(np.percentile(hours_to_fill, 90)) if n else None,
        "continuity_rate": sum(1 for r in filled if r[4]) / n if n else 0.0,
        "continuity_rate_12m": sum(1 for r in filled if r[5]) / n if n else 0.0,
        "staff_per_ward": float(np.mean([c for _, c in per_ward])) if per_ward else 0.0,
        "offers_sent": int(sends),
        "offers_per_practitioner": sends / pool if pool else 0.0,
        "offers_per_practitioner_p90": float(np.percentile(offer_counts, 90)) if pool else 0.0,
        "offers_per_fill": sends / n if n else None,
        "practitioners": pool,
        "bookings_made": int(made),
        "cancelled_by_practitioner": int(by_practitioner),
        "late_cancellations": int(late),
        "late_cancellations_per_100_bookings": 100 * late / made if made else 0.0,
        "lost_races": int(counters.get("accept_refused:shortfall_filled", 0)),
        # Answers that came when the offer was already gone: withdrawn (filled) or expired (a hold
        # or an open offer that ran out): practitioner effort the policy wasted.
        "answered_too_late": int(sum(v for k, v in counters.items() if k.startswith("answered_too_late:"))),
        "answered_after_expiry": int(counters.get("answered_too_late:expired", 0)),
        "accepts_refused": int(sum(v for k, v in counters.items() if k.startswith("accept_refused:"))),
        "no_shows": int(counters.get("no_shows", 0)),
        "hours_to_fill": hours_to_fill.round(3).tolist(),
        "counters": dict(sorted(counters.items())),
        "messages": dict(sorted(result.messages.items())),
        "wall_seconds": round(result.wall_seconds, 1),
    }


COLUMNS = (
    ("policy", "policy", "{}"),
    ("fill_rate", "fill rate", "{:.1%}"),
    ("time_to_fill_median_h", "time to fill median (h)", "{:.1f}"),
    ("time_to_fill_p90_h", "time to fill p90 (h)", "{:.1f}"),
    ("continuity_rate", "continuity (90 d)", "{:.1%}"),
    ("continuity_rate_12m", "continuity (12 m)", "{:.1%}"),
    ("staff_per_ward", "distinct staff per ward", "{:.1f}"),
    ("offers_per_practitioner", "offers per practitioner", "{:.1f}"),
    ("offers_per_practitioner_p90", "offers per practitioner p90", "{:.0f}"),
    ("offers_per_fill", "offers per fill", "{:.1f}"),
    ("answered_too_late", "answers after the offer had gone", "{}"),
    ("answered_after_expiry", "of which expired", "{}"),
    ("late_cancellations", "late cancellations (< 12 h)", "{}"),
    ("no_shows", "no-shows", "{}"),
    ("wall_seconds", "run (s)", "{:.0f}"),
)


def table(rows: list[dict]) -> str:
    def cell(row: dict, key: str, fmt: str) -> str:
        value = row.get(key)
        return "-" if value is None else fmt.format(value)

    lines = [
        "| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
        "|" + "|".join(" --- " for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell(r, k, f) for k, _, f in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


def verdict(rows: list[dict]) -> str:
    by_name = {r["policy"]: r for r in rows}
    broadcast, cascade = by_name.get("broadcast"), by_name.get("familiar_first")
    if broadcast is None or cascade is None:
        return "Goal not assessed: run both `broadcast` and `familiar_first`."
    ratio = (
        cascade["continuity_rate"] / broadcast["continuity_rate"]
        if broadcast["continuity_rate"]
        else float("inf")
    )
    checks = {
        f"continuity {cascade['continuity_rate']:.1%} vs {broadcast['continuity_rate']:.1%} = {ratio:.2f}x (goal >= 1.5x)": ratio
        >= 1.5,
        f"fill rate {cascade['fill_rate']:.1%} vs {broadcast['fill_rate']:.1%} (goal: no lower)": cascade[
            "fill_rate"
        ]
        >= broadcast["fill_rate"],
        f"offers per practitioner {cascade['offers_per_practitioner']:.1f} vs "
        f"{broadcast['offers_per_practitioner']:.1f} (goal: lower)": cascade["offers_per_practitioner"]
        < broadcast["offers_per_practitioner"],
    }
    return "\n".join(f"- {'met' if ok else 'NOT met'}: {text}" for text, ok in checks.items())


def plots(rows: list[dict], directory: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["policy"] for r in rows]
    others = iter(
        ["#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf", "#999999", "#66c2a5", "#e5c494"] * 4
    )
    fixed = {"broadcast": "#b2182b", "familiar_first": "#2166ac"}
    colours = [fixed.get(n) or next(others) for n in names]
    panels = (
        ("fill_rate", "Fill rate", 100, "%"),
        ("continuity_rate", "Continuity rate (worked the ward in 90 days)", 100, "%"),
        ("time_to_fill_median_h", "Time to fill, median", 1, "hours"),
        ("offers_per_practitioner", "Offers per practitioner (whole run)", 1, "offers"),
        ("late_cancellations", "Late cancellations (< 12 h)", 1, "bookings"),
        ("staff_per_ward", "Distinct temporary staff per ward", 1, "people"),
    )
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for ax, (key, title, scale, unit) in zip(axes.flat, panels, strict=True):
        values = [(r[key] or 0) * scale for r in rows]
        ax.bar(names, values, color=colours)
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.tick_params(axis="x", rotation=35)
        for i, v in enumerate(values):
            ax.annotate(f"{v:.1f}", (i, v), ha="center", va="bottom", fontsize=8)
    fig.suptitle("Operations simulator: offer policies (same demand, same people)")
    fig.tight_layout()
    metrics_png = directory / "policies.png"
    fig.savefig(metrics_png, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    for r, colour in zip(rows, colours, strict=True):
        hours = np.sort(np.asarray(r["hours_to_fill"], dtype=float))
        if hours.size:
            ax.step(
                hours,
                np.arange(1, hours.size + 1) / r["slots"],
                where="post",
                label=r["policy"],
                color=colour,
            )
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("hours from posting to booking")
    ax.set_ylabel("share of slots filled")
    ax.set_title("Time to fill (cumulative)")
    ax.legend()
    fig.tight_layout()
    ttf_png = directory / "time_to_fill.png"
    fig.savefig(ttf_png, dpi=110)
    plt.close(fig)
    return [metrics_png, ttf_png]


def write(rows: list[dict], directory: Path, *, command: str, header: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    pngs = plots(rows, directory)
    report = directory / "report.md"
    report.write_text(
        f"# Operations simulator\n\n`{command}`\n\n{header}\n\n{table(rows)}\n\n## Goal\n{verdict(rows)}\n\n"
        + "\n".join(f"![{p.stem}]({p.name})" for p in pngs)
        + "\n"
    )
    return report
