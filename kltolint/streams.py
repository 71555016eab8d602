"""Standard output and error as kltolint writes them.

Text that reaches a terminal can come from a hostile tree or patch: control
characters (ESC sequences retitle or clear a terminal), Unicode bidi
controls and undecodable bytes (kept as lone surrogates) are written as
visible escapes. Only `--diff` writes the files' bytes as they are, since a
patch must apply. A closed, full or broken output stream becomes an
`OutputError` (one line, exit 2), never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TextIO

from kltolint.errors import UserError

# C0 and C1 controls but tab and newline, DEL, bidi overrides and isolates,
# Unicode line breaks, and surrogates (bytes that were not UTF-8).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # the byte as it was in the file
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class OutputError(UserError):
    """An output stream that is closed or full: one line, exit 2."""


class Guarded:
    """A text stream that escapes what it writes and turns OSError into OutputError."""

    def __init__(self, stream: TextIO | None, name: str) -> None:
        self.raw = stream
        self.name = name
        if stream is not None and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")  # a non-UTF-8 locale never fails a write
            except (ValueError, OSError):
                pass

    def write(self, text: str) -> int:
        self._do(lambda s: s.write(printable(text)))
        return len(text)

    def write_bytes(self, text: str) -> None:
        """Text exactly as in the files (undecodable bytes restored): for --diff."""
        def put(stream: TextIO) -> None:
            stream.flush()
            buffer = getattr(stream, "buffer", None)
            if buffer is None:
                stream.write(text)
            else:
                buffer.write(text.encode("utf-8", "surrogateescape"))
                buffer.flush()
        self._do(put)

    def flush(self) -> None:
        self._do(lambda s: s.flush())

    def isatty(self) -> bool:
        try:
            return self.raw is not None and self.raw.isatty()
        except (OSError, ValueError):
            return False

    def _do(self, action: Callable[[TextIO], object]) -> None:
        if self.raw is None:
            raise OutputError("cannot write: the stream is closed", f"<{self.name}>")
        try:
            action(self.raw)
        except (OSError, ValueError) as err:
            _silence(self.raw)
            raise OutputError(f"cannot write: {getattr(err, 'strerror', None) or err}", f"<{self.name}>") from None


def _silence(stream: TextIO) -> None:
    """Point a failed stream at /dev/null, so the flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
