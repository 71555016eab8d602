
import pytest

from kltolint.compat import PROBE_PREFIX, TRANSITIONAL_PROMPT, rewrite
from kltolint.errors import UserError
from kltolint.expr import Sym
from kltolint.load import load_arch
from kltolint.tree import Tree
from tests.conftest import TREES, make_tree


def test_rewrite_keeps_line_count_and_other_lines():
    text = "config MODULES\n\tbool \"m\"\n\tmodules\nconfig OLD\n\tbool\n\ttransitional  # gone\n\thelp\n\t  x\n"
    out = rewrite(text)
    assert out.count("\n") == text.count("\n")
    assert "\toption modules\n" in out
    assert "\ttransitional" not in out
    assert f'\tprompt "{TRANSITIONAL_PROMPT}"  # gone\n' in out
    assert rewrite("config A\n\tbool\n") == "config A\n\tbool\n"


def test_6_18_syntax_loads_with_true_line_numbers():
    model = load_arch(Tree(TREES / "linux-6.18-syntax"), "arm64")
    assert "OLD_LTO_NAME" in model.symbols
    text = (TREES / "linux-6.18-syntax" / "Kconfig").read_text().splitlines()
    lto = model.symbols["LTO_CLANG"]
    assert text[lto.locs[0].line - 1] == "config LTO_CLANG"
    assert model.symbols["LTO_CLANG"].defaults[0][0] == Sym("OLD_LTO_NAME")


def test_probes_are_never_executed(tmp_path):
    canary = tmp_path / "canary"
    root = make_tree(tmp_path / "t", {
        "Kconfig": 'source "scripts/Kconfig.include"\n' f'config A\n\tdef_bool $(shell,touch {canary} && echo y)\n'
                   f'config B\n\tbool "b"\n\tdepends on $(success,touch {canary})\n',
        "scripts/Kconfig.include": 'success = $(shell,{ $(1); } >/dev/null 2>&1 && echo y || echo n)\n',
    })
    model = load_arch(Tree(root), "demo")
    assert not canary.exists()
    probes = list(model.probes.values())
    assert len(probes) == 2 and all(p.name.startswith(PROBE_PREFIX) for p in probes)
    assert any(f"touch {canary}" in p.command for p in probes)


def test_same_command_is_one_probe_and_tools_stay_apart(tmp_path):
    root = make_tree(tmp_path, {
        "Kconfig": "config A\n\tdef_bool $(shell,$(NM) --help)\n"
                   "config B\n\tdef_bool $(shell,$(AR) --help)\n"
                   "config C\n\tdef_bool $(shell,$(NM) --help)\n",
    })
    model = load_arch(Tree(root), "demo")
    defaults = {n: model.symbols[n].defaults[0][0] for n in "ABC"}
    assert defaults["A"] == defaults["C"] != defaults["B"]


def test_host_environment_does_not_leak(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", "/usr/bin/gcc-from-host")
    root = make_tree(tmp_path, {"Kconfig": "config A\n\tdef_bool $(shell,$(CC) --version)\n"})
    model = load_arch(Tree(root), "demo")
    (probe,) = model.probes.values()
    assert "gcc-from-host" not in probe.command


def test_select_edges_keep_their_entry(fixture_tree):
    model = load_arch(fixture_tree("arm64-big-endian/before"), "arm64")
    (edge,) = model.incoming("select", "ARCH_SUPPORTS_LTO_CLANG")
    assert (edge.source, edge.entry.file, edge.entry.line) == ("ARM64", "arch/arm64/Kconfig", 2)


@pytest.mark.parametrize("kconfig, where", [
    ("config A\n\tbool \"a\"\n\tdepends on (B\n", "Kconfig:3"),
    ("config A\n\tbool\n\tfrobnicate\n", "Kconfig:3"),
    ('source "missing/Kconfig"\n', "Kconfig:1"),
])
def test_syntax_errors_name_file_and_line(tmp_path, kconfig, where):
    root = make_tree(tmp_path, {"Kconfig": kconfig})
    with pytest.raises(UserError) as err:
        load_arch(Tree(root), "demo")
    assert str(err.value).startswith(where + ":")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("target", ["/etc/passwd", "../outside/Kconfig"])
def test_source_outside_the_tree_is_refused(tmp_path, target):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Kconfig").write_text("config STOLEN\n\tbool\n")
    root = make_tree(tmp_path / "t", {"Kconfig": f'source "{target}"\n'})
    with pytest.raises(UserError) as err:
        load_arch(Tree(root), "demo")
    assert "outside the tree" in str(err.value)


def test_source_through_symlink_out_of_tree_is_refused(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "Kconfig").write_text("config STOLEN\n\tbool\n")
    root = make_tree(tmp_path / "t", {"Kconfig": 'source "link/Kconfig"\n'})
    (root / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(UserError):
        load_arch(Tree(root), "demo")


def test_overlay_is_read_instead_of_disk(tmp_path):
    root = make_tree(tmp_path, {"Kconfig": "config A\n\tbool\n"})
    model = load_arch(Tree(root, overlay={"Kconfig": "config B\n\tbool\n"}), "demo")
    assert "B" in model.symbols and "A" not in model.symbols


def test_unknown_arch(fixture_tree):
    with pytest.raises(UserError, match="unknown arch 'vax'"):
        load_arch(fixture_tree("arm64-big-endian/before"), "vax")
