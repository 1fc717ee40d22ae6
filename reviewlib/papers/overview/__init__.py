"""The overview review (notebook): see the package modules."""
from .legacy import *  # noqa: F401,F403  (split into claims, experiments, exercise, figures, explorer)
from .plan import plan  # noqa: F401
