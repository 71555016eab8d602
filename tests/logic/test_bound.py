"""BoundEncoder: every configuration of the exact encoding satisfies it, so
what it refutes is refuted; the sweep asks the exact Encoder the rest."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from kltolint import load, sweep
from kltolint.findings import Stats
from kltolint.logic import BoundEncoder, Encoder, Query, Sat
from kltolint.model import ArchModel
from tests.helpers import demo_model

BUDGET = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
NAMES = [f"S{i}" for i in range(6)]


@st.composite
def expressions(draw, names: list[str] = NAMES, depth: int = 2) -> str:
    """An expression over `names` (and MODULES, N)."""
    atoms = [st.just("m"), st.sampled_from(["N > 3", "N > 5", "N = 4"])]
    if names:
        name = st.sampled_from(names)
        atoms += [name, name.map(lambda n: f"!{n}"), name.map(lambda n: f"{n} = y"), name.map(lambda n: f"{n} != m")]
    if depth:
        sub = expressions(names, depth - 1)
        atoms += [st.tuples(sub, sub).map(lambda p: f"({p[0]} && {p[1]})"),
                  st.tuples(sub, sub).map(lambda p: f"({p[0]} || {p[1]})")]
    return draw(st.one_of(atoms))


@st.composite
def kconfigs(draw) -> str:
    """Small trees of bool/tristate symbols with every way to get a value:
    prompts (visible or not), defaults, selects, implies, a choice, MODULES
    and an int that comparisons read. Loop-free, as the C tool requires
    (parser.y: sym_check_deps): S<i> reads only the names before it, and
    selects or implies only those after it (whose value then reads S<i>);
    every loop-free tree is one of these, its names renumbered. The choice
    reads S0..S4 and selects S5, which no other name reads."""
    out = ['config MODULES\n\tbool "modules"\n\tmodules\n', 'config N\n\tint "n"\n\trange 0 9\n\tdefault 4\n']
    for i, name in enumerate(NAMES):
        lower, higher = NAMES[:i], NAMES[i + 1:]
        cond = st.one_of(st.just(""), expressions(lower).map(lambda e: f" if {e}"))
        prompts = ["", ' "prompt"', ' "prompt"', ' "prompt" if N > 3'] + ([' "prompt" if S0'] if lower else [])
        lines = [f"config {name}", f"\t{draw(st.sampled_from(['bool', 'tristate']))}" + draw(st.sampled_from(prompts))]
        if draw(st.booleans()):
            lines.append(f"\tdepends on {draw(expressions(lower))}")
        for _ in range(draw(st.integers(0, 2))):
            lines.append(f"\tdefault {draw(st.sampled_from(['y', 'm', 'n', *lower]))}{draw(cond)}")
        for keyword in ("select", "imply"):
            for _ in range(draw(st.integers(0, 2 if keyword == "select" else 1)) if higher else 0):
                lines.append(f"\t{keyword} {draw(st.sampled_from(higher))}{draw(cond)}")
        out.append("\n".join(lines) + "\n")
    if draw(st.booleans()):
        reads = NAMES[:-1]
        out.append('choice\n\tprompt "pick"\n' + (f"\tdepends on {draw(expressions(reads))}\n" if draw(st.booleans()) else "")
                   + f'config C1\n\tbool "c1"\n\tselect {NAMES[-1]}\nconfig C2\n\tbool "c2"\n'
                   + (f"\tdepends on {draw(expressions(reads))}\n" if draw(st.booleans()) else "") + "endchoice\n")
    return "".join(out)


def _model(text: str) -> ArchModel:
    """The model of `text`, loaded with the loop check a check uses: the
    generator makes trees the C tool accepts, so a loop fails the test."""
    with tempfile.TemporaryDirectory() as scratch:
        return demo_model(Path(scratch), text, loader=load.CHECKED)


def _values(model: ArchModel, enc: Encoder) -> list[tuple[str, int, int]]:
    return [(n, *enc.value(n)) for n, s in model.symbols.items() if s.type in ("bool", "tristate")]


@BUDGET
@given(kconfigs())
def test_every_exact_configuration_satisfies_the_bound(text):
    model = _model(text)
    exact, bound = Encoder(model), BoundEncoder(model)
    names = _values(model, exact)
    questions = [lit for _, m, y in names for lit in (m, -m, y, -y)]
    exact.close()
    bound_lits = {n: (m, y) for n, m, y in _values(model, bound)}
    bound.close()
    with Query(exact) as query, Query(bound) as over:
        for question in questions:
            found = query.find([question])
            if not isinstance(found, Sat):
                continue
            fixed = []
            for name, m, y in names:
                bm, by = bound_lits[name]
                fixed += [bm if found.model(m) else -bm, by if found.model(y) else -by]
            assert over.satisfiable(fixed), (text, {n: (found.model(m), found.model(y)) for n, m, y in names})


@BUDGET
@given(kconfigs())
def test_the_sweep_finds_what_the_exact_encoding_alone_finds(text):
    model = _model(text)
    candidates = sweep._candidates(model, None, Stats())
    alone = sweep._not_refuted(Encoder(model), candidates)
    assert sweep._not_refuted(Encoder(model), sweep._not_refuted(BoundEncoder(model), candidates)) == alone


KCONFIG = """\
config N
	int "n"
	range 0 9
config PCI
	bool "pci"
config HELPER
	bool
	depends on PCI
config BUS
	bool "bus"
	depends on PCI
config DRIVER
	bool "driver"
	depends on BUS
	select HELPER
config CORE
	bool
	depends on N > 3
config FAST
	bool "fast"
	depends on N > 5
	select CORE
"""


def test_the_bound_refutes_what_dependencies_imply_and_leaves_numbers_to_the_exact_encoding(tmp_path):
    model = demo_model(tmp_path, KCONFIG)
    candidates = {e.source: (s, e) for s, e in sweep._candidates(model, None, Stats())}
    assert set(candidates) == {"DRIVER", "FAST"}
    # N > 5 implies N > 3 only in the exact order encoding: the bound leaves it open.
    assert sweep._not_refuted(BoundEncoder(model), list(candidates.values())) == [candidates["FAST"]]
    assert sweep._not_refuted(Encoder(model), [candidates["FAST"]]) == []
