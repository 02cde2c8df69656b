"""``python -m inchframe.sandbox --port 8765 [options]``: serve until Ctrl-C."""

from __future__ import annotations

import sys

from .cli import add_arguments, main, run

__all__ = ["add_arguments", "main", "run"]

if __name__ == "__main__":
    sys.exit(main())
