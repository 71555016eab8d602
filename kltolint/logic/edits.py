"""Edits: the changes to a Kconfig tree that the Encoder applies in memory.

A fix is tried before it is written: the encoder reads the model as if the
edits were made (a condition on a select, an added `depends on`, a condition
on a default), so the blame search and the fixer never rebuild a model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kltolint.expr import Expr
from kltolint.model import Edge


@dataclass(frozen=True)
class Edits:
    """`select_guards`: `select X if guard` for single edges; `added_depends`:
    a `depends on` added to a symbol; `default_guards`: a condition added to
    the default at (symbol, index). The mappings are read, never changed."""

    select_guards: Mapping[Edge, Expr] = field(default_factory=dict)
    added_depends: Mapping[str, Expr] = field(default_factory=dict)
    default_guards: Mapping[tuple[str, int], Expr] = field(default_factory=dict)
