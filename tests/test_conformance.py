"""The conformance tier's own parts, on small trees (the conf tool itself is
exercised by tests/realtree/test_conformance_linux.py)."""

from __future__ import annotations

from kltolint import conformance
from kltolint.load import load_arch
from kltolint.tree import Tree
from tests.conftest import make_tree

KCONFIG = ('config MODULES\n\tbool "modules"\n\tmodules\nconfig PCI\n\tbool "pci"\n'
           'config HELPER\n\tbool\n\tdepends on PCI\n\tdefault y\nconfig NAME\n\tstring "name"\n\tdefault "x"\n')


def side(tmp_path, files=None) -> conformance.Side:
    return conformance.Side(load_arch(Tree(make_tree(tmp_path, files or {"Kconfig": KCONFIG})), "demo"))


def test_parse_config():
    text = 'CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="a \\"q\\""\nCONFIG_N=0x10\n# comment\n'
    assert conformance.parse_config(text) == {"A": "y", "B": "n", "S": 'a "q"', "N": "0x10"}


def test_a_config_conf_could_write_is_a_model(tmp_path):
    s = side(tmp_path)
    assert s.conflict(s.pins({"PCI": "y", "HELPER": "y", "NAME": "x"}), []) is None


def test_a_config_conf_never_writes_names_its_minimal_conflict(tmp_path):
    s = side(tmp_path)
    assert s.conflict(s.pins({"PCI": "n", "HELPER": "y", "NAME": "x"}), []) == ["HELPER", "PCI"]
    assert s.conflict(s.pins({"PCI": "y", "HELPER": "n"}), []) == ["HELPER", "PCI"]


def test_sample_fragment_and_differences(tmp_path):
    import random
    s = side(tmp_path)
    found = s.sample(random.Random(1), [])
    fragment = s.fragment(found)
    assert "CONFIG_PCI=" in fragment or "# CONFIG_PCI is not set" in fragment
    config = conformance.parse_config(fragment)
    config.setdefault("NAME", "x")
    if found(s.enc.syms["PCI"].value.m):
        config["HELPER"] = "y"
    assert [d for d in s.differences(found, config) if not d.startswith("NAME")] == []
    config["HELPER"] = "n" if config.get("HELPER") == "y" else "y"
    assert any(d.startswith("HELPER") for d in s.differences(found, config))


def test_tristate_choices_before_6_11_are_a_named_exception(tmp_path):
    k = ('config MODULES\n\tbool "modules"\n\tmodules\nchoice\n\tprompt "method"\n'
         'config BASIC\n\ttristate "basic"\nendchoice\n')
    old = side(tmp_path, {"Makefile": "VERSION = 6\nPATCHLEVEL = 1\n", "Kconfig": k})
    assert "tristate choice" in conformance.known_exception(old.model, ["BASIC"])
    assert conformance.known_exception(side(tmp_path / "b", {"Kconfig": k}).model, ["BASIC"]) == ""
