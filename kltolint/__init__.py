"""kltolint: a Kconfig dependency linter and auto-fixer for the Linux kernel.

The package reads as the data flows (the README's module table has more):

    tree        find the kernel tree, its arches, read files safely
    compat      make kconfiglib read today's Kconfig (6.1 to 7.3) and neutralise every probe
    load        kconfiglib -> model (plain data, converted lazily)
    expr        Kconfig expressions: AST, parser, printer
    model       symbols, choices, select/imply edges with their source lines
    toolchain   toolchain facts (compiler, linker, assembler) as variables
    mintool     the tree's minimum tool versions, read as data
    logic       SAT encoding of the model and queries on it (circuit, edits, encoder,
                numeric, solve, miter)
    rules       rule packs (rules/*.toml)
    analysis    rules x arches -> findings with witnesses and blamed lines
    witness     minimal witnesses a maintainer can replay
    sweep       every select checked for unmet dependencies (KSEL001)
    dead        dangling references and dead options (KDEAD)
    redundant   toolchain conditions the minimum versions make always true (KRED)
    source      the lossless Kconfig text layer
    fix, edited verified edits on the source layer (applied to loaded models)
    patch, review, review_sweep, worktree   patches applied to an overlay, judged
    session, cache, answers, saved   findings, fixes, answers and arch models, computed or cached
    provenance, toolfacts, query, explain   asking the model
    conformance the model against the kernel's conf tool (a developer command)
    suppress    baselines and inline suppressions
    output, mail, streams   formats, mail replies, safe output
    cli, commands, progress main(argv) -> int, the command registry, one module a command
"""

__version__ = "0.1.0"
