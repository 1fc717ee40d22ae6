"""What a notebook header states: the budget in force, the device, and the data (with a banner when synthetic)."""
from __future__ import annotations

from dataclasses import dataclass

from .budget import Budget, get_budget
from .device import describe_device, pick_device


@dataclass
class Session:
    budget: Budget
    device: object
    source: object  # reviewlib.data.DataSource

    def markdown(self) -> str:
        lines = [f"**Budget:** `{self.budget.name}` - {self.budget.summary}",
                 f"**Device:** {describe_device(self.device)}",
                 f"**Data:** {self.source.description} (`{self.source.layout}`)"]
        if self.source.synthetic:
            lines.append("> **Synthetic data.** No ImageNet subset was found (set `REVIEWLIB_DATA`), so this "
                         "session trains on the offline procedural stand-in: the code path is the real one, the "
                         "accuracies say nothing about ImageNet.")
        return "\n\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.markdown()


def start_session(budget: Budget | str | None = None, root=None) -> Session:
    """Resolve the budget, device and data once, at the top of a notebook."""
    from .data.files import find_data

    budget = get_budget(budget)
    return Session(budget, pick_device(), find_data(budget, root=root))
