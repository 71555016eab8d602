"""Rule files with wrong types, deep expressions, or that are not files (report F8, F29, F30)."""

from __future__ import annotations

import pytest

from tests.adversarial.conftest import run

RULE = '''[[rule]]
id = "X001"
name = "x"
forbid = "LTO_CLANG && CPU_BIG_ENDIAN"
message = "m"
rationale = "r"
fix = {{ strategy = "guard-select", guard = "CPU_LITTLE_ENDIAN" }}
{extra}
'''


@pytest.mark.parametrize("extra, key", [('enabled = "no"', "enabled"), ('valid = "not a list"', "valid"),
                                        ('reference = ["x"]', "reference"), ("invalid = [1]", "invalid")])
def test_wrongly_typed_keys_are_errors(capsys, tmp_path, extra, key):
    (tmp_path / "r.toml").write_text(RULE.format(extra=extra))
    result = run(capsys, "rules", "--rules", str(tmp_path))
    assert result.code == 2 and "r.toml [rule X001]" in result.error and repr(key) in result.error


@pytest.mark.parametrize("forbid", ["(" * 3000 + "LTO_CLANG" + ")" * 3000, "!" * 3000 + "LTO_CLANG"])
def test_deep_expressions_are_one_line(capsys, tmp_path, forbid):
    (tmp_path / "r.toml").write_text(RULE.format(extra="").replace("LTO_CLANG && CPU_BIG_ENDIAN", forbid))
    result = run(capsys, "rules", "--rules", str(tmp_path))
    assert result.code == 2 and "nests more than" in result.error


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_rule_file_that_is_not_a_file(capsys, tmp_path, target):
    import os

    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "zero.toml").symlink_to(target)
    result = run(capsys, "rules", "--rules", str(rules))
    assert result.code == 2 and "zero.toml" in result.error and "not a regular file" in result.error
