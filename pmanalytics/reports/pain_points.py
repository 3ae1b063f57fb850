"""The pain-point section: what to fix first, and why that.

A priority is reach × impact × confidence (docs/pain_points.md), and a PM who sees only the
product cannot tell why #1 is first. So every pain point shows its parts — customers
reached, NPS points lost and the retention gap (each with its 95% interval), confidence —
and, where the survey is CSAT or CES, the score of its own respondents. "What these
customers do" is one sentence per measure, biggest lift first, with group sizes, and lines
that could be chance (:mod:`pmanalytics.reports.behaviour`) greyed out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pmanalytics.reports import figures as fg
from pmanalytics.reports.behaviour import FALSE_DISCOVERY_RATE, mark_chance_differences
from pmanalytics.reports.data import PainPointData
from pmanalytics.reports.page import (
    Safe,
    Section,
    esc,
    figure_html,
    heading,
    is_missing,
    note,
    number,
    table,
)

#: A quote longer than this many words is cut (at a sentence end when one is near).
QUOTE_WORDS = 40
#: The retention gap is shrunk by n / (n + this) in the priority (docs/pain_points.md).
RETENTION_SHRINK = 20
#: Metric words for a theme's own score, where the survey is not NPS.
THEME_METRICS = {"csat": ("CSAT", "{:.0f}%"), "ces": ("CES", "{:.2f}")}


def pii_redactor() -> Callable[[str], str]:
    """``pmanalytics.pain_points.redact_pii`` when that stage exists, else identity.

    PII is removed upstream; this is a guard in case a quote reaches the report unredacted.
    """
    try:
        from pmanalytics.pain_points import redact_pii  # type: ignore[attr-defined]
    except ImportError:
        return lambda text: text
    return redact_pii


def short_quote(text: str, words: int = QUOTE_WORDS) -> str:
    """A quote a reader takes in at a glance: at most ``words`` words, ending on a sentence
    end inside the last third when there is one, else cut with an ellipsis."""
    parts = text.split()
    if len(parts) <= words:
        return text
    cut = " ".join(parts[:words])
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    if end >= len(cut) * 2 // 3:
        return cut[: end + 1]
    return cut.rstrip(",;:") + " …"


def points_lost(nps_impact: Any) -> float | None:
    """The one sign convention the report uses: NPS points a pain point costs, positive when
    it lowers NPS (the mart's ``nps_cost``; ``nps_impact`` is all − without, so its negative)."""
    if nps_impact is None or is_missing(nps_impact):
        return None
    return -float(nps_impact) + 0.0  # + 0.0: never "-0.0"


# --------------------------------------------------------------------------- behaviour lines


def measure_label(measure: Any) -> str:
    """A ``marts.pain_point_behaviour`` measure in words (the mart keeps the id)."""
    text = str(measure)
    if text.startswith("active_days_") and text.endswith("d"):
        days = text.removeprefix("active_days_").removesuffix("d")
        return f"days active in the {days} days after answering"
    if text == "retained_4w":
        return "still active 4 weeks later"
    kind, _, name = text.partition(":")
    if kind == "event_rate" and name:
        return f"{name} events per customer"
    if kind == "property_mean" and name:
        event, _, key = name.rpartition(".")
        unit = " (seconds)" if key.endswith("_ms") else ""
        words = key.removesuffix("_ms").replace("_", " ")
        return f"{event}, mean {words}{unit}" if event else f"mean {words}{unit}"
    return text


def measure_value(measure: Any, value: Any) -> str:
    """A measure's value with its unit: a share as %, milliseconds as seconds, counts
    without exponents (``8.25e+03`` reads as nothing to a PM)."""
    if is_missing(value):
        return "–"
    amount = float(value)
    text = str(measure)
    if text == "retained_4w":
        return f"{amount * 100:.0f} %"
    if text.startswith("property_mean:") and text.endswith("_ms"):
        amount /= 1000
    return f"{amount:,.0f}" if abs(amount) >= 100 else f"{amount:,.3g}"


def behaviour_sentence(line: Any) -> str:
    """One line for people: "App Crashed events per customer: 6.25 vs 0.444 (14.1×;
    24 vs 387 customers)" — these customers first, everyone else who answered second."""
    label = measure_label(line.measure)
    values = (
        f"{measure_value(line.measure, line.respondents_value)} vs "
        f"{measure_value(line.measure, line.others_value)}"
    )
    ratio = "" if is_missing(line.ratio) else f"{float(line.ratio):.3g}×"
    sizes = (
        ""
        if is_missing(line.respondents) or is_missing(line.others)
        else f"{int(line.respondents):,} vs {int(line.others):,} customers"
    )
    detail = "; ".join(part for part in (ratio, sizes) if part)
    return f"{label[:1].upper()}{label[1:]}: {values}" + (f" ({detail})" if detail else "")


def _behaviour_block(lines: pd.DataFrame) -> Safe:
    """The lines of one pain point, biggest lift first; chance and untested ones in grey."""
    items = []
    for line in lines.sort_values("ratio", ascending=False, na_position="last").itertuples():
        if is_missing(line.p_value):
            css, flag = "untested", "not tested (the mart holds no spread for a mean)"
        elif line.could_be_chance:
            css, flag = "chance", "could be chance"
        else:
            css, flag = "real", ""
        marker = f' <span class="flag">— {esc(flag)}</span>' if flag else ""
        items.append(f'<li class="{css}">{esc(behaviour_sentence(line))}{marker}</li>')
    return Safe(
        '<h5>What these customers do <span class="sub">(these customers vs everyone else '
        f'who answered)</span></h5><ul class="behaviour">{"".join(items)}</ul>'
    )


# --------------------------------------------------------------------------- the ranking


@dataclass(frozen=True)
class RankingColumns:
    """Which optional parts the data has, so empty columns are not drawn."""

    nps: bool
    retention: bool
    other: bool
    theme_metric: str | None


def explain_priorities(data: PainPointData) -> pd.DataFrame:
    """One row per ranked pain point with every part of its priority and intervals.

    ``nps_lost`` (= the mart's ``nps_cost``) with ``nps_lost_low``/``_high`` from the
    bootstrap interval of ``nps_impact``; ``retention_gap`` (points, shrunk by n / (n + 20) as
    in the mart) with a normal interval of the difference of the two shares, shrunk alike;
    ``other_impact``: what the mart's ``impact`` holds beyond those two (a score-based
    impact when a survey has no NPS and no retention); ``theme_score`` in CSAT or CES.
    """
    ranked = data.priorities.sort_values("rank").copy()
    details = data.pain_points.set_index("pain_point_id")
    pick = lambda col: ranked["pain_point_id"].map(details[col])  # noqa: E731
    ranked["is_emerging"] = pick("is_emerging")
    ranked["respondents"] = pick("respondents")
    ranked["comments"] = pick("comments")
    ranked["share"] = pick("share")
    ranked["nps"] = pick("nps")
    lost = ranked["nps_cost"].astype(float)
    lost = lost.where(lost.notna(), -pick("nps_impact").astype(float))
    ranked["nps_lost"] = lost + 0.0
    ranked["nps_lost_low"] = -pick("nps_impact_ci_high").astype(float) + 0.0
    ranked["nps_lost_high"] = -pick("nps_impact_ci_low").astype(float) + 0.0
    gaps = _retention_intervals(data.behaviour)
    ranked["gap_low"] = ranked["pain_point_id"].map(gaps["low"])
    ranked["gap_high"] = ranked["pain_point_id"].map(gaps["high"])
    known = ranked["nps_lost"].clip(lower=0).fillna(0) + ranked["retention_gap"].astype(float).clip(
        lower=0
    ).fillna(0)
    other = ranked["impact"].astype(float) - known
    ranked["other_impact"] = other.where(other > 1e-6, 0.0)
    ranked["theme_score"], ranked["theme_responses"] = _theme_score(
        ranked, data.theme_scores, data.overall_scores
    )
    ranked["overall_theme_score"] = ranked.attrs.get("overall_theme_score")
    return ranked


def _retention_intervals(behaviour: pd.DataFrame) -> pd.DataFrame:
    """95% interval of each pain point's retention gap, in the mart's shrunk points."""
    rows = behaviour[behaviour["measure"] == "retained_4w"]
    out = {}
    for r in rows.itertuples():
        if any(is_missing(v) for v in (r.respondents_value, r.others_value, r.respondents)):
            continue
        n1, n2 = int(r.respondents), int(r.others or 0)
        p1, p2 = float(r.respondents_value), float(r.others_value)
        if n1 <= 0 or n2 <= 0:
            continue
        se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        shrink = 100 * n1 / (n1 + RETENTION_SHRINK)
        out[r.pain_point_id] = ((p2 - p1 - 1.96 * se) * shrink, (p2 - p1 + 1.96 * se) * shrink)
    return pd.DataFrame.from_dict(out, orient="index", columns=["low", "high"])


def _theme_score(
    ranked: pd.DataFrame, scores: pd.DataFrame, overall_scores: dict[str, float]
) -> tuple[pd.Series, pd.Series]:
    """The pain point's own CSAT or CES (whichever metric has the most responses)."""
    if scores.empty:
        empty = pd.Series(math.nan, index=ranked.index)
        return empty, empty
    metric = scores.groupby("metric")["responses"].sum().idxmax()
    rows = scores[scores["metric"] == metric].set_index("theme_id")
    ranked.attrs["theme_metric"] = metric
    overall = overall_scores.get(metric)
    ranked.attrs["overall_theme_score"] = overall
    return (
        ranked["pain_point_id"].map(rows["score"]),
        ranked["pain_point_id"].map(rows["responses"]),
    )


def _one_decimal(value: Any) -> str:
    """``-0.004`` as ``0.0``, not ``-0.0``."""
    return f"{round(float(value), 1) + 0.0:.1f}"


def _interval(value: Any, low: Any, high: Any) -> str:
    if is_missing(value):
        return "–"
    main = _one_decimal(value)
    if is_missing(low) or is_missing(high):
        return main
    return f"{main} ({_one_decimal(low)} to {_one_decimal(high)})"


def _label_html(label: Any, emerging: Any) -> Safe:
    badge = (
        ' <span class="badge emerging" title="more comments lately than before">emerging</span>'
        if emerging is True or (not is_missing(emerging) and bool(emerging))
        else ""
    )
    return Safe(f"{esc(label)}{badge}")


def _ranking_table(ranked: pd.DataFrame, shown: RankingColumns) -> Safe:
    headers = ["#", "pain point", "customers"]
    if shown.nps:
        headers.append("NPS points lost (95%)")
    if shown.retention:
        headers.append("retention gap, pts (95%)")
    if shown.other:
        headers.append("impact from lower scores")
    if shown.theme_metric:
        name, fmt = THEME_METRICS[shown.theme_metric]
        overall = ranked.attrs.get("overall_theme_score")
        everyone = "" if overall is None else f" (all: {fmt.format(overall)})"
        headers.append(f"{name} of these customers{everyone}")
    headers += ["confidence", "priority"]
    rows = []
    for r in ranked.itertuples():
        row: list[Any] = [int(r.rank), _label_html(r.label, r.is_emerging), number(r.reach)]
        if shown.nps:
            row.append(_interval(r.nps_lost, r.nps_lost_low, r.nps_lost_high))
        if shown.retention:
            row.append(_interval(r.retention_gap, r.gap_low, r.gap_high))
        if shown.other:
            row.append(number(r.other_impact, "{:.1f}"))
        if shown.theme_metric:
            row.append(number(r.theme_score, THEME_METRICS[shown.theme_metric][1]))
        row += [number(r.confidence, "{:.2f}"), number(r.priority, "{:,.3g}")]
        rows.append(row)
    return table(headers, rows, numeric=tuple(i for i in range(len(headers)) if i != 1))


def _why_line(r: Any, shown: RankingColumns) -> str:
    """The priority as the product of its parts, in words."""
    parts = []
    if shown.nps and not is_missing(r.nps_lost):
        parts.append(f"{max(float(r.nps_lost), 0):.1f} NPS points lost")
    if shown.retention and not is_missing(r.retention_gap):
        parts.append(f"{max(float(r.retention_gap), 0):.1f} pts retention gap")
    if shown.other and r.other_impact > 0:
        parts.append(f"{float(r.other_impact):.1f} from lower scores")
    if not float(r.impact) > 0:
        return (
            f"Priority 0: no measured cost yet (no NPS points lost, no retention gap) for its "
            f"{number(r.reach)} customers; confidence {float(r.confidence):.2f}."
        )
    impact = f"{float(r.impact):.1f} impact" + (f" ({' + '.join(parts)})" if parts else "")
    text = (
        f"Priority {number(r.priority, '{:,.3g}')} = {number(r.reach)} customers × {impact} "
        f"× {float(r.confidence):.2f} confidence."
    )
    if not is_missing(r.is_pain) and not bool(r.is_pain):
        text += " Not ranked as a complaint: its respondents score above average."
    return text


def _ranking_columns(ranked: pd.DataFrame) -> RankingColumns:
    return RankingColumns(
        nps=bool(ranked["nps_lost"].notna().any()),
        retention=bool(ranked["retention_gap"].astype(float).notna().any()),
        other=bool((ranked["other_impact"] > 0).any()),
        theme_metric=ranked.attrs.get("theme_metric"),
    )


# --------------------------------------------------------------------------- the section


def pain_points_section(data: PainPointData | None, max_detail: int = 10) -> Section:
    """Ranking with its parts, trend, what customers love, and each pain point in detail."""
    intro = (
        "Complaints and requests found in survey comments, ranked by priority = customers "
        "reached × impact (NPS points lost + retention gap, each counted when positive) × "
        "confidence (how coherent the theme is and how narrow its interval). Then how they "
        "trend week by week, what customers love, what customers wrote, and how those "
        "customers behave compared with everyone else."
    )
    if data is None:
        return Section(
            "pain-points",
            "Pain points",
            intro,
            [note("No pain points built yet: `pmanalytics build` runs the pain-point stage.")],
        )
    if data.priorities.empty:
        return Section("pain-points", "Pain points", intro, [note("No pain points found.")])
    redact = pii_redactor()
    ranked = explain_priorities(data)
    shown = _ranking_columns(ranked)
    labels = {r.pain_point_id: r.label for r in ranked.itertuples()}
    blocks: list[Safe] = []
    if (ranked["priority"].astype(float) > 0).any():
        blocks.append(figure_html(fg.pain_point_priority_figure(ranked), "chart-pain-priority"))
    else:  # a chart of zero-length bars says nothing
        blocks.append(
            note(
                "Every priority is 0: no pain point has a measured NPS cost or retention gap "
                "(no NPS answers and no usage events), so read the table below by customers "
                "reached and their score.",
                "warn",
            )
        )
    blocks.append(_sign_note(shown))
    blocks.append(_ranking_table(ranked, shown))
    if not data.trend.empty:
        blocks.append(
            figure_html(fg.pain_point_trend_figure(data.trend, labels), "chart-pain-trend")
        )
    if not data.delighters.empty:
        blocks.append(_delighters_block(data.delighters, data.theme_scores, redact))
    behaviour = mark_chance_differences(data.behaviour[data.behaviour["respondents_value"].notna()])
    blocks.append(heading("Pain points in detail"))
    if behaviour.empty:
        blocks.append(
            note(
                "What these customers do in the product needs usage events joined to the "
                'respondents (a source of kind "events" with the same user ids): none here.'
            )
        )
    details = data.pain_points.set_index("pain_point_id", drop=False)
    for r in ranked.head(max_detail).itertuples():
        d = details.loc[r.pain_point_id] if r.pain_point_id in details.index else None
        quotes = _as_list(d["example_comments"]) if d is not None else []
        lines = behaviour[
            (behaviour["pain_point_id"] == r.pain_point_id)
            & behaviour["respondents_value"].notna()
            & behaviour["others_value"].notna()
        ]
        blocks.append(_pain_point_card(r, shown, quotes[:3], lines, redact, not behaviour.empty))
    if not behaviour.empty:
        blocks.append(_test_note())
    return Section("pain-points", "Pain points", intro, blocks)


def _sign_note(shown: RankingColumns) -> Safe:
    parts = []
    if shown.nps:
        parts.append(
            "NPS points lost: how much higher the overall NPS would be without the responses "
            "in this pain point (marts.pain_point_priorities.nps_cost; negative: it raises "
            "NPS), with its 95% bootstrap interval."
        )
    if shown.retention:
        parts.append(
            "Retention gap: how many percentage points fewer of its respondents are still "
            "active 4 weeks later than of everyone else, shrunk towards 0 for small groups."
        )
    if shown.theme_metric:
        name = THEME_METRICS[shown.theme_metric][0]
        parts.append(f"{name} of these customers: the {name} of this pain point's responses.")
    return note(" ".join(parts) or "Customers: respondents whose comments are in it.", "info")


def _test_note() -> Safe:
    return note(
        "Grey lines could be chance. Each line is tested on the counts the comparison implies "
        "(Fisher's exact test for retention and active days, the exact Poisson rate test for "
        "events per customer), then the Benjamini–Hochberg procedure over every line of "
        f"this report keeps the expected share of chance findings among the black lines "
        f"under {FALSE_DISCOVERY_RATE:.0%}. Means of event properties are not tested. The "
        "count tests ignore that a few heavy users can add many events: treat a black line "
        "driven by events as a lead to check, not proof.",
        "info",
    )


def _delighters_block(
    delighters: pd.DataFrame, theme_scores: pd.DataFrame, redact: Callable, top: int = 5
) -> Safe:
    """What customers love: the biggest praise themes, each with one customer's words."""
    shown = delighters.head(top)
    has_nps = shown["nps"].notna().any()
    scored = theme_scores.set_index(["theme_id", "metric"])["score"] if len(theme_scores) else {}
    metric = next(
        (m for m in THEME_METRICS if any((d, m) in scored for d in shown["pain_point_id"])),
        None,
    )
    headers = ["delighter", "comments"]
    headers += ["NPS"] if has_nps else []
    headers += [THEME_METRICS[metric][0]] if metric else []
    headers.append("in their words")
    rows = []
    for d in shown.itertuples():
        quotes = _as_list(d.example_comments)
        row: list[Any] = [d.label, number(d.comments)]
        if has_nps:
            row.append(number(d.nps, "{:+.0f}"))
        if metric:
            row.append(number(scored.get((d.pain_point_id, metric)), THEME_METRICS[metric][1]))
        row.append(short_quote(redact(str(quotes[0]))) if quotes else "")
        rows.append(row)
    return Safe(
        heading("What customers love")
        + table(headers, rows, numeric=tuple(range(1, len(headers) - 1)))
    )


def _pain_point_card(
    r: Any,
    shown: RankingColumns,
    quotes: Iterable[Any],
    behaviour: pd.DataFrame,
    redact: Callable,
    has_behaviour: bool = True,
) -> Safe:
    quoted = "".join(f"<blockquote>{esc(short_quote(redact(str(q))))}</blockquote>" for q in quotes)
    parts = [f"<h4>#{int(r.rank)} {_label_html(r.label, r.is_emerging)}</h4>"]
    parts.append(f'<p class="why">{esc(_why_line(r, shown))}</p>')
    if shown.theme_metric and not is_missing(r.theme_score):
        name, fmt = THEME_METRICS[shown.theme_metric]
        overall = getattr(r, "overall_theme_score", None)
        everyone = "" if overall is None else f", against {fmt.format(overall)} for everyone"
        parts.append(
            f"<p>{esc(name)} of these customers: {esc(fmt.format(float(r.theme_score)))} "
            f"({esc(number(r.theme_responses))} responses){esc(everyone)}.</p>"
        )
    parts.append(f"<h5>What they say</h5>{quoted}" if quoted else "<p>No example comments.</p>")
    if not behaviour.empty:
        parts.append(_behaviour_block(behaviour))
    elif has_behaviour:
        parts.append("<p>No behaviour comparison for this pain point.</p>")
    return Safe(f'<div class="pain">{"".join(parts)}</div>')


def _as_list(value: Any) -> list[Any]:
    """A DuckDB list column as a Python list (it arrives as a list, array or None)."""
    if value is None or isinstance(value, str) or is_missing(value):
        return [] if not isinstance(value, str) else [value]
    return list(value)
