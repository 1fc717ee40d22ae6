"""Does the data path keep the model fed? Each paper's study main run end to end against its training step alone.

The runs are the notebooks' own: ``Study.for_paper(paper, "study").runs["main"]`` for AlexNet, VGG and GoogLeNet
(``alexnet_paper``, ``vgg_A``, ``googlenet_paper`` at their real input sides, widths, batch size and recipes), on the
tiny-imagenet-10 store. Three loops, all on the same device:

* ``end to end``: the batches :func:`reviewlib.experiments.runner.make_batches` gives the training (the split decoded
  once into uint8 squares, each batch gathered and augmented on the device by the paper's transform,
  :func:`reviewlib.experiments.runner.train_transform`) -> the training step (:func:`benchmarks.common.train_step`:
  what :func:`reviewlib.train.loop.fit` does per batch);
* ``step alone``: the same step on one fixed batch already in memory;
* ``batches``: the batches alone, no model (timed after the other two);
* one batch made whole and from its first 16 images (:func:`batch_cost`): a batch's cost split into a part per image
  and a fixed part per batch. ``vs_step_no_fixed`` is ``vs_step`` as it would be if a batch cost only its images'
  part: how far cutting the per-batch overhead (the small tensor operations, the draws) can take the ratio with the
  same per-image kernels.

The first two are timed in turn (A B A B ... A: :func:`benchmarks.common.interleaved`), so a change of the machine's
load hits both. ``vs_step`` = end-to-end / step-alone images/s by the wall clock, the median of the paired ratios
over repeats; ``vs_step_cpu`` the same by this process's CPU time, which leaves out the time other processes held
the CPUs: on a shared machine it is the steady measure of the work the data path adds (target >= 0.95). Each
end-to-end turn opens the epoch at the next batch and closes it, so a batch prepared ahead (``--prefetch``) is never
carried into the next turn; only full batches are timed (the short last batch of an epoch is skipped).

    .venv/bin/python -m benchmarks.pipeline [--quick] [--threads N] [--device cpu] [--prefetch] [--papers ...]
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd
import torch

from reviewlib.device import keep_freed_memory
from reviewlib.experiments.runner import make_batches, splits, train_transform

from .common import (PAPERS, build_run_model, calls_for, data_root, interleaved, load_average, paired_ratio,
                     rate_summary, set_threads, study_runs, sync, to_text, train_step)

TARGET = 0.95  # end to end / training step alone


def train_batches(study, run, *, prefetch: bool = False):
    """The training batches of ``run`` exactly as :func:`reviewlib.experiments.runner.train_variant` makes them
    (seed 0), and the seconds it took (decoding the store the first time)."""
    t0 = time.perf_counter()
    batches = make_batches(study, run, "train", train_transform(run.model, run), seed=0,
                           batch_size=study.batch_size, shuffle=True)
    batches.prefetch = prefetch
    return batches, time.perf_counter() - t0


def batch_cost(batches, *, small: int = 16, repeats: int = 7) -> tuple[float, float]:
    """``(per image, per batch)`` milliseconds of a batch by the wall clock, from batch 0 of epoch 0 made whole and
    from its first ``small`` images only (each: its draws, the gather, the transform's ``apply`` on the first
    ``n`` images with their own draws out of the whole batch's), interleaved. ``per image`` is the slope between
    the two, ``per batch`` what is left at zero images: the fixed cost of the calls (small tensors, draws, dispatch).
    """
    transform, index = batches.transform, batches.plan.indices(batches.plan.order(0), 0)
    full, few = len(index), min(small, len(index) - 1)
    whole = transform.draw(full, batches.plan.draws(0, 0))

    def make(n: int):
        draws = whole[:n]
        x = batches.images

        def call():
            transform.draw(n, batches.plan.draws(0, 0))
            return transform.apply(x.index_select(0, index[:n].to(x.device)), draws)
        return call

    calls = {str(full): make(full), str(few): make(few)}
    inner = calls_for(calls[str(full)], 0.1, device=batches.device)
    t = interleaved(calls, repeats=repeats, inner=inner, device=batches.device)
    ms = {n: 1000 * statistics.median(t.wall[str(n)]) for n in (full, few)}
    per_image = (ms[full] - ms[few]) / (full - few)
    return per_image, ms[few] - few * per_image


def end_to_end(paper: str, study, run, *, steps: int, repeats: int, budget_s: float, prefetch: bool = False) -> dict:
    """One row of the table: the step alone and end to end in turn, then the batches alone."""
    batches, seconds = train_batches(study, run, prefetch=prefetch)
    model = build_run_model(study, run)
    step = train_step(model, run.recipe)
    x0, y0 = batches.batch(0, 0)
    full = batches.plan.per_rank // batches.batch_size  # full batches per epoch
    position = {"i": 0}  # the next batch of the endless sequence of full batches

    def loop(train: bool) -> None:
        done = 0
        while done < steps:
            e, start = divmod(position["i"], full)
            it = batches.epoch(e, start)
            for i, (x, y) in enumerate(it, start):
                if train:
                    step(x, y)
                done += 1
                position["i"] += 1
                if done == steps or i + 1 == full:
                    break
            it.close()  # waits for a batch prepared ahead: counted in this turn
        sync(study.device)

    t = interleaved({"step alone": lambda: [step(x0, y0) for _ in range(steps)], "end to end": lambda: loop(True)},
                    repeats=repeats, warmup=1, device=study.device, budget_s=budget_s)
    alone = interleaved({"batches": lambda: loop(False)}, repeats=3, warmup=0, device=study.device)
    per_image_ms, per_batch_ms = batch_cost(batches)
    step_ms = 1000 * statistics.median(t.wall["step alone"]) / steps
    images = steps * batches.batch_size
    ratio, lo, hi = paired_ratio(t.wall["end to end"], t.wall["step alone"])
    cpu = paired_ratio(t.cpu["end to end"], t.cpu["step alone"])[0]
    step_cpu = rate_summary(t.cpu["step alone"], images)[0]
    batches_cpu = rate_summary(alone.cpu["batches"], images)[0]
    return {"paper": paper, "model": run.model, "input": f"{run.image_size}px", "resize": run.resize,
            "store": f"{batches.images.shape[-1]}px", "width": run.width, "batch": batches.batch_size,
            "classes": len(splits(study, run)[0].wnids), "device": str(study.device),
            "step_alone_img_s": rate_summary(t.wall["step alone"], images)[0], "step_alone_cpu_img_s": step_cpu,
            "end_to_end_img_s": rate_summary(t.wall["end to end"], images)[0],
            "batches_img_s": rate_summary(alone.wall["batches"], images)[0],
            "vs_step": ratio, "vs_step_min": lo, "vs_step_max": hi, "vs_step_cpu": cpu,
            "batches_%_of_step_cpu": 100 * step_cpu / batches_cpu,  # a batch's CPU time per step's CPU time
            "step_ms": step_ms, "batch_per_image_us": 1000 * per_image_ms, "batch_fixed_ms": per_batch_ms,
            # vs_step if a batch cost only its images' share (no fixed cost): how far trimming overhead can go
            "vs_step_no_fixed": step_ms / (step_ms + batches.batch_size * per_image_ms),
            f"meets_{TARGET}": (cpu if study.device == "cpu" else ratio) >= TARGET,  # by CPU time on a CPU
            "repeats": len(t.wall["end to end"]), "prefetch": prefetch,
            "store_s": seconds, "load": load_average()}


def run(quick: bool = False, root: str | Path | None = None, device: str = "cpu", prefetch: bool = False,
        papers=PAPERS, runs: dict | None = None, malloc_tuning: bool = True) -> pd.DataFrame:
    """The end-to-end table, one row per paper's study main run (``runs``: :func:`benchmarks.common.study_runs`).
    ``malloc_tuning``: run inside :func:`reviewlib.device.keep_freed_memory`, as training does on the CPU."""
    runs = runs or study_runs(root, device=device, papers=papers)
    rows = []
    with keep_freed_memory(malloc_tuning and torch.device(device).type == "cpu"):
        for paper in papers:
            study, main = runs[paper]
            r = end_to_end(paper, study, main, steps=3 if quick else 10, repeats=3 if quick else 7,
                           budget_s=20 if quick else 80, prefetch=prefetch)
            rows.append(r)
            print(f"  {r['model']:16s} {r['input']:>6s} end to end {r['end_to_end_img_s']:6.0f} img/s, step alone "
                  f"{r['step_alone_img_s']:6.0f} img/s -> {r['vs_step']:.3f} by the wall clock (range "
                  f"{r['vs_step_min']:.2f}-{r['vs_step_max']:.2f}), {r['vs_step_cpu']:.3f} by CPU time; batches "
                  f"alone {r['batches_img_s']:6.0f} img/s ({r['batches_%_of_step_cpu']:.1f}% of a step's CPU time): "
                  f"{r['batch_per_image_us']:.0f} us an image + {r['batch_fixed_ms']:.2f} ms a batch against a "
                  f"{r['step_ms']:.1f} ms step; with no fixed cost {r['vs_step_no_fixed']:.3f}", flush=True)
    return pd.DataFrame(rows)


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--root", default=None, help="data root (default: $REVIEWLIB_DATA or ../shared/data/...)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--prefetch", action="store_true", help="prepare the next batch in a thread during the step")
    p.add_argument("--papers", nargs="+", default=list(PAPERS), choices=list(PAPERS))
    p.add_argument("--no-malloc-cache", action="store_true",
                   help="let glibc return freed memory at once (training keeps it: reviewlib.device.keep_freed_memory)")
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    print(f"data pipeline: {threads} torch thread(s), load {load_average()}, device {args.device}, "
          f"data {data_root(args.root)}", flush=True)
    table = run(args.quick, args.root, args.device, prefetch=args.prefetch, papers=args.papers,
                malloc_tuning=not args.no_malloc_cache)
    print(to_text(table))
    return table


if __name__ == "__main__":
    main()
