"""Import a practitioner's past placements (free-text trust and ward names, e.g. an agency's old
spreadsheet) into the continuity ledger. Names resolve through the taxonomy; a row that does not
resolve confidently goes to a review list, never a guess. A malformed file changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core import audit
from backend.core.errors import ValidationFailed
from backend.organisations.models import Trust, Ward
from backend.practitioners.models import PlacementImport, PlacementReviewItem, Practitioner, WardExperience
from matching.candidates import engine_ward
from matching.engine.taxonomy import Resolution, Vocabulary, ward_vocabulary

LONDON = ZoneInfo("Europe/London")
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
COLUMNS = ("trust", "ward", "shifts", "first_worked", "last_worked")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def _parse_date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _midday(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=LONDON)


def parse_placements(content: bytes) -> list[dict]:
    """Rows as dicts, or ValidationFailed naming every problem (nothing is half-read)."""
    if len(content) > MAX_BYTES:
        raise ValidationFailed("The file is larger than 1 MB.", extra={"max_bytes": MAX_BYTES})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The file is not UTF-8 text (export it as CSV UTF-8).") from None
    if "\x00" in text:  # a spreadsheet or other binary file that happens to decode
        raise ValidationFailed("The file is not a CSV text file (it contains binary data).")
    reader = csv.DictReader(io.StringIO(text))
    headers = {(name or "").strip().lower().replace(" ", "_") for name in (reader.fieldnames or [])}
    missing = [column for column in COLUMNS if column not in headers]
    if missing:
        raise ValidationFailed(
            "The file is missing required columns.",
            extra={"missing_columns": missing, "expected": list(COLUMNS)},
        )
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):  # row 1 is the header
        if number - 1 > MAX_ROWS:
            raise ValidationFailed(f"The file has more than {MAX_ROWS} rows.", extra={"max_rows": MAX_ROWS})
        row = {
            (key or "").strip().lower().replace(" ", "_"): (value or "").strip() for key, value in raw.items()
        }
        errors = []
        if not row["trust"]:
            errors.append("trust is empty")
        if not row["ward"]:
            errors.append("ward is empty")
        try:
            shifts = int(row["shifts"])
            if shifts < 1 or shifts > 2000:
                errors.append("shifts must be between 1 and 2000")
        except ValueError:
            shifts = 0
            errors.append(f"shifts {row['shifts']!r} is not a whole number")
        first, last = _parse_date(row["first_worked"]), _parse_date(row["last_worked"])
        if first is None:
            errors.append(f"first_worked {row['first_worked']!r} is not a date (YYYY-MM-DD)")
        if last is None:
            errors.append(f"last_worked {row['last_worked']!r} is not a date (YYYY-MM-DD)")
        if first and last and first > last:
            errors.append("first_worked is after last_worked")
        if last and last > timezone.localdate():
            errors.append("last_worked is in the future")
        if errors:
            problems.append({"row": number, "errors": errors})
        else:
            rows.append(
                {
                    "row": number,
                    "trust": row["trust"],
                    "ward": row["ward"],
                    "shifts": shifts,
                    "first": first,
                    "last": last,
                }
            )
    if problems:
        raise ValidationFailed("Some rows are invalid; nothing was imported.", extra={"rows": problems})
    if not rows:
        raise ValidationFailed("The file has no placement rows.")
    return rows


@transaction.atomic
def import_placement_history(
    *, practitioner: Practitioner, uploaded_by: User, filename: str, content: bytes, request=None
) -> tuple[PlacementImport, bool]:
    """Returns (the import, whether it was new). The same file twice is one import."""
    digest = hashlib.sha256(content).hexdigest()
    existing = PlacementImport.objects.filter(practitioner=practitioner, file_sha256=digest).first()
    if existing is not None:
        return existing, False
    rows = parse_placements(content)

    trusts = list(Trust.objects.filter(agency_id=practitioner.agency_id))
    trust_vocabulary = Vocabulary({str(t.id): (t.name, t.ods_code) for t in trusts}, include_codes=False)
    trust_by_id = {str(t.id): t for t in trusts}
    wards_by_trust: dict[str, list] = defaultdict(list)
    for ward in Ward.objects.filter(trust__in=trusts).select_related("trust", "setting"):
        wards_by_trust[str(ward.trust_id)].append(engine_ward(ward))
    ward_vocabularies = {trust_id: ward_vocabulary(wards) for trust_id, wards in wards_by_trust.items()}
    ward_names = {w.id: w.name for wards in wards_by_trust.values() for w in wards}
    record = PlacementImport.objects.create(
        practitioner=practitioner,
        uploaded_by=uploaded_by,
        file_sha256=digest,
        filename=filename[:200],
        rows_total=len(rows),
    )
    imported = 0
    review = []
    for row in rows:
        trust_match = trust_vocabulary.resolve(row["trust"])
        problem, suggestions, ward_id = "", [], None
        if not trust_match.is_resolved:
            problem = f"Trust {row['trust']!r} did not match one of the agency's trusts confidently"
            suggestions = [
                {"trust": trust_by_id[code].name, "confidence": score}
                for code, score in trust_match.alternatives
            ]
        else:
            vocabulary = ward_vocabularies.get(trust_match.canonical)
            ward_match = vocabulary.resolve(row["ward"]) if vocabulary else Resolution(row["ward"], None, 0.0)
            if ward_match.is_resolved:
                ward_id = int(ward_match.canonical)
            else:
                trust = trust_by_id[trust_match.canonical]
                problem = f"Ward {row['ward']!r} did not match a ward of {trust.name} confidently"
                suggestions = [
                    {"ward": ward_names[code], "ward_id": int(code), "confidence": score}
                    for code, score in ward_match.alternatives
                ]
        if ward_id is None:
            review.append(
                PlacementReviewItem(
                    placement_import=record,
                    row_number=row["row"],
                    trust_text=row["trust"][:200],
                    ward_text=row["ward"][:200],
                    shifts=row["shifts"],
                    first_worked_on=row["first"],
                    last_worked_on=row["last"],
                    suggestions=suggestions,
                    problem=problem[:300],
                )
            )
            continue
        add_experience(
            practitioner=practitioner,
            ward_id=ward_id,
            shifts=row["shifts"],
            first=_midday(row["first"]),
            last=_midday(row["last"]),
        )
        imported += 1
    PlacementReviewItem.objects.bulk_create(review)
    record.rows_imported, record.rows_for_review = imported, len(review)
    record.save(update_fields=["rows_imported", "rows_for_review", "updated_at"])
    audit.record(
        actor=uploaded_by,
        action="update",
        subject_type="ward_experience",
        subject_id=record.id,
        practitioner_id=practitioner.id,
        request=request,
        detail={"import": record.id, "imported": imported, "for_review": len(review)},
    )
    return record, True


def add_experience(
    *, practitioner: Practitioner, ward_id: int, shifts: int, first: dt.datetime, last: dt.datetime
) -> None:
    """Add shifts to the ledger row for (practitioner, ward), widening its dates. Row-locked."""
    row = (
        WardExperience.objects.select_for_update().filter(practitioner=practitioner, ward_id=ward_id).first()
    )
    if row is None:
        WardExperience.objects.create(
            practitioner=practitioner,
            ward_id=ward_id,
            shifts_worked=shifts,
            first_worked_at=first,
            last_worked_at=last,
            source=WardExperience.Source.IMPORT,
        )
        return
    row.shifts_worked += shifts
    row.first_worked_at = min(row.first_worked_at, first)
    row.last_worked_at = max(row.last_worked_at, last)
    row.save(update_fields=["shifts_worked", "first_worked_at", "last_worked_at", "updated_at"])
