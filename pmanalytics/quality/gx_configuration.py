"""Great Expectations reads an expectation's configuration once per question, not per key.

GX 1.x builds ``Expectation.configuration`` afresh on every access (a pydantic ``dict()`` of
the whole expectation, then an ``ExpectationConfiguration``), and its kwargs helpers read it
once per key they look up: ``_get_domain_kwargs`` once per domain key, ``_get_success_kwargs``
once per success key, ``_get_runtime_kwargs`` both and once more per runtime key: hundreds
of builds per frame GX judges, 5,083 in one validation of the demo warehouse, of which this
module leaves 1,009 (``docs/decisions.md``, *GX builds an expectation's configuration once
per question*, has the figures).

:func:`read_configuration_once` makes each of those helpers build it once per call: inside
the outermost helper call, ``configuration`` returns the one it built for that expectation.
The helpers only read ``configuration.kwargs``, so what they return is what GX computes.
Every other access, and every access outside a helper call, builds a fresh configuration as
GX does (those can hand it on, e.g. into a validation result, where a shared object could be
changed by its next user).

It patches private GX names, so it applies only when their source is the one checked here
(the GX versions whose helpers read as verified); any other GX runs unchanged, only slower.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import inspect
import threading
from collections.abc import Callable
from typing import Any

#: sha256 of the source of ``Expectation.configuration``'s getter and of the four helpers,
#: in the order of :data:`_HELPERS`, as in great-expectations 1.24.1 (a test fails on any other).
VERIFIED_SOURCE = "b41a3b50546f5b95fb1564b0361a71722d06953139adfedf3b1d2038ef1783c8"

_HELPERS = (
    "_get_domain_kwargs",
    "_get_success_kwargs",
    "_get_runtime_kwargs",
    "_get_success_kwarg",
)

#: the configurations built in the current outermost helper call, by expectation
_built: contextvars.ContextVar[dict[int, tuple[Any, Any]] | None] = contextvars.ContextVar(
    "pma_gx_configuration_built", default=None
)
_lock = threading.Lock()
#: each class looked at, and whether it was patched: its source is hashed once per process
_checked: dict[type, bool] = {}


def source_fingerprint(expectation_class: type) -> str | None:
    """The sha256 of the patched functions' source; ``None`` when the source is not there."""
    try:
        sources = [inspect.getsource(expectation_class.__dict__["configuration"].fget)]
        sources += [inspect.getsource(expectation_class.__dict__[name]) for name in _HELPERS]
    except (KeyError, AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256("\n".join(sources).encode()).hexdigest()


def read_configuration_once() -> bool:
    """Apply the change to GX's ``Expectation`` (once per process); whether it is applied."""
    from great_expectations.expectations.expectation import Expectation

    return patch(Expectation)


def patch(expectation_class: type) -> bool:
    """Patch ``expectation_class`` if its source is the verified one; whether it is patched."""
    with _lock:
        if expectation_class in _checked:
            return _checked[expectation_class]
        if source_fingerprint(expectation_class) != VERIFIED_SOURCE:
            _checked[expectation_class] = False
            return False
        build = expectation_class.__dict__["configuration"].fget
        expectation_class.configuration = property(_once_per_call(build), doc=build.__doc__)
        for name in _HELPERS:
            helper = expectation_class.__dict__[name]
            setattr(expectation_class, name, _one_configuration_per_call(helper))
        _checked[expectation_class] = True
        return True


def _once_per_call(build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(build)
    def configuration(self: Any) -> Any:
        built = _built.get()
        if built is None:  # not inside a helper: a fresh one, as GX builds it
            return build(self)
        kept = built.get(id(self))
        if kept is None or kept[0] is not self:
            kept = built[id(self)] = (self, build(self))
        return kept[1]

    return configuration


def _one_configuration_per_call(helper: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(helper)
    def reading_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _built.get() is not None:  # called from another helper: share its configuration
            return helper(self, *args, **kwargs)
        token = _built.set({})
        try:
            return helper(self, *args, **kwargs)
        finally:
            _built.reset(token)

    return reading_once
