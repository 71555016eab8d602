"""A cache of `query` and `explain` answers, as the findings cache does it.

An entry is keyed by the tree, the question (the command's arguments, the
.config's bytes) and kltolint's own code, and holds what was printed, the
exit status and the manifest of the loads behind it (every Kconfig file read,
every `source` glob with its matches). An entry is checked exactly as the
findings cache checks its own (`cache.entry_files`, `cache.unchanged`: paths confined
to the tree, types checked, identities compared): while the tree is
unchanged, the same question is answered from it without loading anything;
an edited, added or removed file, or anything not as written, is a miss.
JSON written by rename, so a corrupt or concurrent entry is only a miss.
An answer is what the tree says, as a saved model is: it is signed with the
same key (signing.py), and an entry not signed with it is a miss.
`config_bytes` reads a .config (bounded) for the key, and for explain:
here, so that an answer found in the cache loads neither the model nor the solver.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path

from kltolint.cache import (  # the findings cache's checks: confined, type-checked
    Manifest, code_digest, entry_files, read_entry, unchanged, write_entry)
from kltolint.errors import UserError
from kltolint.tree import Tree

SCHEMA = 2  # 2: signed
MAX_CONFIG_BYTES = 16 * 1024 * 1024  # a real .config is under 1 MiB


def config_bytes(path: Path) -> bytes:
    """A .config's bytes, read up to a bound (a pipe or /dev/zero included).
    O_NONBLOCK: a FIFO no one writes to cannot block the open (it reads as
    empty); a pipe with a writer (`--config <(...)`) is read as a stream, so
    it must be read once only: the caller passes these bytes on."""
    try:
        with open(path, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as handle:
            if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory")
            os.set_blocking(handle.fileno(), True)
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as err:
        raise UserError(f"cannot read: {err.strerror}", str(path)) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise UserError(f"not a .config (larger than {MAX_CONFIG_BYTES >> 20} MiB)", str(path))
    return data


class Answers:
    """The cache of query and explain answers: one JSON entry per question, valid while the files it read
    are unchanged.
    """

    def __init__(self, directory: Path, key: bytes | None = None) -> None:
        from kltolint.signing import signing_key

        self.dir = directory / f"answers-v{SCHEMA}"
        self._code = code_digest()
        # An answer is trusted for what the tree says, as a saved model is: signed
        # with the same key, or neither read nor written.
        self._key = key if key is not None else signing_key()

    def _path(self, tree: Tree, arch: str, question: str) -> Path:
        key = hashlib.sha256(f"{tree.root}\0{arch}\0{question}\0{self._code}".encode()).hexdigest()
        return self.dir / f"{key[:40]}.json"

    def get(self, tree: Tree, arch: str, question: str) -> dict[str, object] | None:
        from kltolint.signing import signed

        if self._key is None:
            return None
        try:
            body = signed(self._key, read_entry(self._path(tree, arch, question))[0])
            if body is None:  # not signed with our key: a restored cache, another user's
                return None
            data = json.loads(body)
            if data.get("question") != question or data.get("root") != str(tree.root):
                return None
            if not unchanged(tree, entry_files(data["files"]), data["globs"]):
                return None
            answer = data["answer"]
            if type(answer.get("output")) is not str or answer.get("code") not in (0, 1):
                return None
            return dict(answer)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, UserError):
            return None

    def put(self, tree: Tree, arch: str, question: str, manifests: list[Manifest], answer: dict[str, object]) -> None:
        from kltolint.signing import sign

        if tree.overlay or self._key is None:
            return
        data = {"question": question, "root": str(tree.root), "arch": arch,
                "files": {rel: list(identity) for m in manifests for rel, identity in m.files.items()},
                "globs": {pattern: list(matches) for m in manifests for pattern, matches in m.globs},
                "answer": answer}
        body = json.dumps(data).encode()
        write_entry(self._path(tree, arch, question), sign(self._key, body) + b"\n" + body)
