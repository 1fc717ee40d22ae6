"""python -m reviewlib.train: see reviewlib/train/cli.py."""
import sys

from .cli import main

sys.exit(main())
