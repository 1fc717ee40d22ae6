"""The GPU path: what each switch buys for a training step, and model FLOP utilisation (MFU).

For AlexNet, VGG-16 and GoogLeNet (reviewlib's torchvision variants, full width, 224x224, batch 128) it times the
training step (forward, backward, SGD with momentum) under a ladder of switches, each added to the previous:

1. ``baseline``: float32, NCHW, torch's defaults (``cudnn.benchmark`` off);
2. ``+cudnn.benchmark``: cuDNN times its convolution algorithms once per shape and keeps the fastest;
3. ``+channels_last``: NHWC memory layout for weights and inputs (what tensor cores want);
4. ``+bf16 autocast``: matmuls and convolutions in bfloat16, float32 weights and reductions;
5. ``+torch.compile`` (optional, skipped when the time budget would not allow it): fused kernels;

then "all but one" rows (the full ladder without compile, minus one switch) to show each switch's own effect, and,
for AlexNet (the fastest step, so the copy weighs most), the host-to-device copy: pageable memory and blocking
copies against pinned memory (``reviewlib.data.StreamingBatches`` pins on CUDA) with ``non_blocking=True`` copies,
on the compute stream and on a side stream that fetches the next batch while this one trains. Last, the study main
runs end to end on the GPU (:mod:`benchmarks.pipeline`: the store moved to the GPU once, each batch gathered and
augmented there, then the training step) against the step alone, when the data (``--data``, ``$REVIEWLIB_DATA`` or
../shared/data/tiny-imagenet-10) is there.

MFU = (3 x 2 x multiply-adds per image from :func:`reviewlib.review.tables.macs_total`) x images/s / the GPU's bf16
matmul peak, measured in the same run (an 8192^3 bf16 matrix product); the fp32 and TF32 peaks are given too.

    .venv/bin/python -m benchmarks.gpu                     # the whole benchmark, about 4-5 minutes on one GPU
    .venv/bin/python -m benchmarks.gpu --no-compile        # faster; no torch.compile rows
    .venv/bin/python -m benchmarks.gpu --dry-run           # exercises every code path on the CPU with tiny models
                                                           # (and one quick study run of the pipeline)

Without CUDA (and without ``--dry-run``) it prints why and exits with status 0. It writes the "gpu" section of
``benchmarks/RESULTS.md`` and ``figures/bench_gpu.png`` (not in ``--dry-run``).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time

import pandas as pd
import torch

from reviewlib.errors import DataError
from reviewlib.nets import build_model

from . import pipeline
from .common import FIGURES, PAPERS, RESULTS, matmul_peak, sync, to_markdown, to_text, write_section
from .flops import TRAIN_FACTOR, macs
from .models_vs_torchvision import _loss

MODELS = ["alexnet", "vgg16", "googlenet"]
LADDER = [  # (label, cudnn.benchmark, channels_last, bf16, compile)
    ("baseline (fp32, NCHW)", False, False, False, False),
    ("+cudnn.benchmark", True, False, False, False),
    ("+channels_last", True, True, False, False),
    ("+bf16 autocast", True, True, True, False),
    ("+torch.compile", True, True, True, True),
]
ALL_BUT = [
    ("all but cudnn.benchmark", False, True, True, False),
    ("all but channels_last", True, False, True, False),
    ("all but bf16", True, True, False, False),
]
COMPILE_RESERVE_S = 90  # do not start a compile with less than this left of the time budget


class Settings(argparse.Namespace):
    device: torch.device
    batch: int
    image_size: int
    width: float
    steps: int
    warmup: int


def _step_fn(model, opt, x, y, bf16: bool, device: torch.device):
    autocast = (torch.autocast(device_type=device.type, dtype=torch.bfloat16) if bf16
                else contextlib.nullcontext())

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with autocast:
            loss = _loss(model(x), y)
        loss.backward()
        opt.step()
    return step


def time_steps(step, steps: int, warmup: int, device: torch.device) -> tuple[float, float]:
    """(seconds of the warm-up, median seconds per step over ``steps`` steps timed one by one)."""
    t0 = time.perf_counter()
    for _ in range(warmup):
        step()
    sync(device)
    warm = time.perf_counter() - t0
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - t)
    times.sort()
    return warm, times[len(times) // 2]


def run_config(name: str, label: str, bench: bool, cl: bool, bf16: bool, comp: bool, s: Settings) -> dict:
    """One model under one set of switches: images/s of the training step."""
    torch.backends.cudnn.benchmark = bench
    torch.manual_seed(0)
    with torch.device(s.device):  # initialise the weights on the device: much faster than on the host
        model = build_model(name, width=s.width).train()
    fmt = torch.channels_last if cl else torch.contiguous_format
    model = model.to(memory_format=fmt)
    x = torch.randn(s.batch, 3, s.image_size, s.image_size, device=s.device).contiguous(memory_format=fmt)
    y = torch.randint(0, 1000, (s.batch,), device=s.device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    net = torch.compile(model) if comp else model
    warm, sec = time_steps(_step_fn(net, opt, x, y, bf16, s.device), s.steps, s.warmup + (2 if comp else 0),
                           s.device)
    ips = s.batch / sec
    del model, net, opt, x, y
    gc.collect()
    if s.device.type == "cuda":
        torch.cuda.empty_cache()
    return {"model": name, "config": label, "img_s": ips, "step_ms": 1e3 * sec, "warmup_s": warm}


def copy_table(s: Settings, name: str = "alexnet") -> pd.DataFrame:
    """Training-step images/s when each batch comes from host memory: pageable + blocking copy, pinned +
    non_blocking copy of the next batch issued before the current step, and the batch already on the GPU."""
    torch.backends.cudnn.benchmark = True
    with torch.device(s.device):
        model = build_model(name, width=s.width).train().to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    host = [torch.randn(s.batch, 3, s.image_size, s.image_size) for _ in range(2)]
    pinned = [h.pin_memory() for h in host]
    y = torch.randint(0, 1000, (s.batch,), device=s.device)

    def train(x) -> None:
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16):
            loss = _loss(model(x.contiguous(memory_format=torch.channels_last)), y)
        loss.backward()
        opt.step()

    resident = host[0].to(s.device)
    i = 0

    def pageable_step() -> None:
        nonlocal i
        i += 1
        train(host[i % 2].to(s.device))

    nxt = pinned[0].to(s.device, non_blocking=True)

    def pinned_step() -> None:
        """non_blocking copy on the compute stream: the host does not wait, the GPU copies then computes."""
        nonlocal i, nxt
        i += 1
        cur = nxt
        nxt = pinned[i % 2].to(s.device, non_blocking=True)
        train(cur)

    side = torch.cuda.Stream(s.device)
    with torch.cuda.stream(side):
        ahead = pinned[0].to(s.device, non_blocking=True)

    def prefetch_step() -> None:
        """The next batch copied on a side stream while this one trains (a prefetcher): copy and compute overlap."""
        nonlocal i, ahead
        i += 1
        torch.cuda.current_stream(s.device).wait_stream(side)
        cur = ahead
        cur.record_stream(torch.cuda.current_stream(s.device))
        with torch.cuda.stream(side):
            ahead = pinned[i % 2].to(s.device, non_blocking=True)
        train(cur)

    rows = []
    mb = host[0].numel() * host[0].element_size() / 2**20
    for label, fn in (("batch already on the GPU", lambda: train(resident)),
                      ("pageable memory, blocking copy", pageable_step),
                      ("pinned memory, non_blocking copy", pinned_step),
                      ("pinned + non_blocking on a side stream (prefetch)", prefetch_step)):
        _, sec = time_steps(fn, s.steps, s.warmup, s.device)
        rows.append({"model": name, "input": label, "batch_MiB": mb, "img_s": s.batch / sec, "step_ms": 1e3 * sec})
    # the bare copy speeds
    for label, src, nb in (("copy only: pageable", host[0], False), ("copy only: pinned", pinned[0], True)):
        _, sec = time_steps(lambda: src.to(s.device, non_blocking=nb), s.steps, 1, s.device)
        rows.append({"model": "-", "input": label, "batch_MiB": mb, "img_s": s.batch / sec, "step_ms": 1e3 * sec,
                     "GB_s": mb * 2**20 / sec / 1e9})
    return pd.DataFrame(rows)


def peaks(device: torch.device, n: int) -> dict[str, float]:
    """bf16, fp32 and TF32 matmul FLOP/s on ``device``."""
    out = {"bf16": matmul_peak(n, dtype=torch.bfloat16, device=device, target_s=0.2)}
    if device.type == "cuda":
        old = torch.backends.cuda.matmul.allow_tf32
        try:
            torch.backends.cuda.matmul.allow_tf32 = False
            out["fp32"] = matmul_peak(n, dtype=torch.float32, device=device, target_s=0.2)
            torch.backends.cuda.matmul.allow_tf32 = True
            out["tf32"] = matmul_peak(n, dtype=torch.float32, device=device, target_s=0.2)
        finally:
            torch.backends.cuda.matmul.allow_tf32 = old
    else:
        out["fp32"] = matmul_peak(n, dtype=torch.float32, device=device, target_s=0.2)
    return out


def plot(table: pd.DataFrame, path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    piv = table.pivot_table(index="config", columns="model", values="img_s", sort=False)
    piv.plot.bar(ax=axes[0], rot=30)
    axes[0].set_ylabel("training images/s")
    axes[0].set_title("training step per switch (batch %d)" % table["batch"].iloc[0])
    mfu = table.pivot_table(index="config", columns="model", values="MFU_%", sort=False)
    mfu.plot.bar(ax=axes[1], rot=30, legend=False)
    axes[1].set_ylabel("MFU (% of bf16 matmul peak)")
    axes[1].set_title("model FLOP utilisation")
    for ax in axes:
        for lab in ax.get_xticklabels():
            lab.set_ha("right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=MODELS)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--width", type=float, default=1.0)
    p.add_argument("--steps", type=int, default=10, help="timed steps per configuration")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile rows")
    p.add_argument("--budget-s", type=float, default=240, help="stop starting new work after this many seconds")
    p.add_argument("--peak-n", type=int, default=8192, help="matrix side for the matmul peaks")
    p.add_argument("--data", default=None, help="data for the study pipeline rows (default: $REVIEWLIB_DATA or "
                                                "../shared/data/tiny-imagenet-10)")
    p.add_argument("--no-pipeline", action="store_true", help="skip the study pipeline rows")
    p.add_argument("--dry-run", action="store_true",
                   help="run every code path on the CPU with tiny models (no results written)")
    args = p.parse_args(argv)
    if args.dry_run:
        s = Settings(device=torch.device("cpu"), batch=2, image_size=64, width=0.125, steps=1, warmup=1)
        args.peak_n = 256
    elif not torch.cuda.is_available():
        print("benchmarks.gpu: no CUDA device here; skipping the GPU benchmark (run it on a machine with a GPU, or "
              "pass --dry-run to exercise its code on the CPU).")
        return 0
    else:
        s = Settings(device=torch.device("cuda"), batch=args.batch, image_size=args.image_size, width=args.width,
                     steps=args.steps, warmup=args.warmup)
    t0 = time.perf_counter()
    left = lambda: args.budget_s - (time.perf_counter() - t0)  # noqa: E731
    dev = torch.cuda.get_device_name(s.device) if s.device.type == "cuda" else "cpu (dry run)"
    print(f"GPU benchmark on {dev}: batch {s.batch}, {s.image_size}px, width {s.width}, {s.steps} timed steps, "
          f"torch {torch.__version__} (CUDA {torch.version.cuda})", flush=True)
    pk = peaks(s.device, args.peak_n)
    print("matmul peaks: " + ", ".join(f"{k} {v / 1e12:.1f} TFLOP/s" for k, v in pk.items()), flush=True)

    rows = []
    for k, name in enumerate(args.models):
        flop_img = TRAIN_FACTOR * 2 * macs(name, s.image_size, width=s.width)
        base = None
        for label, bench, cl, bf16, comp in LADDER + ALL_BUT:
            # a dry run compiles the first model only: the code path is the same, and CPU compiles are slow
            no_compile = args.no_compile or (args.dry_run and k > 0)
            if comp and (no_compile or left() < COMPILE_RESERVE_S):
                rows.append({"model": name, "config": label, "batch": s.batch, "img_s": None,
                             "note": "skipped (--no-compile)" if no_compile else "skipped (time budget)"})
                continue
            if left() < 5:
                rows.append({"model": name, "config": label, "batch": s.batch, "img_s": None,
                             "note": "skipped (time budget)"})
                continue
            try:
                r = run_config(name, label, bench, cl, bf16, comp, s)
            except Exception as err:  # noqa: BLE001 - a benchmark reports and goes on
                rows.append({"model": name, "config": label, "batch": s.batch, "img_s": None,
                             "note": f"failed: {type(err).__name__}: {str(err)[:120]}"})
                print(f"  {name:10s} {label:26s} FAILED {type(err).__name__}: {err}", flush=True)
                continue
            base = base or r["img_s"]
            prev = next((q["img_s"] for q in reversed(rows) if q["model"] == name and q.get("img_s")
                         and q["config"] in [lad[0] for lad in LADDER]), None)
            r |= {"batch": s.batch, "vs_baseline": r["img_s"] / base,
                  "vs_previous": r["img_s"] / prev if prev and label in [lad[0] for lad in LADDER] else None,
                  "TFLOP_s": flop_img * r["img_s"] / 1e12, "MFU_%": 100 * flop_img * r["img_s"] / pk["bf16"],
                  "note": f"compile+warm-up {r['warmup_s']:.0f}s" if comp else ""}
            rows.append(r)
            print(f"  {name:10s} {label:26s} {r['img_s']:9.1f} img/s  x{r['vs_baseline']:.2f} vs baseline  "
                  f"MFU {r['MFU_%']:5.1f}%   ({left():.0f}s left)", flush=True)
    table = pd.DataFrame(rows)
    for col in ("batch", "vs_baseline", "vs_previous", "TFLOP_s", "MFU_%", "step_ms"):
        if col not in table:
            table[col] = None
    table = table[["model", "config", "batch", "img_s", "step_ms", "vs_previous", "vs_baseline", "TFLOP_s",
                   "MFU_%", "note"]]
    print(to_text(table), flush=True)

    copies = pd.DataFrame()
    if s.device.type == "cuda" and left() > 10:
        copies = copy_table(s)
        print(to_text(copies), flush=True)
    study = pd.DataFrame()
    if not args.no_pipeline and (args.dry_run or left() > 30):
        torch.backends.cudnn.benchmark = False  # torch's default, which training keeps
        try:  # a dry run: one quick run on the CPU
            study = pipeline.run(quick=args.dry_run, root=args.data, device=str(s.device),
                                 papers=("vgg",) if args.dry_run else PAPERS)
            print(to_text(study), flush=True)
        except DataError as err:
            print(f"study pipeline skipped: {err}", flush=True)
    total = time.perf_counter() - t0
    print(f"GPU benchmark done in {total:.0f}s")
    if args.dry_run:
        return 0
    md = [f"## GPU ({dev})", "",
          f"`python -m benchmarks.gpu`: training step (forward, backward, SGD), batch {s.batch}, {s.image_size}px, "
          f"width {s.width}, median of {s.steps} steps after {s.warmup} warm-up; torch {torch.__version__}, CUDA "
          f"{torch.version.cuda}; {total:.0f}s in all.",
          "", "Matmul peaks: " + ", ".join(f"{k} {v / 1e12:.1f} TFLOP/s" for k, v in pk.items())
          + f" ({args.peak_n}^3). MFU = 3 x 2 x MACs/img x img/s / bf16 peak.", "",
          to_markdown(table), ""]
    if len(copies):
        md += ["Host-to-device copies (alexnet, all switches but compile):", "", to_markdown(copies), ""]
    if len(study):
        md += [f"The study main runs end to end on the GPU (batches augmented on the GPU -> training step in bf16 "
               f"autocast and channels_last, as `fit` trains on a GPU) against the step alone (target >= "
               f"{pipeline.TARGET}):", "",
               to_markdown(study), ""]
    md += ["![GPU switches](../figures/bench_gpu.png)"]
    write_section("gpu", "\n".join(md), RESULTS)
    plot_rows = table.dropna(subset=["img_s"])
    if len(plot_rows):
        plot(plot_rows, FIGURES / "bench_gpu.png")
    print(f"wrote {RESULTS} (gpu section) and {FIGURES / 'bench_gpu.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
