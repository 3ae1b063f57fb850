"""Who answers which survey on a given day, and what they say.

The pain a respondent writes about is decided from what the simulation actually did to
them (failed exports, slow loads, crashes, pricing-page visits, ...), never from a label
alone; that is what makes "complainers behave differently" recoverable downstream.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from pmanalytics.sample.population import COUNTRIES, PLANS, PLATFORMS, Population
from pmanalytics.sample.simulate import DAY_MS, DayEvents, UserState
from pmanalytics.sample.story import (
    Respondent,
    add_pii,
    ces_response,
    csat_response,
    nps_response,
)

SURVEY_COLUMNS = (
    "response_id",
    "user_id",
    "submitted_at",
    "survey",
    "metric",
    "score",
    "comment",
    "plan",
)
ANONYMOUS_SHARE = 0.06
PII_EVERY = 40  # one comment in this many gets an email address or phone number appended


def realized_pains(u: int, d: int, pop: Population, st: UserState) -> list[str]:
    """The pain points user `u` has actually experienced by day `d`."""
    age = d - int(pop.signup_day[u])
    pains = []
    failed, ok = int(st.n_failed[u]), int(st.n_exports[u])
    if failed >= 2 and failed >= 0.25 * (failed + ok):
        pains.append("export")
    if st.n_slow[u] >= 3:
        pains.append("slow")
    if pop.is_price_sensitive[u] and st.n_pricing[u] >= 1 and pop.plan[u] < 2:
        pains.append("pricing")
    if pop.needs_crm[u] and not st.connected[u] and age >= 10:
        pains.append("integration")
    if st.n_crash[u] >= 2 and pop.platform[u] > 0:
        pains.append("crash")
    if pop.signup_day[u] >= 0 and st.step[u] < 3 and 2 <= age <= 45 and pop.is_confused[u]:
        pains.append("onboarding")
    return pains


class SurveyWriter:
    """Produces survey rows day by day and plants the three documented bad rows."""

    def __init__(self, pop: Population, seed: int, start: date) -> None:
        self.pop = pop
        self.rnd = random.Random(seed * 7919 + 17)
        self.start = start
        self.n_rows = 0
        self.n_nps = 0
        self.n_comments = 0
        self.bad: list[tuple[str, str]] = []
        #: (response_id, topic) of every row with a comment: what the comment is about
        self.topics: list[tuple[str, str]] = []

    def _respondent(self, u: int) -> Respondent:
        p = self.pop
        return Respondent(COUNTRIES[p.country[u]], PLATFORMS[p.platform[u]], p.emails[u])

    def day_rows(
        self, d: int, day: date, ev: DayEvents, st: UserState, rng: np.random.Generator
    ) -> list[list[str]]:
        """All survey rows submitted on day `d`, sorted by submission time."""
        p, active = self.pop, ev.active
        age = d - p.signup_day[active]
        r = rng.random((3, len(active)))
        # Unhappy users are a little keener to answer: detractors are over-represented.
        pain_hint = (
            (st.n_failed[active] >= 2) | (st.n_crash[active] >= 1) | (st.n_slow[active] >= 3)
        )
        nps = (
            (age >= 7)
            & (d - st.last_nps[active] >= 30)
            & (r[0] < np.where(pain_hint, 0.085, 0.055))
        )
        csat = (d - st.last_csat[active] >= 14) & (r[1] < 0.004 + 0.02 * pain_hint)
        ces = ~st.ces_done[active] & (age >= 2) & (age <= 7) & (r[2] < 0.08)
        rows: list[tuple[int, list[str], str]] = []
        for metric, mask in (("nps", nps), ("csat", csat), ("ces", ces)):
            for i in np.flatnonzero(mask).tolist():
                u = int(active[i])
                t = min(int(ev.last_t[i]) + self.rnd.randrange(5_000, 180_000), DAY_MS - 1)
                rows.append((t, *self._row(metric, u, d, st)))
        st.last_nps[active[nps]] = d
        st.last_csat[active[csat]] = d
        st.ces_done[active[ces]] = True
        rows.sort(key=lambda x: x[0])
        out = []
        for t, row, topic in rows:
            row[2] = (
                np.datetime_as_string(np.datetime64(day, "ms") + np.timedelta64(t, "ms"), unit="s")
                + "Z"
            )
            out.extend(self._number_and_plant(row))
            if row[6]:
                self.topics.append((row[0], topic))
        return out

    def _row(self, metric: str, u: int, d: int, st: UserState) -> tuple[list[str], str]:
        who = self._respondent(u)
        pains = realized_pains(u, d, self.pop, st)
        if metric == "nps":
            score, comment, topic = nps_response(self.rnd, pains, who)
            survey = "nps-quarterly"
        elif metric == "csat":
            score, comment, topic = csat_response(self.rnd, pains, who)
            survey = "support-csat"
        else:
            score, comment, topic = ces_response(self.rnd, "onboarding" in pains, who)
            survey = "onboarding-ces"
        if comment:
            self.n_comments += 1
            if self.n_comments % PII_EVERY == PII_EVERY // 2:
                comment = add_pii(comment, who, self.n_comments // PII_EVERY)
        anonymous = metric == "nps" and self.rnd.random() < ANONYMOUS_SHARE
        user_id = "" if anonymous else self.pop.user_ids[u]
        row = ["", user_id, "", survey, metric, str(score), comment, PLANS[self.pop.plan[u]]]
        return row, topic

    def _number_and_plant(self, row: list[str]) -> list[list[str]]:
        """Give the row its id; turn specific rows into the documented bad ones."""
        self.n_rows += 1
        self.n_nps += row[4] == "nps"
        row[0] = f"resp_{self.n_rows:07d}"
        done = {reason for _, reason in self.bad}
        if self.n_rows >= 12 and "unparseable submitted_at" not in done:
            row[2] = f"{self.start.year}-09-31T14:03:00Z"
            self.bad.append((row[0], "unparseable submitted_at"))
            return [row]
        if self.n_nps >= 5 and row[4] == "nps" and "nps score 11 outside 0-10" not in done:
            row[5] = "11"
            self.bad.append((row[0], "nps score 11 outside 0-10"))
            return [row]
        if self.n_rows >= 20 and "duplicate response_id" not in done:
            self.bad.append((row[0], "duplicate response_id"))
            return [row, list(row)]
        return [row]
