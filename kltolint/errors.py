"""The one error type users see: a message with an optional file:line."""

from __future__ import annotations


class UserError(Exception):
    """Bad input. The CLI prints it as one line and exits 2."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None) -> None:
        super().__init__(message, file, line)  # all three: it pickles back from workers
        self.message = message
        self.file = file
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return where + self.message
