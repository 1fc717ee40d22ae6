"""How fast are the batches alone (no model)? In memory against streamed from disk, for each study main run.

For the training batches of each paper's study main run (``Study.for_paper(paper, "study").runs["main"]``: its
paper's augmentation at the run's sizes, :func:`reviewlib.experiments.runner.train_transform`), images/s of

* ``memory``: :class:`reviewlib.data.Batches` over the split decoded once (what the study budget trains on);
* ``streamed``: :class:`reviewlib.data.StreamingBatches` decoding the same files every epoch in 0, 1 and 2 DataLoader
  worker processes (what a split too big for memory, full ImageNet, trains on), the same augmentation on the device.

Both yield the same batches for the same seed (tested); only the time differs. Not a test; numbers on a shared
machine are noisy (CPU time is given for the memory path; the streamed path's work is in its worker processes).

    .venv/bin/python -m benchmarks.loader_throughput [--batches 10] [--workers 0 1 2] [--device cpu] [--root DATA]
"""
from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from reviewlib.data import StreamingBatches
from reviewlib.experiments.runner import source_side, splits, train_transform

from .common import PAPERS, data_root, load_average, set_threads, study_runs, sync, to_text
from .pipeline import train_batches


def images_per_s(batches, n: int, device) -> tuple[float, float]:
    """(images/s by the wall clock, by this process's CPU time) over ``n`` batches of epoch 0, after one untimed
    batch (start-up)."""
    it = batches.epoch(0)
    next(it)
    images, t0, c0 = 0, time.perf_counter(), time.process_time()
    for _ in range(n):
        x, _ = next(it)
        images += len(x)
    sync(device)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    it.close()
    return images / wall, images / max(cpu, 1e-9)


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=None)
    p.add_argument("--workers", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--batches", type=int, default=10, help="batches timed per measurement")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--papers", nargs="+", default=list(PAPERS), choices=list(PAPERS))
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    device = torch.device(args.device)
    print(f"batches alone: {threads} torch thread(s), load {load_average()}, device {device}, "
          f"data {data_root(args.root)}", flush=True)
    rows = []
    for paper, (study, run) in study_runs(args.root, device=args.device, papers=args.papers).items():
        memory, _ = train_batches(study, run)
        wall, cpu = images_per_s(memory, args.batches, device)
        rows.append({"paper": paper, "model": run.model, "input": f"{run.image_size}px", "path": "memory",
                     "workers": 0, "img_s": wall, "cpu_img_s": cpu})
        train = splits(study, run)[0]
        for w in args.workers:
            stream = StreamingBatches.from_selection(train, train_transform(run.model, run), study.batch_size,
                                                     side=source_side(run), shuffle=True, seed=0, device=device,
                                                     workers=w)
            wall, cpu = images_per_s(stream, args.batches, device)
            rows.append({"paper": paper, "model": run.model, "input": f"{run.image_size}px", "path": "streamed",
                         "workers": w, "img_s": wall, "cpu_img_s": cpu})
            del stream
        done = rows[-1 - len(args.workers):]
        print(f"  {paper}: in memory {done[0]['img_s']:.0f} img/s, streamed "
              + ", ".join(f"{r['img_s']:.0f} ({r['workers']} workers)" for r in done[1:]), flush=True)
    table = pd.DataFrame(rows)
    table["load"] = load_average()
    print(to_text(table))
    return table


if __name__ == "__main__":
    main()
