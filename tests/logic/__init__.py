"""Tests of kltolint.logic, one file per module; shared helpers here."""

from __future__ import annotations

from pathlib import Path

from kltolint.expr import parse
from kltolint.load import load_arch
from kltolint.logic import Encoder, Query
from kltolint.tree import Tree
from tests.conftest import make_tree
from tests.helpers import reachable  # noqa: F401 (the tests of this package import it from here)


def files_reachable(tmp_path: Path, files: dict[str, str], combination: str) -> bool:
    """`tests.helpers.reachable` for a tree of several files."""
    model = load_arch(Tree(make_tree(tmp_path, files)), "demo")
    enc = Encoder(model)
    goal = enc.expr(parse(combination)).m
    with Query(enc) as query:
        return query.solve([goal]) is not None
