"""Bulk shortfalls from a trust's e-roster export (CSV).

Two steps: `preview_shortfall_import` reads and checks every row and saves nothing; the trust's
staff look at the preview (row errors, fuzzy ward suggestions) and `import_shortfalls` then posts
the rows that are ready, each through `post_shortfall`. Idempotent by external reference: a row
whose reference the trust already has is skipped, so uploading the same file twice creates no
duplicates. Ward names resolve through the matching taxonomy (rapidfuzz at ingestion); a name that
does not resolve confidently is an error with suggestions, never a guess."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.core.errors import PermissionDenied, ValidationFailed
from backend.organisations.models import BAND_MAX, BAND_MIN, Role, Ward
from backend.organisations.selectors import wards_for
from jobs.models import Shortfall
from jobs.services.shortfalls import post_shortfall
from matching.candidates import engine_ward
from matching.engine.taxonomy import extract_band, resolve_role, role_label, ward_vocabulary

MAX_BYTES = 256 * 1024
MAX_ROWS = 500
MAX_SHIFT = dt.timedelta(hours=16)
MAX_HEADCOUNT = 50
ROLE_SUGGESTION_SCORE = 70.0  # a near miss worth offering as "did you mean"
REQUIRED_COLUMNS = ("external_reference", "ward", "role", "date", "start", "end")
OPTIONAL_COLUMNS = ("band", "headcount", "notes")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
TIME_FORMATS = ("%H:%M", "%H%M", "%H:%M:%S")
# Column names e-rosters use for the same thing.
HEADER_ALIASES = {
    "reference": "external_reference",
    "ref": "external_reference",
    "external_ref": "external_reference",
    "shift_id": "external_reference",
    "ward_name": "ward",
    "unit": "ward",
    "grade": "band",
    "start_time": "start",
    "end_time": "end",
    "shift_date": "date",
    "staff_needed": "headcount",
}


@dataclass
class ImportRow:
    number: int  # the line in the file (1 is the header)
    external_reference: str
    ward_text: str
    role_text: str
    ward: Ward | None = None
    ward_confidence: float = 0.0
    role: Role | None = None
    min_band: int | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    headcount: int = 1
    notes: str = ""
    errors: list[str] = field(default_factory=list)
    ward_suggestions: list[str] = field(default_factory=list)
    role_confidence: float = 0.0
    role_suggestions: list[str] = field(default_factory=list)
    is_already_imported: bool = False

    @property
    def is_ready(self) -> bool:
        return not self.errors and not self.is_already_imported

    @property
    def is_fuzzy_ward_match(self) -> bool:
        return self.ward is not None and self.ward_confidence < 100

    @property
    def is_fuzzy_role_match(self) -> bool:
        return self.role is not None and self.role_confidence < 100


@dataclass
class ImportPreview:
    filename: str
    rows: list[ImportRow]

    @property
    def ready_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.is_ready]

    @property
    def error_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.errors]

    @property
    def already_imported_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.is_already_imported and not row.errors]


@dataclass(frozen=True)
class ImportResult:
    created: list[Shortfall]
    already_imported: int
    rejected: int


def _parse(text: str, formats: Sequence[str], kind: str) -> dt.date | dt.time | None:
    for fmt in formats:
        try:
            parsed = dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return parsed.date() if kind == "date" else parsed.time()
    return None


def _header(name: str | None) -> str:
    key = (name or "").strip().lower().replace(" ", "_").replace("-", "_")
    return HEADER_ALIASES.get(key, key)


def read_rows(content: bytes, *, filename: str) -> list[dict]:
    """The file's rows as dicts keyed by canonical column names, or ValidationFailed for a problem
    with the file as a whole (type, size, encoding, columns, row count)."""
    if not filename.lower().endswith(".csv"):
        raise ValidationFailed(
            "The file must be a CSV file (.csv). Export the shifts from your e-roster as CSV.",
            extra={"filename": filename[:200]},
        )
    if len(content) > MAX_BYTES:
        raise ValidationFailed(
            f"The file is larger than {MAX_BYTES // 1024} KB. Split it into smaller files.",
            extra={"max_bytes": MAX_BYTES, "bytes": len(content)},
        )
    if not content.strip():
        raise ValidationFailed("The file is empty.")
    if b"\x00" in content:
        raise ValidationFailed("The file is not a CSV text file (it contains binary data).")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.") from None
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        fieldnames = reader.fieldnames or []
        headers = [_header(name) for name in fieldnames]
        missing = [column for column in REQUIRED_COLUMNS if column not in headers]
        if missing:
            raise ValidationFailed(
                f"The file is missing required columns: {', '.join(missing)}.",
                extra={"missing_columns": missing, "expected": [*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS]},
            )
        rows = []
        for number, raw in enumerate(reader, start=2):
            if len(rows) >= MAX_ROWS:
                raise ValidationFailed(
                    f"The file has more than {MAX_ROWS} shifts. Split it into smaller files.",
                    extra={"max_rows": MAX_ROWS},
                )
            cells = {_header(key): (value or "").strip() for key, value in raw.items() if key is not None}
            if not any(cells.values()):
                continue  # a blank line, as spreadsheets often leave at the end
            rows.append({"number": number, **cells})
    except csv.Error as error:
        raise ValidationFailed(f"The file could not be read as CSV: {error}.") from None
    if not rows:
        raise ValidationFailed("The file has no shifts in it, only a header row.")
    return rows


def _check_row(row: ImportRow, cells: dict, *, now: dt.datetime) -> None:
    if not row.external_reference:
        row.errors.append("The external reference is empty: each shift needs the e-roster's id.")
    elif len(row.external_reference) > 80:
        row.errors.append("The external reference is longer than 80 characters.")
    band_text = cells.get("band", "")
    if band_text:
        digits = band_text.lower().removeprefix("band").strip()
        row.min_band = int(digits) if digits.isdigit() else None
        if row.min_band is None or not BAND_MIN <= row.min_band <= BAND_MAX:
            row.errors.append(f"Band '{band_text}' is not a band from {BAND_MIN} to {BAND_MAX}.")
            row.min_band = None
    else:
        row.min_band = extract_band(row.role_text)
        if row.min_band is None:
            row.errors.append("The band is missing (a band column, or a role like 'RMN Band 5').")
    headcount_text = cells.get("headcount", "") or "1"
    if headcount_text.isdigit() and 1 <= int(headcount_text) <= MAX_HEADCOUNT:
        row.headcount = int(headcount_text)
    else:
        row.errors.append(f"Staff needed '{headcount_text}' is not a whole number from 1 to {MAX_HEADCOUNT}.")
    row.notes = cells.get("notes", "")
    if len(row.notes) > 2000:
        row.errors.append("The notes are longer than 2,000 characters.")

    day = _parse(cells.get("date", ""), DATE_FORMATS, "date")
    start = _parse(cells.get("start", ""), TIME_FORMATS, "time")
    end = _parse(cells.get("end", ""), TIME_FORMATS, "time")
    if day is None:
        row.errors.append(f"Date '{cells.get('date', '')}' is not a date (YYYY-MM-DD or DD/MM/YYYY).")
    if start is None:
        row.errors.append(f"Start '{cells.get('start', '')}' is not a time (HH:MM).")
    if end is None:
        row.errors.append(f"End '{cells.get('end', '')}' is not a time (HH:MM).")
    if day is None or start is None or end is None:
        return
    # Wall-clock times in the trust's time zone; an end at or before the start is the next day.
    # In UTC: subtracting two datetimes sharing one zoneinfo gives wall-clock time, which is an
    # hour out across a clock change.
    starts_at = timezone.make_aware(dt.datetime.combine(day, start)).astimezone(dt.UTC)
    end_day = day + dt.timedelta(days=1) if end <= start else day
    ends_at = timezone.make_aware(dt.datetime.combine(end_day, end)).astimezone(dt.UTC)
    if ends_at - starts_at > MAX_SHIFT:
        row.errors.append("The shift is longer than 16 hours.")
    if ends_at <= now:
        row.errors.append("The shift has already ended.")
    row.starts_at, row.ends_at = starts_at, ends_at


def preview_shortfall_import(*, user: User, content: bytes, filename: str) -> ImportPreview:
    """Every row checked against the caller's wards and the taxonomy. Saves nothing."""
    if not user.is_authenticated or not user.is_trust_staff:
        raise PermissionDenied("Only a trust's staff can import its shortfalls.")
    cells_by_row = read_rows(content, filename=filename)
    now = timezone.now()
    wards = {ward.id: ward for ward in wards_for(user).filter(is_active=True)}
    vocabulary = ward_vocabulary([engine_ward(ward) for ward in wards.values()])
    roles = {role.code: role for role in Role.objects.all()}
    existing = set(
        Shortfall.objects.filter(
            trust_id=user.trust_id,
            external_reference__in=[cells.get("external_reference", "") for cells in cells_by_row],
        ).values_list("external_reference", flat=True)
    )
    first_row_of: dict[str, int] = {}
    rows = []
    for cells in cells_by_row:
        row = ImportRow(
            number=cells["number"],
            external_reference=cells.get("external_reference", ""),
            ward_text=cells.get("ward", ""),
            role_text=cells.get("role", ""),
        )
        _check_row(row, cells, now=now)
        if row.ward_text:
            resolution = vocabulary.resolve(row.ward_text)
            if resolution.is_resolved:
                row.ward, row.ward_confidence = wards[int(resolution.canonical)], resolution.confidence
            else:
                row.ward_suggestions = [wards[int(code)].name for code, _ in resolution.alternatives[:3]]
                row.errors.append(f"Ward '{row.ward_text}' did not match one of your wards.")
        else:
            row.errors.append("The ward is empty.")
        role_match = resolve_role(row.role_text) if row.role_text else None
        row.role = roles.get(role_match.canonical) if role_match and role_match.is_resolved else None
        if row.role is not None:
            row.role_confidence = role_match.confidence
        else:
            row.errors.append(f"Role '{row.role_text}' is not a role we recognise (e.g. RMN, HCA).")
            if role_match is not None:  # e.g. "Staff nurse": RMN or RNLD, a person decides
                row.role_suggestions = [
                    role_label(code)
                    for code, score in role_match.alternatives[:3]
                    if score >= ROLE_SUGGESTION_SCORE
                ]
        reference = row.external_reference
        if reference and reference in first_row_of:
            row.errors.append(f"External reference '{reference}' is also on row {first_row_of[reference]}.")
        elif reference:
            first_row_of[reference] = row.number
            row.is_already_imported = reference in existing
        rows.append(row)
    return ImportPreview(filename=filename, rows=rows)


@transaction.atomic
def import_shortfalls(*, user: User, content: bytes, filename: str) -> ImportResult:
    """Post every ready row of the file (the preview is worked out again: the file is the truth,
    not a page that may be stale). Rows with errors are left out; rows already imported skipped."""
    preview = preview_shortfall_import(user=user, content=content, filename=filename)
    created, already_imported = [], len(preview.already_imported_rows)
    for row in preview.ready_rows:
        started = timezone.now()
        try:
            # A savepoint per row: a concurrent import of the same reference loses on the unique
            # constraint and is counted as already imported, the rest of this file still goes in.
            with transaction.atomic():
                shortfall = post_shortfall(
                    posted_by=user,
                    ward=row.ward,
                    role=row.role,
                    min_band=row.min_band,
                    starts_at=row.starts_at,
                    ends_at=row.ends_at,
                    headcount=row.headcount,
                    notes=row.notes,
                    external_reference=row.external_reference,
                )
        except IntegrityError:
            already_imported += 1
            continue
        if shortfall.posted_at < started:
            already_imported += 1  # post_shortfall returned a row posted meanwhile with this reference
            continue
        created.append(shortfall)
    return ImportResult(created=created, already_imported=already_imported, rejected=len(preview.error_rows))
