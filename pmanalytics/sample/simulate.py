"""One simulated day of product usage, vectorised over users with numpy.

A day produces a handful of flat arrays (time, user, event code, two property values,
identity mode); `render` turns them into Segment JSON. Per-user state (funnel step,
counters that later decide what people complain about) lives in `UserState` arrays, so
memory grows with users, not with events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pmanalytics.sample.catalog import (
    ALERT,
    ALIAS,
    ANON,
    ANON2,
    BOTH,
    COMMENT,
    CRASH,
    DASH,
    DASH_CREATED,
    DAY_MS,
    EXPORT,
    EXPORT_FAILED,
    IDENTIFY,
    INTEGRATION,
    INVITED,
    P_BLOG,
    P_CHANGELOG,
    P_DOCS,
    P_FEATURES,
    P_HOME,
    P_INTEGRATIONS,
    P_PRICING,
    PAGE,
    PROJECT,
    SEARCH,
    SESSION,
    SIGNED_UP,
    USER,
    VISITOR,
)
from pmanalytics.sample.population import Population, uuid4_strings

SLOW_MS = 5_000
_HOUR_W = np.array(
    [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 3, 7, 10, 10, 9, 7, 8, 9, 9, 8, 6, 4, 3, 3, 2.5, 2, 1.5]
)
_HOUR_P = _HOUR_W / _HOUR_W.sum()
# In-session event mix by profile: 0 not yet activated, 1 activated, 2 activated with huge
# dashboards (they reload them). Columns follow _MIX_CODES.
_MIX_CODES = np.array(
    [DASH, SEARCH, COMMENT, EXPORT, ALERT, PAGE + P_DOCS, PAGE + P_CHANGELOG, PAGE + P_INTEGRATIONS]
)
_MIX = np.array(
    [
        [0.30, 0.30, 0.00, 0.00, 0.00, 0.30, 0.02, 0.08],
        [0.42, 0.14, 0.13, 0.12, 0.05, 0.08, 0.03, 0.03],
        [0.62, 0.09, 0.08, 0.09, 0.03, 0.05, 0.02, 0.02],
    ]
)
_MIX_CUM = np.cumsum(_MIX / _MIX.sum(axis=1, keepdims=True), axis=1)
_BROWSE = np.array([P_HOME, P_FEATURES, P_DOCS, P_BLOG, P_INTEGRATIONS]) + PAGE


@dataclass
class UserState:
    """What has happened to each user so far; mutated day by day."""

    step: np.ndarray  # funnel: 0 not signed up, 1 Signed Up, 2 Project, 3 Dashboard, 4 Invited
    identified: np.ndarray
    churned: np.ndarray
    connected: np.ndarray
    n_exports: np.ndarray
    n_failed: np.ndarray
    n_slow: np.ndarray
    n_crash: np.ndarray
    n_pricing: np.ndarray
    last_nps: np.ndarray
    last_csat: np.ndarray
    ces_done: np.ndarray

    @classmethod
    def initial(cls, pop: Population, rng: np.random.Generator) -> UserState:
        n, base = pop.n, pop.signup_day < 0
        zeros = np.zeros(n, dtype=np.int32)
        step = np.where(base, rng.choice([2, 3, 4], size=n, p=[0.1, 0.3, 0.6]), 0).astype(np.int8)
        connected = base & ~pop.needs_crm & (rng.random(n) < 0.5)
        return cls(
            step=step,
            identified=np.zeros(n, bool),
            churned=np.zeros(n, bool),
            connected=connected,
            n_exports=zeros.copy(),
            n_failed=zeros.copy(),
            n_slow=zeros.copy(),
            n_crash=zeros.copy(),
            n_pricing=zeros.copy(),
            last_nps=zeros - 1000,
            last_csat=zeros - 1000,
            ces_done=~(pop.signup_day >= 0),
        )


@dataclass
class DayEvents:
    """One day's events as parallel arrays, sorted by time."""

    t: np.ndarray  # ms after UTC midnight
    user: np.ndarray  # user index, or visitor index for VISITOR mode
    code: np.ndarray
    v1: np.ndarray
    v2: np.ndarray
    ident: np.ndarray
    visitor_ids: list[str]
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    last_t: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


class _Batch:
    """Collects event arrays from the different behaviours of a day."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self,
        t: np.ndarray,
        user: np.ndarray,
        code: np.ndarray | int,
        v1: np.ndarray | int = 0,
        v2: np.ndarray | int = 0,
        ident: np.ndarray | int = BOTH,
    ) -> None:
        n = len(t)
        if n:
            cols = (t, user, code, v1, v2, ident)
            self.parts.append(tuple(np.broadcast_to(np.asarray(c), n) for c in cols))

    def build(self, visitor_ids: list[str]) -> DayEvents:
        cols = [
            np.concatenate([p[i] for p in self.parts]) if self.parts else np.zeros(0)
            for i in range(6)
        ]
        t = np.clip(cols[0].astype(np.int64), 0, DAY_MS - 1)
        order = np.argsort(t, kind="stable")
        return DayEvents(
            t=t[order],
            user=cols[1].astype(np.int64)[order],
            code=cols[2].astype(np.int16)[order],
            v1=cols[3].astype(np.int64)[order],
            v2=cols[4].astype(np.int64)[order],
            ident=cols[5].astype(np.int8)[order],
            visitor_ids=visitor_ids,
        )


def _first_of_groups(counts: np.ndarray) -> np.ndarray:
    """Index of the first element of each group, for groups laid out back to back."""
    return np.cumsum(counts) - counts


def simulate_day(
    d: int,
    pop: Population,
    st: UserState,
    rng: np.random.Generator,
    offsets: np.ndarray,
    weekday: int,
) -> DayEvents:
    """Advance every user by one day and return the events that day produced."""
    b = _Batch()
    age = d - pop.signup_day
    existing = age > 0
    is_new = pop.signup_day >= 0

    # Churn: a flat hazard plus whatever pain the user has lived through.
    hazard = np.where(is_new, 0.004, 0.0025) + 0.02 * (is_new & (age <= 7))
    hazard += 0.012 * (st.n_failed >= 3) + 0.012 * (st.n_crash >= 2)
    hazard += 0.008 * (pop.is_slow & (st.step >= 2)) + 0.003 * pop.is_price_sensitive
    hazard += (
        0.03
        * (is_new & (st.step < 3) & (age >= 3) & (age <= 30))
        * np.where(pop.is_confused, 1.5, 0.6)
    )
    st.churned |= existing & ~st.churned & (rng.random(pop.n) < hazard)

    p_active = pop.engagement * (0.3 if weekday >= 5 else 1.0)
    p_active = np.where(is_new & (age <= 10), np.maximum(p_active, 0.5), p_active)
    signups = np.flatnonzero(age == 0)
    active_mask = existing & ~st.churned & (rng.random(pop.n) < p_active)
    active_mask[signups] = True
    active = np.flatnonzero(active_mask)

    # Anonymous visitors who never sign up, and future users browsing before sign-up.
    n_vis = int(rng.poisson(0.03 * pop.n * (0.5 if weekday >= 5 else 1.0)))
    visitor_ids = uuid4_strings(rng, n_vis)
    k = rng.integers(1, 4, n_vis)
    vis = np.repeat(np.arange(n_vis), k)
    b.add(_browse_times(rng, k), vis, _page_choice(rng, len(vis), 0.15), ident=VISITOR)
    soon = np.flatnonzero(is_new & (age < 0) & (age >= -5) & (rng.random(pop.n) < 0.25))
    k = rng.integers(1, 4, len(soon))
    who = np.repeat(soon, k)
    p_price = np.where(pop.is_price_sensitive[who], 0.5, 0.15)
    mode = np.where(pop.has_alias[who] & (rng.random(len(who)) < 0.8), ANON2, ANON)
    pages = _page_choice(rng, len(who), p_price)
    b.add(_browse_times(rng, k), who, pages, ident=mode)
    _count(st.n_pricing, who[pages == PAGE + P_PRICING])

    # Sign-up moment: a few anonymous pages, identify (+ alias), then Signed Up.
    delayed = pop.identify_delay[signups] > 0
    s_ms = pop.signup_ms[signups]
    k = rng.integers(1, 4, len(signups))
    who = np.repeat(signups, k)
    back = np.cumsum(rng.integers(20_000, 90_000, len(who)))
    back -= np.repeat(back[_first_of_groups(k)] - rng.integers(20_000, 90_000, len(k)), k)
    p_price = np.where(pop.is_price_sensitive[who], 0.6, 0.25)
    pages = _page_choice(rng, len(who), p_price)
    # Users who later get an alias browsed on a second device; the alias links it.
    mode = np.where(pop.has_alias[who], ANON2, ANON)
    b.add(np.repeat(s_ms, k) - back, who, pages, ident=mode)
    _count(st.n_pricing, who[pages == PAGE + P_PRICING])
    ok = signups[~delayed]
    b.add(pop.signup_ms[ok], ok, IDENTIFY)
    al = ok[pop.has_alias[ok]]
    b.add(pop.signup_ms[al] + 150, al, ALIAS)
    b.add(
        s_ms + 300,
        signups,
        SIGNED_UP,
        pop.plan[signups],
        rng.integers(0, 4, len(signups)),
        np.where(delayed, ANON, BOTH),
    )
    st.step[signups] = 1
    st.identified[ok] = True

    # Sessions of active users (sign-ups get one session right after signing up).
    is_signup = age[active] == 0
    ns = np.where(is_signup, 1, 1 + np.minimum(rng.poisson(0.35, len(active)), 2))
    su = np.repeat(active, ns)
    local = (rng.choice(24, len(su), p=_HOUR_P) + rng.random(len(su))) * 3_600_000
    start = ((local - offsets[pop.tz[su]] * 60_000) % DAY_MS).astype(np.int64)
    first = _first_of_groups(ns)
    start[first[is_signup]] = s_ms + 2000 if len(s_ms) else start[first[is_signup]]
    t0 = np.minimum.reduceat(start, first) if len(su) else start

    # Late identify: existing users seen for the first time in the window, and delayed ones.
    late = (
        ~st.identified[active]
        & ~is_signup
        & ((pop.signup_day[active] < 0) | (age[active] >= pop.identify_delay[active]))
    )
    b.add(np.maximum(t0[late] - 1000, 0), active[late], IDENTIFY)
    st.identified[active[late]] = True
    mode_u = np.where(st.identified[active], BOTH, ANON)

    # Onboarding funnel: each step may happen today, in order, in the first session.
    a_age, conf = age[active], pop.is_confused[active]
    t_step = t0 + np.where(is_signup, 1000, 0)
    p_step = {
        2: np.where(is_signup, 0.45, np.where(a_age <= 7, 0.18, 0.03)) * np.where(conf, 0.7, 1),
        3: np.where(conf, 0.05, 0.45) * np.where(a_age > 21, 0.3, 1.0),
        4: np.array([0.2, 0.4, 0.55])[pop.plan[active]],
    }
    for step, code in ((2, PROJECT), (3, DASH_CREATED), (4, INVITED)):
        go = (st.step[active] == step - 1) & (rng.random(len(active)) < p_step[step])
        t_step = t_step + rng.integers(60_000, 900_000, len(active))
        v1 = (
            rng.integers(0, 4, len(active))
            if code != DASH_CREATED
            else rng.integers(2, 13, len(active))
        )
        b.add(t_step[go], active[go], code, v1[go], 0, mode_u[go])
        st.step[active[go]] = step

    # Integrations: connected once, never by users who need the missing CRM connector.
    go = (
        (st.step[active] >= 2)
        & ~st.connected[active]
        & ~pop.needs_crm[active]
        & (rng.random(len(active)) < 0.06)
    )
    b.add(
        t_step[go] + rng.integers(30_000, 600_000, go.sum()),
        active[go],
        INTEGRATION,
        rng.choice(3, go.sum(), p=[0.6, 0.28, 0.12]),
        0,
        USER,
    )
    st.connected[active[go]] = True

    last_t = _session_events(b, rng, pop, st, su, start, ns, mode_u)
    ev = b.build(visitor_ids)
    ev.active = active
    ev.last_t = np.maximum(np.maximum.reduceat(last_t, first), t_step) if len(su) else t_step
    return ev


def _session_events(
    b: _Batch,
    rng: np.random.Generator,
    pop: Population,
    st: UserState,
    su: np.ndarray,
    start: np.ndarray,
    ns: np.ndarray,
    mode_u: np.ndarray,
) -> np.ndarray:
    """Fill every session with events; return the time each session ends."""
    mode = np.repeat(mode_u, ns)
    profile = np.where(st.step[su] < 2, 0, np.where(pop.is_slow[su], 2, 1))
    k = 1 + rng.poisson(np.where(profile == 2, 6.0, 4.0))
    sess = np.repeat(np.arange(len(su)), k)
    gaps = rng.exponential(40_000, len(sess)) + 300
    firsts = _first_of_groups(k)
    gaps[firsts] = 0
    cum = np.cumsum(gaps)
    t = start[sess] + (cum - np.repeat(cum[firsts], k)).astype(np.int64)
    user = su[sess]
    prof = profile[sess]
    code = _MIX_CODES[(rng.random(len(sess))[:, None] > _MIX_CUM[prof]).sum(axis=1)]
    code[firsts] = SESSION
    v1 = np.zeros(len(sess), np.int64)
    v2 = np.zeros(len(sess), np.int64)

    is_dash = code == DASH
    slow_user = pop.is_slow[user] & (rng.random(len(sess)) < 0.75)
    normal = np.clip(rng.lognormal(np.log(850), 0.45, len(sess)), 120, 9000)
    odd = rng.random(len(sess)) < 0.02
    normal = np.where(odd, rng.uniform(3000, 8000, len(sess)), normal)
    v1[is_dash] = np.where(slow_user, rng.uniform(6000, 20000, len(sess)), normal)[is_dash]
    is_exp = code == EXPORT
    fmt = rng.choice(3, len(sess), p=[0.5, 0.35, 0.15])
    failed = is_exp & (rng.random(len(sess)) < pop.fail_rate[user] * np.where(fmt == 1, 1.2, 0.8))
    code[failed] = EXPORT_FAILED
    v1[is_exp] = fmt[is_exp]
    v2[failed] = rng.choice(3, len(sess), p=[0.5, 0.35, 0.15])[failed]
    v1[code == SEARCH] = rng.poisson(12, len(sess))[code == SEARCH]
    v1[code == COMMENT] = rng.choice(4, len(sess), p=[0.6, 0.25, 0.1, 0.05])[code == COMMENT]
    v1[code == ALERT] = (rng.random(len(sess)) < 0.4)[code == ALERT]
    retry = failed & (rng.random(len(sess)) < 0.6)
    retry_t = t + rng.integers(15_000, 90_000, len(sess))
    # Sessions are cut at UTC midnight (each file holds one UTC day); first events always fit.
    keep = t < DAY_MS
    t, user, code, v1, v2, ev_mode = (
        t[keep],
        user[keep],
        code[keep],
        v1[keep],
        v2[keep],
        mode[sess][keep],
    )
    is_dash, is_exp, failed = is_dash[keep], is_exp[keep], failed[keep]
    retry, retry_t = retry[keep] & (retry_t[keep] < DAY_MS), retry_t[keep]
    firsts = np.cumsum(keep)[firsts] - 1
    b.add(t, user, code, v1, v2, ev_mode)
    # A failed export is often retried a little later, and may fail again.
    ru = user[retry]
    refail = rng.random(len(ru)) < pop.fail_rate[ru]
    b.add(
        retry_t[retry],
        ru,
        np.where(refail, EXPORT_FAILED, EXPORT),
        v1[retry],
        np.where(refail, v2[retry], 0),
        ev_mode[retry],
    )
    _count(st.n_failed, ru[refail])
    _count(st.n_exports, ru[~refail])

    ends = np.maximum.reduceat(t, firsts) if len(t) else t
    # Pricing page visits (price-sensitive free/team users) and mobile crashes.
    p_price = np.where(pop.is_price_sensitive[su] & (pop.plan[su] < 2), 0.18, 0.015)
    go = rng.random(len(su)) < p_price
    b.add(
        start[go] + ((ends - start)[go] * rng.random(go.sum())).astype(np.int64),
        su[go],
        PAGE + P_PRICING,
        0,
        0,
        mode[go],
    )
    crash = rng.random(len(su)) < pop.crash_rate[su]
    b.add(
        ends[crash] + 500,
        su[crash],
        CRASH,
        rng.integers(0, 4, crash.sum()),
        rng.integers(0, 3, crash.sum()),
        mode[crash],
    )

    _count(st.n_pricing, su[go])
    _count(st.n_crash, su[crash])
    _count(st.n_exports, user[is_exp & ~failed])
    _count(st.n_failed, user[failed])
    _count(st.n_slow, user[is_dash & (v1 >= SLOW_MS)])
    return np.maximum(ends, np.where(crash, ends + 500, ends))


def _browse_times(rng: np.random.Generator, k: np.ndarray) -> np.ndarray:
    """Times for k consecutive page views per visit, spread over the day."""
    t0 = np.repeat(rng.integers(0, DAY_MS - 3_600_000, len(k)), k)
    gaps = np.cumsum(rng.integers(5_000, 120_000, int(k.sum())))
    return t0 + gaps - np.repeat(gaps[_first_of_groups(k)], k)


def _page_choice(rng: np.random.Generator, n: int, p_pricing: np.ndarray | float) -> np.ndarray:
    return np.where(
        rng.random(n) < p_pricing, PAGE + P_PRICING, _BROWSE[rng.integers(0, len(_BROWSE), n)]
    )


def _count(counter: np.ndarray, users: np.ndarray) -> None:
    """Add one to `counter` for every occurrence of a user index (in place)."""
    counter += np.bincount(users, minlength=len(counter)).astype(counter.dtype)
