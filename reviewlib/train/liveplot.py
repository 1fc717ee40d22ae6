"""Loss and accuracy curves redrawn in place after each epoch in Jupyter; nothing outside a notebook."""
from __future__ import annotations

import pandas as pd


class LivePlot:
    """``plot = LivePlot(enabled)``, then ``plot.update(history)`` after each epoch."""

    def __init__(self, enabled: bool):
        self.handle = None
        if not enabled:
            return
        try:
            from IPython import get_ipython
            from IPython.display import display
            ip = get_ipython()
            if ip is None or "IPKernelApp" not in getattr(ip, "config", {}):
                return
            import matplotlib.pyplot as plt
            self.fig, self.axes = plt.subplots(1, 2, figsize=(10, 3.2))
            plt.close(self.fig)  # shown through the display handle only
            self.handle = display(self.fig, display_id=True)
        except Exception:  # noqa: BLE001 - no IPython / no display: a plot is a nicety, never a failure
            self.handle = None

    def update(self, history: list[dict]) -> None:
        if self.handle is None or not history:
            return
        h = pd.DataFrame(history)
        ax_loss, ax_acc = self.axes
        ax_loss.clear()
        ax_acc.clear()
        ax_loss.plot(h.epoch, h.train_loss, "o-", label="train")
        ax_loss.plot(h.epoch, h.val_loss, "o-", label="val")
        ax_loss.set(xlabel="epoch", ylabel="loss")
        ax_acc.plot(h.epoch, h.train_acc1, "o-", label="train top-1")
        ax_acc.plot(h.epoch, h.val_acc1, "o-", label="val top-1")
        if "ema_val_acc1" in h:
            ax_acc.plot(h.epoch, h.ema_val_acc1, "o--", label="val top-1 (averaged weights)")
        ax_acc.set(xlabel="epoch", ylabel="accuracy (%)")
        for ax in self.axes:
            ax.legend()
            ax.grid(alpha=0.3)
        self.fig.tight_layout()
        self.handle.update(self.fig)
