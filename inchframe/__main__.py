"""``python -m inchframe``: the same command line as the ``inchframe`` script."""

import sys

from _inchframe_cli import main

sys.exit(main())
