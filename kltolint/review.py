"""Review a patch series: what each patch changes in the findings.

Each patch is applied to an in-memory overlay on top of the ones before it;
the arches that read its Kconfig files are analysed before and after it. Only
the difference is reported: findings it introduces (with their fixes,
verified on the patched tree) and findings it removes. Line numbers refer to
the patched files.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Sequence

from kltolint import fix, review_sweep, sweep
from kltolint.findings import Finding
from kltolint.load import LASTING, Loader
from kltolint.patch import Patch, apply, is_kconfig
from kltolint.rules import Rule
from kltolint.session import Session, run_together
from kltolint.tree import Tree


@dataclass(frozen=True)
class PatchReview:
    """What one patch of a series introduces and removes."""

    patch: Patch
    introduced: tuple[Finding, ...]
    removed: tuple[Finding, ...]
    note: str = ""  # e.g. why nothing was checked


def review(tree: Tree, patches: Sequence[Patch], rules: list[Rule],
           load: Loader = LASTING,
           progress: Callable[[str], None] = lambda _: None) -> list[PatchReview]:
    overlay: dict[str, str | None] = dict(tree.overlay)
    rules, sweeps = sweep.split(rules)  # the sweep runs on what each patch touches only
    before_session = Session(tree, rules, load)
    out = []
    for patch in patches:
        after_overlay = apply(Tree(tree.root, overlay), patch)
        after_tree = Tree(tree.root, after_overlay)
        after_session = Session(after_tree, rules, load.changed())
        touched = [fp.path for fp in patch.files if is_kconfig(fp.path)]
        if not touched:
            out.append(PatchReview(patch, (), (), "touches no Kconfig file: nothing to check"))
        else:
            arches = sorted({a for path in touched for a in tree.arches_reading(path)})
            introduced, removed = [], []
            # The sweep of what the patch touches runs where each arch is loaded.
            scoped = review_sweep.ScopedSweep(
                tuple(sweeps), frozenset(review_sweep.touched_symbols(before_session.tree, after_tree, patch)))
            before_session.extra = after_session.extra = scoped if sweeps and scoped.scope else None
            # Before and after side by side, in forked workers where there are
            # several, while this process checks the first arch after the patch
            # (its model then serves the fixes' verification).
            def shown(session: Session, arch: str, after: Session = after_session) -> None:
                if session is after:  # progress names the arches checked after the patch
                    progress(arch)

            run_together([(before_session, arches), (after_session, arches)], shown, here=(after_session, arches[0]))
            befores = {arch: before_session.findings(arch) for arch in arches}
            for arch in arches:
                before = {f.key(): f for f in befores[arch]}
                after = {f.key(): f for f in after_session.findings(arch)}
                introduced += [f for k, f in after.items() if k not in before]
                removed += [f for k, f in before.items() if k not in after]
            if introduced:
                introduced = fix.Fixer(after_session).attach(introduced)
            if sweeps:
                swept = [review_sweep.diff(before_session, after_session, a, scoped) for a in arches]
                removed += [f for _, gone in swept for f in gone]
                added = [f for new, _ in swept for f in new]
                if added:
                    introduced += _sweep_fixer(after_session, rules + sweeps).attach(added)
            out.append(PatchReview(patch, tuple(sorted(introduced, key=Finding.sort_key)),
                                   tuple(sorted(removed, key=Finding.sort_key))))
        overlay = after_overlay
        before_session = after_session
    return out


def _sweep_fixer(after: Session, rules: list[Rule]) -> fix.Fixer:
    """A fixer that knows the sweep, on the patched tree's loaded models. Its
    verification compares before and after within the edit's cone only (not
    the whole sweep of the arch, which the review never ran)."""
    fixer = fix.Fixer(after.with_rules(rules))
    fixer.findings_for = fixer.known = lambda _arch: None
    return fixer
