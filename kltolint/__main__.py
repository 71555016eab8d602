"""`python -m kltolint`: the command line."""

import sys

from kltolint.cli import main

sys.exit(main())
