"""Kconfig semantics as propositional logic, decided by a SAT solver.

One job per module, in the order a query uses them:

    circuit   Tri (a value as two literals), Gates (Tseitin), Inputs (the free inputs, named by InputKey)
    edits     Edits: a fix's changes, applied by the encoder in memory
    numeric   int/hex order encoding and string equality (a mixin of the Encoder)
    encoder   Encoder: a model's symbols as a circuit, encoded lazily (cone of influence)
    bound     BoundEncoder: a smaller circuit every configuration satisfies (refutes most questions)
    solve     Query over one encoder, answering Sat | Unsat | Unknown
    miter     two versions of a model over the same inputs, compared

The names below are the package's public face; other modules import them
from `kltolint.logic`.
"""

from kltolint.logic.circuit import FALSE, INPUT_KINDS, T_N, T_Y, TRUE, Gates, InputKey, InputKind, Inputs, Tri
from kltolint.logic.edits import Edits
from kltolint.logic.encoder import Encoder, SymEnc
from kltolint.logic.bound import BoundEncoder
from kltolint.logic.miter import MITER_CONFLICTS, Differs, Miter, collateral_change, same_values, settable
from kltolint.logic.numeric import compare, compare_constants, number
from kltolint.logic.solve import Assignment, Outcome, Query, Sat, Unknown, Unsat

__all__ = [
    "FALSE", "INPUT_KINDS", "MITER_CONFLICTS", "TRUE", "T_N", "T_Y",
    "Assignment", "BoundEncoder", "Differs", "Edits", "Encoder", "Gates", "InputKey", "InputKind", "Inputs", "Miter", "Outcome", "Query",
    "Sat", "SymEnc", "Tri", "Unknown", "Unsat",
    "collateral_change", "compare", "compare_constants", "number", "same_values", "settable",
]
