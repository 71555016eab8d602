"""The findings cache: a warm run costs a few hundred stat() calls.

One JSON entry per (tree, arch, rule set, kltolint code). It holds the
manifest of the load: every Kconfig file read (path, size, mtime, sha256,
taken as the load read it), every `source` glob with its matches, and the
`kltolint: ignore` comments found. An entry is valid while each file has the
same size and mtime, or else the same hash, and each glob the same matches.
JSON, not pickle, so a tampered cache can only be wrong, never run code; a
corrupt, foreign or stale entry is a miss. Entries are written to a
temporary file and renamed, so concurrent runs never see half an entry.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import kltolint
from kltolint.findings import Finding, FixInfo, fix_from_data, fix_to_data, from_data, to_data
from kltolint.rules import Rule
from kltolint.suppress import Suppression
from kltolint.tree import Tree

if TYPE_CHECKING:
    from kltolint.model import ArchModel

SCHEMA = 1


@dataclass(frozen=True)
class Manifest:
    """What a load read, as plain data (it crosses from worker processes)."""

    files: dict[str, tuple[int, int, str]]  # rel -> (size, mtime_ns, sha256)
    globs: tuple[tuple[str, tuple[str, ...]], ...]
    suppressions: tuple[Suppression, ...]

    @classmethod
    def of(cls, model: "ArchModel", tree: Tree) -> "Manifest":
        return cls({rel: tree.identities.get(rel) or _identity(tree.root / rel) for rel in model.files},
                   model.globs, tuple(model.suppressions))

    @classmethod
    def of_files(cls, tree: Tree, files: Sequence[str]) -> "Manifest":
        return cls({rel: tree.identities.get(rel) or _identity(tree.root / rel) for rel in files}, (), ())


def default_dir() -> Path:
    explicit = os.environ.get("KLTOLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kltolint"


def _code_digest() -> str:
    """kltolint's own code: an edited analysis invalidates every entry."""
    h = hashlib.sha256(f"{SCHEMA} {kltolint.__version__}".encode())
    for path in sorted(Path(kltolint.__file__).parent.glob("*.py")):
        st = path.stat()
        h.update(f"{path.name} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()


def rules_digest(rules: Sequence[Rule]) -> str:
    h = hashlib.sha256()
    for source in sorted({r.source for r in rules}):
        h.update(source.encode() + b"\0" + Path(source).read_bytes())
    h.update(" ".join(sorted(r.id for r in rules)).encode())
    return h.hexdigest()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _identity(path: Path) -> tuple[int, int, str]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns, _sha(path)


class Cache:
    def __init__(self, directory: Path) -> None:
        self.dir = directory / f"v{SCHEMA}"
        self._code = _code_digest()
        self._valid_files: dict[str, list] = {}  # rel -> identity, found unchanged in this run
        self._valid_globs: dict[str, list[str]] = {}

    def _entry(self, tree: Tree, arch: str, rules: str) -> Path:
        key = hashlib.sha256(f"{tree.root}\0{arch}\0{rules}\0{self._code}".encode()).hexdigest()
        return self.dir / f"{key[:40]}.json"

    def get(self, tree: Tree, arch: str, rules: str) -> tuple[list[Finding], list[Suppression]] | None:
        """The findings and the load's suppressions, or None on a miss."""
        if tree.overlay:
            return None
        try:
            data = json.loads(self._entry(tree, arch, rules).read_text())
            if data.get("schema") != SCHEMA or data.get("root") != str(tree.root) or data.get("arch") != arch:
                return None
            if not _valid(tree.root, data["files"], data["globs"]):
                return None
            self._checked(data["files"], data["globs"])
            return ([from_data(f) for f in data["findings"]],
                    [Suppression(f, n, tuple(r)) for f, n, r in data["suppressions"]])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, corrupt or foreign: a miss

    def put(self, tree: Tree, arch: str, rules: str, manifest: Manifest, findings: Sequence[Finding]) -> None:
        if tree.overlay:
            return
        try:
            data = {"schema": SCHEMA, "root": str(tree.root), "arch": arch,
                    "files": {rel: list(identity) for rel, identity in manifest.files.items()},
                    "globs": {pattern: list(matches) for pattern, matches in manifest.globs},
                    "suppressions": [[x.file, x.line, list(x.rules)] for x in manifest.suppressions],
                    "findings": [to_data(f) for f in findings]}
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".entry.", suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle)
            os.replace(tmp, self._entry(tree, arch, rules))
        except OSError:
            pass  # a cache that cannot be written is only slower

    # -- fixes: a verified fix is kept with what its verification read ----------------

    def _checked(self, files: dict, globs: dict) -> None:
        """Remember what this run found unchanged: a fix's entry lists mostly
        the same files as the arches' entries, and need not stat them again."""
        self._valid_files.update(files)
        self._valid_globs.update(globs)

    def _fix_entry(self, tree: Tree, rules: str, finding: Finding) -> Path:
        key = hashlib.sha256(f"{tree.root}\0fix\0{rules}\0{self._code}\0{_identity_of(finding)}".encode())
        return self.dir / f"fix-{key.hexdigest()[:40]}.json"

    def get_fix(self, tree: Tree, rules: str, finding: Finding) -> FixInfo | None:
        """The fix verified for `finding`, while every file read by the loads
        behind its verification (on every arch that may read the edited file)
        and the tree's arches are as they were; else None."""
        if tree.overlay:
            return None
        try:
            data = json.loads(self._fix_entry(tree, rules, finding).read_text())
            if (data.get("schema") != SCHEMA or data.get("root") != str(tree.root)
                    or data.get("finding") != _identity_of(finding) or data.get("arches") != tree.arches()):
                return None
            files = {rel: v for rel, v in data["files"].items() if self._valid_files.get(rel) != v}
            globs = {p: m for p, m in data["globs"].items() if self._valid_globs.get(p) != m}
            if not _valid(tree.root, files, globs):
                return None
            return fix_from_data(data["fix"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, corrupt or foreign: a miss

    def put_fix(self, tree: Tree, rules: str, finding: Finding, fix: FixInfo, read: Sequence[Manifest]) -> None:
        if tree.overlay:
            return
        files: dict[str, list] = {}
        globs: dict[str, list[str]] = {}
        for manifest in read:
            files.update((rel, list(identity)) for rel, identity in manifest.files.items())
            globs.update((pattern, list(matches)) for pattern, matches in manifest.globs)
        data = {"schema": SCHEMA, "root": str(tree.root), "arches": tree.arches(), "finding": _identity_of(finding),
                "files": files, "globs": globs, "fix": fix_to_data(fix)}
        self._write(self._fix_entry(tree, rules, finding), data)

    def _write(self, path: Path, data: dict) -> None:
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".entry.", suffix=".tmp")
            with os.fdopen(fd, "w") as handle:
                json.dump(data, handle)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written is only slower


def _identity_of(finding: Finding) -> str:
    """Everything the finding says, fix aside: its fix is verified for exactly that."""
    return json.dumps(to_data(finding), sort_keys=True)


def _valid(root: Path, files: dict, globs: dict) -> bool:
    for rel, (size, mtime, sha) in files.items():
        try:
            st = (root / rel).stat()
        except OSError:
            return False  # removed
        if (st.st_size, st.st_mtime_ns) != (size, mtime) and (st.st_size != size or _sha(root / rel) != sha):
            return False  # edited
    for pattern, matches in globs.items():
        now = sorted(os.path.relpath(p, root) for p in glob.glob(os.path.join(root, pattern)))
        if now != sorted(matches):
            return False  # a file added or removed under a `source` glob
    return True
