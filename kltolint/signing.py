"""The key saved models and cached answers are signed with (HMAC-SHA256),
kept outside the cache: `$XDG_STATE_HOME/kltolint/model-key`, made on first
use, mode 0600; one readable by others, or a link, is not used. Here, not in
saved.py, so that an answer found in the cache is checked without importing
the model's modules."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path

KEY_BYTES = 32


def key_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kltolint" / "model-key"


def signing_key(path: Path | None = None) -> bytes | None:
    """The key saved models are signed with, made on first use; None when
    it cannot be had safely (not ours, readable by others, unwritable)."""
    path = path or key_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        else:
            import secrets  # once per user: not on every question's path

            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(KEY_BYTES))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd) as handle:
            st = os.fstat(handle.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
                return None
            text = handle.read(4 * KEY_BYTES)
        key = bytes.fromhex(text)
    except (OSError, ValueError):
        return None
    return key if len(key) == KEY_BYTES else None


def sign(key: bytes, body: bytes) -> bytes:
    """The signature line of an entry's body."""
    return hmac.new(key, body, hashlib.sha256).hexdigest().encode()


def signed(key: bytes, entry: bytes) -> bytes | None:
    """The body of a `signature\nbody` entry signed with `key`, else None."""
    mac, _, body = entry.partition(b"\n")
    return body if hmac.compare_digest(mac, sign(key, body)) else None
