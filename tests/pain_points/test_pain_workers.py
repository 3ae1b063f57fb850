"""Text work shared with helper processes: the serial result, whatever the helpers do."""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pmanalytics.pain_points.clauses import clause_features, split_each
from pmanalytics.pain_points.judge import ClauseJudge
from pmanalytics.pain_points.text import redact_with_content
from pmanalytics.pain_points.workers import MIN_TEXTS, TextWorkers, concat

#: helpers that import nothing before their first chunk start in a fraction of a second
LIGHT = ()


def whose(items: list[int], parent: int, pause: float = 0.0) -> list[tuple[int, bool]]:
    """Each item with whether a helper (not ``parent``) worked it; slow enough to share."""
    time.sleep(pause)
    return [(item, os.getpid() != parent) for item in items]


def dies_in_helper(items: list[int], parent: int) -> list[int]:
    if os.getpid() != parent:
        os._exit(3)  # as a process killed for memory would
    time.sleep(0.01)
    return [item * 2 for item in items]


def package_file(items: list[int]) -> list[str]:
    import pmanalytics

    return [str(pmanalytics.__file__) for _ in items]


def fails_on_seven(items: list[int]) -> list[int]:
    time.sleep(0.002)
    if 7 in items:
        raise ValueError("seven is not allowed")
    return items


COMMENTS = [
    "Love the dashboards but exports keep failing. Very frustrating.",
    "Nothing, all was perfect",
    "Please add dark mode",
    "Email me at jane.doe@example.com about the invoice",
    "n/a",
    None,
    "Why is it so slow?",
    "It's ok",
    "Can't find the export button; the search is too slow",
    "Nothing could be better, thank you",
    "O app é ótimo, mas trava muito",
    "No complaints",
    "Quicker response please",
] * 40


@pytest.fixture(scope="module")
def workers() -> Iterator[TextWorkers]:
    """One helper for the module's tests, started once."""
    with TextWorkers(1, chunk_size=5) as shared:
        assert shared.wait_ready(60)
        yield shared


def test_helpers_work_chunks_and_results_come_back_in_order(workers: TextWorkers) -> None:
    before = workers.helper_chunks
    out = workers.map(functools.partial(whose, parent=os.getpid(), pause=0.02), list(range(200)))
    assert [item for item, _ in out] == list(range(200))
    by_helper = sum(helper for _, helper in out)
    assert 0 < by_helper < 200  # both sides worked
    assert (workers.helper_chunks - before) * 5 == by_helper


def test_the_judges_work_in_helpers_is_the_serial_work(workers: TextWorkers) -> None:
    before = workers.helper_chunks
    redacted = workers.map(redact_with_content, COMMENTS)
    texts = [t for t in redacted if t is not None]
    split = workers.map(split_each, texts)
    clauses = sorted({c for parts in split for c in parts}) * 3
    judged = ClauseJudge().judge(clauses, workers=workers)
    features = workers.map(functools.partial(clause_features, product_words=False), clauses)
    assert workers.helper_chunks > before
    assert redacted == redact_with_content(COMMENTS)
    assert split == split_each(texts)
    serial = ClauseJudge().judge(clauses)
    assert judged[0].tobytes() == serial[0].tobytes()
    assert judged[1:] == serial[1:]
    alone = clause_features(clauses, product_words=False)
    for name in vars(alone):
        np.testing.assert_array_equal(getattr(features, name), getattr(alone, name))


def test_a_helper_that_dies_costs_time_not_results(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING), TextWorkers(1, chunk_size=2, warm_modules=LIGHT) as w:
        assert w.wait_ready(30)
        out = w.map(functools.partial(dies_in_helper, parent=os.getpid()), list(range(100)))
        again = w.map(functools.partial(dies_in_helper, parent=os.getpid()), list(range(10)))
    assert out == [i * 2 for i in range(100)]
    assert again == [i * 2 for i in range(10)]  # the dead helper is not asked again
    assert "helper process stopped" in caplog.text


def test_an_error_in_a_chunk_raises_here_and_the_helper_serves_on(workers: TextWorkers) -> None:
    for seven_at in (0, 7, 199):  # a chunk the helper takes first, one between, one of ours
        items = [i for i in range(200) if i != 7]
        items.insert(seven_at, 7)
        with pytest.raises(ValueError, match="seven"):
            workers.map(fails_on_seven, items)
    assert workers.map(fails_on_seven, list(range(8, 100))) == list(range(8, 100))


def test_helpers_import_the_callers_package_not_one_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoy = tmp_path / "pmanalytics"
    (decoy / "pain_points").mkdir(parents=True)
    (decoy / "__init__.py").write_text("")
    (decoy / "pain_points" / "__init__.py").write_text("")
    (decoy / "pain_points" / "workers.py").write_text("raise SystemExit('the decoy ran')")
    monkeypatch.chdir(tmp_path)
    with TextWorkers(1, chunk_size=1, warm_modules=LIGHT) as w:
        assert w.wait_ready(30)
        files = w.map(package_file, list(range(40)))
        assert w.helper_chunks > 0
    import pmanalytics

    assert set(files) == {str(pmanalytics.__file__)}


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """multiprocessing's spawned children import the main script again; helpers must not."""
    runs = tmp_path / "runs.txt"
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import functools, os, sys
            sys.path.insert(0, {str(Path(__file__).parent)!r})
            from test_pain_workers import whose
            from pmanalytics.pain_points.workers import TextWorkers
            with open({str(runs)!r}, "a") as f:
                f.write("run\\n")
            with TextWorkers(1, chunk_size=5, warm_modules=()) as w:
                w.wait_ready(30)
                out = w.map(functools.partial(whose, parent=os.getpid(), pause=0.02), range(100))
            print(sum(h for _, h in out))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert int(done.stdout.strip()) > 0  # a helper worked
    assert runs.read_text() == "run\n"


def test_only_a_large_enough_job_gets_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pmanalytics.pain_points.workers.available_cores", lambda: 2)
    assert TextWorkers.for_texts(MIN_TEXTS - 1).processes == 0
    assert TextWorkers.for_texts(MIN_TEXTS).processes == 1
    monkeypatch.setattr("pmanalytics.pain_points.workers.available_cores", lambda: 1)
    assert TextWorkers.for_texts(10 * MIN_TEXTS).processes == 0
    monkeypatch.setattr("pmanalytics.pain_points.workers.available_cores", lambda: 16)
    assert TextWorkers.for_texts(10 * MIN_TEXTS).processes == 3


def test_no_helpers_means_one_call_in_this_process() -> None:
    calls: list[int] = []

    def record(items: list[int]) -> list[int]:
        calls.append(len(items))
        return items

    with TextWorkers(0, chunk_size=2) as workers:
        assert workers.map(record, list(range(9))) == list(range(9))
    assert calls == [9]


def test_chunk_results_join_by_kind() -> None:
    joined = concat([(np.array([1, 2]), ["a"]), (np.array([3]), ["b", "c"])])
    np.testing.assert_array_equal(joined[0], [1, 2, 3])
    assert joined[1] == ["a", "b", "c"]
    with pytest.raises(TypeError):
        concat([{1: 2}])
