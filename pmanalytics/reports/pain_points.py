"""The pain-point section: what to fix first, and why that.

A priority is reach × score lost × retention factor × confidence (docs/pain_points.md), and a
PM who sees only the product cannot tell why #1 is first. So every pain point shows its
parts — customers reached, the NPS or CSAT points (CES units) lost to it and the retention
gap behind the factor (each with its 95% interval), confidence — and, where the survey is
CSAT or CES, the score of its own respondents. "What these
customers do" is one sentence per measure, biggest lift first, with group sizes, and lines
that could be chance (:mod:`pmanalytics.reports.behaviour`) greyed out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pmanalytics.pain_points.impact import retention_gap_interval
from pmanalytics.pain_points.summaries import scores_below_the_rest
from pmanalytics.reports import figures as fg
from pmanalytics.reports.behaviour import FALSE_DISCOVERY_RATE, mark_chance_differences
from pmanalytics.reports.data import MIN_THEME_RESPONSES, PainPointData
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
#: Metric words for a theme's own score, where the survey is not NPS.
THEME_METRICS = {"csat": ("CSAT", "{:.0f}%"), "ces": ("CES", "{:.2f}")}
#: Priority parts a warehouse built before score costs lacks.
OPTIONAL_PRIORITY_COLUMNS = ("score_metric", "score_cost", "retention_factor", "uses_retention")
OPTIONAL_COST_COLUMNS = ("score_cost_ci_low", "score_cost_ci_high")
#: What a pain point's score cost is counted in, per metric (the mart's ``score_metric``).
SCORE_UNITS = {"nps": "NPS points", "csat": "CSAT points", "ces": "CES units"}


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
    return readable_number(amount)


def readable_number(value: Any) -> str:
    """Three significant digits, never an exponent: ``1125.0`` → ``1,125``, ``8.891`` → ``8.89``."""
    if is_missing(value):
        return "–"
    v = float(value)
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"


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

    score: bool
    #: the one metric every score cost is in, or None when they differ
    score_metric: str | None
    retention: bool
    factor: bool
    theme_metric: str | None


def explain_priorities(data: PainPointData) -> pd.DataFrame:
    """One row per ranked pain point with every part of its priority and intervals.

    ``score_cost`` (points of ``score_metric`` lost, the mart's) with ``score_low``/``_high``
    from its bootstrap interval; ``nps_lost`` (= the mart's ``nps_cost``) with
    ``nps_lost_low``/``_high``; ``retention_gap`` (points, shrunk by n / (n + 20) as in the
    mart) with a normal interval of the difference of the two shares, shrunk alike, and the
    ``retention_factor`` it gives (null when no retention was measured); ``theme_score`` in
    CSAT or CES. A warehouse from before score costs reads its NPS cost as the score cost.
    """
    ranked = data.priorities.sort_values("rank").copy()
    details = data.pain_points.set_index("pain_point_id")
    for frame, columns in ((ranked, OPTIONAL_PRIORITY_COLUMNS), (details, OPTIONAL_COST_COLUMNS)):
        for column in columns:  # a warehouse built by an earlier version lacks them
            if column not in frame:
                frame[column] = None
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
    older = ranked["score_cost"].isna() & ranked["score_metric"].isna()
    ranked["score_metric"] = ranked["score_metric"].where(~older, "nps")
    ranked["score_cost"] = ranked["score_cost"].where(~older, ranked["nps_lost"]).astype(float)
    ranked["score_low"] = pick("score_cost_ci_low").where(~older, ranked["nps_lost_low"])
    ranked["score_high"] = pick("score_cost_ci_high").where(~older, ranked["nps_lost_high"])
    gaps = _retention_intervals(data.behaviour)
    ranked["gap_low"] = ranked["pain_point_id"].map(gaps["low"])
    ranked["gap_high"] = ranked["pain_point_id"].map(gaps["high"])
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
        interval = retention_gap_interval(
            float(r.respondents_value),
            float(r.others_value),
            int(r.respondents),
            int(r.others or 0),
        )
        if interval is not None:
            out[r.pain_point_id] = interval
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


def _score_cell(r: Any, shown: RankingColumns) -> str:
    """``5.0 (2.6 to 7.8)`` under a one-metric header, else with its unit after the value."""
    text = _interval(r.score_cost, r.score_low, r.score_high)
    if shown.score_metric or is_missing(r.score_cost):
        return text
    unit = SCORE_UNITS.get(str(r.score_metric), str(r.score_metric))
    value, _, rest = text.partition(" ")
    return f"{value} {unit} {rest}".strip()


def _ranking_table(ranked: pd.DataFrame, shown: RankingColumns) -> Safe:
    headers = ["#", "pain point", "customers"]
    if shown.score:
        unit = SCORE_UNITS.get(shown.score_metric or "", "score")
        headers.append(f"{unit} lost (95%)")
    if shown.retention:
        headers.append("retention gap, pts (95%)")
    if shown.factor:
        headers.append("× retention factor")
    if shown.theme_metric:
        name, fmt = THEME_METRICS[shown.theme_metric]
        overall = ranked.attrs.get("overall_theme_score")
        everyone = "" if overall is None else f" (all: {fmt.format(overall)})"
        headers.append(f"{name} of these customers{everyone}")
    headers += ["confidence", "priority"]
    rows = []
    for r in ranked.itertuples():
        row: list[Any] = [int(r.rank), _label_html(r.label, r.is_emerging), number(r.reach)]
        if shown.score:
            row.append(_score_cell(r, shown))
        if shown.retention:
            row.append(_interval(r.retention_gap, r.gap_low, r.gap_high))
        if shown.factor:
            factor = r.retention_factor
            row.append("not measured" if is_missing(factor) else f"×{float(factor):.2f}")
        if shown.theme_metric:
            row.append(number(r.theme_score, THEME_METRICS[shown.theme_metric][1]))
        row += [number(r.confidence, "{:.2f}"), readable_number(r.priority)]
        rows.append(row)
    return table(headers, rows, numeric=tuple(i for i in range(len(headers)) if i != 1))


def _why_line(r: Any, shown: RankingColumns) -> str:
    """The priority as the product of its parts, in words."""
    confidence = f"{float(r.confidence):.2f} confidence"
    if is_missing(r.score_cost) or not float(r.impact) > 0:
        return (
            f"Priority 0: its {number(r.reach)} customers score no lower than everyone else "
            f"(no {SCORE_UNITS.get(str(r.score_metric), 'score points')} lost); {confidence}."
        )
    unit = SCORE_UNITS.get(str(r.score_metric), str(r.score_metric))
    parts = [f"{number(r.reach)} customers", f"{max(float(r.score_cost), 0):.1f} {unit} lost"]
    if not is_missing(r.retention_factor):
        gap = "" if is_missing(r.retention_gap) else f" ({_one_decimal(r.retention_gap)} pts gap)"
        parts.append(f"{float(r.retention_factor):.2f} retention factor{gap}")
    text = f"Priority {readable_number(r.priority)} = {' × '.join(parts)} × {confidence}."
    if is_missing(r.retention_factor) and shown.score:
        text += " No retention measured for its customers, so the score cost alone counts."
    return text


def _ranking_columns(ranked: pd.DataFrame) -> RankingColumns:
    metrics = set(ranked.loc[ranked["score_cost"].notna(), "score_metric"].astype(str))
    return RankingColumns(
        score=bool(ranked["score_cost"].notna().any()),
        score_metric=metrics.pop() if len(metrics) == 1 else None,
        retention=bool(ranked["retention_gap"].astype(float).notna().any()),
        factor=bool(ranked["retention_factor"].astype(float).notna().any()),
        theme_metric=ranked.attrs.get("theme_metric"),
    )


# --------------------------------------------------------------------------- the section


def pain_points_section(data: PainPointData | None, max_detail: int = 10) -> Section:
    """Ranking with its parts, trend, what customers love, and each pain point in detail."""
    intro = (
        "Complaints and requests found in survey comments, ranked by priority = customers "
        "reached × score lost (the NPS or CSAT points, or CES units, the survey loses to it) × "
        "retention factor (how many times as often its customers are gone 4 weeks later, at "
        "least 1; left out without usage data) × confidence (how coherent the theme is and how "
        "narrow its interval). Then how they "
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
                "Every priority is 0: no pain point's customers score lower than everyone "
                "else, so read the table below by customers reached and their score.",
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
        blocks.append(
            _delighters_block(data.delighters, data.theme_scores, redact, data.overall_scores)
        )
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
    if shown.score:
        parts.append(
            "Score lost: how much higher the overall score (NPS or CSAT points, CES units) "
            "would be without the responses in this pain point "
            "(marts.pain_point_priorities.score_cost; 0 or below: it does not lower the "
            "score), with its 95% bootstrap interval."
        )
    if shown.retention:
        parts.append(
            "Retention gap: how many percentage points fewer of its respondents are still "
            "active 4 weeks later than of everyone else, shrunk towards 0 for small groups; "
            "the retention factor is how many times as often they are gone (at least 1)."
        )
    if shown.theme_metric:
        name = THEME_METRICS[shown.theme_metric][0]
        parts.append(
            f"{name} of these customers: the {name} of this pain point's responses, where it "
            f"has {MIN_THEME_RESPONSES} or more (fewer are an anecdote, not a score)."
        )
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
    delighters: pd.DataFrame,
    theme_scores: pd.DataFrame,
    redact: Callable,
    overall_scores: dict[str, float] | None = None,
    top: int = 5,
) -> Safe:
    """What customers love: the biggest praise themes, each with one customer's words.

    Praise from customers who score below the rest ("good, but the exports fail") is no
    strength to build on: it goes to a note under the table, with how often it came with a
    pain point, instead of into the list.
    """
    below = scores_below_the_rest(delighters)
    shown = delighters[~below].head(top)
    scored = theme_scores.set_index(["theme_id", "metric"])["score"] if len(theme_scores) else {}
    faint = _faint_praise_note(delighters[below], scored, overall_scores or {})
    if shown.empty:
        return Safe(heading("What customers love") + faint)
    has_nps = shown["nps"].notna().any()
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
        + faint
    )


def _faint_praise_note(
    faint: pd.DataFrame, scored: Any, overall: dict[str, float], top: int = 3
) -> Safe:
    """One sentence naming the biggest praise themes of less satisfied customers, with
    their NPS (or CSAT / CES, from ``scored``: (theme, metric) → score) against everyone's
    (``overall``: metric → score), so "below the rest" has its figure."""

    def score(name: str, metric: str, value: Any, fmt: str) -> str:
        everyone = overall.get(metric)
        against = "" if everyone is None else f" against {number(everyone, fmt)} for everyone"
        return f"{name} {number(value, fmt)}{against}"

    if faint.empty:
        return Safe("")
    parts = []
    for d in faint.head(top).itertuples():
        facts = [f"{number(d.comments)} comments"]
        if not is_missing(d.nps):
            facts.append(score("NPS", "nps", d.nps, "{:+.0f}"))
        else:
            facts += [
                score(name, m, scored[(d.pain_point_id, m)], fmt)
                for m, (name, fmt) in THEME_METRICS.items()
                if (d.pain_point_id, m) in scored
            ]
        with_pain = getattr(d, "with_pain_point", None)
        if not is_missing(with_pain) and int(with_pain) > 0:
            facts.append(f"{number(with_pain)} of them also raise a pain point")
        parts.append(f"“{d.label}” ({', '.join(facts)})")
    more = len(faint) - min(top, len(faint))
    tail = f", and {more} more" if more else ""
    return note(
        "Not listed: praise from customers who clearly score below the rest, so it often comes "
        "with a complaint (“good, but …”); read it beside the pain points, not as a strength: "
        + "; ".join(parts)
        + tail
        + ".",
        "info",
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
