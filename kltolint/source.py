"""A lossless model of a Kconfig file's text (LibCST's idea, for Kconfig).

Every byte belongs to a physical line, and `render()` gives the file back
byte for byte: comments, blank lines, help text, tabs, CRLF, `\\`
continuations and a missing final newline included. On top of the lines sit
logical lines (continuations joined), classified by their first keyword and
grouped into entries (`config X` and the property lines that follow it).
Edits replace or insert physical lines; everything else is left alone.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kltolint.errors import UserError

if TYPE_CHECKING:
    from kltolint.model import Edge
    from kltolint.tree import Tree

ENTRY_KEYWORDS = frozenset({
    "config", "menuconfig", "choice", "endchoice", "comment", "menu", "endmenu",
    "if", "endif", "source", "rsource", "osource", "orsource", "mainmenu",
})
HELP_KEYWORDS = frozenset({"help", "---help---"})
# The type lines (each may carry a prompt), and every line that may.
TYPE_KEYWORDS = frozenset({"bool", "tristate", "int", "hex", "string"})
PROMPT_KEYWORDS = TYPE_KEYWORDS | {"prompt"}
_FIRST_WORD = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_-]*|---help---)")


@dataclass
class Logical:
    """One logical line: physical lines first..last joined at `\\`."""

    first: int  # index of the first physical line
    last: int
    text: str  # joined, without the line end
    keyword: str  # first word ('' for blank or comment lines)
    kind: str  # 'entry', 'property', 'help', 'blank', 'comment'

    @property
    def lineno(self) -> int:
        return self.first + 1

    def words(self) -> list[str]:
        return self.text.split("#", 1)[0].split()


@dataclass
class Entry:
    """A `config`/`menuconfig`/`choice`/... line and the property lines that follow it."""

    keyword: str
    name: str
    header: Logical
    props: list[Logical] = field(default_factory=list)

    def lines(self, keyword: str) -> list[Logical]:
        return [p for p in self.props if p.keyword == keyword]


def _indent_width(text: str) -> int:
    width = 0
    for ch in text:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width = (width // 8 + 1) * 8
        else:
            break
    return width


def split_lines(text: str) -> list[str]:
    """Physical lines with their ends, broken at `\n` only, as kconfiglib,
    patch(1) and git do (str.splitlines also breaks at \f, \v, \x1c-\x1e,
    \x85, U+2028 and U+2029, which would shift every line number after one)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


class SourceFile:
    """One Kconfig file as lines (kept byte for byte), logical lines and entries."""

    def __init__(self, text: str) -> None:
        self.lines: list[str] = split_lines(text)
        self.logical: list[Logical] = []
        self.entries: list[Entry] = []
        self._starts: list[int] | None = None  # each entry's first line, for lookups
        self._parse()

    def render(self) -> str:
        return "".join(self.lines)

    @property
    def newline(self) -> str:
        """The file's line end (CRLF files keep CRLF in edits)."""
        for line in self.lines:
            if line.endswith("\r\n"):
                return "\r\n"
            if line.endswith("\n"):
                return "\n"
        return "\n"

    def _parse(self) -> None:
        i = 0
        help_indent: int | None = None  # inside help text: its indent, or -1 until known
        entry: Entry | None = None
        while i < len(self.lines):
            first = i
            raw = self.lines[i].rstrip("\r\n")
            if help_indent is not None:
                if raw.strip() == "":
                    self.logical.append(Logical(i, i, raw, "", "help"))
                    i += 1
                    continue
                width = _indent_width(raw)
                if help_indent < 0:
                    help_indent = width
                if width >= help_indent and width > 0:
                    self.logical.append(Logical(i, i, raw, "", "help"))
                    i += 1
                    continue
                help_indent = None
            text = raw
            while text.endswith("\\") and i + 1 < len(self.lines):
                i += 1
                text = text[:-1] + self.lines[i].rstrip("\r\n")
            logical = self._classify(first, i, text)
            self.logical.append(logical)
            if logical.kind == "entry":
                words = logical.words()
                entry = Entry(logical.keyword, words[1] if len(words) > 1 else "", logical)
                self.entries.append(entry)
            elif logical.kind == "property" and entry is not None:
                entry.props.append(logical)
                if logical.keyword in HELP_KEYWORDS:
                    help_indent = -1
            i += 1

    @staticmethod
    def _classify(first: int, last: int, text: str) -> Logical:
        stripped = text.strip()
        if not stripped:
            return Logical(first, last, text, "", "blank")
        if stripped.startswith("#"):
            return Logical(first, last, text, "", "comment")
        match = _FIRST_WORD.match(text)
        keyword = match.group(1) if match else ""
        kind = "entry" if keyword in ENTRY_KEYWORDS else "property"
        return Logical(first, last, text, keyword, kind)

    # -- lookups -------------------------------------------------------------

    def _starting_before(self, lineno: int) -> Entry | None:
        """The last entry whose header starts at or before line `lineno`
        (entries are in file order: a bisection, not a scan per lookup)."""
        starts = self._starts
        if starts is None or len(starts) != len(self.entries):
            starts = self._starts = [entry.header.first for entry in self.entries]
        at = bisect.bisect_right(starts, lineno - 1) - 1
        return self.entries[at] if at >= 0 else None

    def entry_at(self, lineno: int) -> Entry | None:
        """The entry whose header is on line `lineno` (1-based)."""
        entry = self._starting_before(lineno)
        return entry if entry is not None and lineno - 1 <= entry.header.last else None

    def entry_holding(self, lineno: int) -> Entry | None:
        """The entry whose header or property lines include line `lineno`."""
        entry = self._starting_before(lineno)
        if entry is None:
            return None
        last = entry.props[-1].last if entry.props else entry.header.last
        return entry if lineno - 1 <= last else None

    def select_line(self, entry_line: int, kind: str, target: str, nth: int = 0) -> Logical | None:
        """The nth `select TARGET` (or `imply`) line of the entry at entry_line."""
        entry = self.entry_at(entry_line)
        if entry is None:
            return None
        found = [p for p in entry.lines(kind) if len(p.words()) > 1 and p.words()[1] == target]
        return found[nth] if nth < len(found) else None

    # -- edits ---------------------------------------------------------------

    def replace(self, logical: Logical, text: str) -> None:
        """Replace a logical line (all its physical lines) by `text`."""
        # Keep the line's own ending, including none at the end of the file.
        end = self.lines[logical.last][len(self.lines[logical.last].rstrip("\r\n")):]
        self.lines[logical.first:logical.last + 1] = [text + end]
        self._reparse()

    def insert_after(self, logical: Logical, text: str) -> None:
        last = self.lines[logical.last]
        if not last.endswith("\n"):
            self.lines[logical.last] = last + self.newline
        self.lines.insert(logical.last + 1, text + self.newline)
        self._reparse()

    def delete(self, logical: Logical) -> None:
        self.lines[logical.first:logical.last + 1] = []
        self._reparse()

    def _reparse(self) -> None:
        self.logical, self.entries, self._starts = [], [], None
        self._parse()


DEFAULT_KEYWORDS = ("default", "def_bool", "def_tristate")


def default_lines(source: SourceFile, entry_line: int) -> list[Logical]:
    """The default-setting lines of an entry, in order (what kconfiglib counts)."""
    entry = source.entry_at(entry_line)
    return [p for p in entry.props if p.keyword in DEFAULT_KEYWORDS] if entry else []


class Sources:
    """Parsed source files of a tree, read once."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._files: dict[str, SourceFile] = {}
        self._preloaded = False

    def file(self, rel: str) -> SourceFile:
        if rel not in self._files:
            self._files[rel] = SourceFile(self.tree.read(rel))
        return self._files[rel]

    def parsed(self, rel: str) -> bool:
        """Is `rel` parsed already (read once, kept)?"""
        return rel in self._files

    def preload(self) -> None:
        """Parse every Kconfig file of the tree now, once (a second call does
        nothing). A session does it before forking one worker per arch, so
        that the workers share one parse instead of each making its own. A
        file that cannot be read is left to whoever needs it."""
        if self._preloaded:
            return
        self._preloaded = True
        for rel in self.tree.kconfig_files():
            if rel not in self._files:
                try:
                    self._files[rel] = SourceFile(self.tree.read(rel))
                except UserError:
                    continue

    def edge_line(self, edge: Edge) -> tuple[int, str]:
        """Line number and text of a select/imply edge (model.Edge); the
        entry's `config` line when the text cannot be found."""
        line = self.file(edge.entry.file).select_line(edge.entry.line, edge.kind, edge.target, edge.nth)
        if line is None:
            return edge.entry.line, f"{edge.kind} {edge.target}"
        return line.lineno, line.text.strip()

    def line_text(self, rel: str, line: int) -> str:
        try:
            lines = self.file(rel).lines
        except Exception:  # a probe in a file we cannot re-read: no text
            return ""
        return lines[line - 1].rstrip("\r\n") if 0 < line <= len(lines) else ""


def macro_end(code: str, start: int) -> int:
    """Where the macro at `start` (`$(`) closes; -1: it does not."""
    depth = 0
    for at in range(start + 1, len(code)):
        depth += {"(": 1, ")": -1}.get(code[at], 0)
        if depth == 0:
            return at
    return -1


def macro_calls(code: str) -> list[str]:
    """The outermost macro calls on a line (`$(cc-option,-mfoo)`), in order."""
    calls, at = [], code.find("$(")
    while at >= 0:
        end = macro_end(code, at)
        if end < 0:
            break
        calls.append(code[at:end + 1])
        at = code.find("$(", end + 1)
    return calls
