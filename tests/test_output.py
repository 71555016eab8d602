"""Output formats: what a consumer parses must survive any file name or text."""

from __future__ import annotations

from kltolint.findings import Finding, Witness
from kltolint.output import render_github


def test_github_annotation_properties_escape_colons_and_commas():
    # A `:` or `,` in a property would end it early (GitHub's workflow command syntax).
    finding = Finding(rule="KLTO001", name="a,b", arch="x86", file="drivers/a:b,c/Kconfig", line=3,
                      message="m: n", witness=Witness("", ""))
    (line,) = render_github([finding]).splitlines()[:1]
    head, _, body = line.partition("::")[2].partition("::")
    assert head == "error file=drivers/a%3Ab%2Cc/Kconfig,line=3,title=KLTO001 a%2Cb"
    assert body.startswith("m: n")
