"""What a rule kind is: the shape every entry of analysis.RULE_KINDS has.

A rule's `kind` (rules.py) names how it is checked. Like a language in
pre-commit's `all_languages`, each kind is one value that owns everything
about it: its check, the configurations a finding of it is about (its
forbidden region, used by the finder and by the fix's safety miter alike),
its fix availability, the option that turns it on, and its docs text for
`kltolint rule`. The kinds live next to their checks (analysis.FORBID,
sweep.KIND, dead.DANGLING_KIND and DEAD_KIND, redundant.RULE_KIND).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from kltolint.findings import Finding, Stats
from kltolint.rules import Rule, RuleKindName

if TYPE_CHECKING:  # the solver loads only when a check runs
    from kltolint.logic import Encoder
    from kltolint.model import ArchModel
    from kltolint.source import Sources
    from kltolint.tree import Tree

# The literal, in the given encoder, that holds exactly in the configurations
# a finding is about: the safety miter compares only the others.
Region = Callable[["Encoder"], int]
# model, the rules of this kind, sources, the sweep's figures, the symbols a re-check is limited to
Check = Callable[["ArchModel", Sequence[Rule], "Sources", "Stats | None", "set[str] | None"], list[Finding]]
Reproven = Callable[["ArchModel", "ArchModel", str, "Tree", str], str]
FixAvailability = Literal["sometimes", "never"]  # ruff's words: a verified fix is offered where one is found


@dataclass(frozen=True)
class RuleKind:
    """What a kind of rule owns: its check, its forbidden region, its docs and whether it has fixes."""

    name: RuleKindName
    check: Check
    # A finding's forbidden region on an arch (None: the rule does not speak of it).
    forbidden_region: Callable[[ArchModel, Rule, Finding], Region | None]
    finds: Callable[[Rule], str]  # "What it finds", one sentence
    how_fixed: Callable[[Rule], str]  # the fix, without the final full stop
    fix: FixAvailability
    flag: str = ""  # the `check` option that turns on every rule of the kind ('' none: --rule ID)
    # Work every arch's check shares (parsing every Kconfig file), done once
    # in the process that forks one worker per arch (session.run_together).
    prepare: Callable[[Sources], None] | None = None
    # Its fixes are the pack's `fix.strategy` and `fix.guard` (rules.STRATEGY_KINDS);
    # otherwise a fix, where there is one, is derived from the tree per finding.
    takes_strategy: bool = False
    # A proof of its own that a fix changes nothing else, in place of the
    # forbidden-region miter: (before, after, edited symbol, tree, arch) -> '' or why not.
    reproven: Reproven | None = None

    @property
    def fix_from_tree(self) -> bool:
        """Do its findings carry a fix derived from the tree (each costs a
        re-check of the arches that read the file: verified on request)?"""
        return self.fix == "sometimes" and not self.takes_strategy


def no_region(model: ArchModel, rule: Rule, finding: Finding) -> Region | None:
    """For kinds whose fixes are not judged by a forbidden region."""
    return None
