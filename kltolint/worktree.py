"""What a commit changes in a git checkout of a kernel tree, for `review
--worktree` (the pre-commit hook): the diff from HEAD to the working tree
(which pre-commit makes equal to the index), limited to Kconfig files, and a
base tree that reads HEAD's text of the files it changes. Only `git diff` and
`git show` run, never anything from the tree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from kltolint.errors import UserError
from kltolint.patch import parse_diff
from kltolint.tree import Tree

KCONFIG_PATHS = ":(glob)**/Kconfig*"
TIMEOUT = 120


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise UserError(f"cannot run git: {err}", str(root)) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UserError(f"git {args[0]} failed: {message[0] if message else 'exit ' + str(done.returncode)}",
                        str(root))
    return done.stdout.decode("utf-8", "surrogateescape")


def changes(root: Path) -> tuple[Tree, str]:
    """(the tree as HEAD has its changed Kconfig files, the diff to the working tree)."""
    text = _git(root, "diff", "HEAD", "--no-color", "--no-ext-diff", "--no-renames", "--", KCONFIG_PATHS)
    overlay: dict[str, str | None] = {}
    for fp in parse_diff(text, "git diff HEAD"):
        if fp.old_path is None:
            overlay[fp.path] = None  # added by the change: absent at HEAD
        else:
            overlay[fp.old_path] = _git(root, "show", f"HEAD:{fp.old_path}")
    return Tree(root, overlay), text
