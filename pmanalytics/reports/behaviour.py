"""Which "what these customers do" differences could be chance.

``marts.pain_point_behaviour`` compares a pain point's respondents with everyone else who
answered, on up to a dozen measures each; over all pain points that is a hundred or more
comparisons, and some will differ by chance alone. Each line gets an exact test on the
counts the mart implies, then the Benjamini–Hochberg procedure over every tested line of the
report keeps the expected share of chance findings among those shown as real below
:data:`FALSE_DISCOVERY_RATE`.

The tests, per measure (n₁, n₂ = the two groups' sizes, v₁, v₂ = their values):

- ``retained_4w`` — Fisher's exact test on retained / not retained (v·n of n).
- ``active_days_<N>d`` — Fisher's exact test on active / inactive customer-days
  (v·n of N·n).
- ``event_rate:<event>`` — the exact conditional test of two Poisson rates: given
  k = k₁ + k₂ events, k₁ ~ Binomial(k, n₁ / (n₁ + n₂)) if the rates are equal.
- ``property_mean:…`` — not tested: the mart holds no spread, so nothing tells a real
  difference from noise. Such lines are shown as untested.

Events and active days cluster by customer (a heavy user adds many), which these count tests
do not see, so they overstate certainty for measures a few customers dominate; the report
says so next to the lines.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control, fisher_exact

#: Benjamini–Hochberg false discovery rate: a line with a larger q-value "could be chance".
FALSE_DISCOVERY_RATE = 0.05
_ACTIVE_DAYS = re.compile(r"^active_days_(\d+)d$")


def _count(value: float, n: int) -> int:
    return round(value * n)


def line_p_value(measure: str, value_in: Any, value_out: Any, n_in: Any, n_out: Any) -> float:
    """Two-sided p-value of one behaviour line; NaN when it cannot be tested."""
    numbers = (value_in, value_out, n_in, n_out)
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in numbers):
        return math.nan
    n1, n2 = int(n_in), int(n_out)
    v1, v2 = float(value_in), float(value_out)
    if n1 <= 0 or n2 <= 0:
        return math.nan
    if measure == "retained_4w":
        r1, r2 = _count(v1, n1), _count(v2, n2)
        return float(fisher_exact([[r1, n1 - r1], [r2, n2 - r2]]).pvalue)
    days = _ACTIVE_DAYS.match(measure)
    if days:
        window = int(days.group(1))
        k1, k2 = _count(v1, n1), _count(v2, n2)
        return float(fisher_exact([[k1, window * n1 - k1], [k2, window * n2 - k2]]).pvalue)
    if measure.startswith("event_rate:"):
        k1, k2 = _count(v1, n1), _count(v2, n2)
        if k1 + k2 == 0:
            return 1.0
        return float(binomtest(k1, k1 + k2, n1 / (n1 + n2)).pvalue)
    return math.nan


def benjamini_hochberg(p_values: pd.Series) -> pd.Series:
    """Adjusted p-values (q-values) of the tested lines; untested (NaN) stay NaN."""
    q = pd.Series(np.nan, index=p_values.index, dtype=float)
    tested = p_values.notna()
    if tested.any():
        q[tested] = false_discovery_control(p_values[tested].to_numpy(dtype=float))
    return q


def mark_chance_differences(behaviour: pd.DataFrame) -> pd.DataFrame:
    """``behaviour`` with ``p_value``, ``q_value`` and ``could_be_chance`` (untested lines
    included: nothing shows they are not chance)."""
    if behaviour.empty:
        return behaviour.assign(p_value=[], q_value=[], could_be_chance=[])
    p = pd.Series(
        [
            line_p_value(b.measure, b.respondents_value, b.others_value, b.respondents, b.others)
            for b in behaviour.itertuples()
        ],
        index=behaviour.index,
        dtype=float,
    )
    q = benjamini_hochberg(p)
    return behaviour.assign(p_value=p, q_value=q, could_be_chance=~(q <= FALSE_DISCOVERY_RATE))
