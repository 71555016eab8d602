"""Fuzzing with hypothesis, on a fixed budget (derandomized: CI sees the
same examples every run): generated Kconfig text through the lossless source
layer (exact round trip) and through `check`, generated patches through
`review` (the contract of conftest.contract, in bounded time), and diffs
whose file may have moved through patch.apply, against git apply and
patch(1)."""

from __future__ import annotations

import contextlib
import difflib
import io
import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from kltolint.cli import main
from kltolint.fix import apply_edits
from kltolint.findings import Edit
from kltolint.patch import PatchError
from kltolint.source import SourceFile
from tests.adversarial.conftest import DEMO, Result, change_diff, contract, new_file_diff
from tests.helpers import applied_by_kltolint, applied_by_the_tools

BUDGET = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW_BUDGET = settings(BUDGET, max_examples=60)

FRAGMENTS = [
    "config FOO", "menuconfig BAR", "\tbool \"x\"", "\ttristate", "\tdepends on FOO && !BAR",
    "\tselect ARCH_SUPPORTS_LTO_CLANG", "\tselect X if Y", "\tdefault y if FOO", "\thelp", "\t  help text",
    "if FOO", "endif", "menu \"m\"", "endmenu", "choice", "endchoice", "source \"init/Kconfig\"",
    "# comment", "", "\t# indented comment", "\timply BAZ", "\tdef_bool $(success,true)", "comment \"c\"",
    "\tdepends on (A || B) && C = \"s\"", "\trange 0 10", "config", "\tselect", "x := $(shell,echo)",
]
ODD = st.lists(st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from(
    ["\t", " ", "\\", "\"", "'", "#", "$(", ")", "\x0c", "\x0b", "\x85", "\u2028", "\x00", "\x1b[2J", "\udce9"]),
    max_size=8).map("".join)
LINE_ENDS = st.sampled_from(["\n", "\n", "\n", "\r\n", "\\\n", "\r", ""])


@st.composite
def kconfig_text(draw, max_lines: int = 30) -> str:
    lines = draw(st.lists(st.tuples(st.sampled_from(FRAGMENTS) | ODD, ODD | st.just(""), LINE_ENDS),
                          max_size=max_lines))
    return "".join(a + b + end for a, b, end in lines)


@BUDGET
@given(kconfig_text())
def test_source_layer_round_trips_exactly(text):
    source = SourceFile(text)
    assert source.render() == text
    for logical in source.logical:  # every line is somewhere, once
        assert 0 <= logical.first <= logical.last < len(source.lines)


@BUDGET
@given(kconfig_text(), st.data())
def test_an_edit_changes_only_its_line(text, data):
    source = SourceFile(text)
    if not source.logical:
        return
    logical = data.draw(st.sampled_from(source.logical))
    new = apply_edits(text, [Edit("f", logical.first + 1, logical.last + 1, "replace", "\tselect NEW")])
    after = SourceFile(new).lines
    assert after[:logical.first] == source.lines[:logical.first]
    assert after[logical.first + 1:] == source.lines[logical.last + 1:]


def _main(*argv: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return contract(Result(code, out.getvalue(), err.getvalue()))


@contextlib.contextmanager
def scratch_tree():
    with tempfile.TemporaryDirectory() as work:
        tree = Path(work) / "tree"
        shutil.copytree(DEMO / "after", tree)
        yield tree


@SLOW_BUDGET
@given(kconfig_text(max_lines=20))
def test_check_never_crashes(text):
    with scratch_tree() as tree:
        path = tree / "arch/arm64/Kconfig"
        path.write_bytes(path.read_bytes() + text.encode("utf-8", "surrogateescape"))
        result = _main("check", "--no-cache", "-q", str(path))
    if result.code == 2:
        assert "arch/arm64/Kconfig" in result.error or "Kconfig" in result.error


ARM64 = (DEMO / "after/arch/arm64/Kconfig").read_text()
HEADERS = st.sampled_from(["", "From: a <a@b>\nSubject: [PATCH] x\n\n", "Subject: =?utf-8?q?=0A?=\n\n",
                           "From 1 Mon Sep 17 00:00:00 2001\nFrom: a\nSubject: s\n\n---\n"])


@st.composite
def patches(draw) -> str:
    lines = ARM64.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(lines)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        line = draw(st.sampled_from(FRAGMENTS) | ODD) + "\n"
        if action == "insert" or not lines[at:]:
            lines.insert(at, line)
        elif action == "delete":
            del lines[at]
        else:
            lines[at] = line
    diff = change_diff("arch/arm64/Kconfig", ARM64, "".join(lines))
    if draw(st.booleans()):
        diff += new_file_diff("init/Kconfig.new", draw(kconfig_text(max_lines=8)) + "\n")
    if draw(st.booleans()) and diff:  # damage: cut, or a stray byte in a hunk
        cut = draw(st.integers(0, len(diff)))
        diff = diff[:cut] + draw(st.sampled_from(["", "\x00", "@@ -1 +1 @@\n", "\r\n", "+"])) + diff[cut:]
    return draw(HEADERS) + diff


@SLOW_BUDGET
@given(patches())
def test_review_never_crashes_and_ends(patch_text):
    with scratch_tree() as tree:
        path = tree.parent / "p.patch"
        path.write_bytes(patch_text.encode("utf-8", "surrogateescape"))
        started = time.monotonic()
        _main("review", "-q", "--tree", str(tree), str(path))
        assert time.monotonic() - started < 30


WORDS = ["a\n", "b\n", "config A\n", "\tbool\n", "endif\n"]  # few: the same lines recur


@st.composite
def moved_diffs(draw) -> tuple[str, str]:
    """A diff of a small file, made with 1 to 3 lines of context, and the
    file it is applied to: the one it was made from, or that file with
    lines added (the tree moved since), so that hunks are found away from
    their lines, or in two places."""
    base = draw(st.lists(st.sampled_from(WORDS), max_size=14))
    new = list(base)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(new)))
        line = draw(st.sampled_from([*WORDS, "X\n"]))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert" or at == len(new):
            new.insert(at, line)
        elif action == "delete":
            del new[at]
        else:
            new[at] = line
    diff = "".join(difflib.unified_diff(base, new, "a/Kconfig", "b/Kconfig", n=draw(st.integers(1, 3))))
    tree = list(base)
    for _ in range(draw(st.integers(0, 2))):
        tree.insert(draw(st.integers(0, len(tree))), draw(st.sampled_from(WORDS)))
    return "".join(tree), diff


@BUDGET
@given(moved_diffs())
def test_a_patch_applied_is_the_file_git_apply_and_patch_make(case):
    """The review judges the file the patch makes: where patch.apply
    applies a diff, git apply and patch(1) make the same file."""
    text, diff = case
    if not diff:
        return  # the edits undid each other
    with tempfile.TemporaryDirectory() as work:
        try:
            ours = applied_by_kltolint(Path(work), text, diff)
        except PatchError:
            return  # refused: nothing is judged
        assert applied_by_the_tools(Path(work), text, diff) == (ours, ours)


QP_PIECES = ["=3D", "=\n", "=\r\n", "= \n", "=ZZ", "=4", "=", "a", " ", "\t", "\n", "\r", "=0A", "=0D", "=\t\n",
             "+", "-", "==79", "=c3=a9", "\r\n", "x=\n", "\x00", "\xe9"]


@st.composite
def encoded_bodies(draw) -> tuple[str, bytes]:
    """A transfer encoding and a body in it, often damaged: quoted-printable
    with garbage, base64 with lines of any length, `=`, blanks and NULs."""
    encoding = draw(st.sampled_from(["quoted-printable", "base64", "8bit"]))
    if encoding != "base64":
        return encoding, "".join(draw(st.lists(st.sampled_from(QP_PIECES), max_size=30))).encode("latin-1")
    import base64
    lines = [base64.b64encode(draw(st.binary(max_size=9))).decode() + draw(st.sampled_from(["", "=", " ", "\x00", "A"]))
             for _ in range(draw(st.integers(1, 6)))]
    return encoding, ("\n".join(lines) + "\n").encode()


@BUDGET
@given(encoded_bodies())
def test_a_mail_body_decodes_as_git_mailinfo_decodes_it(case):
    """What review reads of a mail is what git am hands git apply: the text
    after `---`, decoded by git mailinfo (after git mailsplit)."""
    import subprocess

    from kltolint import patch
    encoding, body = case
    mail = (b"From 1 Mon Sep 17 00:00:00 2001\nFrom: a <a@b>\nSubject: s\nMIME-Version: 1.0\n"
            b"Content-Transfer-Encoding: " + encoding.encode() + b"\n\n"
            + (b"LS0tCg==\n" if encoding == "base64" else b"---\n") + body)  # `---` starts the patch
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "mail").write_bytes(mail)
        (Path(work) / "out").mkdir()
        subprocess.run(["git", "mailsplit", f"-o{work}/out", f"{work}/mail"], capture_output=True, check=True)
        with open(Path(work) / "out/0001", "rb") as stdin:
            subprocess.run(["git", "mailinfo", f"{work}/msg", f"{work}/patch"], stdin=stdin, capture_output=True)
        git = (Path(work) / "patch").read_bytes()
    ours = patch.mail_text(mail.split(b"\n", 1)[1]).encode("utf-8", "surrogateescape")
    ours = ours[ours.index(b"---\n"):]
    assert ours in (git, git + b"\n")  # review ends a part's last line
