import ast
import gc
import hashlib
import os
import sys
import weakref
from pathlib import Path

import kconfiglib
import pytest

import kltolint
from kltolint.compat import PROBE_PREFIX, RUNTIME, TRANSITIONAL_PROMPT, KconfigRuntime, TreeReader, rewrite
from kltolint.errors import UserError
from kltolint.expr import Sym
from kltolint.load import CHECKED, LASTING, TEMPORARY, load_arch
from kltolint.session import Session, run_together
from kltolint.suppress import Suppression, in_record
from kltolint.tree import Tree, identity_of
from tests.conftest import TREES, make_tree
from tests.helpers import fresh_collector


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


# -- the load record and the process state a load owns ------------------------------------

def _semantics(model):
    return ({n: model.symbols[n] for n in model.symbols}, list(model.choices), list(model.edges), model.files)


def test_a_temporary_load_before_a_lasting_one_is_never_frozen(fixture_tree):
    """Loads come in any order: a lasting load does not freeze a temporary
    one that is still alive (it would never be freed), and gives the model
    it gives alone."""
    alone = _semantics(load_arch(fixture_tree("arm64-big-endian/before"), "arm64"))
    kconf, _ = TEMPORARY.kconfig(fixture_tree("arm64-big-endian/before"), "arm64")
    temporary = weakref.ref(kconf)
    after = LASTING(fixture_tree("arm64-big-endian/before"), "arm64")
    del kconf
    gc.collect()
    assert temporary() is None, "the temporary load was frozen with the lasting one"
    assert _semantics(after) == alone


def test_a_lasting_load_alone_is_frozen(fixture_tree):
    fresh_collector()
    frozen = gc.get_freeze_count()
    kconf, _ = LASTING.kconfig(fixture_tree("arm64-big-endian/before"), "arm64")
    assert gc.get_freeze_count() > frozen
    assert gc.is_tracked(kconf)


@pytest.mark.parametrize("files", [
    {"Kconfig": 'config A\n\tbool "a"\n\tdepends on (B\n'},  # kconfiglib's own error
    {"Kconfig": 'source "../outside/Kconfig"\n'},  # refused by the reader's glob
    {"Kconfig": "config A\n\tbool\n\ttransitional\n\tdefault y\n"},  # refused while reading
    {"Kconfig": "config A\n\tbool\n\tdepends on " + "(" * 3000 + "B" + ")" * 3000 + "\n"},  # too deep
])
@pytest.mark.parametrize("loader", [LASTING, TEMPORARY], ids=["lasting", "temporary"])
def test_process_state_is_restored_after_a_failed_load(tmp_path, monkeypatch, files, loader):
    monkeypatch.setenv("KLTOLINT_CANARY", "kept")
    env, limit, gc_on, glob = dict(os.environ), sys.getrecursionlimit(), gc.isenabled(), kconfiglib.iglob
    with pytest.raises(UserError):
        loader(Tree(make_tree(tmp_path, dict(files))), "demo")
    assert dict(os.environ) == env
    assert (sys.getrecursionlimit(), gc.isenabled(), kconfiglib.iglob) == (limit, gc_on, glob)
    # and the runtime takes the next parse
    assert load_arch(Tree(make_tree(tmp_path / "ok", {"Kconfig": "config A\n\tbool\n"})), "demo").symbols["A"]


def test_loader_kind_decides_the_loop_check(tmp_path):
    """A changed tree is loaded by its own loader (no dispatch by identity):
    only a change can close a dependency loop, so only that loader checks."""
    root = make_tree(tmp_path, {"Kconfig": "config A\n\tbool \"a\"\n\tdepends on B\n"
                                           "config B\n\tbool \"b\"\n\tdepends on A\n"})
    assert LASTING.changed() == TEMPORARY and TEMPORARY.changed() == TEMPORARY
    assert "A" in LASTING(Tree(root), "demo").symbols
    with pytest.raises(UserError, match="[Dd]ependency loop"):
        LASTING.changed()(Tree(root), "demo")
    # A check's loader: its tree may be a working tree; a loop is refused, as the C tool does.
    assert CHECKED.kind == "lasting" and CHECKED.changed() == TEMPORARY
    with pytest.raises(UserError, match="dependency loop"):
        CHECKED(Tree(root), "demo")


def test_the_record_says_what_the_load_read(tmp_path):
    root = make_tree(tmp_path, {
        "Kconfig": 'source "drivers/*/Kconfig"\nconfig A\n\tbool "a"  # kltolint: ignore[KLTO001]\n',
        "drivers/x/Kconfig": "config X\n\tbool\n",
        "drivers/y/Kconfig": "config Y\n\tbool\n",
    })
    tree = Tree(root)
    loaded = LASTING.load(tree, "demo")
    on_disk = {rel: identity_of(*tree.read_bytes(rel)) for rel in loaded.record.names}
    assert dict(loaded.record.files) == on_disk
    assert loaded.record.names == ("Kconfig", "drivers/x/Kconfig", "drivers/y/Kconfig") == loaded.model.files
    assert loaded.record.globs == (("drivers/*/Kconfig", ("drivers/x/Kconfig", "drivers/y/Kconfig")),)
    assert in_record(loaded.record) == (Suppression("Kconfig", 3, ("KLTO001",)),)
    # A patched file: its identity is its new text's, and the text is what the record keeps.
    patched = Tree(root, {"drivers/x/Kconfig": "config X\n\tbool  # kltolint: ignore[KSEL001]\n"})
    record = TEMPORARY.load(patched, "demo").record
    size, mtime, _, _, sha = dict(record.files)["drivers/x/Kconfig"]
    assert (size, mtime) == (len("config X\n\tbool  # kltolint: ignore[KSEL001]\n"), 0)
    assert sha == hashlib.sha256(b"config X\n\tbool  # kltolint: ignore[KSEL001]\n").hexdigest()
    assert {s.file for s in in_record(record)} == {"Kconfig", "drivers/x/Kconfig"}


def test_the_loader_does_not_import_the_suppression_stage():
    """Suppressions are scanned from the load record, after loading."""
    package = Path(kltolint.__file__).parent
    for name in ("load", "compat", "tree", "model"):
        tree = ast.parse((package / f"{name}.py").read_text())
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        assert not imported & {"kltolint.suppress", "kltolint.findings", "kltolint.cache"}, name


def test_a_process_forked_during_a_parse_starts_outside_it(tmp_path, monkeypatch):
    """A pool replaces its workers whenever one exits, so a worker can be
    forked while this process parses: it must get the process state as it is
    outside a parse (the caller's environment, GC on), and parse on its own."""
    monkeypatch.setenv("KLTOLINT_CANARY", "kept")
    outside = dict(os.environ), sys.getrecursionlimit(), gc.isenabled(), kconfiglib.iglob
    root = make_tree(tmp_path, {"Kconfig": 'source "arch/$(SRCARCH)/Kconfig"\n',
                                "arch/demo/Kconfig": "config A\n\tbool\n"})
    real = TreeReader.open
    children = []

    def open_and_fork(self, filename):
        if not children:
            pid = os.fork()
            if pid == 0:  # the child: check, then parse on its own
                ok = (dict(os.environ), sys.getrecursionlimit(), gc.isenabled(), kconfiglib.iglob) == outside
                try:
                    ok = ok and "A" in load_arch(Tree(root), "demo").symbols
                finally:
                    os._exit(0 if ok else 1)
            children.append(pid)
        return real(self, filename)

    monkeypatch.setattr(TreeReader, "open", open_and_fork)
    assert "A" in load_arch(Tree(root), "demo").symbols
    _, status = os.waitpid(children[0], 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_one_arch_worker_runs_without_the_cyclic_gc(fixture_tree):
    """A forked worker analyses one arch and exits: the GC stays off for it
    (a quarter of a sweep's CPU), and nothing is collected or frozen."""
    pid = os.fork()
    if pid == 0:
        try:
            RUNTIME.one_arch_process()
            frozen = gc.get_freeze_count()
            ok = "ARM64" in LASTING(fixture_tree("arm64-big-endian/before"), "arm64").symbols
            ok = ok and not gc.isenabled() and gc.get_freeze_count() == frozen
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert gc.isenabled()  # this process is no such worker


def test_session_workers_say_they_do_one_arch(tmp_path, monkeypatch):
    marks = tmp_path / "marks"
    marks.mkdir()
    monkeypatch.setattr(KconfigRuntime, "one_arch_process",
                        lambda self: (marks / str(os.getpid())).touch())
    root = make_tree(tmp_path / "t", {"Kconfig": "config A\n\tbool\n"}, arches=("a", "b", "c"))
    session = Session(Tree(root), [], jobs=2)
    run_together([(session, ["a", "b", "c"])])
    assert len(list(marks.iterdir())) == 3  # one worker an arch, each marked


def test_a_dependency_loop_is_one_line_at_the_changed_entry(tmp_path):
    """kconfiglib reports a loop in ~20 lines with no file:line first; the
    error is one line, at the member a patch changed, naming the others."""
    root = make_tree(tmp_path, {"Kconfig": 'source "a/Kconfig"\nsource "b/Kconfig"\n',
                                "a/Kconfig": 'config A\n\tbool "a"\n\tdepends on B\n',
                                "b/Kconfig": 'config B\n\tbool "b"\n'})
    patched = Tree(root, {"b/Kconfig": '# a loop now\nconfig B\n\tbool "b"\n\tdepends on C\nconfig C\n\tbool "c"\n\tdepends on A\n'})
    with pytest.raises(UserError) as caught:
        TEMPORARY(patched, "demo")
    error = caught.value
    assert (error.file, error.line) == ("b/Kconfig", error.line) and error.line in (2, 5)
    assert "\n" not in str(error) and str(error).startswith(f"b/Kconfig:{error.line}: dependency loop: ")
    members = str(error).split("dependency loop: ")[1].split(" -> ")
    assert members[0] == members[-1] and {m.split(" ")[0] for m in members} <= {"A", "B", "C"}
    assert "A (a/Kconfig:1)" in members


def test_a_loop_in_an_unchanged_tree_is_at_its_first_member(tmp_path):
    root = make_tree(tmp_path, {"Kconfig": 'config A\n\tbool "a"\n\tdepends on B\nconfig B\n\tbool "b"\n\tdepends on A\n'})
    with pytest.raises(UserError) as caught:
        TEMPORARY(Tree(root), "demo")
    assert str(caught.value) in ("Kconfig:1: dependency loop: A -> B (Kconfig:4) -> A",
                                 "Kconfig:4: dependency loop: B -> A (Kconfig:1) -> B")


@pytest.mark.parametrize("line", ["config KLTO_PROBE_0\n\tdef_bool y\n", "config A\n\tbool \"a\"\n\tdepends on KLTO_PROBE_0\n"],
                         ids=["defined", "read"])
def test_a_probe_name_in_the_text_is_refused_at_its_line(tmp_path, line):
    """kltolint names each probe KLTO_PROBE_<n>: in the text, the model would
    read one for the other, so the load says so (one line, file and line)."""
    files = {"Kconfig": "config B\n\tdef_bool $(success,true)\n" + line}
    with pytest.raises(UserError, match=r"KLTO_PROBE_<n> names are kltolint's own") as err:
        load_arch(Tree(make_tree(tmp_path, files)), "demo")
    text = files["Kconfig"]
    assert (err.value.file, err.value.line) == ("Kconfig", text[:text.index("KLTO_PROBE_0")].count("\n") + 1)
