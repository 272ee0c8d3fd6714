"""Cross-scope cases per area (NetBox-style): every scoped screen gets the same tests.

An area adds ``tests/scopes/<area>.py`` with ``CASES = [ScopedCase(...)]``; the generic
tests in tests/test_scope_isolation.py run every check on every case.
"""
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ScopedCase:
    name: str
    base: str                       # the view's route_base, e.g. "/clientes"
    profile: str                    # the profile that looks at the rows
    make: Callable                  # make(tenant) -> a row of that tenant
    marker: Callable                # marker(row) -> text the list shows for that row
    search: str | None = None       # a text column searchable in the list widget
    routes: tuple[str, ...] = ("show",)
    model: type | None = None       # to prove a foreign row is left unchanged
    extra: dict = field(default_factory=dict)


def all_cases() -> list[ScopedCase]:
    cases = []
    for info in pkgutil.iter_modules(__path__):
        cases.extend(importlib.import_module(f"{__name__}.{info.name}").CASES)
    return cases
