"""The demo seed: one agency, NHS trusts, sites, wards, staff, practitioners and twelve months of
shortfalls, offers, bookings and feedback, deterministic for a (size, seed, now).

Every random draw comes from a `random.Random` named after its phase (so a change in one phase does
not reshuffle the others) and every time from the anchor `now`. Rows are built in memory as tuples
and written in bulk by `RowWriter`; ids of rows that others point at are chosen here.

One chronological pass over every shortfall (history and the next four weeks) books practitioners
on a per-practitioner timeline, so active bookings never overlap and always leave 11 hours' rest,
and the continuity ledger (WardExperience) is the exact sum of the completed bookings.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.hashers import make_password

from backend.organisations.demo import names, places
from backend.organisations.demo.spec import (
    BAND_RATE_PENCE,
    DEMO_PASSWORD,
    FEMALE_SHARE,
    HORIZON_DAYS,
    LANGUAGES,
    LONDON,
    PRACTITIONER_BANDS,
    ROLE_COMPETENCES,
    SETTING_BEDS,
    SETTING_DEMAND,
    SETTING_GENDERS,
    SETTING_NEEDS,
    SETTING_WEIGHTS,
    SHIFT_PATTERN,
    UTC,
    WORKFORCE_ROLE_MIX,
    SizeSpec,
)
from backend.organisations.demo.writer import RowWriter, as_decimal

HOUR = 3600
DAY = 24 * HOUR
MINUTE = 60
NEVER = 2**62  # expiry of a credential that does not expire

DEMO_STAFF = ("agency", "trust1", "trust2")
DEMO_PRACTITIONERS = ("nurse1", "hca1")
UNUSABLE_PASSWORD = "!demo-seed-unusable-password"  # the "!" prefix makes it unusable

Progress = Callable[[str, int], Callable[[int], object]]


def model(label: str):
    return apps.get_model(label)


def ts_dt(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=UTC)


def weighted(rng: random.Random, table: dict) -> object:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def jitter(rng: random.Random, lat: float, lon: float, max_km: float) -> tuple[float, float]:
    distance = max_km * math.sqrt(rng.random())
    bearing = rng.random() * 2 * math.pi
    lat2 = lat + distance * math.cos(bearing) / 111.0
    lon2 = lon + distance * math.sin(bearing) / (111.0 * math.cos(math.radians(lat)))
    return round(lat2, 5), round(lon2, 5)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 12742.0 * math.asin(math.sqrt(a))


def slug(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return dt.date(year, month, min(day.day, last))


@dataclass
class WardInfo:
    id: int
    trust: int  # index into self.trusts
    setting: str
    name: str
    gender: str
    lat: float
    lon: float
    needs: list[str]
    demand: float
    requires: tuple[str, ...] = ()  # credential codes beyond the baseline


@dataclass
class Slotting:
    """Per-practitioner timeline: end of the last active shift and hours in the last week."""

    last_end: list[int]
    recent: list[list[tuple[int, float]]]


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)


class DemoSeed:
    def __init__(
        self,
        *,
        spec: SizeSpec,
        seed: int,
        now: dt.datetime,
        writer: RowWriter,
        log: Callable[[str], None],
        progress: Progress,
    ) -> None:
        self.spec = spec
        self.seed = seed
        self.now = now.astimezone(UTC)
        self.now_ts = int(self.now.timestamp())
        self.today = now.astimezone(LONDON).date()
        self.writer = writer
        self.log = log
        self.progress = progress
        self.result = SeedResult()
        self._shift_cache: dict[tuple[dt.date, str], tuple[int, int]] = {}

    def rng(self, phase: str) -> random.Random:
        return random.Random(f"demo:{self.seed}:{phase}")

    # --- driver --------------------------------------------------------------------------------

    def run(self) -> SeedResult:
        self.log("Loading taxonomy")
        self.load_taxonomy()
        self.log("Organisations: agency, trusts, sites, wards")
        self.build_organisations()
        self.log("Agency and trust staff")
        self.build_staff()
        self.log(f"Practitioners ({self.spec.practitioners:,})")
        self.build_practitioners()
        self.log("Shortfalls, offers and bookings (12 months of history and the next 4 weeks)")
        self.build_shifts()
        self.writer.reset_sequences()
        return self.result

    def write(self, label: str, model_label: str, attnames, rows, total: int | None = None) -> int:
        if isinstance(rows, list):
            total = len(rows)
        update = self.progress(label, total or 0)
        written = self.writer.write(model(model_label), attnames, rows, progress=update)
        self.result.counts[label] = self.result.counts.get(label, 0) + written
        return written

    # --- taxonomy ----------------------------------------------------------------------------

    def load_taxonomy(self) -> None:
        self.role_ids = dict(model("organisations.Role").objects.values_list("code", "id"))
        self.setting_ids = dict(model("organisations.Setting").objects.values_list("code", "id"))
        self.competence_ids = dict(model("organisations.Competence").objects.values_list("code", "id"))
        self.credential_types = {
            code: (pk, months)
            for code, pk, months in model("organisations.CredentialType").objects.values_list(
                "code", "id", "validity_months"
            )
        }
        self.presets: dict[str, list[str]] = {}
        for setting_code, credential_code in (
            model("organisations.SettingRequirement")
            .objects.filter(role__isnull=True)
            .order_by("setting__code", "credential_type__code")
            .values_list("setting__code", "credential_type__code")
        ):
            self.presets.setdefault(setting_code, []).append(credential_code)
        self.setting_codes = [code for code in SETTING_WEIGHTS if code in self.setting_ids] + sorted(
            code for code in self.setting_ids if code not in SETTING_WEIGHTS
        )
        # Competence bit masks make the "has every required competence" test one AND.
        self.competence_bit = {code: 1 << i for i, code in enumerate(sorted(self.competence_ids))}

    # --- organisations -----------------------------------------------------------------------

    def build_organisations(self) -> None:
        rng = self.rng("organisations")
        spec = self.spec
        Agency, Trust = model("organisations.Agency"), model("organisations.Trust")
        Site, Ward = model("organisations.Site"), model("organisations.Ward")
        now = self.now
        self.agency_id = self.writer.first_free_id(Agency)
        self.write(
            "agencies",
            "organisations.Agency",
            ["id", "created_at", "updated_at", "name"],
            [(self.agency_id, now, now, "Northern Care Staffing")],
        )

        chosen = places.TRUSTS[: spec.trusts]
        if len(chosen) < spec.trusts:
            raise ValueError(f"only {len(places.TRUSTS)} trusts are defined")
        trust_base = self.writer.first_free_id(Trust)
        self.trusts = []
        trust_rows = []
        for i, place in enumerate(chosen):
            trust_id = trust_base + i
            policy = ("up", "up_one", "exact")[0 if i % 3 != 2 else 1 + (i // 3) % 2]
            weights = {"continuity": 6.0} if i % 4 == 0 else {}
            self.trusts.append({"id": trust_id, "place": place, "ods": place.ods_code, "staff": []})
            trust_rows.append(
                (
                    trust_id,
                    now,
                    now,
                    self.agency_id,
                    place.name,
                    place.ods_code,
                    policy,
                    weights,
                    12 if i % 2 == 0 else 24,
                )
            )
        self.write(
            "trusts",
            "organisations.Trust",
            [
                "id",
                "created_at",
                "updated_at",
                "agency_id",
                "name",
                "ods_code",
                "band_policy",
                "score_weights",
                "escalate_hours_before",
            ],
            trust_rows,
        )

        # Two trusts add their own rules on top of the setting presets.
        self.trust_extras: dict[tuple[int, str | None], list[str]] = {}
        extra_rows = []
        extras = [(1, None, "occupational_health"), (2, "picu", "ils")]
        for trust_index, setting_code, credential_code in extras:
            if trust_index < len(self.trusts) and credential_code in self.credential_types:
                self.trust_extras.setdefault((trust_index, setting_code), []).append(credential_code)
                extra_rows.append(
                    (
                        self.trusts[trust_index]["id"],
                        self.setting_ids[setting_code] if setting_code else None,
                        self.credential_types[credential_code][0],
                    )
                )
        self.write(
            "trust requirements",
            "organisations.TrustRequirement",
            ["trust_id", "setting_id", "credential_type_id"],
            extra_rows,
        )

        site_base = self.writer.first_free_id(Site)
        site_rows = []
        self.sites = []  # (id, trust index, town, lat, lon)
        for t, trust in enumerate(self.trusts):
            towns = trust["place"].towns
            for s in range(spec.sites_per_trust):
                town = towns[s % len(towns)]
                suffix = places.SITE_SUFFIXES[(t + s) % len(places.SITE_SUFFIXES)]
                name = (
                    f"{town.name} {suffix}"
                    if s < len(towns)
                    else f"{town.name} {suffix} {s // len(towns) + 1}"
                )
                lat, lon = jitter(rng, town.latitude, town.longitude, 2.0)
                site_id = site_base + len(self.sites)
                street = places.STREETS[rng.randrange(len(places.STREETS))]
                address = f"{rng.randint(1, 240)} {street}, {town.name}"
                postcode = f"{town.postcode_district} {rng.randint(1, 9)}{self._inward_letters(rng)}"
                self.sites.append((site_id, t, town.name, lat, lon))
                site_rows.append((site_id, now, now, trust["id"], name, address, postcode, lat, lon))
        self.write(
            "sites",
            "organisations.Site",
            [
                "id",
                "created_at",
                "updated_at",
                "trust_id",
                "name",
                "address",
                "postcode",
                "latitude",
                "longitude",
            ],
            site_rows,
        )

        # Settings: every one at least once, the rest in proportion, shuffled across trusts.
        settings = self._apportion(spec.wards)
        rng.shuffle(settings)
        ward_base = self.writer.first_free_id(Ward)
        wards_per_trust = [
            spec.wards // spec.trusts + (1 if t < spec.wards % spec.trusts else 0) for t in range(spec.trusts)
        ]
        self.wards: list[WardInfo] = []
        ward_rows = []
        cursor = 0
        for t, count in enumerate(wards_per_trust):
            trust_sites = [site for site in self.sites if site[1] == t]
            pool = list(names.WARD_NAMES)
            rng.shuffle(pool)
            used: set[str] = set()
            for number in range(1, count + 1):
                setting_code = settings[cursor]
                cursor += 1
                site_id, _, town, lat, lon = trust_sites[(number - 1) % len(trust_sites)]
                template, label = names.SETTING_WARD_STYLE.get(setting_code, ("{name} Ward", setting_code))
                base_name = pool.pop()
                name = template.format(name=base_name, town=town)
                for direction in ("", " North", " South", " East", " West", " Central"):
                    if name + direction not in used:
                        name += direction
                        break
                used.add(name)
                if setting_code in {"community", "crisis"}:
                    aliases = [
                        f"{town} {label}",
                        f"{label.lower()} {town.lower()}",
                        f"Ward {number} ({label})",
                    ]
                else:
                    aliases = [
                        f"Ward {number} ({label})",
                        f"ward {names.number_words(number)} {label.lower()}",
                        base_name.upper(),
                    ]
                gender = weighted(rng, SETTING_GENDERS.get(setting_code, {"mixed": 1.0}))
                low, high = SETTING_BEDS.get(setting_code, (12, 18))
                beds = rng.randint(low, high)
                candidates = SETTING_NEEDS.get(setting_code, ())
                needs = sorted(rng.sample(candidates, k=rng.randint(0, min(2, len(candidates)))))
                ward_id = ward_base + len(self.wards)
                requires = list(self.presets.get(setting_code, ()))
                requires += self.trust_extras.get((t, None), []) + self.trust_extras.get(
                    (t, setting_code), []
                )
                self.wards.append(
                    WardInfo(
                        id=ward_id,
                        trust=t,
                        setting=setting_code,
                        name=name,
                        gender=gender,
                        lat=lat,
                        lon=lon,
                        needs=needs,
                        demand=SETTING_DEMAND.get(setting_code, 1.0) * rng.uniform(0.6, 1.4),
                        requires=tuple(dict.fromkeys(requires)),
                    )
                )
                ward_rows.append(
                    (
                        ward_id,
                        now,
                        now,
                        self.trusts[t]["id"],
                        site_id,
                        name,
                        aliases,
                        self.setting_ids[setting_code],
                        gender,
                        beds,
                        lat,
                        lon,
                        needs,
                        True,
                    )
                )
        self.write(
            "wards",
            "organisations.Ward",
            [
                "id",
                "created_at",
                "updated_at",
                "trust_id",
                "site_id",
                "name",
                "aliases",
                "setting_id",
                "gender",
                "beds",
                "latitude",
                "longitude",
                "needs",
                "is_active",
            ],
            ward_rows,
        )

    def _apportion(self, total: int) -> list[str]:
        codes = self.setting_codes
        if total < len(codes):
            raise ValueError(f"need at least {len(codes)} wards to cover every setting")
        weights = [SETTING_WEIGHTS.get(code, 1.0) for code in codes]
        spare = total - len(codes)
        shares = [spare * w / sum(weights) for w in weights]
        counts = [1 + int(share) for share in shares]
        order = sorted(range(len(codes)), key=lambda i: (-(shares[i] - int(shares[i])), i))
        for i in order[: total - sum(counts)]:
            counts[i] += 1
        return [code for code, count in zip(codes, counts, strict=True) for _ in range(count)]

    @staticmethod
    def _inward_letters(rng: random.Random) -> str:
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return letters[rng.randrange(20)] + letters[rng.randrange(20)]

    # --- users -------------------------------------------------------------------------------

    def build_staff(self) -> None:
        rng = self.rng("staff")
        User = model("accounts.User")
        self.demo_password = make_password(DEMO_PASSWORD, salt=f"demoseed{self.seed}")
        self.next_user_id = self.writer.first_free_id(User)
        rows = []
        joined = self.now - dt.timedelta(days=400)

        def staff_row(
            username,
            first,
            last,
            kind,
            *,
            trust=None,
            agency=None,
            password=UNUSABLE_PASSWORD,
            is_staff=False,
            is_superuser=False,
            is_agency_admin=False,
        ):
            user_id = self.next_user_id
            self.next_user_id += 1
            rows.append(
                (
                    user_id,
                    password,
                    None,
                    is_superuser,
                    username,
                    first,
                    last,
                    f"{username}@staffing.example",
                    is_staff,
                    True,
                    joined,
                    kind,
                    trust,
                    agency,
                    is_agency_admin,
                    "",
                )
            )
            return user_id

        self.agency_user_id = staff_row(
            "agency",
            "Alex",
            "Morgan",
            "agency_staff",
            agency=self.agency_id,
            password=self.demo_password,
            is_staff=True,
            is_superuser=True,
            is_agency_admin=True,
        )
        self.compliance_user_ids = [self.agency_user_id]
        demo_trust_users = {0: "trust1", 1: "trust2"}
        for t, username in demo_trust_users.items():
            if t < len(self.trusts):
                first, last = ("Jo", "Hargreaves") if t == 0 else ("Sam", "Okonkwo")
                self.trusts[t]["staff"].append(
                    staff_row(
                        username,
                        first,
                        last,
                        "trust_staff",
                        trust=self.trusts[t]["id"],
                        password=self.demo_password,
                    )
                )
        for i in range(self.spec.agency_staff - 1):
            first, last = self._person_name(rng, rng.random() < 0.7)
            username = f"{slug(first)}.{slug(last)}.agency{i + 1:02d}"
            self.compliance_user_ids.append(
                staff_row(
                    username,
                    first,
                    last,
                    "agency_staff",
                    agency=self.agency_id,
                    is_staff=False,
                    is_agency_admin=i == 0,
                )
            )
        ward_limits = []
        for t, trust in enumerate(self.trusts):
            trust_wards = [ward.id for ward in self.wards if ward.trust == t]
            for i in range(self.spec.staff_per_trust):
                first, last = self._person_name(rng, rng.random() < 0.75)
                username = f"{slug(first)}.{slug(last)}.{trust['ods'].lower()}{i + 1:02d}"
                user_id = staff_row(username, first, last, "trust_staff", trust=trust["id"])
                trust["staff"].append(user_id)
                if i % 2 == 1:  # ward managers see only their wards
                    ward_limits.extend(
                        (user_id, ward_id) for ward_id in rng.sample(trust_wards, k=min(2, len(trust_wards)))
                    )
        self.write("users (staff)", "accounts.User", self.USER_COLUMNS, rows)
        self.write("staff ward limits", "accounts.User_wards", ["user_id", "ward_id"], ward_limits)
        self.result.logins = [
            (name, DEMO_PASSWORD) for name in DEMO_STAFF if name != "trust2" or len(self.trusts) > 1
        ]

    USER_COLUMNS = [
        "id",
        "password",
        "last_login",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
        "kind",
        "trust_id",
        "agency_id",
        "is_agency_admin",
        "phone",
    ]

    @staticmethod
    def _person_name(rng: random.Random, female: bool) -> tuple[str, str]:
        first = rng.choice(names.FEMALE_FIRST_NAMES if female else names.MALE_FIRST_NAMES)
        return first, rng.choice(names.SURNAMES)

    # --- practitioners -------------------------------------------------------------------------

    def build_practitioners(self) -> None:
        rng = self.rng("practitioners")
        n = self.spec.practitioners
        Practitioner = model("practitioners.Practitioner")
        base = self.writer.first_free_id(Practitioner)
        trust_weights = [sum(1 for ward in self.wards if ward.trust == t) for t in range(len(self.trusts))]

        self.p_id = [base + i for i in range(n)]
        self.p_user = [0] * n
        self.p_role: list[str] = []
        self.p_band: list[int] = []
        self.p_gender: list[str] = []
        self.p_status: list[str] = []
        self.p_lat: list[float] = []
        self.p_lon: list[float] = []
        self.p_radius: list[int] = []
        self.p_rate: list[int] = []
        self.p_comp_mask: list[int] = []
        self.p_settings: list[list[str]] = []
        self.p_creds: list[dict[str, int]] = []
        self.p_activity: list[float] = []
        self.p_home_trust: list[int] = []
        self.p_username: list[str] = []
        self.p_preferred: list[list[str]] = []
        self.p_competences: list[list[str]] = []

        roles = list(WORKFORCE_ROLE_MIX)
        role_draws = rng.choices(roles, weights=[WORKFORCE_ROLE_MIX[r] for r in roles], k=n)
        demo = {
            0: ("nurse1", "rmn", 5, "female", "Grace", "Okafor"),
            1: ("hca1", "hca", 3, "male", "Tom", "Ashworth"),
        }
        user_rows, practitioner_rows = [], []
        reg_seen: set[tuple[str, str]] = set()
        demo_wards = self._demo_wards()
        for i in range(n):
            if i in demo and self.trusts:
                username, role, band, gender, first, last = demo[i]
                status = "active"
            else:
                role = role_draws[i]
                band = weighted(rng, PRACTITIONER_BANDS[role])
                gender = (
                    "female"
                    if rng.random() < FEMALE_SHARE[role]
                    else ("male" if rng.random() < 0.97 else "other")
                )
                first, last = self._person_name(
                    rng, gender == "female" or (gender == "other" and rng.random() < 0.5)
                )
                username = f"{slug(first)}.{slug(last)}.{i:05d}"
                status = weighted(
                    rng, {"active": 0.85, "onboarding": 0.05, "suspended": 0.02, "inactive": 0.08}
                )
            home_trust = 0 if i in demo else rng.choices(range(len(self.trusts)), weights=trust_weights)[0]
            town = self.trusts[home_trust]["place"].towns[
                0 if i in demo else rng.randrange(len(self.trusts[home_trust]["place"].towns))
            ]
            lat, lon = jitter(rng, town.latitude, town.longitude, 3.0 if i in demo else 9.0)
            radius = (
                40
                if i in demo
                else weighted(rng, {10: 4, 15: 10, 20: 15, 25: 20, 30: 25, 40: 15, 50: 8, 60: 3})
            )
            rate = BAND_RATE_PENCE[role][band] + 5 * rng.randint(-40, 60)
            competences = [
                code
                for code, p in ROLE_COMPETENCES.get(role, {}).items()
                if code in self.competence_ids and rng.random() < p
            ]
            if i in demo:
                settings = sorted({self.wards[w].setting for w in demo_wards[i]} | {"adult_acute"})
            else:
                settings = self._draw_settings(rng, role, home_trust)
            preferred = [code for code in settings if rng.random() < 0.35]
            languages = ["en"] + [code for code, p in LANGUAGES.items() if rng.random() < p][:2]
            user_id = self.next_user_id
            self.next_user_id += 1
            joined = self.now - dt.timedelta(days=rng.randint(20, 1600), hours=rng.randint(0, 23))
            user_rows.append(
                (
                    user_id,
                    self.demo_password if i in demo else UNUSABLE_PASSWORD,
                    None,
                    False,
                    username,
                    first,
                    last,
                    f"{username}@mail.example",
                    False,
                    status != "inactive",
                    joined,
                    "practitioner",
                    None,
                    None,
                    False,
                    self._mobile(rng),
                )
            )
            body, number, reg_expiry = self._registration(rng, role, status, reg_seen, demo=i in demo)
            dob = dt.date(self.today.year - rng.randint(22, 64), rng.randint(1, 12), rng.randint(1, 28))
            postcode = f"{town.postcode_district} {rng.randint(1, 9)}{self._inward_letters(rng)}"
            shift_pref = weighted(rng, {"any": 0.6, "days": 0.25, "nights": 0.15})
            practitioner_rows.append(
                (
                    self.p_id[i],
                    joined,
                    joined,
                    user_id,
                    self.agency_id,
                    self.role_ids[role],
                    band,
                    status,
                    gender,
                    dob,
                    self._mobile(rng),
                    body,
                    number,
                    reg_expiry,
                    postcode,
                    lat,
                    lon,
                    radius,
                    languages,
                    as_decimal(rate),
                    rng.random() < 0.15,
                    shift_pref,
                    weighted(rng, {0: 0.6, 2: 0.15, 12: 0.15, 24: 0.1}),
                )
            )
            self.p_user[i] = user_id
            self.p_username.append(username)
            self.p_role.append(role)
            self.p_band.append(band)
            self.p_gender.append(gender)
            self.p_status.append(status)
            self.p_lat.append(lat)
            self.p_lon.append(lon)
            self.p_radius.append(radius)
            self.p_rate.append(rate)
            self.p_comp_mask.append(sum(self.competence_bit[c] for c in competences))
            self.p_settings.append(settings)
            self.p_home_trust.append(home_trust)
            self.p_preferred.append(preferred)
            self.p_competences.append(competences)
            activity = rng.lognormvariate(0.0, 1.0) * {"active": 1.0, "inactive": 0.3, "suspended": 0.5}.get(
                status, 0.0
            )
            self.p_activity.append(40.0 if i in demo else activity)

        self.write("users (practitioners)", "accounts.User", self.USER_COLUMNS, user_rows)
        self.write(
            "practitioners",
            "practitioners.Practitioner",
            [
                "id",
                "created_at",
                "updated_at",
                "user_id",
                "agency_id",
                "role_id",
                "band",
                "status",
                "gender",
                "date_of_birth",
                "phone",
                "registration_body",
                "registration_number",
                "registration_expires_on",
                "home_postcode",
                "home_latitude",
                "home_longitude",
                "travel_radius_km",
                "languages",
                "hourly_rate",
                "opted_out_of_weekly_cap",
                "shift_preference",
                "min_notice_hours",
            ],
            practitioner_rows,
        )
        self.p_opted_out = [row[20] for row in practitioner_rows]
        self.p_shift_pref = [row[21] for row in practitioner_rows]
        self.p_reg_expiry = [row[13] for row in practitioner_rows]
        self.demo_wards = demo_wards

        self.write(
            "practitioner competences",
            "practitioners.Practitioner_competences",
            ["practitioner_id", "competence_id"],
            [(self.p_id[i], self.competence_ids[c]) for i in range(n) for c in self.p_competences[i]],
        )
        self.write(
            "practitioner preferred settings",
            "practitioners.Practitioner_preferred_settings",
            ["practitioner_id", "setting_id"],
            [(self.p_id[i], self.setting_ids[c]) for i in range(n) for c in self.p_preferred[i]],
        )
        self.build_credentials()
        self.build_availability()

    def _demo_wards(self) -> dict[int, list[int]]:
        """The wards nurse1 and hca1 are regulars on: inpatient wards of the first trust."""
        first_trust = [
            w
            for w, ward in enumerate(self.wards)
            if ward.trust == 0 and ward.setting not in {"community", "crisis", "camhs_inpatient", "ld_autism"}
        ]
        if not first_trust:
            first_trust = [w for w, ward in enumerate(self.wards) if ward.trust == 0]
        return {0: first_trust[:3], 1: first_trust[1:4] or first_trust[:3]}

    def _draw_settings(self, rng: random.Random, role: str, home_trust: int) -> list[str]:
        if role == "rnld":
            base = ["ld_autism"]
        elif role in {"psychologist", "ot"}:
            base = [rng.choice(["adult_acute", "rehab", "community", "older_adult", "eating_disorders"])]
        else:
            local = [ward.setting for ward in self.wards if ward.trust == home_trust]
            base = [rng.choice(local)] if local else []
        extra = rng.sample(self.setting_codes, k=rng.randint(0, 3))
        return sorted(set(base + extra) & set(self.setting_ids))

    @staticmethod
    def _mobile(rng: random.Random) -> str:
        return f"07{rng.randint(100, 999)} {rng.randint(100000, 999999)}"

    def _registration(self, rng, role, status, seen, *, demo: bool):
        body = {"rmn": "NMC", "rnld": "NMC", "doctor": "GMC", "psychologist": "HCPC", "ot": "HCPC"}.get(
            role, ""
        )
        if not body:
            return "", "", None
        while True:
            if body == "NMC":  # e.g. 12A3456E: year, letter, four digits, country letter
                number = f"{rng.randint(0, 99):02d}{rng.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ')}{rng.randint(0, 9999):04d}{rng.choice('EEEEEEESWNO')}"
            elif body == "GMC":
                number = f"{rng.randint(3000000, 7999999)}"
            else:
                number = f"{'PYL' if role == 'psychologist' else 'OT'}{rng.randint(1, 99999):05d}"
            if (body, number) not in seen:
                seen.add((body, number))
                break
        if demo or status == "active":
            expires = self.today + dt.timedelta(days=rng.randint(200 if demo else 5, 365))
        else:
            expires = self.today + dt.timedelta(days=rng.randint(-200, 300))
        return body, number, expires

    # --- credentials and availability ----------------------------------------------------------

    def build_credentials(self) -> None:
        rng = self.rng("credentials")
        baseline = [
            code for code in ("dbs_adult", "right_to_work", "core_mandatory") if code in self.credential_types
        ]
        today = self.today
        rows = []
        for i in range(len(self.p_id)):
            role, demo = self.p_role[i], i < 2
            codes = list(baseline)
            if self.p_reg_expiry[i] is not None:
                codes.append("registration")
            wanted = {
                "occupational_health": 0.92,
                "safeguarding_adults_l3": 0.7 if role != "hca" else 0.3,
                "oliver_mcgowan_t1": 0.6,
                "bls": 0.8,
                "ils": 0.4 if role in {"rmn", "rnld", "doctor"} else 0.1,
                "rapid_tranquillisation": 0.5 if role in {"rmn", "doctor"} else 0.0,
            }
            for code, p in wanted.items():
                if demo or rng.random() < p:
                    codes.append(code)
            for setting_code in self.p_settings[i]:
                for code in self.presets.get(setting_code, ()):
                    if demo or rng.random() < 0.9:
                        codes.append(code)
            if not demo and rng.random() < 0.3:  # presets for settings not (yet) declared
                codes.extend(self.presets.get(rng.choice(self.setting_codes), ()))
            creds: dict[str, int] = {}
            for code in dict.fromkeys(c for c in codes if c in self.credential_types):
                type_id, months = self.credential_types[code]
                roll = 1.0 if demo else rng.random()
                if code == "registration":
                    expires = self.p_reg_expiry[i]
                    issued = add_months(expires, -12)
                elif months is None:
                    issued = today - dt.timedelta(days=rng.randint(30, 2000))
                    expires = None
                    if (
                        code == "right_to_work" and not demo and rng.random() < 0.12
                    ):  # a visa with an end date
                        expires = today + dt.timedelta(days=rng.randint(-20, 900))
                elif roll < 0.03:  # lapsed
                    expires = today - dt.timedelta(days=rng.randint(1, 120))
                    issued = add_months(expires, -months)
                elif roll < 0.08:  # expiring within 30 days
                    expires = today + dt.timedelta(days=rng.randint(0, 30))
                    issued = add_months(expires, -months)
                else:
                    earliest = 61 if demo else 31
                    expires = today + dt.timedelta(days=rng.randint(earliest, max(earliest, months * 30)))
                    issued = add_months(expires, -months)
                if expires is not None and issued > today:
                    issued = today
                unverified = not demo and (today - issued).days < 45 and rng.random() < 0.5
                if unverified:
                    verified_by, verified_at = None, None
                else:
                    verified_by = rng.choice(self.compliance_user_ids)
                    moment = dt.datetime.combine(
                        issued + dt.timedelta(days=rng.randint(1, 10)), dt.time(10), tzinfo=LONDON
                    ).astimezone(UTC)
                    verified_at = min(moment, self.now)
                reference = self._credential_reference(rng, code, issued)
                stamp = min(self.now, dt.datetime.combine(issued, dt.time(9), tzinfo=LONDON).astimezone(UTC))
                rows.append(
                    (
                        stamp,
                        verified_at or stamp,
                        self.p_id[i],
                        type_id,
                        reference,
                        issued,
                        expires,
                        "",
                        verified_by,
                        verified_at,
                    )
                )
                expiry_ts = (
                    NEVER
                    if expires is None
                    else int(
                        dt.datetime.combine(
                            expires + dt.timedelta(days=1), dt.time(0), tzinfo=LONDON
                        ).timestamp()
                    )
                )
                creds[code] = expiry_ts
            self.p_creds.append(creds)
        self.write(
            "credentials",
            "practitioners.Credential",
            [
                "created_at",
                "updated_at",
                "practitioner_id",
                "credential_type_id",
                "reference",
                "issued_on",
                "expires_on",
                "evidence",
                "verified_by_id",
                "verified_at",
            ],
            rows,
        )

    @staticmethod
    def _credential_reference(rng: random.Random, code: str, issued: dt.date) -> str:
        if code.startswith("dbs"):
            return f"00{rng.randint(1000000000, 9999999999)}"
        if code == "right_to_work":
            return f"W{rng.randint(10000000, 99999999)}"
        if code == "registration":
            return ""
        return f"{code[:3].upper()}-{issued.year}-{rng.randint(10000, 99999)}"

    def shift_times(self, day: dt.date, shift_type: str) -> tuple[int, int]:
        key = (day, shift_type)
        cached = self._shift_cache.get(key)
        if cached is None:
            hour, minute, length = SHIFT_PATTERN[shift_type]
            start_local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)
            end_naive = dt.datetime(day.year, day.month, day.day, hour, minute) + dt.timedelta(minutes=length)
            end_local = end_naive.replace(tzinfo=LONDON)  # wall-clock end: nights cross midnight and DST
            cached = (int(start_local.timestamp()), int(end_local.timestamp()))
            self._shift_cache[key] = cached
        return cached

    def build_availability(self) -> None:
        rng = self.rng("availability")
        rows = []
        created = self.now - dt.timedelta(days=3)
        days = [self.today + dt.timedelta(days=d) for d in range(HORIZON_DAYS)]

        def block(day: dt.date, night: bool) -> tuple[int, int]:
            if night:
                return self.shift_times(day, "night")
            return self.shift_times(day, "early")[0], self.shift_times(day, "late")[1]

        for i in range(len(self.p_id)):
            if self.p_status[i] != "active" or (i >= 2 and rng.random() < 0.3):
                continue
            per_week = 4 if i < 2 else min(6, 1 + int(self.p_activity[i] * 1.5))
            leave: set[int] = set()
            if i >= 2 and rng.random() < 0.08:
                first = rng.randrange(HORIZON_DAYS - 3)
                length = rng.randint(3, 7)
                leave = set(range(first, min(HORIZON_DAYS, first + length)))
                start = int(dt.datetime.combine(days[first], dt.time(0), tzinfo=LONDON).timestamp())
                end_day = self.today + dt.timedelta(days=max(leave) + 1)
                end = int(dt.datetime.combine(end_day, dt.time(0), tzinfo=LONDON).timestamp())
                rows.append(
                    (created, created, self.p_id[i], ts_dt(start), ts_dt(end), "unavailable", "Annual leave")
                )
            pref = self.p_shift_pref[i]
            for week in range(HORIZON_DAYS // 7):
                for d in sorted(rng.sample(range(7), k=per_week)):
                    offset = week * 7 + d
                    if offset in leave:
                        continue
                    night = pref == "nights" or (pref == "any" and rng.random() < 0.35)
                    start, end = block(days[offset], night)
                    if end <= self.now_ts:
                        continue
                    rows.append((created, created, self.p_id[i], ts_dt(start), ts_dt(end), "available", ""))
        self.write(
            "availability",
            "practitioners.Availability",
            ["created_at", "updated_at", "practitioner_id", "starts_at", "ends_at", "kind", "note"],
            rows,
        )

    # --- shortfalls, offers, bookings ----------------------------------------------------------

    def build_shifts(self) -> None:
        from backend.organisations.demo.history import ShiftHistory

        ShiftHistory(self).run()
