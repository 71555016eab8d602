"""Progress on a terminal's stderr, one line rewritten in place and erased
when done: `check` counts arches, `review` names what it is loading.

Only on a terminal (the caller says whether stderr is one and whether the
user asked for quiet), so piped output and logs never see a `\\r`.
"""

from __future__ import annotations

import sys
from typing import TextIO

from kltolint import streams


def _raw_err() -> TextIO:
    """stderr without escaping: the progress line's own \\r and ESC[K
    (what it shows is escaped by `streams.printable`)."""
    raw = getattr(sys.stderr, "raw", None)
    return raw if raw is not None else sys.stderr


def _show(text: str) -> None:
    err = _raw_err()
    err.write(text)
    err.flush()


class ArchCounter:
    """`kltolint: 3/21 arches done (x86)`, shown when there are two arches or more."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.count = total, 0
        self.enabled = enabled  # a terminal, not quiet
        self.counting = enabled and total > 1

    def step(self, label: str) -> None:
        if self.counting:
            self.count += 1
            _show(f"\rkltolint: {self.count}/{self.total} arches done ({streams.printable(label)})\x1b[K")

    def done(self) -> None:
        if self.enabled:
            _show("\r\x1b[K")


class StatusLine:
    """`kltolint: <what is being done>`, replaced by each new label."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled  # a terminal, not quiet

    def label(self, text: str) -> None:
        if self.enabled:
            _show(f"\rkltolint: {streams.printable(text)}\x1b[K")

    def done(self) -> None:
        if self.enabled:
            _show("\r\x1b[K")
