"""Pure-Python matching engine: no Django, no ORM, no settings.

model (frozen dataclasses) -> snapshot (PractitionerPool, numpy columns) -> eligibility (hard rules,
scalar + vectorised) -> scoring / explain -> rank (one shortfall) and assign (a whole horizon).
taxonomy resolves free text to canonical codes at ingestion; instance / generate / the CLI handle the
staffing-match-instance/1 JSON format.
"""
