"""The simulated customer base: every user is one slot in a set of numpy arrays.

Keeping users as columns (not objects) is what lets the day-by-day simulation stay
vectorised and its memory proportional to the number of users, never to events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

PLANS = ("free", "team", "business")
PLATFORMS = ("web", "ios", "android")
OS_NAMES = ("Mac OS X", "Windows", "Linux", "Chrome OS", "iOS", "Android")

# (country, weight, ((timezone, standard UTC offset in minutes, DST rule), ...))
_COUNTRIES: tuple[tuple[str, float, tuple[tuple[str, int, str], ...]], ...] = (
    (
        "US",
        0.28,
        (
            ("America/New_York", -300, "us"),
            ("America/Chicago", -360, "us"),
            ("America/Los_Angeles", -480, "us"),
        ),
    ),
    ("GB", 0.14, (("Europe/London", 0, "eu"),)),
    ("DE", 0.12, (("Europe/Berlin", 60, "eu"),)),
    ("IN", 0.09, (("Asia/Kolkata", 330, "none"),)),
    ("FR", 0.07, (("Europe/Paris", 60, "eu"),)),
    ("BR", 0.07, (("America/Sao_Paulo", -180, "none"),)),
    ("NL", 0.05, (("Europe/Amsterdam", 60, "eu"),)),
    ("ES", 0.06, (("Europe/Madrid", 60, "eu"),)),
    ("CA", 0.06, (("America/Toronto", -300, "us"),)),
    ("JP", 0.06, (("Asia/Tokyo", 540, "none"),)),
)
COUNTRIES = tuple(c for c, _, _ in _COUNTRIES)
TIMEZONES = tuple(tz for _, _, zones in _COUNTRIES for tz, _, _ in zones)
_TZ_COUNTRY = np.array([i for i, (_, _, zones) in enumerate(_COUNTRIES) for _ in zones])
_TZ_STD = np.array([off for _, _, zones in _COUNTRIES for _, off, _ in zones])
_TZ_RULE = tuple(rule for _, _, zones in _COUNTRIES for _, _, rule in zones)

_FIRST = (
    "anna",
    "ben",
    "carla",
    "david",
    "elif",
    "farid",
    "grace",
    "hugo",
    "ines",
    "jonas",
    "kiara",
    "liam",
    "maya",
    "noah",
    "olga",
    "pedro",
    "quinn",
    "rosa",
    "sven",
    "tara",
    "umar",
    "vera",
    "wei",
    "ximena",
    "yusuf",
    "zoe",
    "arjun",
    "lena",
    "mateo",
    "priya",
)
_LAST = (
    "smith",
    "mueller",
    "garcia",
    "martin",
    "silva",
    "kumar",
    "tanaka",
    "brown",
    "dubois",
    "rossi",
    "jansen",
    "lopez",
    "schmidt",
    "patel",
    "nakamura",
    "wilson",
    "moreau",
    "costa",
)
_COMPANIES = (
    "northwind",
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "vandelay",
    "wayne",
    "stark",
    "tyrell",
    "soylent",
    "cyberdyne",
    "wonka",
    "gringotts",
    "oscorp",
    "pied-piper",
    "dunder",
    "monarch",
    "blue-sun",
    "aperture",
)


def utc_offsets(day: date) -> np.ndarray:
    """UTC offset in minutes of every timezone on `day` (DST applied at day granularity).

    Hand-written EU/US rules instead of zoneinfo so output never depends on the host's tzdata.
    """

    def nth_sunday(year: int, month: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))

    def last_sunday(year: int, month: int) -> date:
        last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() + 1) % 7)

    y = day.year
    eu = last_sunday(y, 3) <= day < last_sunday(y, 10)
    us = nth_sunday(y, 3, 2) <= day < nth_sunday(y, 11, 1)
    dst = np.array([60 * ((r == "eu" and eu) or (r == "us" and us)) for r in _TZ_RULE])
    return _TZ_STD + dst


def uuid4_strings(rng: np.random.Generator, n: int) -> list[str]:
    """Random-looking v4 UUID strings drawn from `rng` (so they are reproducible)."""
    hi = rng.integers(0, 2**63, size=n, dtype=np.int64)
    lo = rng.integers(0, 2**63, size=n, dtype=np.int64)
    out = []
    for a, b in zip(hi.tolist(), lo.tolist(), strict=True):
        h = f"{a:016x}{b:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[b & 3]}{h[17:20]}-{h[20:32]}")
    return out


@dataclass
class Population:
    """Fixed attributes of every user, plus the hidden personas that drive the story."""

    n: int
    n_base: int
    signup_day: np.ndarray  # day index of sign-up; negative for users who existed before day 0
    signup_ms: np.ndarray  # ms after UTC midnight of the sign-up moment (new users)
    created_ms: np.ndarray  # epoch ms of account creation
    plan: np.ndarray
    platform: np.ndarray
    os: np.ndarray  # index into OS_NAMES
    tz: np.ndarray
    country: np.ndarray
    company_size: np.ndarray
    engagement: np.ndarray  # weekday probability of being active
    fail_rate: np.ndarray  # share of exports that fail
    crash_rate: np.ndarray  # chance a mobile session ends in a crash
    is_slow: np.ndarray  # huge dashboards: 6-20 s loads
    is_price_sensitive: np.ndarray
    needs_crm: np.ndarray  # wants a CRM integration that does not exist: never connects one
    is_confused: np.ndarray  # struggles in onboarding
    identify_delay: np.ndarray  # days between sign-up and the first identify call
    has_alias: np.ndarray  # browsed on a second device, linked by an alias call
    user_ids: list[str]
    anon_ids: list[str]
    anon2_ids: list[str]
    emails: list[str]


def make_population(rng: np.random.Generator, users: int, days: int, start: date) -> Population:
    """Draw `users` users: ~40% existing customers at day 0, the rest signing up over time."""
    n = users
    n_base = round(n * 0.4)
    n_new = n - n_base
    dow = np.array([(start + timedelta(days=d)).weekday() for d in range(days)])
    w = (1.0 + 0.6 * np.arange(days) / max(days, 1)) * np.where(dow >= 5, 0.55, 1.0)
    new_days = np.sort(rng.choice(days, size=n_new, p=w / w.sum()))
    signup_day = np.concatenate([-rng.integers(1, 730, size=n_base), new_days]).astype(np.int32)
    signup_ms = rng.integers(7 * 3_600_000, 22 * 3_600_000, size=n).astype(np.int64)
    epoch0 = (start - date(1970, 1, 1)).days * 86_400_000
    created_ms = epoch0 + signup_day.astype(np.int64) * 86_400_000 + signup_ms

    is_new = signup_day >= 0
    plan = np.where(
        is_new, rng.choice(3, size=n, p=[0.6, 0.3, 0.1]), rng.choice(3, size=n, p=[0.4, 0.42, 0.18])
    ).astype(np.int8)
    platform = rng.choice(3, size=n, p=[0.7, 0.18, 0.12]).astype(np.int8)
    os = np.where(
        platform == 0, rng.choice(4, size=n, p=[0.46, 0.44, 0.05, 0.05]), platform + 3
    ).astype(np.int8)
    zone_w = np.array([w / len(z) for _, w, z in _COUNTRIES for _ in z])
    tz = rng.choice(len(TIMEZONES), size=n, p=zone_w / zone_w.sum()).astype(np.int8)
    size_mu = np.array([1.3, 3.2, 5.5])[plan]
    company_size = np.maximum(1, np.round(rng.lognormal(size_mu, 0.7))).astype(np.int32)
    engagement = (rng.beta(2.2, 3.0, size=n) * np.array([0.7, 0.85, 0.95])[plan]).astype(np.float32)

    is_export = rng.random(n) < 0.12
    fail_rate = np.where(is_export, rng.uniform(0.45, 0.85, n), rng.uniform(0.0, 0.05, n))
    is_slow = rng.random(n) < np.where(company_size > 150, 0.35, 0.1)
    is_mobile = platform > 0
    crash_rate = np.where(is_mobile & (rng.random(n) < 0.45), 0.3, np.where(is_mobile, 0.02, 0))
    is_price_sensitive = (plan < 2) & (rng.random(n) < 0.3)
    needs_crm = rng.random(n) < 0.12
    is_confused = is_new & (rng.random(n) < 0.25)
    delayed = is_new & (rng.random(n) < 0.05) & (signup_day + 4 < days)
    identify_delay = np.where(delayed, rng.integers(1, 4, size=n), 0).astype(np.int8)
    has_alias = is_new & ~delayed & (rng.random(n) < 0.04)

    width = max(6, len(str(n)))
    first = rng.integers(0, len(_FIRST), n).tolist()
    last = rng.integers(0, len(_LAST), n).tolist()
    comp = rng.integers(0, len(_COMPANIES), n).tolist()
    emails = [
        f"{_FIRST[f]}.{_LAST[la]}{i % 97}@{_COMPANIES[c]}.example"
        for i, (f, la, c) in enumerate(zip(first, last, comp, strict=True))
    ]
    anon_ids = uuid4_strings(rng, n)
    anon2 = uuid4_strings(rng, n)
    return Population(
        n=n,
        n_base=n_base,
        signup_day=signup_day,
        signup_ms=signup_ms,
        created_ms=created_ms,
        plan=plan,
        platform=platform,
        os=os,
        tz=tz,
        country=_TZ_COUNTRY[tz].astype(np.int8),
        company_size=company_size,
        engagement=engagement,
        fail_rate=fail_rate.astype(np.float32),
        crash_rate=crash_rate.astype(np.float32),
        is_slow=is_slow,
        is_price_sensitive=is_price_sensitive,
        needs_crm=needs_crm,
        is_confused=is_confused,
        identify_delay=identify_delay,
        has_alias=has_alias,
        user_ids=[f"u_{i:0{width}d}" for i in range(n)],
        anon_ids=anon_ids,
        anon2_ids=[a if has else "" for a, has in zip(anon2, has_alias.tolist(), strict=True)],
        emails=emails,
    )
