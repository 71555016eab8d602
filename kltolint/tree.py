"""The kernel tree on disk: its root, its arches, confined reads, and the
record of what one load read.

Every read of a Kconfig file goes through `Tree.read`, which refuses paths
outside the tree (absolute, `../`, or through a symlink) and serves an
in-memory overlay first, so a patched tree can be analysed without writing.
`Tree.fingerprint` is the one place a file's identity (what the cache
compares) is computed; a load's `LoadRecord` holds those identities as the
load read the files.
"""

from __future__ import annotations

import fnmatch
import glob as globlib
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable, Mapping

from kltolint.errors import UserError

# A Kconfig file larger than this is not a Kconfig file (the largest in 6.12
# is under 100 KiB); refusing it keeps a hostile patch from exhausting memory.
MAX_FILE_BYTES = 8 * 1024 * 1024

# What the cache knows of a file as a load read it: size, mtime_ns, ctime_ns,
# inode and sha256. ctime and inode cannot be set from user space, so a copy
# that keeps size and mtime (`cp -p`, `touch -r`) still differs.
Identity = tuple[int, int, int, int, str]


def identity_of(st: os.stat_result, data: bytes) -> Identity:
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, hashlib.sha256(data).hexdigest()


def _overlay_identity(text: str) -> Identity:
    """A file only a patch made: nothing on disk (such trees are never cached)."""
    data = text.encode("utf-8", "surrogateescape")
    return len(data), 0, 0, 0, hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class LoadRecord:
    """What one load of one arch read, as plain data (it crosses from worker
    processes, and the cache stores it): the loader returns it next to the
    model. Suppressions are not parsed here: `marked` keeps the text of each
    file holding a `kltolint:` comment, as the load read it, for suppress.py."""

    files: tuple[tuple[str, Identity], ...]  # every Kconfig file read, in order, with its identity
    # every `source` pattern and what it matched: a file added under a
    # pattern changes the tree even when no file read changed
    globs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    marked: tuple[tuple[str, str], ...] = ()  # (file, text) of files with a `kltolint:` comment

    @property
    def names(self) -> tuple[str, ...]:
        """The files read, relative to the root."""
        return tuple(rel for rel, _ in self.files)


_ODD_PARTS = frozenset({"", ".", ".."})


def has_odd_part(parts: Iterable[str]) -> bool:
    """Has a path (split at `/`) an empty, `.` or `..` part: one that names
    its file otherwise than the plain relative path the overlay holds?"""
    return not _ODD_PARTS.isdisjoint(parts)


def is_tree_root(path: Path) -> bool:
    return (path / "Kconfig").is_file() and (path / "arch").is_dir()


def find_root(paths: Iterable[str | os.PathLike[str]]) -> Path:
    """The kernel tree holding `paths` (the current directory if none)."""
    candidates = [Path(p) for p in paths] or [Path.cwd()]
    roots = set()
    for candidate in candidates:
        if not candidate.exists():
            raise UserError("no such file or directory", str(candidate))
        start = candidate.resolve()
        for path in (start, *start.parents):
            if path.is_dir() and is_tree_root(path):
                roots.add(path)
                break
        else:
            raise UserError("not inside a kernel tree (no Kconfig and arch/ above it)", str(candidate))
    if len(roots) > 1:
        raise UserError("paths belong to different kernel trees: " + ", ".join(sorted(map(str, roots))))
    return roots.pop()


@dataclass
class Tree:
    """A kernel tree: `root` on disk, under an in-memory `overlay` (a patch
    or a fix: file -> new text, None for a deleted file)."""

    root: Path
    overlay: Mapping[str, str | None] = field(default_factory=dict)  # None: deleted

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self._confined: dict[str, Path] = {}
        self._dirs: dict[str, str] = {}  # directory (relative) -> its real path
        # rel -> identity of each file as first read from disk in this run:
        # what was analysed. A later read (the lossless layer's) must not
        # hide an edit made since the load (fix.write_atomic compares).
        self.identities: dict[str, Identity] = {}

    def arches(self) -> list[str]:
        """Arch names as under arch/, each with a Kconfig file."""
        arch_dir = self.root / "arch"
        return sorted(p.name for p in arch_dir.iterdir() if (p / "Kconfig").is_file())

    def relpath(self, path: str | os.PathLike[str]) -> str:
        """`path` relative to the root; UserError when it is outside."""
        full = Path(path)
        if not full.is_absolute():
            full = Path.cwd() / full
        resolved = Path(os.path.realpath(full))
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            raise UserError("file is outside the kernel tree " + str(self.root), str(path)) from None

    def arches_reading(self, rel: str) -> list[str]:
        """Arches that may read `rel`: its own for arch/<a>/ files (um reads
        arch/x86/um too), every arch otherwise. A load tells for sure."""
        arches = self.arches()
        parts = rel.split("/")
        if len(parts) > 2 and parts[0] == "arch" and parts[1] in arches:
            return [a for a in arches if a == parts[1] or (a == "um" and parts[1] == "x86")]
        return arches

    def arch_of(self, path: str | os.PathLike[str]) -> str | None:
        parts = self.relpath(path).split("/")
        if len(parts) >= 2 and parts[0] == "arch" and (self.root / "arch" / parts[1] / "Kconfig").is_file():
            return parts[1]
        return None

    def confined(self, rel: str) -> Path:
        """The real path of `rel`, refused when it leaves the tree."""
        known = self._confined.get(rel)
        if known is not None:
            return known
        if os.path.isabs(rel):
            raise UserError("refusing to read an absolute path outside the tree", rel)
        # As text: both sides are normalised absolute paths (a saved model or a
        # warm check confirms ~1,600 of them: Path.parents, then realpath's
        # lstat of every component, made that the slow part).
        text, root = self._real(rel), str(self.root)
        if text != root and not text.startswith(root.rstrip(os.sep) + os.sep):
            raise UserError("refusing to read a file outside the tree", rel)
        resolved = self._confined[rel] = Path(text)
        return resolved

    def stat(self, rel: str) -> os.stat_result:
        """`confined(rel).stat()` (UserError when `rel` leaves the tree,
        OSError when it is missing), in one lstat for a file that is not a
        link: a saved model or a warm check stats ~1,600 files, and the
        Path and the separate islink of `confined` were most of that."""
        parts = rel.split("/")
        if os.path.isabs(rel) or has_odd_part(parts):
            return self.confined(rel).stat()
        path = os.path.join(self._real_dir("/".join(parts[:-1])), parts[-1])
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return self.confined(rel).stat()
        root = str(self.root)
        if not path.startswith(root.rstrip(os.sep) + os.sep):
            raise UserError("refusing to read a file outside the tree", rel)
        return st

    def _real(self, rel: str) -> str:
        """os.path.realpath of root/rel, resolving each directory once per
        tree: a name with no `.`, `..` or empty part is its resolved parent
        joined with it, resolved again only if it is a link itself."""
        parts = rel.split("/")
        if has_odd_part(parts):
            return os.path.realpath(os.path.join(self.root, rel))
        parent = self._real_dir("/".join(parts[:-1]))
        path = os.path.join(parent, parts[-1])
        return os.path.realpath(path) if os.path.islink(path) else path

    def _real_dir(self, rel: str) -> str:
        known = self._dirs.get(rel)
        if known is None:
            known = self._dirs[rel] = self._real(rel) if rel else str(self.root)  # root: resolved already
        return known

    def exists(self, rel: str) -> bool:
        if rel in self.overlay:
            return self.overlay[rel] is not None
        try:
            return self.confined(rel).is_file()
        except UserError:
            return False

    def read(self, rel: str) -> str:
        """Text of `rel` (overlay first), decoded losslessly."""
        return self.read_identified(rel)[0]

    def read_identified(self, rel: str) -> tuple[str, Identity]:
        """Text of `rel` (overlay first) and its identity as read."""
        if rel in self.overlay:
            text = self.overlay[rel]
            if text is None:
                raise UserError("no such file (deleted by the patch)", rel)
            if len(text) > MAX_FILE_BYTES:
                raise UserError(f"file is larger than {MAX_FILE_BYTES} bytes", rel)
            return text, _overlay_identity(text)
        st, data = self.read_bytes(rel)
        identity = identity_of(st, data)
        self.identities.setdefault(rel, identity)
        return data.decode("utf-8", "surrogateescape"), identity

    def fingerprint(self, rel: str) -> Identity:
        """The identity of `rel`: as first read in this run, else read now."""
        known = self.identities.get(rel)
        return known if known is not None and rel not in self.overlay else self.read_identified(rel)[1]

    def read_bytes(self, rel: str) -> tuple[os.stat_result, bytes]:
        """A regular file of the tree on disk (not the overlay), bounded."""
        path = self.confined(rel)
        try:
            # O_NONBLOCK: a FIFO put in place of a Kconfig file cannot block the open.
            with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as handle:
                st = os.fstat(handle.fileno())
                if not stat.S_ISREG(st.st_mode):
                    raise UserError("not a regular file", rel)
                # Sized to the file: a read of MAX_FILE_BYTES + 1 allocates that
                # much each time (4x slower, 0.1 s an arch). A file grown since
                # the fstat is read on, to the same bound.
                data = handle.read(min(st.st_size, MAX_FILE_BYTES) + 1)
                if len(data) > st.st_size:
                    data += handle.read(MAX_FILE_BYTES + 1 - len(data))
        except OSError as err:
            raise UserError(f"cannot read: {err.strerror}", rel) from None
        if len(data) > MAX_FILE_BYTES:
            raise UserError(f"file is larger than {MAX_FILE_BYTES} bytes", rel)
        return st, data

    def kconfig_files(self) -> list[str]:
        """Every file on disk whose name starts with `Kconfig` (relative, in
        walk order; hidden directories and symlinked ones are not entered)."""
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            out += [os.path.relpath(os.path.join(dirpath, f), self.root) for f in filenames if f.startswith("Kconfig")]
        return out

    def glob(self, pattern: str) -> list[str]:
        """Paths (relative) matching a relative `pattern`, as glob.glob finds
        them, except that no directory outside the tree is ever listed: each
        one is confined before it is read (UserError otherwise)."""
        parts = pattern.split("/")
        found = [""]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            following: list[str] = []
            for base in found:
                if globlib.has_magic(part):
                    directory = self.confined(base) if base else self.root
                    try:
                        names = os.listdir(directory)
                    except OSError:
                        continue
                    names = sorted(n for n in names if fnmatch.fnmatchcase(n, part)
                                   and (part.startswith(".") or not n.startswith(".")))
                else:
                    names = [part]
                for name in names:
                    rel = f"{base}/{name}" if base else name
                    if os.path.lexists(self.root / rel) if last else os.path.isdir(self.root / rel):
                        following.append(rel)
            found = following
        return sorted(found)
