"""The report's headline tiles, from whatever the warehouse holds.

:func:`pmanalytics.kpis.headline_kpis` measures "complete periods" from the last day of
activity, so without usage events it has no tiles at all, and a survey whose responses carry
no date has no monthly score to show. Many teams start with a survey export alone: here the
survey tiles are measured from the survey's own last day, or over all responses when they
are undated, so survey-only, events-only and mixed warehouses all get a headline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from pmanalytics.kpis.headline import Kpi, headline_kpis, survey_kpis

#: Tile names per survey metric, as :func:`headline_kpis` names them (checked by a test).
SURVEY_TILES = {"nps": ("NPS", "points"), "csat": ("CSAT", "%"), "ces": ("CES", "score")}


def survey_data_end(windows: pd.DataFrame) -> date | None:
    """The day of the latest dated response (the all-time rows' ``period_end``), or None."""
    rows = windows[(windows["period"] == "all_time") & windows["period_end"].notna()]
    if rows.empty:
        return None
    return pd.Timestamp(rows["period_end"].max()).date()


def all_time_rows(windows: pd.DataFrame) -> pd.DataFrame:
    """One all-respondents row per metric over every scored response, dated or not."""
    return windows[(windows["period"] == "all_time") & (windows["segment"] == "all")]


def reliable_months(scores: pd.DataFrame) -> pd.DataFrame:
    """Monthly rows of the months whose all-respondents score is not low-sample.

    A headline of "100 %, from 1 response" answers nothing: the tile takes the latest full
    month with enough responses (``[segments] min_responses``) instead.
    """
    if scores.empty or "is_low_sample" not in scores:
        return scores
    overall = scores[scores["segment"] == "all"]
    thin = overall.loc[
        overall["is_low_sample"].fillna(False).astype(bool), ["metric", "period_start"]
    ]
    keys = set(zip(thin["metric"], thin["period_start"], strict=True))
    keep = [
        (m, p) not in keys for m, p in zip(scores["metric"], scores["period_start"], strict=True)
    ]
    return scores[keep]


def survey_tiles(scores: pd.DataFrame, windows: pd.DataFrame) -> list[Kpi]:
    """A tile per survey metric: the latest full month (measured from the survey's last day)
    with enough responses against the month before; over all responses when there is no such
    month or no response is dated."""
    scores = reliable_months(scores)
    data_end = survey_data_end(windows)
    monthly = survey_kpis(scores, data_end) if data_end is not None and len(scores) else []
    shown = {k.name for k in monthly}
    tiles = list(monthly)
    for row in all_time_rows(windows).itertuples():
        name, unit = SURVEY_TILES[row.metric]
        if name in shown:
            continue
        tiles.append(
            Kpi(
                name,
                float(row.score),
                None,
                unit,
                _all_time_label(row.period_start, row.period_end),
                note=f"{int(row.responses):,} response{'s' if row.responses != 1 else ''}",
            )
        )
    order = [name for name, _ in SURVEY_TILES.values()]
    return sorted(tiles, key=lambda k: order.index(k.name))


def _all_time_label(start: Any, end: Any) -> str:
    if end is None or pd.isna(end):
        return "all responses (they carry no date)"
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    return f"all responses, {first:%d %b %Y} to {last:%d %b %Y}"


def report_headline(
    active_users: pd.DataFrame,
    activation: pd.DataFrame,
    scores: pd.DataFrame,
    windows: pd.DataFrame,
    lifecycle: pd.DataFrame,
    settings: dict[str, Any] | None = None,
) -> list[Kpi]:
    """Every tile the data allows: activity tiles when there are events, survey tiles when
    there are scored responses (each from :func:`headline_kpis` when it has one); survey
    months with too few responses for a reliable score are passed over."""
    scores = reliable_months(scores)
    kpis = list(headline_kpis(active_users, activation, scores, lifecycle, settings))
    shown = {k.name for k in kpis}
    return kpis + [k for k in survey_tiles(scores, windows) if k.name not in shown]
