"""Fix strategies: how a rule's guard goes into the tree, one registry.

A rule pack names a strategy (`fix = { strategy = "guard-select" }`); the
strategy decides which kind of edit point the blame search prefers
(analysis.in_order; a select that forces its target past its own
dependencies is blamed first whatever the strategy) and how `kltolint rule`
explains the fix. The edit on
the text for each kind of edit point is fix.edits_for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from kltolint.findings import GuardEditKind

StrategyName = Literal["guard-select", "add-depends", "narrow-default"]


@dataclass(frozen=True)
class Strategy:
    """A fix strategy a rule pack may name: the edit point it prefers and how `kltolint rule` explains it."""

    name: StrategyName  # the rule pack's word
    edit_kind: GuardEditKind  # the edit point it prefers
    explain: Callable[[str], str]  # guards ("`A` or `B`") -> the fix, for `kltolint rule`


STRATEGIES: Mapping[StrategyName, Strategy] = {s.name: s for s in (
    Strategy("guard-select", "select",
             lambda guards: f"guard the select that lets it through with {guards} (`select X if ...`)"),
    Strategy("add-depends", "depends",
             lambda guards: f"add `depends on` {guards} to the entry that lets it through"),
    Strategy("narrow-default", "default",
             lambda guards: f"narrow the default that turns it on with {guards} (`default y if ...`)"),
)}


def named(value: object) -> Strategy | None:
    """The strategy a rule pack's `fix.strategy` names, or None."""
    return next((s for s in STRATEGIES.values() if s.name == value), None)
