import sys

from kltolint.cli import main

sys.exit(main())
