"""Write the deterministic sample data set: daily event files, a CRM export and surveys.

Everything is generated day by day and streamed to disk, so memory depends on the number
of users, not on the number of events; the same arguments always give byte-identical files.
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from pmanalytics.sample.population import COUNTRIES, PLANS, PLATFORMS, make_population, utc_offsets
from pmanalytics.sample.render import Renderer, inject_bad_lines
from pmanalytics.sample.simulate import UserState, simulate_day
from pmanalytics.sample.surveys import SURVEY_COLUMNS, SurveyWriter

GZIP_LEVEL = 3  # level 6 saves ~15% of bytes but halves throughput
BAD_EVENTS_DAY = 2  # the bad lines go into the third day's file (or the last, if shorter)
_DAY_FILE = re.compile(r"events-\d{4}-\d{2}-\d{2}\.ndjson\.gz")


@dataclass(frozen=True)
class SampleSummary:
    """What `generate_sample` wrote, including where it planted the bad rows."""

    paths: tuple[Path, ...]
    n_users: int
    n_events: int  # NDJSON lines written, including the planted bad lines
    n_responses: int  # survey rows written, including the planted bad rows
    bad_event_lines: tuple[tuple[str, int, str], ...]  # (file name, 1-based line, reason)
    bad_response_rows: tuple[tuple[str, str], ...]  # (response_id, reason)
    # (response_id, topic) for every row with a comment: the planted pain it is about (see
    # story.PAINS; the main one when a comment joins two) or one of story.OTHER_TOPICS.
    # Ground truth for scoring the pain-point clustering; never written to the files.
    comment_topics: tuple[tuple[str, str], ...] = ()


def _write_gzip(path: Path, lines: list[str]) -> None:
    """Gzip with no timestamp or file name in the header, so bytes depend only on content."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=GZIP_LEVEL) as gz,
    ):
        for k in range(0, len(lines), 50_000):
            gz.write(("\n".join(lines[k : k + 50_000]) + "\n").encode("utf-8"))


def _prepare_events_dir(events_dir: Path, start_date: date, days: int) -> None:
    """Create `events_dir` and drop daily files left by an earlier run over other dates.

    A glob over `events/` must see exactly this data set; only files named like ours
    (`events-YYYY-MM-DD.ndjson.gz`) are ever removed.
    """
    events_dir.mkdir(parents=True, exist_ok=True)
    ours = {f"events-{start_date + timedelta(days=d)}.ndjson.gz" for d in range(days)}
    for path in events_dir.glob("events-*.ndjson.gz"):
        if _DAY_FILE.fullmatch(path.name) and path.name not in ours:
            path.unlink()


def _write_users(path: Path, pop_users: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            ["user_id", "email", "plan", "country", "platform", "created_at", "company_size"]
        )
        w.writerows(pop_users)


def generate_sample(
    out_dir: Path,
    *,
    users: int = 1000,
    days: int = 60,
    seed: int = 7,
    start_date: date = date(2026, 8, 3),
    progress: bool = False,
) -> SampleSummary:
    """Generate the sample product's events, CRM users and survey responses into `out_dir`.

    Args:
        out_dir: directory to write into (created if missing; existing files are overwritten).
        users: total users by the last day (about 40% exist before day 0, the rest sign up).
        days: number of daily event files.
        seed: random seed; the same arguments always produce byte-identical files.
        start_date: UTC date of the first day.
        progress: print one line per day to stderr.

    Returns:
        The paths written, the counts, and where the documented bad rows were planted: the
        bad event lines always go into the third day's file (the last one if there are fewer
        days); the bad survey rows are the 5th NPS row, the 12th row and the 20th row (tiny
        runs with fewer responses get fewer of them).

    Raises:
        ValueError: `users` < 20 or `days` < 1 (too few events to plant the bad rows in).
    """
    if users < 20 or days < 1:
        raise ValueError(f"generate_sample needs users >= 20 and days >= 1, got {users=}, {days=}")
    out_dir = Path(out_dir)
    _prepare_events_dir(out_dir / "events", start_date, days)
    seeds = np.random.SeedSequence(seed).spawn(4)
    pop_rng, sim_rng, ts_rng, survey_rng = (np.random.default_rng(s) for s in seeds)
    pop = make_population(pop_rng, users, days, start_date)
    state = UserState.initial(pop, pop_rng)
    renderer = Renderer(pop, seed)
    surveys = SurveyWriter(pop, seed, start_date)
    paths: list[Path] = []
    bad_events: list[tuple[str, int, str]] = []
    n_events = n_responses = 0
    began = time.perf_counter()

    users_path = out_dir / "users.csv"
    created = np.datetime_as_string(pop.created_ms.astype("datetime64[ms]"), unit="s")
    _write_users(
        users_path,
        [
            [
                pop.user_ids[u],
                pop.emails[u],
                PLANS[pop.plan[u]],
                COUNTRIES[pop.country[u]],
                PLATFORMS[pop.platform[u]],
                created[u] + "Z",
                str(pop.company_size[u]),
            ]
            for u in range(pop.n)
        ],
    )
    paths.append(users_path)

    survey_path = out_dir / "surveys.csv"
    # zlib releases the GIL: compress day d in a worker thread while day d+1 is simulated.
    # At most one day waits in memory, so memory stays bounded.
    pending: Future[None] | None = None
    with survey_path.open("w", encoding="utf-8", newline="") as sf, ThreadPoolExecutor(1) as pool:
        writer = csv.writer(sf, lineterminator="\n")
        writer.writerow(SURVEY_COLUMNS)
        for d in range(days):
            day = start_date + timedelta(days=d)
            offsets = utc_offsets(day)
            ev = simulate_day(d, pop, state, sim_rng, offsets, day.weekday())
            lines = renderer.render(ev, d, day, offsets, ts_rng)
            path = out_dir / "events" / f"events-{day.isoformat()}.ndjson.gz"
            if d == min(BAD_EVENTS_DAY, days - 1):
                extra = renderer.message_ids(d, day, np.full(5, 43_200_000), start=len(lines))
                lines, planted = inject_bad_lines(lines, extra)
                bad_events += [(path.name, line_no, reason) for line_no, reason in planted]
            if pending is not None:
                pending.result()
            pending = pool.submit(_write_gzip, path, lines)
            paths.append(path)
            n_events += len(lines)
            rows = surveys.day_rows(d, day, ev, state, survey_rng)
            writer.writerows(rows)
            n_responses += len(rows)
            if progress:
                rate = n_events / max(time.perf_counter() - began, 1e-9)
                print(
                    f"sample: {day} {len(lines):>9,} events  total {n_events:>11,}  "
                    f"({rate:,.0f}/s)",
                    file=sys.stderr,
                )
        if pending is not None:
            pending.result()
    paths.insert(1, survey_path)
    return SampleSummary(
        paths=tuple(paths),
        n_users=pop.n,
        n_events=n_events,
        n_responses=n_responses,
        bad_event_lines=tuple(bad_events),
        bad_response_rows=tuple(surveys.bad),
        comment_topics=tuple(surveys.topics),
    )


__all__ = ["SampleSummary", "generate_sample"]
