"""kltolint: a Kconfig dependency linter and auto-fixer for the Linux kernel.

The package reads as the data flows:

    tree      find the kernel tree, its arches, read files safely
    compat    make kconfiglib read new syntax and neutralise every probe
    load      kconfiglib -> model (plain, picklable data)
    expr      Kconfig expressions: AST, parser, printer
    model     symbols, choices, select/imply edges with their source lines
    toolchain toolchain facts (compiler, linker, assembler) as variables
    logic     SAT encoding of the model and queries on it
    rules     rule packs (rules/*.toml)
    analysis  rules x arches -> findings with witnesses and blamed lines
    output    text and json formats
    cli       main(argv) -> int
"""

__version__ = "0.1.0"
