"""Polyak averaging of the weights (GoogLeNet Sect. 6), as an exponential moving average.

GoogLeNet evaluates the *averaged* weights (Polyak & Juditsky 1992) rather than the last iterate. We use the
usual exponential form, w_ema <- decay * w_ema + (1 - decay) * w, updated after every optimizer step, with
torch's own ``AveragedModel`` + ``get_ema_multi_avg_fn`` (no hand-written averaging). The first update copies
the weights (``w_ema = w`` at step 1). Buffers (BatchNorm statistics, torchvision variant only) are averaged too.
"""
from __future__ import annotations

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def make_ema(model: nn.Module, decay: float) -> AveragedModel:
    """An averaged copy of ``model`` (on the same device); call ``ema.update_parameters(model)`` after each step
    and evaluate ``ema.module``. ``state_dict()`` holds the averaged weights and ``n_averaged``."""
    if not 0.0 <= decay < 1.0:
        raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
    if isinstance(model, nn.parallel.DistributedDataParallel):
        model = model.module
    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
