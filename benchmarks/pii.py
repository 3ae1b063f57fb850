"""PII redaction: recall per kind, changes on real comments, speed; old vs new in one run.

Old is ``pmanalytics.pain_points.text.redact_pii`` as it stands; new is
``pmanalytics.pii.redact_pii``. Recall is scored on ``tests/data/pii_cases.jsonl`` the same
way for both: a case is caught when no part of its PII value (each run of two or more
letters or digits, NFKC-normalised, bar "at", "dot" and top-level domains) is left in the
output. Real comments are the NHS feedback, the NHS FFT answers and the clothing reviews;
speed is 100k comments sampled with replacement from them, median of three runs each,
old and new alternating in the same process.

    .venv/bin/python -m benchmarks.pii [--show 40] [--no-write]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from benchmarks.common import REPO, machine, write_section

CASES = REPO / "tests" / "data" / "pii_cases.jsonl"
DATA = REPO.parent / "shared" / "data"
REAL = [
    (DATA / "nhs_fft" / "phase1_labelled_feedback.csv", "feedback"),
    (DATA / "nhs_fft" / "fft_responses_v6framework.csv", "FFT answer"),
    (DATA / "womens_clothing_reviews" / "reviews.csv", "Review Text"),
]
_NOT_PII = frozenset({"at", "dot", "com", "co", "uk", "org", "net", "https", "http", "www"})


def load_cases(path: Path = CASES) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def leaks(value: str, output: str) -> bool:
    """True when any significant run of the PII value is still in the redacted output."""
    out = unicodedata.normalize("NFKC", output)
    for chunk in re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", value)):
        if len(chunk) < 2 or chunk.lower() in _NOT_PII:
            continue
        if re.search(rf"(?<![^\W_]){re.escape(chunk)}(?![^\W_])", out, re.IGNORECASE):
            return True
    return False


def recall_by_kind(
    redact: Callable[[str], str], cases: list[dict[str, str]]
) -> dict[str, tuple[int, int]]:
    """``kind -> (caught, total)``."""
    counts: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    for case in cases:
        counts[case["kind"]][1] += 1
        counts[case["kind"]][0] += not leaks(case["value"], redact(case["text"]))
    return {k: (c, n) for k, (c, n) in sorted(counts.items())}


def real_comments() -> list[str]:
    texts: list[str] = []
    for path, column in REAL:
        frame = pd.read_csv(path, usecols=[column])
        texts += [t for t in frame[column].dropna().astype(str) if t.strip()]
    return texts


def _time(redact: Callable[[str], str], texts: list[str]) -> float:
    start = time.perf_counter()
    for t in texts:
        redact(t)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="print N changed real comments")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args()

    from pmanalytics.pain_points.text import redact_pii as old
    from pmanalytics.pii import find_pii
    from pmanalytics.pii import redact_pii as new

    cases = load_cases()
    r_old, r_new = recall_by_kind(old, cases), recall_by_kind(new, cases)
    kind_right = collections.Counter(
        c["kind"] for c in cases if any(k.startswith(c["kind"]) for k, *_ in find_pii(c["text"]))
    )

    texts = real_comments()
    changed_old = [t for t in texts if old(t) != t]
    changed_new = [t for t in texts if new(t) != t]
    kinds_new = collections.Counter(k for t in changed_new for k, *_ in find_pii(t))
    if args.show:
        rng = random.Random(0)
        for t in rng.sample(changed_new, min(args.show, len(changed_new))):
            spans = [(k, t[s:e]) for k, s, e in find_pii(t)]
            print(f"- {spans} :: {t[:160]!r}")

    sample = random.Random(1).choices(texts, k=args.size)
    t_old: list[float] = []
    t_new: list[float] = []
    for _ in range(args.runs):
        t_old.append(_time(old, sample))
        t_new.append(_time(new, sample))
    s_old, s_new = statistics.median(t_old), statistics.median(t_new)

    def pct(c: int, n: int) -> str:
        return f"{c / n:.0%} ({c}/{n})"

    rows = [
        f"| {k} | {pct(*r_old[k])} | {pct(*r_new[k])} | {pct(kind_right[k], r_new[k][1])} |"
        for k in r_new
    ]
    hard = [c for c in cases if c.get("set") == "hard"]
    h_old = sum(not leaks(c["value"], old(c["text"])) for c in hard)
    h_new = sum(not leaks(c["value"], new(c["text"])) for c in hard)
    tot_old = sum(c for c, _ in r_old.values())
    tot_new = sum(c for c, _ in r_new.values())
    load = os.getloadavg()[0]
    md = "\n".join(
        [
            "## PII redaction",
            "",
            "`.venv/bin/python -m benchmarks.pii` — old `pain_points.text.redact_pii` against "
            "new `pmanalytics.pii.redact_pii`, same run. Recall on `tests/data/pii_cases.jsonl` "
            f"({len(cases)} cases, generated by `tests/data/make_pii_cases.py`): a case is caught "
            "when no run of two or more letters or digits of its PII value is left. *Kind right*: "
            "new's `find_pii` names the labelled kind.",
            "",
            "| kind | old recall | new recall | new kind right |",
            "|---|---|---|---|",
            *rows,
            f"| **all** | **{pct(tot_old, len(cases))}** | **{pct(tot_new, len(cases))}** | |",
            "",
            f"Of these, the {len(hard)} hand-written *hard* cases (formats the templates do not "
            f"use): old {pct(h_old, len(hard))}, new {pct(h_new, len(hard))}.",
            "",
            f"Real comments changed ({len(texts):,} non-empty NHS feedback, NHS FFT answers and "
            f"clothing reviews): old {len(changed_old) / len(texts):.3%} ({len(changed_old)}), "
            f"new {len(changed_new) / len(texts):.3%} ({len(changed_new)}); new's spans by kind: "
            + ", ".join(f"{k} {n}" for k, n in kinds_new.most_common())
            + " (hand inspection in `docs/pii.md`).",
            "",
            f"Speed on {args.size:,} real comments (sampled with replacement), median of "
            f"{args.runs}: old {s_old:.2f} s, new {s_new:.2f} s ({s_new / s_old:.1f}×). "
            f"Load average {load:.1f} at the end; {machine()}.",
        ]
    )
    print(md)
    if not args.no_write:
        write_section("pii", md)


if __name__ == "__main__":
    main()
