"""``python -m reviewlib.train``: see :mod:`reviewlib.commands`."""
import sys

from ..commands import main

sys.exit(main())
