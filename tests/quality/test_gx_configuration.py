"""GX's kwargs helpers build an expectation's configuration once per call, with GX's answers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from pmanalytics.config import parse_config
from pmanalytics.quality import gx_configuration
from pmanalytics.quality.suites import build_suites

NOW = datetime(2026, 10, 1)


@pytest.fixture(scope="module")
def expectations() -> list[Any]:
    """Every expectation of every suite pmanalytics runs, as GX objects."""
    gx_configuration.read_configuration_once()
    return [
        e for suite in build_suites(parse_config({}), now=NOW) for e in suite.to_gx().expectations
    ]


def _answers(expectation: Any) -> list[Any]:
    """What every kwargs helper answers for ``expectation``."""
    runtime = {"result_format": {"result_format": "SUMMARY", "partial_unexpected_count": 3}}
    keys = (*expectation.domain_keys, *expectation.success_keys, "mostly")
    return [
        expectation._get_domain_kwargs(),
        expectation._get_success_kwargs(),
        expectation._get_runtime_kwargs(),
        expectation._get_runtime_kwargs(runtime),
        [expectation._get_success_kwarg(key) for key in keys],
    ]


@contextlib.contextmanager
def _as_shipped(build: Any = None) -> Iterator[None]:
    """GX's ``Expectation`` as it ships: its own helpers, a configuration built per access
    (by ``build`` when given)."""
    from great_expectations.expectations.expectation import Expectation

    with pytest.MonkeyPatch.context() as mp:
        for name in gx_configuration._HELPERS:
            mp.setattr(Expectation, name, getattr(Expectation, name).__wrapped__)
        raw = Expectation.__dict__["configuration"].fget.__wrapped__
        mp.setattr(Expectation, "configuration", property(build or raw))
        yield


def test_the_installed_gx_is_the_verified_one() -> None:
    """Fails when the lock moves to a GX whose helpers read differently: check them again,
    then update ``VERIFIED_SOURCE``."""
    assert gx_configuration.read_configuration_once()


def test_each_helper_gives_what_gx_gives(expectations: list[Any]) -> None:
    assert len({type(e).__name__ for e in expectations}) > 3
    with _as_shipped():
        expected = [_answers(e) for e in expectations]
    assert [_answers(e) for e in expectations] == expected


def test_a_helper_call_builds_the_configuration_once(
    expectations: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from great_expectations.expectations.expectation import Expectation

    build = Expectation.__dict__["configuration"].fget.__wrapped__
    builds: list[str] = []

    def counted(self: Any) -> Any:
        builds.append(type(self).__name__)
        return build(self)

    with _as_shipped(counted):  # GX itself builds it once per key it reads: what is saved
        expectations[0]._get_runtime_kwargs()
    assert len(builds) > 5
    monkeypatch.setattr(
        Expectation, "configuration", property(gx_configuration._once_per_call(counted))
    )
    for expectation in expectations:
        builds.clear()
        expectation._get_runtime_kwargs()
        assert builds == [type(expectation).__name__]
        # outside a helper every access is a fresh object, as GX makes it
        assert expectation.configuration is not expectation.configuration


def test_a_gx_whose_helpers_differ_is_left_as_it_is() -> None:
    from great_expectations.expectations.expectation import Expectation

    names = ("configuration", *gx_configuration._HELPERS)
    same = type("Same", (), {n: Expectation.__dict__[n] for n in names})
    assert gx_configuration.source_fingerprint(same) == gx_configuration.source_fingerprint(
        Expectation
    )

    def _get_domain_kwargs(self: Any) -> dict[str, Any]:
        return dict(self.configuration.kwargs)

    changed = type("Changed", (), {**same.__dict__, "_get_domain_kwargs": _get_domain_kwargs})
    assert gx_configuration.source_fingerprint(changed) != gx_configuration.VERIFIED_SOURCE
    assert not gx_configuration.patch(changed)
    assert changed.__dict__["_get_domain_kwargs"] is _get_domain_kwargs
    assert gx_configuration.source_fingerprint(type("Bare", (), {})) is None
