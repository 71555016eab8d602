"""Patches: `git format-patch` mails, mbox series, plain unified diffs.

Parsed into files and hunks, and applied to an in-memory overlay of the tree
(the working tree is never written). Binary patches and symlinks are refused:
a review bot reads untrusted input.
"""

from __future__ import annotations

import binascii
import email
import email.header
import email.message
import email.policy
import errno
import os
import re
import string
import stat
import sys
from dataclasses import dataclass

from kltolint.errors import UserError
from kltolint.source import split_lines
from kltolint.tree import Tree, has_odd_part

MAX_PATCH_BYTES = 64 * 1024 * 1024
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_FROM = re.compile(r"^From .*\n?", re.M)


@dataclass(frozen=True)
class Hunk:
    """One `@@` hunk of a unified diff."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    header: str
    lines: tuple[str, ...]  # each with its ' ', '-', '+' or '\\' prefix and line end


@dataclass(frozen=True)
class FilePatch:
    """The hunks of one file in a patch, with the header lines for quoting."""

    old_path: str | None  # None: a new file
    new_path: str | None  # None: a deleted file
    hunks: tuple[Hunk, ...]
    header: tuple[str, ...] = ()  # `diff --git` ... `+++` lines, for quoting

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


@dataclass(frozen=True)
class Patch:
    """One patch of a series (a mail, or a plain diff): its subject, threading and files."""

    subject: str
    message_id: str
    files: tuple[FilePatch, ...]
    sender: str = ""
    index: int = 1  # position in the series

    @property
    def touches_kconfig(self) -> bool:
        return any(is_kconfig(fp.path) for fp in self.files)


class PatchError(UserError):
    """A patch that cannot be read or applied: one line, exit 2."""


# Line comparisons the hunk search may make for a whole patch: a patch that
# needs more (hunks far from where they say) is refused, not searched for hours.
MAX_SEARCH = 5_000_000


def read_input(target: str) -> str:
    """A patch file's (or stdin's, for -) text: never more than MAX_PATCH_BYTES read."""
    name = "<stdin>" if target == "-" else target
    try:
        if target == "-":
            data = sys.stdin.buffer.read(MAX_PATCH_BYTES + 1)
        else:
            with open(target, "rb", opener=lambda p, flags: os.open(p, flags | os.O_NONBLOCK)) as handle:
                if stat.S_ISDIR(os.fstat(handle.fileno()).st_mode):
                    raise IsADirectoryError(errno.EISDIR, "Is a directory")
                os.set_blocking(handle.fileno(), True)  # a FIFO is read as a stream
                data = handle.read(MAX_PATCH_BYTES + 1)
    except OSError as err:
        raise PatchError(f"cannot read: {err.strerror}", name) from None
    if len(data) > MAX_PATCH_BYTES:
        raise PatchError(f"patch is larger than {MAX_PATCH_BYTES} bytes", name)
    return data.decode("utf-8", "surrogateescape")


def parse(text: str, name: str = "<patch>") -> list[Patch]:
    """A series of patches from a mail, an mbox or a plain diff."""
    if len(text) > MAX_PATCH_BYTES:
        raise PatchError(f"patch is larger than {MAX_PATCH_BYTES} bytes", name)
    if text.startswith("From ") or re.match(r"^(From|Subject|Date|Message-I[dD]|To|Cc):", text):
        # git am reads a mail as an mbox too: git mailsplit cuts it at each
        # `From ` line it takes for a separator, whatever the first line is.
        chunks = _split_mbox(text)
        patches = [p for i, chunk in enumerate(chunks, 1) if (p := _parse_mail(chunk, name, i)) is not None]
        if not patches:
            raise PatchError("mbox holds no patch" if text.startswith("From ") else "mail holds no patch", name)
        return [_renumber(p, i) for i, p in enumerate(patches, 1)]
    files = parse_diff(text, name)
    if not files:
        raise PatchError("not a patch: no unified diff found", name)
    return [Patch("", "", tuple(files))]


def _renumber(patch: Patch, index: int) -> Patch:
    return Patch(patch.subject, patch.message_id, patch.files, patch.sender, index)


def _split_mbox(text: str) -> list[str]:
    """The messages, split where git mailsplit splits: its first line, and
    every `From ` line that `_is_from_line` takes for a separator."""
    starts = [0] + [m.start() for m in _FROM.finditer(text) if m.start() and _is_from_line(m.group())]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)], strict=True)]


def _is_from_line(line: str) -> bool:
    """git's is_from_line (mbox.c), on the line with its end: `From `, then
    a last colon before the line's last character with digits as in
    hh:mm:ss around it, then a number above 90 (the year)."""
    raw = line.encode("utf-8", "surrogateescape")
    colon = raw.rfind(b":", 5, len(raw) - 2)
    if len(raw) < 20 or colon < 0:
        return False
    if not all(raw[k: k + 1].isdigit() for k in (colon - 4, colon - 2, colon - 1, colon + 1, colon + 2)):
        return False
    year = re.match(rb"[ \t\n\v\f\r]*([+-]?[0-9]+)", raw[colon + 3:])  # strtol
    return year is not None and int(year.group(1)) > 90


def _parse_mail(chunk: str, name: str, index: int) -> Patch | None:
    body_start = chunk.find("\n") + 1 if chunk.startswith("From ") else 0
    head_end = re.search(r"\r?\n\r?\n", chunk[body_start:])
    headers = chunk[body_start: body_start + head_end.start()] if head_end else ""
    if not re.search(r"^(Subject|From):", headers, re.M):
        raise PatchError(f"malformed mbox: message {index} has no mail headers", name)
    # From bytes (the input's own), so 8-bit bodies reach _content unchanged.
    message, text = _read_mail(chunk[body_start:].encode("utf-8", "surrogateescape"), name)
    files = parse_diff(text, f"{name} (message {index})")
    if not files:
        return None  # a cover letter
    return Patch(_header(message, "Subject"), _message_id(_header(message, "Message-ID")), tuple(files),
                 _header(message, "From"), index)


# Anything that could end a header line or start another, once decoded
# (RFC 2047 words can hold CR, LF, NUL, other controls and Unicode line breaks).
_UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff]")


def mail_text(raw: bytes, name: str = "<mail>") -> str:
    """The text git am would hand git apply of a mail (`raw`: its headers
    and body), before the patch is cut out of it."""
    return _read_mail(raw, name)[1]


def _read_mail(raw: bytes, name: str) -> tuple[email.message.Message, str]:
    raw = re.sub(rb"\r(?=\n)", b"", raw)  # one CR off each line end, as git mailsplit (git am's default)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    _same_parts(message, raw, name)
    return message, _mail_text(message)


def _same_parts(message: email.message.Message, raw: bytes, name: str) -> None:
    """Refuse a mail whose MIME parts git mailinfo would cut elsewhere: it
    takes any line that starts with `--` and the boundary for one (`--BBx`,
    `--BB--x`), the email package only `--BB` or `--BB--` and blanks; and
    git compares with the innermost boundary alone. A part hidden that way
    is decoded and applied by git am and never reviewed."""
    lines = raw.split(b"\n")
    multiparts = [p for p in message.walk() if p.is_multipart() and p.get_content_maintype() == "multipart"]
    separators = [b"--" + str(boundary).encode("utf-8", "surrogateescape")
                  for boundary in (p.get_boundary() for p in multiparts) if boundary is not None]
    for part, sep in zip(multiparts, separators, strict=False):
        starting = [line for line in lines if line.startswith(sep)]
        exact = [line for line in starting if re.fullmatch(re.escape(sep) + rb"(--)?[ \t]*", line)]
        parts = len(part.get_payload())
        overlapping = any(o != sep and o.startswith(sep) for o in separators)
        if overlapping or len(starting) != len(exact) or len(exact) not in (parts, parts + 1):
            raise PatchError(f"a line starts like the MIME boundary {sep.decode('utf-8', 'replace')!r} where "
                             "git am would start a part and kltolint would not: refused", name)


def _mail_text(message: email.message.Message) -> str:
    """The text git am reads a patch from: every part (a patch attached to a
    mail applies as well as one in its text), each decoded as git mailinfo
    decodes it, and never converted from its charset (git applies a patch's
    bytes as they are: only the commit message is converted)."""
    out = []
    for part in message.walk():
        if part.get_content_type() == "message/rfc822":
            raise PatchError("a mail attached to the mail (message/rfc822) is not supported")
        if not part.is_multipart():
            out.append(_ended(_content(part)))
    return "".join(out)


def _content(part: email.message.Message) -> str:
    """A part's text after its transfer encoding, line by line as git
    mailinfo decodes it (its test for the encoding is a substring one), as
    UTF-8 with undecodable bytes kept."""
    # The text as parsed: get_payload() would decode 8-bit bytes by the charset.
    payload = getattr(part, "_payload", None)
    if not isinstance(payload, str):
        return ""
    data = payload.encode("ascii", "surrogateescape")  # the bytes the parser read
    encoding = str(part.get("Content-Transfer-Encoding", "")).lower()
    if "base64" in encoding:
        data = b"".join(_base64_line(line) for line in re.findall(rb"[^\n]*\n|[^\n]+\Z", data))  # lines end at LF only
    elif "quoted-printable" in encoding:
        data = _quoted_printable(data)
    return data.decode("utf-8", "surrogateescape")


def _quoted_printable(data: bytes) -> bytes:
    """git's decode_q_segment, line by line: `=XY` is the byte XY when both
    are hex digits; `=` before a line end drops that end; a NUL (or `=` and
    a NUL) ends its line, line end and all; any other `=` stays. One regex,
    left to right as git's loop (`==41` is `=A`), each choice made on the
    next two bytes as git makes it."""
    if not _ODD_QP.search(data):  # no NUL, every `=` before a hex pair or a line end: the C decoder agrees
        return binascii.a2b_qp(data)
    return _QP.sub(lambda m: bytes.fromhex(m.group(1).decode()) if m.group(1) else b"", data)


_QP = re.compile(rb"=([0-9A-Fa-f]{2})|=?\0[^\n]*\n?|=\n|=\Z")
_ODD_QP = re.compile(rb"=(?![0-9A-Fa-f]{2}|\n|\Z)|\0")
_NOT_BASE64 = bytes(c for c in range(256) if chr(c) not in string.ascii_letters + string.digits + "+/")


def _base64_line(line: bytes) -> bytes:
    """git's decode_b_segment: each line on its own (bits a line leaves over
    are dropped), any byte outside the alphabet (`=` too) skipped; a NUL
    ends the line."""
    digits = line.split(b"\0", 1)[0].translate(None, _NOT_BASE64)
    whole = len(digits) - len(digits) % 4
    rest = digits[whole:]
    # 2 or 3 digits left give 1 or 2 bytes, as git's loop does; 1 gives none.
    return binascii.a2b_base64(digits[:whole]) + (binascii.a2b_base64(rest + b"=" * (4 - len(rest)))
                                                   if len(rest) > 1 else b"")


def _ended(text: str) -> str:
    """`text` ending its last line: the next part starts a line of its own."""
    return text if not text or text.endswith("\n") else text + "\n"


def _header(message: email.message.Message, name: str) -> str:
    """A header's decoded value on one line: control characters and line
    breaks become spaces, so it can be copied into a reply's header."""
    try:
        value = str(message.get(name, ""))
    except (ValueError, TypeError, LookupError, AttributeError):
        # A header the email package cannot parse: its raw text, decoded as far as possible.
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
        value = _decode_words(str(raw))
    return " ".join(_UNSAFE_IN_HEADER.sub(" ", value).split())


def _decode_words(raw: str) -> str:
    try:
        parts = email.header.decode_header(raw)
    except (ValueError, LookupError):
        return raw
    return "".join(p.decode(c or "utf-8", "replace") if isinstance(p, bytes) else p for p, c in parts)


def _message_id(value: str) -> str:
    """`<id@host>`, or '' for anything else (it goes into In-Reply-To)."""
    return value if re.fullmatch(r"<[^<>\s]{1,900}>", value) else ""


def _strip(path: str) -> str | None:
    path = path.split("\t")[0].strip()
    if path == "/dev/null":
        return None
    if path.startswith('"'):
        raise PatchError(f"quoted file names are not supported: {path}")
    return path[2:] if path[:2] in ("a/", "b/") else path


def _same_file(old: str | None, new: str | None, name: str) -> None:
    """Refuse a diff whose two names differ (a rename without saying so).

    patch(1) and git apply then pick a file by rules of their own (patch
    -p1 takes the existing one: `+++ b/Kconfig.orig` changes `Kconfig`), so
    judging either name could review a file other than the one changed.
    Refusing is what a review bot wants: it cannot be walked around."""
    if old is not None and new is not None and old != new:
        raise PatchError(f"the diff names two files ({old} and {new}): "
                         "renames and copies are not supported", name)


def parse_diff(text: str, name: str = "<patch>") -> list[FilePatch]:
    lines = split_lines(text)
    last_dot = max((k for k, l in enumerate(lines) if _unindented(l).rstrip("\r\n") == "."), default=-1)
    files: list[FilePatch] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            i = _git_header(lines, i, files, name)
            continue
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            header = (line, lines[i + 1])
            old, new = _strip(line[4:]), _strip(lines[i + 1][4:])
            _same_file(old, new, name)
            hunks, i = _hunks(lines, _with_a_hunk(lines, i + 2, i, name), name, new or old or "?")
            files.append(FilePatch(old, new, hunks, header))
            continue
        # Past a signature (`-- `), patch(1) and git apply still apply
        # what follows, so the scan goes on to the end.
        _refuse_foreign(lines, i, last_dot, bool(files), name)
        i += 1
    return files


_CONTEXT_SEPARATOR = re.compile(r"^\*{15}\s*$")
_NORMAL_COMMAND = re.compile(r"^\d+(,\d+)?[acd]\d+(,\d+)?\s*$")
_ED_COMMAND = re.compile(r"^\d+(,\d+)?[acd]\s*$")


def _refuse_foreign(lines: list[str], i: int, last_dot: int, in_diff: bool, name: str) -> None:
    """Refuse a diff kltolint does not read but patch(1) applies (a context,
    normal or ed diff, a unified diff indented, or, once the diffs have
    begun, a hunk with no file header), at a line outside the unified diffs
    parsed: reviewing the rest alone could pass a patch whose real change is
    hidden there. (A commit message may quote a hunk header; git am never
    applies it.) patch(1) reads a diff past any indent of blanks and `X`s."""
    line = _unindented(lines[i]).rstrip("\r\n")
    after = _unindented(lines[i + 1]) if i + 1 < len(lines) else ""
    kind = None
    if _CONTEXT_SEPARATOR.match(line) or (line.startswith("*** ") and after.startswith("--- ")):
        kind = "a context diff"
    elif _NORMAL_COMMAND.match(line) and after.startswith(("<", ">")):
        kind = "a normal diff"
    elif _ED_COMMAND.match(line) and last_dot > i:
        kind = "an ed script"
    elif line.startswith("--- ") and after.startswith("+++ "):
        kind = "an indented unified diff"  # an unindented one is parsed, never refused here
    elif in_diff and _HUNK.match(line):
        kind = "a hunk with no ---/+++ file names"
    if kind is not None:
        raise PatchError(f"{kind} at line {i + 1} of the diff text: patch(1) applies it but kltolint "
                         "does not read it (only unified diffs are reviewed)", name)


def _unindented(line: str) -> str:
    return line.lstrip(" \tX")


def _with_a_hunk(lines: list[str], i: int, header: int, name: str) -> int:
    """`i`, the line after a ---/+++ file header, which must start a hunk:
    patch(1) reads what follows a header with no hunk as a diff of another
    kind (an ed script, indented), git apply refuses it."""
    if i >= len(lines) or not lines[i].startswith("@@"):
        raise PatchError(f"the ---/+++ file header at line {header + 1} of the diff text has no hunk after it", name)
    return i


def _git_header(lines: list[str], i: int, files: list[FilePatch], name: str) -> int:
    start = i
    first = lines[i].rstrip("\r\n")
    match = re.match(r"diff --git a/(\S+) b/(\S+)$", first)
    if not match:
        raise PatchError(f"cannot read: {first[:80]}", name)
    old, new = match.group(1), match.group(2)
    i += 1
    while i < len(lines) and not lines[i].startswith(("diff --git ", "--- ", "@@ ")):
        text = lines[i]
        if text.startswith(("GIT binary patch", "Binary files ")):
            raise PatchError(f"binary patch for {new} is not supported", name)
        if re.match(r"(new file |deleted file |new |old )?mode 120000", text):
            raise PatchError(f"{new} is a symlink: symlinks in patches are not supported", name)
        if text.startswith("new file mode"):
            old = None
        elif text.startswith("deleted file mode"):
            new = None
        elif text.startswith(("rename from ", "copy from ")):
            raise PatchError(f"renamed or copied files are not supported ({new})", name)
        i += 1
    _same_file(old, new, name)
    header_end = i
    if i + 1 < len(lines) and lines[i].startswith("--- ") and lines[i + 1].startswith("+++ "):
        # git apply refuses a `---`/`+++` pair that contradicts the header; so does review.
        if (_strip(lines[i][4:]), _strip(lines[i + 1][4:])) != (old, new):
            raise PatchError(f"the ---/+++ lines do not match `{first[:160]}`", name)
        header_end = i + 2
        i = _with_a_hunk(lines, i + 2, i, name)
    hunks, i = _hunks(lines, i, name, new or old or "?")
    files.append(FilePatch(old, new, hunks, tuple(lines[start:header_end])))
    return i


def _hunks(lines: list[str], i: int, name: str, path: str) -> tuple[tuple[Hunk, ...], int]:
    hunks = []
    while i < len(lines) and lines[i].startswith("@@"):
        match = _HUNK.match(lines[i])
        if not match:
            raise PatchError(f"malformed hunk header for {path}: {lines[i].strip()}", name)
        old_start, old_len = int(match.group(1)), int(match.group(2) or 1)
        new_start, new_len = int(match.group(3)), int(match.group(4) or 1)
        header = lines[i]
        i += 1
        body: list[str] = []
        old_seen = new_seen = 0
        while i < len(lines) and (old_seen < old_len or new_seen < new_len or lines[i].startswith("\\")):
            text = lines[i]
            kind = text[:1]
            if kind == "\n" or text in ("\n", "\r\n"):
                text, kind = " " + text, " "  # a blank context line that lost its space
            if kind not in " -+\\":
                raise PatchError(f"malformed hunk for {path}: {text.strip()[:60]!r}", name)
            if kind in " -":
                old_seen += 1
            if kind in " +":
                new_seen += 1
            body.append(text)
            i += 1
        if old_seen != old_len or new_seen != new_len:
            raise PatchError(f"truncated hunk for {path} ({header.strip()})", name)
        hunks.append(Hunk(old_start, old_len, new_start, new_len, header, tuple(body)))
    return tuple(hunks), i


# -- applying -----------------------------------------------------------------------------

def _side(hunk: Hunk, keep: str) -> list[str]:
    """The old (keep='-') or new (keep='+') lines of a hunk, with line ends."""
    out: list[str] = []
    last_kind = ""
    for line in hunk.lines:
        kind, text = line[:1], line[1:]
        if kind == "\\":
            # `\ No newline at end of file`: the line before it has none, on
            # the side that line belongs to.
            if out and last_kind in (" ", keep):
                out[-1] = out[-1][:-1] if out[-1].endswith("\n") else out[-1]
            continue
        last_kind = kind
        if kind == " " or kind == keep:
            out.append(text)
    return out


def apply(tree: Tree, patch: Patch) -> dict[str, str | None]:
    """`tree`'s overlay after `patch`'s Kconfig files: path -> text (None: deleted)."""
    out: dict[str, str | None] = dict(tree.overlay)
    current = Tree(tree.root, out)  # sees each file as the patch left it so far
    budget = [MAX_SEARCH]
    for fp in patch.files:
        if not is_kconfig(fp.path):
            continue  # only Kconfig files change what kltolint sees
        current.confined(fp.path)  # refuses paths that leave the tree
        if has_odd_part(fp.path.split("/")):
            # git apply reads `a//b` as `a/b`, patch(1) `a/./b` too: the overlay
            # would hold a name no load opens, and the change go unseen.
            raise PatchError(f"{fp.path}: a path with an empty, `.` or `..` part is not supported")
        _refuse_beyond_link(tree, fp.path)
        if fp.old_path is None:
            if current.exists(fp.path):
                raise PatchError(f"patch does not apply: it creates {fp.path}, which exists")
            old = ""
        elif out.get(fp.old_path, "") is None:
            raise PatchError(f"patch changes {fp.old_path}, which an earlier patch deleted")
        elif not current.exists(fp.old_path):
            raise PatchError(f"patch does not apply: {fp.old_path} does not exist in the tree")
        else:
            old = current.read(fp.old_path)
        new = _apply_hunks(old, fp, budget)
        out[fp.path] = None if fp.new_path is None else new
    return out


def _refuse_beyond_link(tree: Tree, path: str) -> None:
    """git apply refuses a path with a symbolic link among its directories
    ("beyond a symbolic link"); read through the link, the overlay would
    hold a name the loads never open (they read the file by its real path)."""
    parts = path.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        parent = "/".join(parts[:depth])
        if os.path.islink(os.path.join(tree.root, parent)):
            raise PatchError(f"{path}: a path beyond a symbolic link ({parent}) is not applied, as by git apply")


def _apply_hunks(text: str, fp: FilePatch, budget: list[int]) -> str:
    lines = split_lines(text)
    offset = 0  # lines the hunks so far added
    displaced = False  # was a hunk so far found away from its line?
    for number, hunk in enumerate(fp.hunks, 1):
        old, new = _side(hunk, "-"), _side(hunk, "+")
        want = max(hunk.old_start - 1 + offset, 0) if hunk.old_len else hunk.old_start + offset
        # git apply starts from the `+` line number, patch(1) from the `-` one
        # moved as far as the hunk before it was: where they differ, so may
        # the place each finds.
        git_want = max(hunk.new_start - 1, 0) if hunk.new_len else hunk.new_start
        at = _place(lines, old, want, _anchors(hunk), displaced or git_want != want, budget)
        where = f"{fp.path}: hunk #{number} ({hunk.header.strip()})"
        if at is None:
            raise PatchError(f"patch does not apply: {where} does not match the tree")
        if at == _OUT_OF_BUDGET:
            raise PatchError(f"patch does not apply: {where} is not near its line; "
                             f"the patch needs more than {MAX_SEARCH} comparisons")
        if at == _AMBIGUOUS:
            raise PatchError(f"patch does not apply: {where} is not at its line and matches more than one "
                             "place, where git apply and patch(1) may choose differently")
        displaced = displaced or at != want
        lines[at: at + len(old)] = new
        offset += len(new) - len(old)
    return "".join(lines)


_OUT_OF_BUDGET, _AMBIGUOUS = -1, -2


def _anchors(hunk: Hunk) -> tuple[bool, bool]:
    """Must the hunk match at the start of the file, at its end? git apply
    anchors a hunk at line 1 to the start and one without trailing context
    to the end; patch(1) anchors a hunk with less context before its change
    than after to the start, and the other way round to the end."""
    kinds = [line[:1] for line in hunk.lines if line[:1] != "\\"]
    changed = [i for i, kind in enumerate(kinds) if kind != " "]
    leading = changed[0] if changed else len(kinds)
    trailing = len(kinds) - 1 - changed[-1] if changed else len(kinds)
    return hunk.old_start <= 1 or leading < trailing, trailing == 0 or trailing < leading


def _place(lines: list[str], old: list[str], want: int, anchors: tuple[bool, bool], displaced: bool,
           budget: list[int]) -> int | None:
    """Where the hunk's old side goes: at its line, as git apply and patch(1)
    both place it; away from it (the tree moved, or an earlier hunk was found
    elsewhere), only where it is the one match in the file, so that no
    order of search can choose another. None if nowhere, _OUT_OF_BUDGET
    when the patch's comparisons (budget[0], shared by its hunks) run out,
    _AMBIGUOUS for more than one match."""
    start, end = anchors

    def fits(at: int) -> bool:
        return (not start or at == 0) and (not end or at + len(old) == len(lines))

    if not displaced and fits(want) and lines[want: want + len(old)] == old:
        return want
    found = _matches(lines, old, budget)
    if found is None:
        return _OUT_OF_BUDGET
    if len(found) > 1:
        return _AMBIGUOUS
    return found[0] if found and fits(found[0]) else None


def _matches(lines: list[str], old: list[str], budget: list[int]) -> list[int] | None:
    """Every place `old` is, up to two; None when the budget runs out."""
    size = len(old)
    if not size:
        return list(range(min(len(lines) + 1, 2)))
    found: list[int] = []
    first = old[0]
    for at in range(len(lines) - size + 1):
        budget[0] -= 1
        if budget[0] < 0:
            return None
        if lines[at] == first and lines[at: at + size] == old:
            found.append(at)
            if len(found) > 1:
                break
    return found


def is_kconfig(path: str) -> bool:
    return path.rsplit("/", 1)[-1].startswith("Kconfig")


def new_line_numbers(hunk: Hunk) -> list[int | None]:
    """For each line of the hunk, its line number in the new file (None for '-')."""
    out: list[int | None] = []
    number = hunk.new_start
    for line in hunk.lines:
        if line[:1] in " +":
            out.append(number)
            number += 1
        else:
            out.append(None)
    return out


