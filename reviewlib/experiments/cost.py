"""What a run costs, measured before it starts: runs are sized from step costs, not guesses.

:func:`step_seconds` times a few training steps of a model (forward, backward, SGD step) on random data and
reports the fastest step by the wall clock (synchronised on a GPU): the fastest is the one another job on the
machine disturbed least. (Process CPU time divided by torch's threads, tried first, assumes that every thread is
busy all the time; small nets at the study sizes keep two threads busy only part of the time, and it predicted
a third to a half of the real time.) :func:`plan_cost` turns the steps of a notebook's runs into minutes,
which the notebooks print before they train (what the reader is about to wait for).
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping

import pandas as pd
import torch
import torch.nn.functional as F

from ..device import in_training_layout, keep_freed_memory, model_to_device
from ..nets import build_model
from ..train.run import Run

EVAL_FRACTION = 0.35  # a forward pass in eval mode costs about a third of a training step per image


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_seconds(model: str, *, width: float, image_size: int, batch_size: int, num_classes: int = 10,
                 steps: int = 3, device: str = "cpu", **model_kw) -> float:
    """Seconds per training step of ``model`` at this size: the fastest of ``steps`` timed steps after one warm-up,
    in the memory layout and with the allocator setting training uses on ``device``
    (:func:`reviewlib.device.channels_last`, :func:`reviewlib.device.keep_freed_memory`)."""
    device = torch.device(device)
    net = model_to_device(build_model(model, num_classes=num_classes, width=width, image_size=image_size, **model_kw),
                          device).train()
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    x = in_training_layout(torch.randn(batch_size, 3, image_size, image_size, device=device))
    y = torch.randint(0, num_classes, (batch_size,), device=device)

    def step():
        out = net(x)
        logits = out[0] if isinstance(out, tuple) else out
        loss = F.cross_entropy(logits, y) + sum(F.cross_entropy(a, y) for a in out[1:] if a is not None) \
            if isinstance(out, tuple) else F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    times = []
    with keep_freed_memory(device.type == "cpu"):
        step()
        _sync(device)
        for _ in range(steps):
            start = time.perf_counter()
            step()
            _sync(device)
            times.append(time.perf_counter() - start)
    return min(times)


def run_steps(run: Run, train_images: int, batch_size: int) -> int:
    """Training steps of one seed of ``run`` (whole epochs unless ``run.batches`` caps them)."""
    per_epoch = math.ceil(train_images / batch_size)
    return run.epochs * (per_epoch if run.batches is None else min(per_epoch, run.batches))


def plan_cost(study, variants: Mapping[str, int] | None = None, *, train_images: int, val_images: int,
              device: str = "cpu") -> pd.DataFrame:
    """One row per run of ``study``: steps per seed, seeds, variants (``variants[name]``, default 1), the measured
    step time and the expected minutes (training plus one validation pass per epoch)."""
    rows = []
    for name, run in study.runs.items():
        k = (variants or {}).get(name, 1)
        s = step_seconds(run.model, width=run.width, image_size=run.image_size, batch_size=study.batch_size,
                         device=device, **dict(run.model_kw))
        steps = run_steps(run, train_images, study.batch_size)
        evals = run.epochs * math.ceil(val_images / study.batch_size) * EVAL_FRACTION
        minutes = (steps + evals) * s * len(run.seeds) * k / 60
        rows.append({"run": name, "model": run.model, "input": run.image_size, "width": run.width,
                     "epochs": run.epochs, "steps / seed": steps, "seeds": len(run.seeds), "variants": k,
                     "s / step": round(s, 3), "minutes": round(minutes, 1)})
    return pd.DataFrame(rows).set_index("run")


#: A one-line meaning for every column of a notebook's plan table (``expected_minutes``); a paper adds its own.
PLAN_LEGEND = {
    "model": "the network trained",
    "input": "side of the images it takes, in pixels",
    "width": "multiplier on every layer's channel count",
    "epochs": "passes over the training images",
    "steps / seed": "optimizer steps for one seed",
    "seeds": "how many times the run is repeated with another random seed",
    "s / step": "seconds per training step of one batch of 64, measured now on this machine",
    "minutes": "expected minutes for all seeds: steps x seconds per step, plus a validation pass per epoch",
}
