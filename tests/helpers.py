"""Helpers shared by the test files (the trees and the conf tool are in conftest.py).

- `cli`/`cli_error`: run `kltolint` in process, as the user would;
- `demo_model`/`reachable`/`witness_of`: a model of a one-file tree, and what
  the solver says of a combination on it;
- `diff_text`: a git diff of one file, as a patch to review;
- `review_json`/`full_sweep`/`found`: a review's and a `check --sweep`'s
  findings as (rule, file, line), for comparing the two.
"""

from __future__ import annotations

import difflib
import gc
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from kltolint import witness as W
from kltolint.cli import main
from kltolint.expr import parse
from kltolint.findings import Witness
from kltolint.load import load_arch
from kltolint.logic import Encoder, Query, Sat
from kltolint.model import ArchModel
from kltolint.patch import Patch, apply, parse_diff
from kltolint.tree import LoadRecord, Tree
from tests.conftest import make_tree


def cli(capsys, *argv: object) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `kltolint ARGV...` (paths may be Path)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def cli_error(capsys, *argv: object) -> str:
    """The one-line message of a run that must exit 2 (bad input), no traceback."""
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def fresh_collector() -> None:
    """No earlier test's temporary parse alive, so that a lasting parse is
    frozen (compat.KconfigRuntime): an in-process `ask` freezes whatever is
    alive when it ends (commands/ask.py), garbage of an earlier test included,
    which no collection frees after that."""
    gc.unfreeze()
    gc.collect()


def same_reads(record: LoadRecord) -> tuple[object, ...]:
    """A load record without the files' ctimes: a hard-link copy of a shared
    tree (another test's, running meanwhile) moves them."""
    return (tuple((rel, identity[:2] + identity[3:]) for rel, identity in record.files), record.globs, record.marked)


def demo_model(tmp_path: Path, kconfig: str | dict[str, str], arch: str = "demo",
               loader: Callable[[Tree, str], ArchModel] = load_arch) -> ArchModel:
    """The model of a tree whose top Kconfig is `kconfig` (or whose files, path -> text, are)."""
    files = {"Kconfig": kconfig} if isinstance(kconfig, str) else kconfig
    return loader(Tree(make_tree(tmp_path, files, (arch,))), arch)


def reachable(tmp_path: Path, kconfig: str | dict[str, str], combination: str) -> bool:
    """Can some valid configuration of `kconfig` (a top Kconfig, or a tree's
    files) make `combination` hold?"""
    enc = Encoder(demo_model(tmp_path, kconfig))
    goal = enc.expr(parse(combination)).m
    with Query(enc) as query:
        return isinstance(query.find([goal]), Sat)


def witness_of(model: ArchModel, combination: str,
               line_text: Callable[[str, int], str] = lambda _file, _line: "") -> Witness | None:
    """The minimal witness of `combination` on `model`, or None when unreachable."""
    enc = Encoder(model)
    goal = [enc.expr(parse(combination)).m]
    with Query(enc) as query:
        found = W.minimise(query, goal)
        return W.build(query, goal, found.model, model, line_text) if isinstance(found, Sat) else None


def rule_toml(rule_id: str, forbid: str, strategy: str = "add-depends", guard: str | list[str] | None = None,
              name: str = "t", message: str = "bad") -> str:
    """One `[[rule]]` of a user rule pack (`guard`: one, or alternatives in order)."""
    guards = [guard] if isinstance(guard, str) else guard
    fix = f'strategy = "{strategy}"' + (", guard = [" + ", ".join(f'"{g}"' for g in guards) + "]" if guards else "")
    return (f'[[rule]]\nid = "{rule_id}"\nname = "{name}"\nforbid = "{forbid}"\nmessage = "{message}"\n'
            f'rationale = "r"\nfix = {{ {fix} }}\n')


def rule_pack(directory: Path, *rules: str) -> Path:
    """A rule directory holding `rules` (rule_toml texts) in one file."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "r.toml").write_text("".join(rules))
    return directory


def diff_text(rel: str, old: str | None, new: str | None) -> str:
    """A git diff of one file (None: the file is absent on that side)."""
    head = f"diff --git a/{rel} b/{rel}\n"
    head += "new file mode 100644\n" if old is None else "deleted file mode 100644\n" if new is None else ""
    return head + "".join(difflib.unified_diff(
        (old or "").splitlines(True), (new or "").splitlines(True),
        "/dev/null" if old is None else f"a/{rel}", "/dev/null" if new is None else f"b/{rel}"))


def found(items) -> list[tuple[str, str, int]]:
    """Each (rule, file, line) once (check reports a finding once per arch)."""
    return sorted({(f["rule"], f["file"], f["line"]) for f in items})


def review_json(capsys, tmp_path: Path, root: Path, patch: str, *args: str) -> tuple[list, list]:
    """(introduced, removed) of `kltolint review` as (rule, file, line)."""
    target = tmp_path / "p.patch"
    target.write_text(patch)
    main(["review", "-q", "--tree", str(root), str(target), "--format", "json", *args])
    out, _ = capsys.readouterr()
    doc = json.loads(out)
    return found(doc["findings"]), found(doc["removed"])


def full_sweep(capsys, root: Path) -> list[tuple[str, str, int]]:
    """`kltolint check --sweep` of the tree: every KSEL001 finding."""
    main(["check", "--sweep", "--no-cache", "-q", "--tree", str(root), "--format", "json"])
    out, _ = capsys.readouterr()
    return found(json.loads(out)["findings"])


def applied_by_kltolint(work: Path, text: str, diff: str) -> str:
    """The Kconfig file `diff` makes of one holding `text`, to patch.apply
    (PatchError when it refuses); `work` must not hold a `tree` yet."""
    tree = Tree(make_tree(work / "tree", {"Kconfig": text}))
    return apply(tree, Patch("", "", tuple(parse_diff(diff))))["Kconfig"] or ""


def applied_by_the_tools(work: Path, text: str, diff: str) -> tuple[str | None, str | None]:
    """What git apply and patch(1) make of a Kconfig holding `text` (None:
    refused); `work` must not hold a `git` or `patch` directory yet."""
    out: list[str | None] = []
    for tool, command in (("git", ["git", "apply", "-"]),
                          ("patch", ["patch", "-s", "-p1", "-f", "--no-backup-if-mismatch", "-r", "-"])):
        where = work / tool
        where.mkdir()
        (where / "Kconfig").write_bytes(text.encode())
        done = subprocess.run(command, cwd=where, input=diff.encode(), capture_output=True)
        out.append((where / "Kconfig").read_bytes().decode() if done.returncode == 0 else None)  # CRs kept
    return out[0], out[1]
