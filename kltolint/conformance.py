"""Conformance of the model with the kernel's own conf tool (a developer command).

    python -m kltolint.conformance TREE ARCH [--samples N] [--seeds N] [--toolchain llvm|gcc]

Two directions, on one arch of one tree:

- soundness: every `.config` conf produces (randconfig with seeds, allnoconfig,
  allyesconfig, alldefconfig, the arch's defconfigs) satisfies the model with
  every symbol fixed and every probe given the toolchain's real answer;
- precision: random satisfying assignments of the model, written as full
  fragments, come back from conf unchanged on every symbol.

Each disagreement is printed with its minimal set of conflicting symbols
(soundness) or the symbols that differ (precision). Exit status 1 when any.

Unlike `kltolint check`, this runs the tree's own build system: conf, and the
probe commands conf would run (with the toolchain's make variables). Use it on
trees you trust.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from collections.abc import Mapping, Sequence

from kltolint.expr import Const, Expr, Sym, or_
from kltolint.load import load_arch
from kltolint.logic import FALSE, TRUE, Assignment, Encoder, InputKey, Query, Sat, Unsat
from kltolint.logic import number as _number
from kltolint.model import BOOL_TYPES, INT_TYPES, ArchModel
from kltolint.tree import Tree

Toolchain = Literal["llvm", "gcc"]
LLVM_SUFFIX = os.environ.get("KLTOLINT_LLVM_SUFFIX", "-19")  # Debian names clang-19, ld.lld-19
# Arches whose Makefile accepts LLVM=1 on 6.1 and 6.12 (the others stop: "add
# '--target=' option"); for them the host's gcc answers the probes.
LLVM_ARCHES = ("arm", "arm64", "powerpc", "riscv", "s390", "mips", "x86")
SOUNDNESS_TARGETS = ("allnoconfig", "allyesconfig", "alldefconfig", "defconfig")


# -- .config files ----------------------------------------------------------------------

def parse_config(text: str) -> dict[str, str]:
    """CONFIG_X=v and `# CONFIG_X is not set` lines, strings unquoted."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"^CONFIG_(\w+)=(.*)$", line)
        if match:
            value = match.group(2)
            if value.startswith('"') and value.endswith('"'):
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            values[match.group(1)] = value
        elif (match := re.match(r"^# CONFIG_(\w+) is not set$", line)):
            values[match.group(1)] = "n"
    return values


# -- the conf tool --------------------------------------------------------------------

@dataclass
class Conf:
    """The tree's conf tool for one arch and toolchain; built once, in `work`."""

    tree: Path
    arch: str
    toolchain: Toolchain
    work: Path

    def make_vars(self) -> list[str]:
        if self.toolchain == "llvm" and self.arch in LLVM_ARCHES:
            return [f"LLVM={LLVM_SUFFIX}"]
        return []

    def run(self, target: str, fragment: str | None = None, seed: int | None = None) -> dict[str, str]:
        out = self.work / f"build-{self.arch}-{self.toolchain}"
        env = {**os.environ}
        env.pop("KCONFIG_ALLCONFIG", None)
        if fragment is not None:
            frag = self.work / "fragment.config"
            frag.write_text(fragment)
            env["KCONFIG_ALLCONFIG"] = str(frag)
        if seed is not None:
            env["KCONFIG_SEED"] = str(seed)
        result = subprocess.run(
            ["make", "-s", "-C", str(self.tree), f"O={out}", f"ARCH={self.arch}", *self.make_vars(), target],
            env=env, capture_output=True, text=True, timeout=900)
        if result.returncode:
            raise RuntimeError(f"make {target} failed: {result.stderr.strip()[-600:]}")
        return parse_config((out / ".config").read_text())

    def environment(self) -> dict[str, str]:
        """The make-exported values Kconfig read (syncconfig's auto.conf.cmd)."""
        path = self.work / f"build-{self.arch}-{self.toolchain}" / "include/config/auto.conf.cmd"
        if not path.exists():
            self.run("allnoconfig")
            subprocess.run(["make", "-s", "-C", str(self.tree), f"O={path.parents[2]}", f"ARCH={self.arch}",
                            *self.make_vars(), "syncconfig"], capture_output=True, text=True, timeout=900)
        env = {}
        if path.exists():
            for match in re.finditer(r'ifneq "\$\((\w+)\)" "(.*)"', path.read_text()):
                env[match.group(1)] = match.group(2)
        return env

    def defconfigs(self) -> list[str]:
        folder = self.tree / "arch" / self.arch / "configs"
        return sorted(p.name for p in folder.glob("*_defconfig")) if folder.is_dir() else []


def probe_answers(model: ArchModel, conf: Conf) -> dict[str, str]:
    """What each probe answers with conf's toolchain: its command, run as conf
    runs it (/bin/sh, output with newlines as spaces), after the make values
    are put in for the tool placeholders."""
    env = conf.environment()
    by_name: dict[str, str] = {}  # a probe's command may hold an earlier probe's name
    scratch = Path(tempfile.mkdtemp(prefix="probes-", dir=conf.work))
    for probe in sorted(model.probes.values(), key=lambda p: int(p.name.rsplit("_", 1)[1])):
        command = re.sub(r"KLTO_PROBE_\d+", lambda m: by_name.get(m.group(0), ""), _fill(probe.command, env))
        result = subprocess.run(["/bin/sh", "-c", command], cwd=scratch, capture_output=True, text=True,
                                env={**os.environ, **env, "srctree": str(conf.tree)}, timeout=120)
        by_name[probe.name] = result.stdout.replace("\n", " ").strip()
    return {probe.command: by_name[probe.name] for probe in model.probes.values()}


def _fill(text: str, env: Mapping[str, str]) -> str:
    """A tool placeholder (<CC>) replaced by the make variable's value."""
    return re.sub(r"<(\w+)>", lambda m: env.get(m.group(1), ""), text)


# -- the model side ---------------------------------------------------------------------

class Side:
    """The whole model of an arch, encoded once, asked many configurations."""

    def __init__(self, model: ArchModel) -> None:
        self.model = model
        self.enc = Encoder(model)
        self.bools = [n for n, s in model.symbols.items() if s.type in BOOL_TYPES]
        for name in self.bools:
            self.enc.value(name)
        self.enc.close()
        self.query = Query(self.enc)

    def pins(self, config: Mapping[str, str]) -> dict[str, list[int]]:
        """Assumptions, by symbol, fixing every symbol to config's value
        (a bool/tristate absent from it is n)."""
        enc, groups = self.enc, {}
        for name in self.bools:
            value, tri = config.get(name, "n"), enc.value(name)
            groups[name] = [tri.m if value in ("m", "y") else -tri.m, tri.y if value == "y" else -tri.y]
        for name, value in config.items():
            sym = self.model.symbols.get(name)
            if sym is None or sym.type in BOOL_TYPES:
                continue
            if sym.type in INT_TYPES:
                number = _number(value, 16 if sym.type == "hex" else 10)
                if number is not None:
                    groups[name] = [enc.ge(name, number), -enc.ge(name, number + 1)]
            elif sym.type == "string":
                groups[name] = [enc.streq(name, value)]
        enc.close()
        return {k: [lit for lit in v if lit != TRUE] for k, v in groups.items()}

    def probe_pins(self, answers: Mapping[str, str], env: Mapping[str, str]) -> list[int]:
        """The free probe inputs the encoding has, fixed to the real answers."""
        out = []
        for key, var in self.enc.inputs.vars.items():
            kind, what = key.kind, key.what
            if kind == "tool-str":
                out.append(var if _fill(what, env) == key.at else -var)  # a tool variable's text
                continue
            if kind == "tool-ge" and what.startswith("<"):
                # a number a make variable holds (7.x's PAHOLE_VERSION)
                out.append(var if (_number(_fill(what, env), 10) or 0) >= _threshold(key) else -var)
                continue
            if not key.is_answer() or what not in answers:
                continue
            answer = answers[what]
            if kind == "probe":
                out.append(var if answer == "y" else -var)
            elif kind == "probe-ge":
                out.append(var if (_number(answer, 10) or 0) >= _threshold(key) else -var)
            elif kind == "probe-str":
                out.append(var if answer == key.at else -var)
        return out

    def conflict(self, groups: Mapping[str, list[int]], extra: list[int]) -> list[str] | None:
        """None when the pinned configuration is a model of the Kconfig; else a
        minimal set of symbols whose values together the model refuses."""
        query = self.query
        query.feed()  # the encoder's phases once, not again before each solve below
        if any(FALSE in lits for lits in groups.values()):
            return sorted(k for k, lits in groups.items() if FALSE in lits)
        flat = [lit for lits in groups.values() for lit in lits]
        outcome = query.find(extra + flat, steer=False)
        if isinstance(outcome, Sat):
            return None
        owner = {lit: k for k, lits in groups.items() for lit in lits}
        keep = sorted({owner[lit] for lit in outcome.core if lit in owner})
        if isinstance(query.find(extra, steer=False), Unsat):
            return ["(the toolchain's probe answers)"]
        i = 0
        while i < len(keep):
            trial = keep[:i] + keep[i + 1:]
            outcome = query.find(extra + [lit for k in trial for lit in groups[k]], steer=False)
            if isinstance(outcome, Sat):
                i += 1
            else:
                core = {owner[lit] for lit in outcome.core if lit in owner}
                keep = [k for k in trial if k in core]
                i = min(i, len(keep))
        return keep

    def sample(self, rnd: random.Random, extra: list[int]) -> Assignment | None:
        """A random model: random phases and a few random assumptions on the
        users' inputs, as in the differential test."""
        inputs = self.enc.inputs.vars
        users = [v for k, v in inputs.items() if k.is_user_choice()]
        on = rnd.choice((0.1, 0.3, 0.5))
        self.query.prefer([v if rnd.random() < on else -v for v in users])
        keys = [inputs[InputKey("user", k)] for k in ("MODULES", "COMPILE_TEST", "EXPERT", "64BIT")
                if InputKey("user", k) in inputs]
        plain = [v for k, v in inputs.items() if k.kind == "user"]
        keys += rnd.sample(plain, min(30, len(plain)))
        assume = [v if rnd.random() < 0.5 else -v for v in dict.fromkeys(keys)]
        found = self.query.find(extra + assume, steer=False)
        if isinstance(found, Unsat):
            found = self.query.find(extra, steer=False)
        return found.model if isinstance(found, Sat) else None

    def fragment(self, found: Assignment) -> str:
        """Every symbol the model makes visible, with the sampled user value."""
        enc, lines = self.enc, []
        for name, sym in enc.syms.items():
            if not found(sym.vis.m):
                continue
            if sym.user is None:  # choice member: the pick
                pick = enc.pick_input(name)
                picked = found(pick) if pick is not None else found(sym.value.m)
                lines.append(f"CONFIG_{name}=y" if picked else f"# CONFIG_{name} is not set")
            else:
                value = found.tri(sym.user)
                lines.append(f"CONFIG_{name}={value}" if value != "n" else f"# CONFIG_{name} is not set")
        for name, visible in enc.int_visible.items():
            if found(visible):
                number = self._int_value(name, found)
                if number is not None:
                    lines.append(f"CONFIG_{name}={hex(number) if self.model.symbols[name].type == 'hex' else number}")
        for name, text in self._strings(found).items():
            lines.append(f'CONFIG_{name}="{text}"')
        return "".join(line + "\n" for line in lines)

    def _int_value(self, name: str, found: Assignment) -> int | None:
        thresholds = self.enc.int_thresholds[name]
        above = [c for c, lit in thresholds.items() if found(lit)]
        below = [c for c, lit in thresholds.items() if not found(lit)]
        low, high = (max(above) if above else None), (min(below) - 1 if below else None)
        bounds = self._range(name, found)
        if bounds is not None:  # inside the active range, where the model's interval allows
            lo, hi = bounds
            if lo is not None and (low is None or low < lo) and (high is None or lo <= high):
                low = lo
            if low is None and hi is not None and (high is None or hi <= high):
                low = hi
        return low if low is not None else high

    def _range(self, name: str, found: Assignment) -> tuple[int | None, int | None] | None:
        sym = self.model.symbols[name]
        base = 16 if sym.type == "hex" else 10
        for low, high, cond in sym.ranges:
            if found(self.enc.expr(cond).m):
                return self._bound(low, base, found), self._bound(high, base, found)
        return None

    def _bound(self, bound: Expr, base: int, found: Assignment) -> int | None:
        if isinstance(bound, Const):
            return _number(bound.value, base)
        if not isinstance(bound, Sym):
            return None
        cuts = [c for (n, c), lit in self.enc.encoded_thresholds() if n == bound.name and found(lit)]
        return max(cuts) if cuts else None

    def _strings(self, found: Assignment) -> dict[str, str]:
        options: dict[str, list[tuple[str, int]]] = {}
        for key, var in self.enc.inputs.vars.items():
            if key.kind == "user-str":
                options.setdefault(key.what, []).append((str(key.at), var))
        out = {}
        for name, texts in options.items():
            sym = self.model.symbols[name]
            visible = self.enc.expr(_or_all(sym.prompts)).m if sym.prompts else FALSE
            if found(visible):
                picked = [text for text, var in texts if found(var)]
                out[name] = picked[0] if picked else "kltolint-none"
        return out

    def differences(self, found: Assignment, config: Mapping[str, str]) -> list[str]:
        """Every encoded symbol value, int threshold and string equality the
        model and conf's .config disagree on."""
        enc, out = self.enc, []
        for name, sym in enc.syms.items():
            model_value, conf_value = found.tri(sym.value), config.get(name, "n")
            if model_value != conf_value:
                out.append(f"{name}: model {model_value}, conf {conf_value}")
        for (name, c), lit in enc.encoded_thresholds():
            model_sym = self.model.symbols.get(name)
            if model_sym is None or model_sym.type not in INT_TYPES or name not in config:
                continue
            number = _number(config[name], 16 if model_sym.type == "hex" else 10)
            if number is not None and (number >= c) != found(lit):
                out.append(f"{name} >= {c}: model {found(lit)}, conf {config[name]}")
        for (name, text), lit in enc.encoded_string_tests():
            model_sym = self.model.symbols.get(name)
            if model_sym is not None and model_sym.type == "string" and (config.get(name, "") == text) != found(lit):
                out.append(f"{name} = {text!r}: model {found(lit)}, conf {config.get(name, '')!r}")
        return out


def _threshold(key: InputKey) -> int:
    """The number of a threshold's input key."""
    number = key.at
    assert isinstance(number, int)
    return number


def _or_all(exprs: Sequence[Expr]) -> Expr:
    return or_(*exprs)


# -- the run ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """One conformance case: a conf-produced .config checked against the model (soundness), or a model
    sample replayed through conf (precision).
    """

    direction: Literal["soundness", "precision"]
    source: str  # the conf target (and seed), or the sample's seed
    disagreement: tuple[str, ...] = ()  # minimal conflict, or the differing values
    error: str = ""
    exception: str = ""  # a documented limit of the model explains the disagreement


def known_exception(model: ArchModel, symbols: Sequence[str]) -> str:
    """The documented limit (README, Limits) that explains a disagreement on
    these symbols, or ''."""
    if not model.choices_6_11:
        for name in symbols:
            sym = model.symbols.get(name)
            if sym is not None and sym.choice is not None and model.choices[sym.choice].type == "tristate":
                return f"{name} is in a tristate choice (m mode before 6.11 is not modelled)"
    return ""


@dataclass
class Report:
    """The conformance run of one tree and arch with one toolchain: every case, and where the time went."""

    tree: str
    arch: str
    toolchain: Toolchain
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def disagreements(self) -> list[Outcome]:
        return [o for o in self.outcomes if (o.disagreement and not o.exception) or o.error]


def run(tree: Path, arch: str, toolchain: Toolchain, samples: int, seeds: int, work: Path,
        seed0: int = 1, defconfigs: int | None = 1) -> Report:
    """Soundness on conf's configurations, then precision on `samples` model samples."""
    report = Report(str(tree), arch, toolchain)
    conf = Conf(tree, arch, toolchain, work)
    start = time.monotonic()
    side = Side(load_arch(Tree(tree), arch))
    answers = probe_answers(side.model, conf)
    env = conf.environment()
    report.seconds["setup"] = time.monotonic() - start

    start = time.monotonic()
    targets: list[tuple[str, int | None]] = [(t, None) for t in SOUNDNESS_TARGETS if t != "defconfig" or not conf.defconfigs()]
    targets += [(d, None) for d in conf.defconfigs()[:defconfigs]]
    targets += [("randconfig", seed0 + i) for i in range(seeds)]
    for target, seed in targets:
        label = target if seed is None else f"{target} seed {seed}"
        try:
            config = conf.run(target, seed=seed)
        except RuntimeError as err:
            report.outcomes.append(Outcome("soundness", label, error=str(err)))
            continue
        groups = side.pins(config)
        conflict = side.conflict(groups, side.probe_pins(answers, env))
        report.outcomes.append(Outcome("soundness", label, () if conflict is None else tuple(
            f"{k}={config.get(k, 'n')}" for k in conflict) or ("(no minimal set found)",),
            exception=known_exception(side.model, conflict or ())))
    report.seconds["soundness"] = time.monotonic() - start

    start = time.monotonic()
    for i in range(samples):
        seed = seed0 + i
        found = side.sample(random.Random(seed), side.probe_pins(answers, env))
        if found is None:
            report.outcomes.append(Outcome("precision", f"sample {seed}", error="the model refuses the toolchain"))
            continue
        fragment = side.fragment(found)
        try:
            config = conf.run("allnoconfig", fragment=fragment)
        except RuntimeError as err:
            report.outcomes.append(Outcome("precision", f"sample {seed}", error=str(err)))
            continue
        differences = side.differences(found, config)
        report.outcomes.append(Outcome("precision", f"sample {seed}", tuple(differences), exception=known_exception(
            side.model, [d.split()[0].rstrip(":") for d in differences])))
    report.seconds["precision"] = time.monotonic() - start
    side.query.__exit__()
    return report


def render(report: Report) -> str:
    lines = []
    for outcome in report.outcomes:
        what = f"{report.arch} {report.toolchain} {outcome.direction} {outcome.source}"
        if outcome.error:
            lines.append(f"{what}: error: {outcome.error}")
        elif outcome.exception:
            lines.append(f"{what}: known exception: {outcome.exception}: " + "; ".join(outcome.disagreement[:5]))
        elif outcome.disagreement:
            lines.append(f"{what}: DISAGREE: " + "; ".join(outcome.disagreement[:20]))
        else:
            lines.append(f"{what}: agree")
    counts = {d: sum(1 for o in report.outcomes if o.direction == d) for d in ("soundness", "precision")}
    lines.append(f"{report.arch} {report.toolchain}: {len(report.disagreements)} disagreements in "
                 f"{counts['soundness']} conf configurations and {counts['precision']} model samples; "
                 + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kltolint.conformance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", type=Path)
    parser.add_argument("arch", nargs="+")
    parser.add_argument("--samples", type=int, default=5, help="model samples replayed through conf (precision)")
    parser.add_argument("--seeds", type=int, default=5, help="randconfig seeds (soundness)")
    parser.add_argument("--seed", type=int, default=1, help="first seed")
    parser.add_argument("--defconfigs", type=int, default=1, help="how many of the arch's defconfigs")
    parser.add_argument("--toolchain", choices=("llvm", "gcc"), action="append",
                        help="repeatable; default: both")
    parser.add_argument("--work", type=Path, help="where conf builds (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="one JSON object per arch and toolchain")
    args = parser.parse_args(argv)
    if shutil.which("make") is None:
        print("conformance: `make` is needed to run the kernel's conf tool", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="kltolint-conformance-"))
    bad = 0
    for arch in args.arch:
        for toolchain in args.toolchain or ("llvm", "gcc"):
            report = run(args.tree.resolve(), arch, toolchain, args.samples, args.seeds, work, args.seed,
                         args.defconfigs)
            bad += len(report.disagreements)
            if args.json:
                print(json.dumps({"tree": report.tree, "arch": arch, "toolchain": toolchain,
                                  "seconds": report.seconds,
                                  "outcomes": [o.__dict__ for o in report.outcomes]}), flush=True)
            else:
                print(render(report), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
