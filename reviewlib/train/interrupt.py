"""Ctrl-C (or Jupyter's interrupt button) that stops training cleanly.

The first SIGINT only sets a flag; the training loop checks it after each step, writes a checkpoint and stops, so the
checkpoint holds a consistent state (never half an optimizer step). A second SIGINT raises ``KeyboardInterrupt`` at
once. Signal handlers can only be set in the main thread; elsewhere this does nothing.
"""
from __future__ import annotations

import signal
import threading


class DeferredInterrupt:
    """``with DeferredInterrupt() as interrupt: ... if interrupt.requested: save and stop``."""

    def __init__(self):
        self.requested = False
        self._previous = None
        self._installed = False

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> "DeferredInterrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc) -> bool:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.SIG_DFL)
        return False
