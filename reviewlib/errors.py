"""Errors that tell the reader what went wrong and how to fix it."""


class ConfigError(ValueError):
    """An architecture table that cannot be built.

    Raised *before* any module is created, naming the layer and the fix, e.g.
    ``conv5: 2x2 input is smaller than its 3x3 kernel; use a larger input or drop a pooling layer``.
    """


class BudgetError(ValueError):
    """An unknown ``REVIEWLIB_BUDGET`` value (the message lists the valid ones)."""
