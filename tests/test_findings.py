"""Findings as data: the JSON form the cache stores round-trips every field."""

from __future__ import annotations

import json

from kltolint.findings import EditPoint, Finding, Step, Witness, from_data, to_data


def test_a_finding_round_trips_with_its_alternative_edit_points():
    finding = Finding(
        rule="KLTO001", name="n", arch="arm64", file="arch/arm64/Kconfig", line=4, message="m",
        witness=Witness("CONFIG_A=y\n", "LLVM=1", ("assuming x",), "clang-19 + ld.lld-19"),
        chain=(Step("arch/Kconfig", 7, "why"),), point=EditPoint("select", "arch/arm64/Kconfig", 2, "T", 1),
        guard="!B", notes=("a note",),
        alternatives=(EditPoint("depends", "Kconfig", 9, "A"), EditPoint("default", "Kconfig", 12, "D", 2)))
    assert from_data(json.loads(json.dumps(to_data(finding)))) == finding
