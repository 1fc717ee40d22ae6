"""The training loop: ``fit(model, train, val, recipe)`` trains with the paper's recipe and returns the history.

One flat loop, as the papers describe training: for each epoch, for each batch, forward, the loss (with
GoogLeNet's auxiliary losses, Sect. 5), a NaN check, an SGD step with momentum and weight decay (AlexNet Sect. 5,
VGG Sect. 3.1, GoogLeNet Sect. 6), Polyak averaging of the weights (GoogLeNet Sect. 6); then validation, the
learning-rate schedule (divide by 10 when the validation error stops improving: AlexNet Sect. 5 and VGG Sect. 3.1;
x0.96 every 8 epochs: GoogLeNet Sect. 6) and a checkpoint. Beside it, each in its own module: the resume state
(:mod:`.state`), checkpoint files (:mod:`.checkpoint`), several processes (:mod:`.distributed`), Ctrl-C
(:mod:`.interrupt`) and the live plot (:mod:`.liveplot`).

``train`` and ``val`` are :class:`reviewlib.data.batches.Batches` (or anything with ``len()`` = batches per epoch and
``epoch(e, start=0)`` yielding ``(x, y)`` already on the device). Accuracies are percentages (``val_acc1`` = 100 -
the papers' top-1 error).
"""
from __future__ import annotations

import os
import time

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..device import in_training_layout, keep_freed_memory, model_to_device, pick_device, seed_everything
from ..evaluate.predict import topk_correct
from ..nets import eval_mode
from . import distributed
from .ema import make_ema
from .interrupt import DeferredInterrupt
from .liveplot import LivePlot
from .recipes import Recipe, make_scheduler
from .state import TrainState


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the message names the epoch, batch and learning rate."""


def compute_loss(outputs, targets: torch.Tensor, aux_weight: float = 0.0):
    """Cross-entropy of the main logits plus ``aux_weight`` x each auxiliary classifier's (GoogLeNet Sect. 5: 0.3).

    ``outputs`` is a logits tensor, or GoogLeNet's train-mode ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``
    (entries may be ``None``). Returns ``(logits, total, parts)``: ``parts`` = ``{"main", "aux2", "aux1"}`` losses
    for tuples (empty for a tensor), ``total = CE(main) + aux_weight * (CE(aux1) + CE(aux2))``.
    """
    if not isinstance(outputs, tuple):
        return outputs, F.cross_entropy(outputs, targets), {}
    logits, *aux = outputs
    names = [f.replace("aux_logits", "aux") for f in getattr(outputs, "_fields", ())[1:]] or \
        [f"aux{i}" for i in range(len(aux), 0, -1)]
    parts = {"main": F.cross_entropy(logits, targets)}
    parts |= {name: F.cross_entropy(a, targets) for name, a in zip(names, aux) if a is not None}
    aux_losses = [parts[k] for k in sorted(parts) if k != "main"]  # aux1 + aux2, in that order
    total = parts["main"] + aux_weight * sum(aux_losses[1:], aux_losses[0]) if aux_losses else parts["main"]
    return logits, total, parts


@torch.no_grad()
def validate(model: nn.Module, batches, *, device=None) -> dict[str, float]:
    """Mean loss and top-1/top-5 accuracy (%) of ``model`` in eval mode over ``batches`` (summed over processes)."""
    device = torch.device(device) if device is not None else next(model.parameters()).device
    sums = torch.zeros(4, dtype=torch.float32 if device.type == "mps" else torch.float64, device=device)
    with eval_mode(model):
        for x, y in batches.epoch(0):
            with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
                out = model(in_training_layout(x))
            logits = (out[0] if isinstance(out, tuple) else out).float()
            loss = F.cross_entropy(logits, y, reduction="sum").view(1)
            sums += torch.cat([loss.to(sums), topk_correct(logits, y).to(sums), sums.new_tensor([len(y)])])
    loss, c1, c5, n = distributed.all_sum({"sums": sums})["sums"].tolist()
    if n == 0:
        raise ValueError("validate: the validation batches are empty (is the validation set empty?)")
    return {"loss": loss / n, "acc1": 100.0 * c1 / n, "acc5": 100.0 * c5 / n}


def fit(model: nn.Module, train, val, recipe: Recipe, *, epochs: int | None = None, device=None,
        checkpoint: str | os.PathLike | None = None, resume: bool = False, progress: bool = True, seed: int = 0,
        live_plot: bool = False, averaged: list | None = None) -> pd.DataFrame:
    """Train ``model`` with ``recipe`` for ``epochs`` (default ``recipe.epochs``) epochs in all; one history row per
    epoch: ``epoch``, ``lr``, ``train_loss`` (aux terms included), ``train_acc1``, [``train_main_loss``,
    ``train_aux1_loss``, ``train_aux2_loss``], ``val_loss``, ``val_acc1``, ``val_acc5``, [``ema_val_loss``,
    ``ema_val_acc1``, ``ema_val_acc5``: the averaged weights], ``images_per_s``, ``seconds``.

    ``checkpoint``: a file written after every epoch and on Ctrl-C (at the end of the current step). ``resume``:
    continue from it when it exists, exactly where it stopped (``epochs`` counts from the start of training; a
    finished run returns its history). ``seed`` seeds torch (dropout) on a fresh start; the init is the caller's.
    ``averaged``: a list that receives the Polyak-averaged model (``recipe.ema_decay``), the net the paper evaluates.
    On the CPU it trains inside :func:`reviewlib.device.keep_freed_memory` (a process-wide allocator setting).
    """
    device = torch.device(device) if device is not None else pick_device()
    epochs, steps, cuda = int(epochs or recipe.epochs), len(train), device.type == "cuda"
    if steps == 0:
        raise ValueError("fit: the training batches are empty (no images, or batch_size > images with drop_last)")
    net = model_to_device(model, device)
    train_model = distributed.wrap(net, device)
    optimizer = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                                weight_decay=recipe.weight_decay)
    ema = make_ema(net, recipe.ema_decay) if recipe.ema_decay is not None else None
    if ema is not None and averaged is not None:
        averaged.append(ema.module)
    state = TrainState(net, optimizer, make_scheduler(optimizer, recipe), ema, recipe, device)
    if resume and checkpoint is not None and os.path.isfile(checkpoint):
        state.load(checkpoint)
    else:
        seed_everything(seed)
    plot = LivePlot(live_plot and distributed.is_main())
    with (keep_freed_memory(device.type == "cpu"), DeferredInterrupt() as interrupt,
          tqdm(total=epochs * steps, unit="batch", dynamic_ncols=True,
               initial=min(state.epoch * steps + state.batch, epochs * steps),
               disable=not (progress and distributed.is_main())) as bar):
        for epoch in range(state.epoch, epochs):
            lr, t0 = optimizer.param_groups[0]["lr"], time.perf_counter() - state.seconds
            train_model.train()
            for b, (x, y) in enumerate(train.epoch(epoch, state.batch), start=state.batch):
                with torch.autocast(device.type, torch.bfloat16, enabled=cuda):
                    out = train_model(in_training_layout(x))
                    logits, loss, parts = compute_loss(out, y, recipe.aux_weight)
                diverged, stop = distributed.any_rank(~torch.isfinite(loss.detach()), interrupt.requested)
                if diverged:
                    raise TrainingDiverged(
                        f"loss is {loss.item()} at epoch {epoch + 1}/{epochs}, batch {b + 1}/{steps} (lr {lr:g}); "
                        f"lower the learning rate (recipe.with_(lr=...)), check the initialisation and the "
                        f"inputs, then train again (the last good checkpoint is kept)")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if ema is not None:
                    ema.update_parameters(net)
                state.add_batch(loss, logits, y, parts)
                bar.set_description(f"epoch {epoch + 1}/{epochs} batch {b + 1}/{steps}", refresh=False)
                bar.update()
                if stop:
                    state.seconds = time.perf_counter() - t0
                    if checkpoint is not None:
                        state.save(checkpoint)
                    saved = f"saved to {checkpoint}; resume=True continues" if checkpoint else "nothing saved"
                    raise KeyboardInterrupt(f"training interrupted at epoch {epoch + 1}, batch {b + 1} ({saved})")
            row = {"epoch": epoch + 1, "lr": lr, **state.train_metrics()}
            train_seconds = time.perf_counter() - t0
            row |= {f"val_{k}": v for k, v in validate(net, val, device=device).items()}
            if ema is not None:
                row |= {f"ema_val_{k}": v for k, v in validate(ema.module, val, device=device).items()}
            if recipe.schedule == "plateau":
                state.scheduler.step(100.0 - row["val_acc1"])  # on the validation top-1 error
            else:
                state.scheduler.step()
            row |= {"images_per_s": row.pop("n") / train_seconds, "seconds": time.perf_counter() - t0}
            state.end_epoch(row)
            if checkpoint is not None:
                state.save(checkpoint)
            bar.set_postfix(train_loss=f"{row['train_loss']:.3f}", val_acc1=f"{row['val_acc1']:.1f}")
            plot.update(state.history)
    return pd.DataFrame(state.history)
