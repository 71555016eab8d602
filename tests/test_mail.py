"""Mail replies: one reply a patch, an mbox when there are several."""

from __future__ import annotations

from tests.conftest import format_patch
from tests.test_review import ARM64, BREAK, review


def test_replies_to_several_patches_are_an_mbox(capsys, tmp_path):
    """Patches 1 and 3 each introduce the finding (2 removes it): two
    replies, each opened by an mbox `From ` line, so a mail tool splits them."""
    series = (format_patch(tmp_path / "1", "arch/arm64/Kconfig", ARM64, BREAK, "break it")
              + format_patch(tmp_path / "2", "arch/arm64/Kconfig", BREAK, ARM64, "mend it")
              + format_patch(tmp_path / "3", "arch/arm64/Kconfig", ARM64, BREAK, "break it again"))
    code, out, _ = review(capsys, series, tmp_path, "--format", "mail")
    lines = out.splitlines()
    starts = [i for i, line in enumerate(lines) if line == "From kltolint Thu Jan  1 00:00:00 1970"]
    assert code == 1 and len(starts) == 2 and starts[0] == 0
    assert [lines[i + 1] for i in starts] == ["Subject: Re: [PATCH] break it", "Subject: Re: [PATCH] break it again"]
