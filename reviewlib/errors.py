"""Errors that tell the reader what went wrong and how to fix it.

All are ``ValueError`` subclasses; the command line (``python -m reviewlib.train``) prints ``error: <message>`` for
them and exits with status 2 instead of showing a traceback.
"""


class ConfigError(ValueError):
    """An architecture table that cannot be built, or a model name that does not exist.

    Raised *before* any module is created, naming the layer and the fix, e.g.
    ``conv5: 2x2 input is smaller than its 3x3 kernel; use a larger input or drop a pooling layer``.
    """


class BudgetError(ValueError):
    """An unknown ``REVIEWLIB_BUDGET`` value (the message lists the valid ones)."""


class DataError(ValueError):
    """A data folder that is missing, empty or in no known layout (the message names the folder and the fix)."""


class CheckpointError(ValueError):
    """A checkpoint file that is not a reviewlib checkpoint, is damaged, or belongs to another model."""


USER_ERRORS = (ConfigError, BudgetError, DataError, CheckpointError)
