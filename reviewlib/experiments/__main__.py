"""``python -m reviewlib.experiments record --paper P``: see :mod:`reviewlib.commands`."""
import sys

from ..commands import record_main

sys.exit(record_main())
