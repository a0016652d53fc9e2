"""Human reasons for a ranked candidate, from the same numbers the score used."""

from __future__ import annotations

import math

from matching.engine.clock import DAY
from matching.engine.model import Practitioner, Shortfall, Ward, Weights
from matching.engine.scoring import needed_competences, smoothed_rating
from matching.engine.taxonomy import competence_label, setting_label


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _days_ago(days: int) -> str:
    return "today" if days <= 0 else "yesterday" if days == 1 else f"{days} days ago"


def reasons(
    *,
    shortfall: Shortfall,
    ward: Ward,
    practitioner: Practitioner,
    terms: dict[str, float],
    weights: Weights,
    distance_km: float,
    ward_shifts: float,
    ward_last_worked: float,
    trust_shifts: float,
    setting_shifts: float,
    hours_this_week: float,
    now_seconds: float,
) -> tuple[str, ...]:
    """Sentences for the terms that helped most, largest weighted contribution first."""
    weight = weights.as_dict()
    sentences: list[tuple[float, str]] = []

    def say(term: str, text: str) -> None:
        sentences.append((weight[term] * terms[term], text))

    if ward_shifts > 0:
        text = f"Worked on {ward.display_name} {_times(int(ward_shifts))}"
        if math.isfinite(ward_last_worked):
            text += f", last {_days_ago(int((now_seconds - ward_last_worked) // DAY))}"
        say("continuity", text)
    if trust_shifts > 0:
        say("trust_familiarity", f"Knows {ward.trust_display_name}: {int(trust_shifts)} shifts")
    if setting_shifts > 0:
        say(
            "setting_experience",
            f"Experienced in {setting_label(ward.setting)}: {int(setting_shifts)} shifts",
        )
    elif ward.setting in practitioner.settings_experience:
        say("setting_experience", f"Has {setting_label(ward.setting)} experience")
    needed = needed_competences(shortfall, ward)
    if needed:
        held = sorted(needed & practitioner.competences)
        if held:
            say(
                "competence_fit",
                f"Has {len(held)} of {len(needed)} needed competences: "
                + ", ".join(competence_label(code) for code in held),
            )
    if practitioner.rating_count and practitioner.rating_mean is not None:
        rating = smoothed_rating(practitioner.rating_count, practitioner.rating_mean or math.nan)
        say("rating", f"Rated {practitioner.rating_mean:.1f}/5 over {practitioner.rating_count} shifts "
                      f"(smoothed {float(rating):.1f})")  # fmt: skip
    record = practitioner.reliability
    if record.completed:
        if record.late_cancellations or record.no_shows:
            say("reliability", f"{_count(record.late_cancellations, 'late cancellation')}, "
                               f"{_count(record.no_shows, 'no-show')} in {record.completed} shifts")  # fmt: skip
        else:
            say("reliability", f"No late cancellations or no-shows in {record.completed} shifts")
    say("distance", f"{distance_km:.1f} km away")
    if terms["preferences"] >= 1.0 and (
        practitioner.preferences.preferred_settings or practitioner.preferences.shift_time
    ):
        say("preferences", "Matches their stated preferences")
    say(
        "fairness",
        f"{hours_this_week:g} h booked this week" if hours_this_week else "No hours booked this week",
    )
    if practitioner.hourly_rate is not None:
        cap = f" within cap £{shortfall.rate_cap:.2f}/h" if shortfall.rate_cap is not None else ""
        say("cost", f"£{practitioner.hourly_rate:.2f}/h{cap}")
    # Stable sort: equal contributions keep the order above (continuity first).
    return tuple(text for _, text in sorted(sentences, key=lambda pair: -pair[0]))
