"""kltolint review: fixtures end to end, every output format, security."""

from __future__ import annotations

import io
import json
import sys
import time

import pytest

from kltolint.cli import main
from tests.conftest import TREES, format_patch, line_of, make_tree
from tests.helpers import diff_text

AFTER = TREES / "arm64-big-endian" / "after"
ARM64 = (AFTER / "arch/arm64/Kconfig").read_text()
GUARDED = "select ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN"
BREAK = ARM64.replace(GUARDED, "select ARCH_SUPPORTS_LTO_CLANG")
HARMLESS = ARM64.replace("ARM 64-bit (AArch64) Linux support.", "ARM 64-bit (AArch64) Linux support, say Y.")


def review(capsys, patch_text, tmp_path, *args, tree=AFTER, stdin=False, monkeypatch=None):
    if stdin:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(patch_text.encode())))
        target = "-"
    else:
        target = tmp_path / "p.patch"
        target.write_text(patch_text)
    code = main(["review", "--tree", str(tree), str(target), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_dropping_the_guard_gets_one_comment_with_its_fix(capsys, tmp_path):
    mail = format_patch(tmp_path, "arch/arm64/Kconfig", ARM64, BREAK, "arm64: allow LTO everywhere")
    code, out, _ = review(capsys, mail, tmp_path, "--format", "json")
    doc = json.loads(out)
    assert code == 1
    (finding,) = doc["findings"]
    assert finding["line"] == line_of(BREAK, "select ARCH_SUPPORTS_LTO_CLANG")
    assert finding["fix"]["applicability"] == "safe"
    assert "+\tselect ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN" in finding["fix"]["diff"]
    assert doc["removed"] == []


def test_harmless_patch_gets_nothing(capsys, tmp_path):
    mail = format_patch(tmp_path, "arch/arm64/Kconfig", ARM64, HARMLESS, "arm64: help text")
    code, out, _ = review(capsys, mail, tmp_path)
    assert code == 0 and "0 introduced, 0 removed" in out


def test_plain_diff_mbox_and_stdin_agree(capsys, tmp_path, monkeypatch):
    mail = format_patch(tmp_path, "arch/arm64/Kconfig", ARM64, BREAK, "arm64: allow LTO everywhere")
    plain = mail[mail.index("diff --git"):]
    mbox = mail + format_patch(tmp_path / "h", "arch/arm64/Kconfig", BREAK, BREAK + "# end\n", "arm64: comment")
    results = []
    for text, stdin in ((mail, False), (plain, False), (mail, True), (mbox, False)):
        code, out, _ = review(capsys, text, tmp_path, "--format", "json", stdin=stdin, monkeypatch=monkeypatch)
        results.append((code, [(f["rule"], f["file"], f["line"], f["message"]) for f in json.loads(out)["findings"]]))
    assert all(r == results[0] for r in results) and results[0][0] == 1 and results[0][1]


def test_series_each_patch_on_top_of_the_last(capsys, tmp_path):
    first = format_patch(tmp_path / "1", "arch/arm64/Kconfig", ARM64, BREAK, "break it")
    second = format_patch(tmp_path / "2", "arch/arm64/Kconfig", BREAK, ARM64, "fix it again")
    code, out, _ = review(capsys, first + second, tmp_path)
    assert code == 1
    assert "patch 1 ([PATCH] break it): 1 introduced, 0 removed" in out
    assert "patch 2 ([PATCH] fix it again): 0 introduced, 1 removed" in out


def test_a_series_names_the_patch_whose_tree_cannot_be_read(capsys, tmp_path):
    unreadable = ARM64 + 'source "arch/arm64/Kconfig.later"\n'  # a file no patch of the series adds
    first = format_patch(tmp_path / "1", "arch/arm64/Kconfig", ARM64, HARMLESS, "help text")
    second = format_patch(tmp_path / "2", "arch/arm64/Kconfig", HARMLESS, unreadable.replace(ARM64, HARMLESS),
                          "source a later file")
    code, _, err = review(capsys, first + second, tmp_path)
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("kltolint: error: arch/arm64/Kconfig:")
    assert "Kconfig.later" in err and err.rstrip().endswith("(while reviewing patch 2 of 2)")
    code, _, err = review(capsys, second.replace(HARMLESS, ARM64), tmp_path)  # alone: no series to name
    assert code == 2 and "while reviewing" not in err


def test_mail_reply(capsys, tmp_path):
    mail = format_patch(tmp_path, "arch/arm64/Kconfig", ARM64, BREAK, "arm64: allow LTO everywhere")
    _, out, _ = review(capsys, mail, tmp_path, "--format", "mail")
    lines = out.splitlines()
    assert lines[0] == "Subject: Re: [PATCH] arm64: allow LTO everywhere"
    assert any(l.startswith("In-Reply-To: <") for l in lines)
    quoted = lines.index("> +\tselect ARCH_SUPPORTS_LTO_CLANG")
    assert lines[quoted + 1] == "" and "[KLTO001]" in lines[quoted + 2]  # inline under the line
    assert "  make ARCH=arm64 LLVM=1 KCONFIG_ALLCONFIG=witness.config allnoconfig" in lines
    assert "  +\tselect ARCH_SUPPORTS_LTO_CLANG if CPU_LITTLE_ENDIAN" in lines


def test_bot_formats(capsys, tmp_path):
    mail = format_patch(tmp_path, "arch/arm64/Kconfig", ARM64, BREAK, "arm64: allow LTO everywhere")
    line = line_of(BREAK, "select ARCH_SUPPORTS_LTO_CLANG")
    sarif = json.loads(review(capsys, mail, tmp_path, "--format", "sarif")[1])
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0" and run["tool"]["driver"]["rules"][0]["id"] == "KLTO001"
    (result,) = run["results"]
    assert result["baselineState"] == "new"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == line
    change = result["fixes"][0]["artifactChanges"][0]["replacements"][0]
    assert change["deletedRegion"] == {"startLine": line, "endLine": line}
    assert change["insertedContent"]["text"] == f"\t{GUARDED}"
    rd = json.loads(review(capsys, mail, tmp_path, "--format", "rdjson")[1])
    (diag,) = rd["diagnostics"]
    assert diag["code"]["value"] == "KLTO001" and diag["location"]["range"]["start"]["line"] == line
    assert diag["suggestions"][0]["text"] == f"\t{GUARDED}\n"
    gh = review(capsys, mail, tmp_path, "--format", "github")[1]
    assert gh.startswith(f"::error file=arch/arm64/Kconfig,line={line},title=KLTO001 lto-with-big-endian-cpu::")
    assert gh.count("\n") == 1


def errors(capsys, text, tmp_path, tree=AFTER):
    code, out, err = review(capsys, text, tmp_path, tree=tree)
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_bad_patches_exit_2(capsys, tmp_path):
    assert "does not match" in errors(
        capsys, "--- a/arch/arm64/Kconfig\n+++ b/arch/arm64/Kconfig\n@@ -1,1 +1,1 @@\n-nope\n+yes\n", tmp_path)
    assert "binary" in errors(capsys, "diff --git a/x b/x\nGIT binary patch\nliteral 0\n", tmp_path)
    assert "malformed mbox" in errors(capsys, "From abc Mon Sep 17 00:00:00 2001\nbody\n\nmore\n", tmp_path)


def test_patch_without_kconfig_exits_0_with_a_note(capsys, tmp_path):
    code, out, err = review(capsys, "--- a/README\n+++ b/README\n@@ -0,0 +1 @@\n+hello\n", tmp_path)
    assert code == 0 and "touches no Kconfig file" in err


# -- security: a review bot reads untrusted patches ----------------------------------------

BASE = 'source "arch/$(SRCARCH)/Kconfig"\nconfig A\n\tbool "a"\n'


def test_probes_in_a_patch_run_nothing(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": BASE})
    canary = tmp_path / "canary"
    evil = BASE + f'config EVIL\n\tdef_bool $(shell,touch {canary})\nconfig B\n\tbool "b"\n\tdepends on $(shell,touch {canary}2)\n'
    code, _, _ = review(capsys, diff_text("Kconfig", BASE, evil), tmp_path, tree=root)
    assert code == 0
    assert not canary.exists() and not (tmp_path / "canary2").exists()


@pytest.mark.parametrize("source", ['source "/etc/passwd"', 'source "../outside/Kconfig"', 'source "link/Kconfig"'])
def test_sourcing_outside_the_tree_reads_nothing(capsys, tmp_path, source):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Kconfig").write_text("config STOLEN\n\tbool\n")
    root = make_tree(tmp_path / "t", {"Kconfig": BASE})
    (root / "link").symlink_to(tmp_path / "outside")
    err = errors(capsys, diff_text("Kconfig", BASE, BASE + source + "\n"), tmp_path, tree=root)
    assert "outside the tree" in err


def quick(capsys, tmp_path, root, patch_text):
    start = time.monotonic()
    err = errors(capsys, patch_text, tmp_path, tree=root)
    assert time.monotonic() - start < 20
    return err


def test_include_loop_ends_quickly(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": BASE})
    err = quick(capsys, tmp_path, root, diff_text("Kconfig", BASE, BASE + 'source "Kconfig"\n'))
    assert "recursive" in err


def test_huge_file_ends_quickly(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": BASE})
    huge = "config H\n\tbool\n" + "# padding\n" * 1_000_000
    err = quick(capsys, tmp_path, root, diff_text("Kconfig", BASE, BASE + 'source "huge/Kconfig"\n')
                + diff_text("huge/Kconfig", None, huge))
    assert "larger than" in err


def test_deep_nesting_ends_quickly(capsys, tmp_path):
    root = make_tree(tmp_path / "t", {"Kconfig": BASE})
    deep = BASE + "config D\n\tbool \"d\"\n\tdepends on " + "(" * 50_000 + "A" + ")" * 50_000 + "\n"
    err = quick(capsys, tmp_path, root, diff_text("Kconfig", BASE, deep))
    assert "too deeply" in err


def test_patch_adding_a_sourced_file(capsys, tmp_path):
    """The new file exists only in the overlay: it is read from there, and
    nothing asks the disk about it."""
    root = make_tree(tmp_path / "t", {"Kconfig": BASE})
    sourced = BASE.replace('config A', 'source "new/Kconfig"\nconfig A')
    patch = diff_text("Kconfig", BASE, sourced) + diff_text("new/Kconfig", None, 'config B\n\tbool "b"\n')
    code, out, err = review(capsys, patch, tmp_path, tree=root)
    assert code == 0 and "0 introduced" in out and "Traceback" not in err


def test_a_series_that_makes_an_arch_read_another_arch_file_reviews_both(capsys, tmp_path):
    """Patch 1 makes arm64 source a file under arch/x86/; patch 2 breaks arm64
    through that file. By its path the file is x86's: the arches whose load
    read it are reviewed too, or the break goes unseen."""
    shared = 'config SHARED_X\n\tbool "x"\n'
    tree = make_tree(tmp_path / "tree", {**{str(p.relative_to(AFTER)): p.read_text() for p in AFTER.rglob("*")
                                            if p.is_file()}, "arch/x86/Kconfig.shared": shared})
    sourcing = ARM64 + 'source "arch/x86/Kconfig.shared"\n'
    first = format_patch(tmp_path / "1", "arch/arm64/Kconfig", ARM64, sourcing, "arm64: read a shared file")
    second = format_patch(tmp_path / "2", "arch/x86/Kconfig.shared", shared,
                          shared + "\tselect ARCH_SUPPORTS_LTO_CLANG\n", "x86: select LTO support")
    code, out, _ = review(capsys, first + second, tmp_path, tree=tree)
    assert "patch 1 ([PATCH] arm64: read a shared file): 0 introduced, 0 removed" in out
    assert "patch 2 ([PATCH] x86: select LTO support): 1 introduced, 0 removed" in out
    assert code == 1
