"""Tests of kltolint.logic, one file per module; shared helpers here."""

from __future__ import annotations

from tests.helpers import reachable  # noqa: F401 (the tests of this package import it from here)
