"""reviewlib: the shared, tested library behind the AlexNet / GoogLeNet / VGG review notebooks."""
from .budget import Budget, get_budget
from .device import pick_device, seed_everything
from .errors import BudgetError, ConfigError

__all__ = ["Budget", "get_budget", "pick_device", "seed_everything", "BudgetError", "ConfigError"]
__version__ = "0.1.0"
