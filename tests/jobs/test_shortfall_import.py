"""Bulk shortfall import from an e-roster CSV: preview saves nothing, confirm posts the ready rows,
the same file twice creates no duplicates, file-level problems are refused whole."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from backend.core.errors import PermissionDenied, ValidationFailed
from jobs.models import Shortfall
from jobs.services.shortfall_import import (
    MAX_BYTES,
    MAX_ROWS,
    import_shortfalls,
    preview_shortfall_import,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

HEADER = "external_reference,ward,role,band,date,start,end,headcount,notes\n"


@pytest.fixture
def trust():
    return f.TrustFactory(name="Moorside Trust")


@pytest.fixture
def staff(trust):
    return f.TrustUserFactory(trust=trust)


@pytest.fixture
def wards(trust):
    site = f.SiteFactory(trust=trust)
    return {
        "willow": f.WardFactory(site=site, name="Willow Ward"),
        "ward7": f.WardFactory(site=site, name="Ward 7 (Acute)", aliases=["ward seven acute"]),
    }


def day(days_ahead: int = 3) -> str:
    return (timezone.localdate() + dt.timedelta(days=days_ahead)).isoformat()


def csv_file(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


def test_preview_resolves_wards_and_roles_and_saves_nothing(staff, wards):
    content = csv_file(
        f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,2,Bring ID",
        f"ER-2,ward seven acute,Healthcare assistant,3,{day()},20:00,08:00,1,",
    )

    preview = preview_shortfall_import(user=staff, content=content, filename="roster.csv")

    assert [row.number for row in preview.ready_rows] == [2, 3]
    first, night = preview.rows
    assert (first.ward, first.role.code, first.min_band, first.headcount) == (wards["willow"], "rmn", 5, 2)
    assert night.ward == wards["ward7"] and night.role.code == "hca"
    assert night.ends_at - night.starts_at == dt.timedelta(hours=12)  # ends the next morning
    assert timezone.localtime(night.starts_at).hour == 20
    assert Shortfall.objects.count() == 0


def test_unknown_ward_is_a_row_error_with_suggestions_and_a_typo_resolves(staff, wards):
    content = csv_file(
        f"ER-1,Willow Unit,RMN,5,{day()},07:30,20:00,1,",
        f"ER-2,Wilow Wrd,RMN,5,{day()},07:30,20:00,1,",
        f"ER-3,Willow Ward,RMN,5,{day()},07:30,20:00,1,",
    )

    preview = preview_shortfall_import(user=staff, content=content, filename="roster.csv")

    unknown, typo, exact = preview.rows
    assert unknown.errors == ["Ward 'Willow Unit' did not match one of your wards."]
    assert unknown.ward_suggestions == ["Willow Ward"]
    assert typo.is_ready and typo.ward == wards["willow"] and typo.is_fuzzy_ward_match
    assert exact.is_ready and not exact.is_fuzzy_ward_match


def test_every_problem_of_a_row_is_reported(staff, wards):
    content = csv_file(",Willow Ward,Plumber,12,31/02/2026,7am,20:00,0,")

    (row,) = preview_shortfall_import(user=staff, content=content, filename="roster.csv").rows

    assert row.errors == [
        "The external reference is empty: each shift needs the e-roster's id.",
        "Band '12' is not a band from 2 to 9.",
        "Staff needed '0' is not a whole number from 1 to 50.",
        "Date '31/02/2026' is not a date (YYYY-MM-DD or DD/MM/YYYY).",
        "Start '7am' is not a time (HH:MM).",
        "Role 'Plumber' is not a role we recognise (e.g. RMN, HCA).",
    ]


def test_band_may_come_from_the_role_title_and_past_shifts_are_refused(staff, wards):
    content = csv_file(
        f"ER-1,Willow Ward,RMN Band 6,,{day()},07:30,20:00,1,",
        f"ER-2,Willow Ward,RMN,5,{day(-2)},07:30,20:00,1,",
    )

    band_in_title, past = preview_shortfall_import(user=staff, content=content, filename="r.csv").rows

    assert band_in_title.min_band == 6 and band_in_title.is_ready
    assert past.errors == ["The shift has already ended."]


def test_a_reference_repeated_in_the_file_is_an_error_on_the_second_row(staff, wards):
    content = csv_file(
        f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,1,", f"ER-1,Willow Ward,RMN,5,{day(4)},07:30,20:00,1,"
    )

    first, second = preview_shortfall_import(user=staff, content=content, filename="r.csv").rows

    assert first.is_ready
    assert second.errors == ["External reference 'ER-1' is also on row 2."]


def test_import_posts_ready_rows_and_leaves_out_bad_ones(staff, wards):
    content = csv_file(
        f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,2,Bring ID", f"ER-2,Nowhere,RMN,5,{day()},07:30,20:00,1,"
    )

    result = import_shortfalls(user=staff, content=content, filename="roster.csv")

    (shortfall,) = Shortfall.objects.all()
    assert [s.id for s in result.created] == [shortfall.id]
    assert (result.already_imported, result.rejected) == (0, 1)
    assert (shortfall.external_reference, shortfall.ward, shortfall.headcount) == ("ER-1", wards["willow"], 2)
    assert shortfall.posted_by == staff and shortfall.notes == "Bring ID"
    assert shortfall.next_wave_at is not None  # the cascade started, as for any posted shortfall


def test_the_same_file_twice_creates_no_duplicates(staff, wards):
    content = csv_file(
        f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,1,", f"ER-2,Willow Ward,HCA,3,{day()},07:30,20:00,1,"
    )
    import_shortfalls(user=staff, content=content, filename="roster.csv")

    preview = preview_shortfall_import(user=staff, content=content, filename="roster.csv")
    again = import_shortfalls(user=staff, content=content, filename="roster.csv")

    assert [row.number for row in preview.already_imported_rows] == [2, 3]
    assert preview.ready_rows == []
    assert (again.created, again.already_imported, again.rejected) == ([], 2, 0)
    assert Shortfall.objects.count() == 2


def test_another_trusts_ward_is_not_matched(staff, wards):
    f.WardFactory(name="Larch Ward")  # another trust's ward
    content = csv_file(f"ER-1,Larch Ward,RMN,5,{day()},07:30,20:00,1,")

    (row,) = preview_shortfall_import(user=staff, content=content, filename="r.csv").rows

    assert row.ward is None
    assert "Larch Ward" not in row.ward_suggestions
    assert row.errors == ["Ward 'Larch Ward' did not match one of your wards."]


def test_staff_limited_to_some_wards_can_import_only_to_those(staff, wards):
    staff.wards.set([wards["ward7"]])
    content = csv_file(f"ER-1,Willow Ward,RMN,5,{day()},07:30,20:00,1,")

    (row,) = preview_shortfall_import(user=staff, content=content, filename="r.csv").rows

    assert row.errors == ["Ward 'Willow Ward' did not match one of your wards."]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        (
            "roster.xlsx",
            b"PK\x03\x04",
            "The file must be a CSV file (.csv). Export the shifts from your e-roster as CSV.",
        ),
        ("roster.csv", b"", "The file is empty."),
        ("roster.csv", b"a,b\x00,c\n", "The file is not a CSV text file (it contains binary data)."),
        (
            "roster.csv",
            "ward,role\n".encode("utf-16"),
            "The file is not a CSV text file (it contains binary data).",
        ),
        (
            "roster.csv",
            b"ward,role\n\xff\xfe\n",
            "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.",
        ),
        (
            "roster.csv",
            b"ward,role,date\nWillow,RMN,2026-01-01\n",
            "The file is missing required columns: external_reference, start, end.",
        ),
        ("roster.csv", HEADER.encode(), "The file has no shifts in it, only a header row."),
        (
            "roster.csv",
            b"x" * (MAX_BYTES + 1),
            f"The file is larger than {MAX_BYTES // 1024} KB. Split it into smaller files.",
        ),
    ],
)
def test_file_level_problems_are_refused_whole(staff, wards, filename, content, message):
    with pytest.raises(ValidationFailed) as error:
        import_shortfalls(user=staff, content=content, filename=filename)

    assert error.value.message == message
    assert Shortfall.objects.count() == 0


def test_too_many_rows_is_refused(staff, wards):
    line = f"ER,Willow Ward,RMN,5,{day()},07:30,20:00,1,"
    content = csv_file(*[line.replace("ER", f"ER-{n}") for n in range(MAX_ROWS + 1)])

    with pytest.raises(ValidationFailed) as error:
        preview_shortfall_import(user=staff, content=content, filename="r.csv")

    assert error.value.message == f"The file has more than {MAX_ROWS} shifts. Split it into smaller files."


def test_header_aliases_and_a_bom_are_accepted(staff, wards):
    content = (
        "\ufeffShift ID,Ward Name,Role,Grade,Shift Date,Start Time,End Time\n"
        f"ER-9,Willow Ward,RMN,Band 5,{day()},07:30,20:00\n"
    ).encode()

    (row,) = preview_shortfall_import(user=staff, content=content, filename="ROSTER.CSV").rows

    assert row.is_ready and row.external_reference == "ER-9" and row.min_band == 5


def test_only_trust_staff_may_import(wards, trust):
    agency_staff = f.AgencyUserFactory(agency=trust.agency)

    with pytest.raises(PermissionDenied):
        preview_shortfall_import(user=agency_staff, content=csv_file(), filename="r.csv")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_one_file_create_each_shortfall_once(staff, wards):
    content = csv_file(*[f"ER-{n},Willow Ward,RMN,5,{day()},07:30,20:00,1," for n in range(5)])
    barrier = threading.Barrier(2)
    results, failures = [], []

    def run():
        try:
            barrier.wait()
            results.append(import_shortfalls(user=staff, content=content, filename="r.csv"))
        except Exception as error:  # surfaced by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert Shortfall.objects.count() == 5
    assert sorted(len(r.created) for r in results) in ([0, 5], [1, 4], [2, 3])
    assert sum(len(r.created) + r.already_imported for r in results) == 10


def test_a_night_across_the_spring_clock_change_is_eleven_hours(staff, wards):
    content = csv_file("ER-DST,Willow Ward,RMN,5,27/03/2027,20:00,08:00,1,")

    (row,) = preview_shortfall_import(user=staff, content=content, filename="r.csv").rows

    assert row.is_ready
    assert row.ends_at - row.starts_at == dt.timedelta(hours=11)  # 20:00 GMT to 08:00 BST
    assert (timezone.localtime(row.starts_at).isoformat(), timezone.localtime(row.ends_at).isoformat()) == (
        "2027-03-27T20:00:00+00:00",
        "2027-03-28T08:00:00+01:00",
    )


def test_a_shift_of_seventeen_real_hours_across_the_autumn_change_is_refused(staff, wards):
    # 20:00 BST to 12:00 GMT: 16 hours on the clock, 17 worked.
    content = csv_file("ER-DST,Willow Ward,RMN,5,30/10/2027,20:00,12:00,1,")

    (row,) = preview_shortfall_import(user=staff, content=content, filename="r.csv").rows

    assert row.errors == ["The shift is longer than 16 hours."]


def test_an_ambiguous_role_is_an_error_with_suggestions_and_a_typo_resolves(staff, wards):
    content = csv_file(
        f"ER-1,Willow Ward,Staff nurse,5,{day()},07:30,20:00,1,",
        f"ER-2,Willow Ward,Support wrkr,3,{day()},07:30,20:00,1,",
    )

    ambiguous, typo = preview_shortfall_import(user=staff, content=content, filename="r.csv").rows

    assert ambiguous.errors == ["Role 'Staff nurse' is not a role we recognise (e.g. RMN, HCA)."]
    assert ambiguous.role_suggestions == ["RMN", "RNLD"]
    assert typo.is_ready and typo.role.code == "hca" and typo.is_fuzzy_role_match
