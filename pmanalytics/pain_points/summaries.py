"""Per-pain-point figures from the clustered comments: stats, examples, trend, priorities.

Inputs are comment-level frames (one row per response, bounded by the number of survey
answers), never events: behaviour lives in :mod:`pmanalytics.pain_points.behaviour`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pmanalytics.pain_points.identity import id_number
from pmanalytics.pain_points.impact import (
    NpsCounts,
    ScoreCells,
    nps,
    nps_category,
    nps_impact,
    nps_impact_interval,
    priority_score,
    rescale_to_10,
    response_values,
    retention_factor,
    retention_gap,
    score_cost,
    score_cost_interval,
    two_proportion_z,
)

#: When a pain point's answers are of several metrics, the commonest is its score metric;
#: a tie goes to the earlier one here.
METRIC_ORDER = ("nps", "csat", "ces")


def _nan_to_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def pick_examples(
    texts: list[str],
    similarities: np.ndarray,
    vectors: np.ndarray,
    n_max: int = 5,
    duplicate_cosine: float = 0.9,
) -> list[str]:
    """Up to ``n_max`` comments nearest the centre, skipping near-duplicates.

    Candidates go by similarity to the centre; one is skipped when its normalised text
    equals a chosen one or its vector is within ``duplicate_cosine`` of one.
    """
    order = np.argsort(-similarities, kind="stable")
    chosen: list[int] = []
    seen: set[str] = set()
    for i in order:
        key = " ".join(texts[i].lower().split())
        if key in seen:
            continue
        if chosen and float((vectors[chosen] @ vectors[i]).max()) >= duplicate_cosine:
            continue
        chosen.append(int(i))
        seen.add(key)
        if len(chosen) == n_max:
            break
    return [texts[i] for i in chosen]


def pain_point_stats(
    comments: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    n_bootstrap: int,
    seed: int,
    total: int | None = None,
) -> pd.DataFrame:
    """comments, share, mean_score, nps, detractor_share, nps_impact (+ CI), seen, reach.

    ``comments`` has one row per clustered comment (pain_point_id, response_id, user_id,
    metric, score, submitted_at); ``responses`` every survey response (for NPS of all).
    mean_score is over all of a pain point's responses, each rescaled to 0–10; NPS figures
    use only its ``nps`` responses (csat/ces answers are clustered and counted, but have no
    promoter/detractor meaning). ``total`` is the share's denominator (default: rows of
    ``comments``; a comment whose clauses fall in two pain points is one row in each).
    """
    nps_all = responses.loc[responses["metric"] == "nps", "score"].map(nps_category)
    all_cells = np.array([(nps_all == 1).sum(), (nps_all == 0).sum(), (nps_all == -1).sum()])
    values_all = {
        m: response_values(m, responses.loc[responses["metric"] == m, "score"].to_numpy())
        for m in METRIC_ORDER
    }
    total = total or len(comments)
    rows = []
    for pain_point_id, group in comments.groupby("pain_point_id", sort=True):
        cats = group.loc[group["metric"] == "nps", "score"].map(nps_category)
        inside = np.array([(cats == 1).sum(), (cats == 0).sum(), (cats == -1).sum()])
        counts = NpsCounts(*inside.tolist(), *(all_cells - inside).tolist())
        bootstrap_seed = [seed, id_number(str(pain_point_id))]
        low, high = nps_impact_interval(counts, n_bootstrap, seed=bootstrap_seed)
        metric, cost, cost_low, cost_high = _score_cost(
            group, values_all, n_bootstrap, bootstrap_seed
        )
        scaled = [rescale_to_10(m, s) for m, s in zip(group["metric"], group["score"], strict=True)]
        anonymous = int(group["user_id"].isna().sum())
        rows.append(
            {
                "pain_point_id": pain_point_id,
                "comments": len(group),
                "share": len(group) / total,
                "mean_score": float(np.mean(scaled)),
                "nps": _nan_to_none(nps(inside[0], inside[2], inside.sum())),
                "detractor_share": inside[2] / inside.sum() if inside.sum() else None,
                "nps_impact": _nan_to_none(nps_impact(counts)),
                "nps_impact_ci_low": _nan_to_none(low),
                "nps_impact_ci_high": _nan_to_none(high),
                "first_seen": group["submitted_at"].min(),
                "last_seen": group["submitted_at"].max(),
                "nps_responses": int(inside.sum()),
                "respondents": int(group["user_id"].nunique()) + anonymous,
                "score_metric": metric,
                "score_cost": _nan_to_none(cost),
                "score_cost_ci_low": _nan_to_none(cost_low),
                "score_cost_ci_high": _nan_to_none(cost_high),
            }
        )
    return pd.DataFrame(rows)


def _score_cost(
    group: pd.DataFrame,
    values_all: dict[str, np.ndarray],
    n_bootstrap: int,
    seed: list[int],
) -> tuple[str | None, float, float, float]:
    """The pain point's score metric (its commonest one) and what that metric loses to it,
    with a bootstrap interval, in the metric's own units (NPS and CSAT points, CES units)."""
    counts = group["metric"].value_counts()
    present = [m for m in METRIC_ORDER if counts.get(m, 0) > 0]
    if not present:
        return None, math.nan, math.nan, math.nan
    metric = max(present, key=lambda m: (counts[m], -METRIC_ORDER.index(m)))
    scores = group.loc[group["metric"] == metric, "score"].to_numpy()
    cells = ScoreCells.from_values(response_values(metric, scores), values_all[metric])
    low, high = score_cost_interval(cells, n_bootstrap, seed=seed)
    return metric, score_cost(cells), low, high


def week_starts(submitted_at: pd.Series, timezone: str, week_start: str) -> pd.Series:
    """Calendar week (as a date) of each UTC timestamp in the reporting time zone."""
    local = pd.to_datetime(submitted_at).dt.tz_localize("UTC").dt.tz_convert(timezone)
    day = local.dt.tz_localize(None).dt.normalize()
    shift = day.dt.day_of_week if week_start == "monday" else (day.dt.day_of_week + 1) % 7
    return (day - pd.to_timedelta(shift, unit="D")).dt.date


def weekly_trend(comments: pd.DataFrame, pain_point_ids: list[str]) -> pd.DataFrame:
    """Comments and share of that week's clustered comments, every week filled (zeros too)."""
    dated = comments.dropna(subset=["week"])
    if dated.empty or not pain_point_ids:
        return pd.DataFrame(columns=["pain_point_id", "period_start", "comments", "share"])
    first, last = min(dated["week"]), max(dated["week"])
    weeks = pd.date_range(first, last, freq="7D").date
    counts = dated.groupby(["pain_point_id", "week"]).size()
    totals = dated.groupby("week").size()
    grid = pd.MultiIndex.from_product([sorted(pain_point_ids), weeks], names=["pid", "week"])
    filled = counts.reindex(grid, fill_value=0)
    week_totals = totals.reindex(grid.get_level_values("week"), fill_value=0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(week_totals > 0, filled.to_numpy() / np.maximum(week_totals, 1), 0.0)
    return pd.DataFrame(
        {
            "pain_point_id": grid.get_level_values("pid"),
            "period_start": grid.get_level_values("week"),
            "comments": filled.to_numpy(),
            "share": share,
        }
    )


def emerging(
    trend: pd.DataFrame, recent_weeks: int, z_threshold: float, min_recent: int = 3
) -> dict[str, tuple[bool, float]]:
    """Is the share over the last ``recent_weeks`` weeks significantly above the earlier share?

    One-sided two-proportion z-test of (comments in recent weeks / all clustered comments in
    recent weeks) against the same for the earlier weeks; emerging when z ≥ ``z_threshold``
    (1.645 ≈ 5% one-sided) and at least ``min_recent`` recent comments. With no earlier
    weeks nothing can be emerging.
    """
    if trend.empty:
        return {}
    weeks = sorted(set(trend["period_start"]))
    recent = set(weeks[-recent_weeks:])
    is_recent = trend["period_start"].isin(recent)
    totals = trend.groupby("period_start")["comments"].sum()
    n_recent = int(totals[totals.index.isin(recent)].sum())
    n_early = int(totals[~totals.index.isin(recent)].sum())
    out = {}
    for pid, group in trend.groupby("pain_point_id"):
        hits_recent = int(group.loc[is_recent[group.index], "comments"].sum())
        hits_early = int(group.loc[~is_recent[group.index], "comments"].sum())
        z = two_proportion_z(hits_recent, n_recent, hits_early, n_early)
        out[str(pid)] = (bool(z >= z_threshold and hits_recent >= min_recent), float(z))
    return out


def priorities(pain_points: pd.DataFrame, behaviour: pd.DataFrame) -> pd.DataFrame:
    """Rank active pain points by reach × score cost × retention factor × confidence.

    The parts a priority was built from are columns, so a reader can see why one ranks
    first: ``score_metric`` and ``score_cost`` (points, or CES units, the metric loses),
    ``retention_gap`` and ``retention_factor`` (null, and ``uses_retention`` false, when no
    retention was measured: the priority is then the score cost alone), ``confidence``.
    """
    active = pain_points[pain_points["status"] == "active"]
    retention = behaviour[behaviour["measure"] == "retained_4w"].set_index("pain_point_id")
    rows = []
    for row in active.itertuples(index=False):
        gap, factor, others = None, None, None
        if row.pain_point_id in retention.index:
            ret = retention.loc[row.pain_point_id]
            others = _number(ret["others_value"])
            gap = retention_gap(_number(ret["respondents_value"]), others, int(ret["respondents"]))
            factor = retention_factor(gap, others)
        cost = _number(getattr(row, "score_cost", None))
        low = _number(getattr(row, "score_cost_ci_low", None))
        high = _number(getattr(row, "score_cost_ci_high", None))
        metric = getattr(row, "score_metric", None) or "nps"
        impact, confidence, priority = priority_score(
            int(row.respondents),
            cost,
            None if low is None or high is None else high - low,
            metric,
            float(row.cohesion),
            factor,
        )
        nps_impact_value = _number(row.nps_impact)
        rows.append(
            {
                "pain_point_id": row.pain_point_id,
                "label": row.label,
                "reach": int(row.respondents),
                "impact": impact,
                "confidence": confidence,
                "priority": priority,
                "nps_cost": None if nps_impact_value is None else -nps_impact_value,
                "retention_gap": gap,
                "is_pain": impact > 0,
                "score_metric": metric,
                "score_cost": cost,
                "retention_factor": factor,
                "uses_retention": factor is not None,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out = out.sort_values(["priority", "pain_point_id"], ascending=[False, True], kind="stable")
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def _number(value: object) -> float | None:
    """A float, or None for a missing value (None, NaN, NA)."""
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def scores_below_the_rest(themes: pd.DataFrame) -> pd.Series:
    """Themes whose customers clearly score worse than everyone else: the 95 % interval of
    the score lost to them (``score_cost_ci_low``: NPS or CSAT points, CES units) is above
    0; false where it is unknown.

    For delighters this is praise that mostly comes with a complaint ("good, but …"):
    true as praise, no strength to build on, so it is not listed among what customers love.
    The interval, not the estimate: on the NHS feedback six praise themes cost between 0.03
    and 0.08 CSAT points with intervals across 0, and only one clearly (0.10 to 0.49).
    """
    if "score_cost_ci_low" not in themes:
        return pd.Series(False, index=themes.index)
    low = pd.to_numeric(themes["score_cost_ci_low"], errors="coerce")
    return (low > 0).fillna(False).astype(bool)
