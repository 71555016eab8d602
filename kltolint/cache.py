"""The findings cache: a warm run costs a few hundred stat() calls.

One JSON entry per (tree, arch, rule set, kltolint code). It holds the
manifest of the load: every Kconfig file read (path, size, mtime, sha256,
taken as the load read it), every `source` glob with its matches, and the
`kltolint: ignore` comments found. An entry is valid while each file has the
same size, mtime, ctime and inode, or else the same hash, and each glob the
same matches. Every path in an entry is confined to the tree, every field
type-checked, and a finding's guard re-checked (findings.from_data).
JSON, not pickle, so a tampered cache can only be wrong, never run code; a
corrupt, foreign or stale entry is a miss. Entries are written to a
temporary file and renamed, so concurrent runs never see half an entry.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Mapping, Sequence

import kltolint
from kltolint.errors import UserError
from kltolint.findings import Finding, FixInfo, as_list, fix_from_data, fix_to_data, from_data, to_data
from kltolint.suppress import Suppression, in_record
from kltolint.tree import Identity, LoadRecord, Tree, identity_of

if TYPE_CHECKING:  # the answer cache and saved models use this module too: no rule loader for them
    from kltolint.rules import Rule

SCHEMA = 2


@dataclass(frozen=True)
class Manifest:
    """What an entry is valid for, as plain data (it crosses from worker
    processes): the files read with their identities, the `source` globs,
    and the suppressions found in the files."""

    files: Mapping[str, Identity]  # rel -> identity as the load read it
    globs: tuple[tuple[str, tuple[str, ...]], ...]
    suppressions: tuple[Suppression, ...]

    @classmethod
    def of(cls, record: LoadRecord) -> Manifest:
        """A load's manifest: its record, with the suppressions scanned."""
        return cls(dict(record.files), record.globs, in_record(record))

    @classmethod
    def of_files(cls, tree: Tree, files: Sequence[str]) -> Manifest:
        return cls({rel: tree.fingerprint(rel) for rel in files}, (), ())


def location(given: str | None) -> Path:
    """The cache directory: `--cache-dir` when given, else `default_dir()`."""
    return Path(given) if given else default_dir()


def default_dir() -> Path:
    """$KLTOLINT_CACHE_DIR, else $XDG_CACHE_HOME/kltolint, else
    ~/.cache/kltolint. A relative path in either variable would name a folder
    of whatever directory kltolint runs in, often the kernel tree itself:
    XDG_CACHE_HOME's is ignored (as the XDG spec says), KLTOLINT_CACHE_DIR's
    is an error."""
    explicit = os.environ.get("KLTOLINT_CACHE_DIR")
    if explicit:
        if not os.path.isabs(explicit):
            raise UserError(f"must be an absolute path, not {explicit!r}", "KLTOLINT_CACHE_DIR")
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME", "")
    return Path(base if os.path.isabs(base) else Path.home() / ".cache") / "kltolint"


def code_digest() -> str:
    """kltolint's own code and data (the toolchain catalogue): an edited
    analysis invalidates every entry."""
    h = hashlib.sha256(f"{SCHEMA} {kltolint.__version__}".encode())
    package = Path(kltolint.__file__).parent
    for path in sorted([*package.glob("*.py"), *package.glob("data/*.json")]):
        st = path.stat()
        h.update(f"{path.name} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()


def rules_digest(rules: Sequence[Rule]) -> str:
    h = hashlib.sha256()
    for source in sorted({r.source for r in rules}):
        h.update(source.encode() + b"\0" + Path(source).read_bytes())
    h.update(" ".join(sorted(r.id for r in rules)).encode())
    return h.hexdigest()


class Cache:
    """The findings cache: one JSON entry per (tree, arch, rules), re-validated
    against the files and globs the load read."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory / f"v{SCHEMA}"
        self._code = code_digest()
        self._valid_files: dict[str, Identity] = {}  # rel -> identity, found unchanged in this run
        self._valid_globs: dict[str, Any] = {}  # pattern -> matches, as an entry holds them

    def _entry(self, tree: Tree, arch: str, rules: str) -> Path:
        key = hashlib.sha256(f"{tree.root}\0{arch}\0{rules}\0{self._code}".encode()).hexdigest()
        return self.dir / f"{key[:40]}.json"

    def get(self, tree: Tree, arch: str, rules: str) -> tuple[list[Finding], list[Suppression]] | None:
        """The findings and the load's suppressions, or None on a miss."""
        if tree.overlay:
            return None
        try:
            data = json.loads(read_entry(self._entry(tree, arch, rules))[0])
            if data.get("schema") != SCHEMA or data.get("root") != str(tree.root) or data.get("arch") != arch:
                return None
            files = entry_files(data["files"])
            refreshed: dict[str, Identity] = {}
            if not unchanged(tree, files, data["globs"], refreshed):
                return None
            files = {**files, **refreshed}
            self._checked(files, data["globs"])
            found = ([from_data(f) for f in as_list(data["findings"])],
                     [_suppression(s) for s in as_list(data["suppressions"])])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UserError):
            return None  # missing, corrupt or foreign: a miss
        self._refresh(self._entry(tree, arch, rules), data, refreshed)
        for rel, identity in files.items():  # what the findings were computed from (fix.write_atomic)
            tree.identities.setdefault(rel, identity)
        return found

    def put(self, tree: Tree, arch: str, rules: str, manifest: Manifest, findings: Sequence[Finding]) -> None:
        if tree.overlay:
            return
        data = {"schema": SCHEMA, "root": str(tree.root), "arch": arch,
                "files": {rel: list(identity) for rel, identity in manifest.files.items()},
                "globs": {pattern: list(matches) for pattern, matches in manifest.globs},
                "suppressions": [[x.file, x.line, list(x.rules)] for x in manifest.suppressions],
                "findings": [to_data(f) for f in findings]}
        self._write(self._entry(tree, arch, rules), data)

    # -- fixes: a verified fix is kept with what its verification read ----------------

    def _checked(self, files: Mapping[str, Identity], globs: Mapping[str, Any]) -> None:
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
            data = json.loads(read_entry(self._fix_entry(tree, rules, finding))[0])
            if (data.get("schema") != SCHEMA or data.get("root") != str(tree.root)
                    or data.get("finding") != _identity_of(finding) or data.get("arches") != tree.arches()):
                return None
            if type(data["globs"]) is not dict:
                raise TypeError("bad globs")
            files = {rel: v for rel, v in entry_files(data["files"]).items() if self._valid_files.get(rel) != v}
            globs = {p: m for p, m in data["globs"].items() if self._valid_globs.get(p) != m}
            # A file this run found the same by content (an arch's entry
            # refreshed it) is the same by content here too: no second hash.
            stale = {rel: self._valid_files[rel] for rel, v in files.items()
                     if rel in self._valid_files and self._valid_files[rel][4] == v[4]}
            files = {rel: v for rel, v in files.items() if rel not in stale}
            refreshed: dict[str, Identity] = {}
            if not unchanged(tree, files, globs, refreshed):
                return None
            # The caller re-derives the edits before using them (fix.Fixer).
            found = fix_from_data(data["fix"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UserError):
            return None  # missing, corrupt or foreign: a miss
        self._refresh(self._fix_entry(tree, rules, finding), data, {**stale, **refreshed})
        return found

    def put_fix(self, tree: Tree, rules: str, finding: Finding, fix: FixInfo, read: Sequence[Manifest]) -> None:
        if tree.overlay:
            return
        files: dict[str, list[int | str]] = {}
        globs: dict[str, list[str]] = {}
        for manifest in read:
            files.update((rel, list(identity)) for rel, identity in manifest.files.items())
            globs.update((pattern, list(matches)) for pattern, matches in manifest.globs)
        data = {"schema": SCHEMA, "root": str(tree.root), "arches": tree.arches(), "finding": _identity_of(finding),
                "files": files, "globs": globs, "fix": fix_to_data(fix)}
        self._write(self._fix_entry(tree, rules, finding), data)

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        write_entry(path, data)

    def _refresh(self, path: Path, data: dict[str, Any], refreshed: Mapping[str, Identity]) -> None:
        """The entry again, with the identities of the files found the same
        by their content only (a hard link made, a checkout back and forth
        moved their ctime): each later run would read and hash them again."""
        if refreshed:
            data["files"] = {**data["files"], **{rel: list(identity) for rel, identity in refreshed.items()}}
            self._write(path, data)


MAX_ENTRY_BYTES = 256 << 20  # a saved arm64 model is about 7 MB


def read_entry(path: Path) -> tuple[bytes, os.stat_result]:
    """An entry's bytes (and its stat), read from a regular file only, up
    to a bound: a cache restored from elsewhere may hold a FIFO (the open
    would block), a link to /dev/zero (the read would not end) or a device.
    OSError for anything else: a miss."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    with open(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
            raise OSError(errno.EINVAL, "not a cache entry")
        data = handle.read(MAX_ENTRY_BYTES + 1)
    if len(data) > MAX_ENTRY_BYTES:
        raise OSError(errno.EFBIG, "not a cache entry")
    return data, st


def write_entry(path: Path, data: dict[str, Any] | bytes) -> None:
    """JSON (or bytes made of it) written by rename into path's folder: a
    reader sees the old entry or the new one, never half of one. A cache that
    cannot be written is only slower; no temporary file is left behind, even
    on ^C."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry.", suffix=".tmp")
    except OSError:
        return
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as raw:
                raw.write(data)
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(json.dumps(data))  # one C encoding (json.dump encodes in Python, piece by piece)
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if not isinstance(err, OSError):
            raise


def _identity_of(finding: Finding) -> str:
    """Everything the finding says, fix aside: its fix is verified for exactly that."""
    return json.dumps(to_data(finding), sort_keys=True)


# -- reading an entry: anything not exactly as written is a miss (TypeError/ValueError) ---

def entry_files(value: object) -> dict[str, Identity]:
    """An entry's `files` field, type-checked (TypeError for anything else)."""
    if type(value) is not dict:
        raise TypeError("not a dict")
    out: dict[str, Identity] = {}
    for rel, identity in value.items():
        if type(identity) is not list or len(identity) != 5:
            raise TypeError("bad file identity")
        size, mtime, ctime, ino, sha = identity
        if any(type(x) is not int for x in (size, mtime, ctime, ino)) or type(sha) is not str:
            raise TypeError("bad file identity")
        out[rel] = (size, mtime, ctime, ino, sha)
    return out


def _suppression(value: object) -> Suppression:
    file, line, rules = as_list(value)
    if type(file) is not str or type(line) is not int or any(type(r) is not str for r in as_list(rules)):
        raise TypeError("bad suppression")
    return Suppression(file, line, tuple(rules))


def unchanged(tree: Tree, files: Mapping[str, Identity], globs: object,
              refreshed: dict[str, Identity] | None = None) -> bool:
    """The files as the entry saw them: the same size, mtime, ctime and inode,
    or else the same content. Paths are confined to the tree: an entry is
    never a way to read, or list, anything outside it. `refreshed` gets the
    identity, as read now, of each file found the same by its content only
    (a hard link made, a checkout back and forth: its ctime or mtime moved)."""
    for rel, (size, mtime, ctime, ino, sha) in files.items():
        try:
            st = tree.stat(rel)
        except OSError:
            return False  # removed
        if not stat.S_ISREG(st.st_mode):
            return False
        if (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) != (size, mtime, ctime, ino):
            if st.st_size != size:
                return False  # edited
            now = identity_of(*tree.read_bytes(rel))
            if now[4] != sha:
                return False  # edited
            if refreshed is not None:
                refreshed[rel] = now
    if type(globs) is not dict:
        raise TypeError("bad globs")
    for pattern, matches in globs.items():
        if os.path.isabs(pattern) or ".." in pattern.split("/") or type(matches) is not list:
            return False
        if matches == [pattern] and pattern in files and not glob.has_magic(pattern):
            continue  # a plain path, found above as a regular file of the tree: it matches itself
        if tree.glob(pattern) != sorted(matches):
            return False  # a file added or removed under a `source` glob
    return True
