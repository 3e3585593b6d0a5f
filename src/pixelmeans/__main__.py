"""``python -m pixelmeans``: the same as the ``pixelmeans`` command."""

import sys

from pixelmeans.cli import main

sys.exit(main())
