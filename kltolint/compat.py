"""Everything that makes kconfiglib 14.1 read today's kernels safely.

kconfiglib is unmaintained since 2020. Three things are done here, and only
here:

1. Syntax it rejects is rewritten while reading, one line for one line so
   line numbers stay true: the bare `modules` property (Linux >= 5.13) becomes
   `option modules`; 6.18's `transitional` property is dropped (it only
   changes how old .config files are read, not what is reachable).
2. `$(shell,...)` never runs. Each distinct command becomes a fresh symbol
   name (`KLTO_PROBE_<n>`), so every probe (`success`, `cc-option`,
   `cc-name`, versions, ...) turns into a free variable of the model.
3. Files are read through `Tree`, which confines reads to the tree and serves
   an in-memory overlay.
"""

from __future__ import annotations

import fnmatch
import os
import re
from io import StringIO
from typing import Any, Iterator

import kconfiglib

from kltolint.errors import UserError
from kltolint.model import Loc, Probe
from kltolint.suppress import Suppression, scan
from kltolint.tree import Tree

PROBE_PREFIX = "KLTO_PROBE_"

_BARE_PROPERTY = re.compile(r"^([ \t]+)(modules|transitional)([ \t]*(?:#.*)?)$", re.MULTILINE)


def rewrite(text: str) -> str:
    """Rewrite properties kconfiglib rejects; same number of lines out."""
    if "modules" not in text and "transitional" not in text:
        return text
    return _BARE_PROPERTY.sub(_replace_property, text)


def _replace_property(match: re.Match[str]) -> str:
    indent, word, rest = match.groups()
    if word == "modules":
        return f"{indent}option modules{rest}"
    return ""


def _probe_fn(kconf: "SafeKconfig", _name: str, command: str) -> str:
    probes = kconf.kltolint_probes
    if command not in probes:
        name = f"{PROBE_PREFIX}{len(probes)}"
        probes[command] = Probe(name, command, Loc(kconf.filename, kconf.linenr))
    return probes[command].name


def _silent_fn(_kconf: Any, _name: str, *_args: str) -> str:
    return ""


# Looked up by kconfiglib through $KCONFIG_FUNCTIONS (see load.py): it
# replaces the built-in `shell`, and silences `info` / `warning-if`.
functions = {
    "shell": (_probe_fn, 1, 1),
    "info": (_silent_fn, 1, 1),
    "warning-if": (_silent_fn, 2, 2),
}


class SafeKconfig(kconfiglib.Kconfig):
    """kconfiglib reading through a `Tree`, with probes neutralised."""

    def __init__(self, tree: Tree, filename: str = "Kconfig", check_loops: bool = True) -> None:
        self.kltolint_tree = tree  # set before kconfiglib's __init__, which parses
        self.kltolint_probes: dict[str, Probe] = {}
        self.kltolint_check_loops = check_loops
        self.kltolint_globs: dict[str, tuple[str, ...]] = {}  # pattern -> matches, relative
        self.kltolint_suppressions: list[Suppression] = []  # `# kltolint: ignore[...]` comments
        saved = kconfiglib.iglob
        kconfiglib.iglob = self._iglob  # `source` globs through the tree
        try:
            super().__init__(filename, warn=False, warn_to_stderr=False)
        except RecursionError:
            # Where kconfiglib was: the file (and line) with the deep text.
            where = getattr(self, "filename", None) or filename
            raise UserError("Kconfig nests too deeply to parse", where, getattr(self, "linenr", None)) from None
        finally:
            kconfiglib.iglob = saved

    def _build_dep(self) -> None:
        # kconfiglib's reverse-dependency sets serve value invalidation, which
        # kltolint never uses, and its dependency-loop check. Without them
        # that check is a no-op: trees under review or fix keep it.
        if self.kltolint_check_loops:
            super()._build_dep()

    def _open(self, filename: str, mode: str) -> StringIO:  # noqa: ARG002 (kconfiglib's signature)
        # Sourced paths were confined by _iglob; Tree.read confines the rest.
        tree = self.kltolint_tree
        rel = os.path.relpath(filename, tree.root) if os.path.isabs(filename) else filename
        text = tree.read(rel)
        if "kltolint:" in text:
            self.kltolint_suppressions.extend(scan(text, rel))
        return StringIO(rewrite(text))

    def _iglob(self, pattern: str) -> Iterator[str]:
        """kconfiglib's glob for `source`: sees overlay files, and refuses
        any pattern that leaves the tree (absolute, `../`, symlinks)."""
        tree = self.kltolint_tree
        prefix = str(tree.root) + os.sep
        if not os.path.normpath(pattern).startswith(prefix):
            raise UserError(f"refusing to source a file outside the tree: {pattern}", self.filename, self.linenr)
        try:
            # Tree.glob confines every directory before listing it, and each match.
            found = {prefix + rel for rel in tree.glob(pattern[len(prefix):]) if tree.confined(rel)}
        except UserError:
            raise UserError(f"refusing to source a file outside the tree: {pattern[len(prefix):]}",
                            self.filename, self.linenr) from None
        for rel, text in tree.overlay.items():
            if fnmatch.fnmatchcase(prefix + rel, pattern):
                if text is None:
                    found.discard(prefix + rel)
                else:
                    found.add(prefix + rel)
        matches = sorted(found)
        self.kltolint_globs[pattern[len(prefix):]] = tuple(m[len(prefix):] for m in matches)
        return iter(matches)
