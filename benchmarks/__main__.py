"""``python -m benchmarks``: every CPU benchmark in one run, printed and written to ``benchmarks/RESULTS.md`` (the
"cpu" section) and ``figures/bench_cpu.png``; then the GPU benchmark when CUDA is present (:mod:`benchmarks.gpu`).

1. models vs torchvision (:mod:`benchmarks.models_vs_torchvision`): forward and forward+backward images/s, ours /
   torchvision's with the same weights, input and threads, interleaved; the paper variants for the record;
2. from-scratch layers vs built-ins (:mod:`benchmarks.scratch_layers`);
3. data pipeline (:mod:`benchmarks.pipeline`): each paper's study main run end to end (the batches over the
   tiny-imagenet-10 store -> the training step) against the step alone, target >= 0.95;
4. LRN's share of the AlexNet study step (:mod:`benchmarks.lrn_share`), target <= 15%;
5. achieved FLOP/s (:mod:`benchmarks.flops`) against the float32 matmul peak measured in the same run.

The sizes of 3-5 are the study's: ``Study.for_paper(paper, "study").runs["main"]`` (model, real input side, resize,
width, batch size, recipe), on ``--data`` (default ``$REVIEWLIB_DATA``, else ../shared/data/tiny-imagenet-10).

    .venv/bin/python -m benchmarks            # the full run: about 10 minutes on a busy 2-core CPU
    .venv/bin/python -m benchmarks --quick    # a 2-4 minute sanity run (smaller inputs, fewer repeats); prints only
                                              # (--write adds a "cpu-quick" section and figures/bench_cpu_quick.png)
    .venv/bin/python -m benchmarks --only pipeline lrn --no-write

Threads: torch's default, except on an oversubscribed machine (load average >= CPU count), where 1 (see
``benchmarks.common.set_threads``); ``--threads N`` fixes it. Numbers on a shared machine are noisy; comparisons
are interleaved, the targets are judged by this process's CPU time (which leaves out the time other processes held
the CPUs), and the load average is recorded with every table.
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd
import torch

from . import flops as flops_mod
from . import lrn_share
from . import models_vs_torchvision as mvt
from . import pipeline, scratch_layers
from .common import (FIGURES, RESULTS, Clock, data_root, load_average, machine_line, set_threads, study_runs,
                     to_markdown, to_text, write_section)
from .plots import plot

SECTIONS = ["models", "scratch", "pipeline", "lrn", "flops"]
RATIO_TARGET, RATIO_ACCEPT = 1.00, 0.97


def _heading(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 100 - len(title)), flush=True)


def _mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def verdicts(models: pd.DataFrame | None, e2e: pd.DataFrame | None, lrn: pd.DataFrame | None) -> list[str]:
    """One line per target: met or not, with the number."""
    out = []
    if models is not None and len(models) and "ratio" in models:
        fb = models[(models["mode"] == "forward+backward") & models["ratio"].notna()]
        for r in fb.itertuples(index=False):
            out.append(f"{_mark(r.ratio >= RATIO_ACCEPT)}: {r.model} forward+backward ours/torchvision = "
                       f"{r.ratio:.3f} (CPU time, median of {r.repeats} repeats, range {r.ratio_min:.2f}-"
                       f"{r.ratio_max:.2f}; wall clock {r.ratio_wall:.3f}; same ATen ops: "
                       f"{'yes' if r.same_ops else 'no'}; accept >= {RATIO_ACCEPT}, target >= {RATIO_TARGET:.2f})")
    if e2e is not None and len(e2e):
        for _, r in e2e.iterrows():
            out.append(f"{_mark(r['vs_step_cpu'] >= pipeline.TARGET)}: {r['paper']} study main run ({r['model']}, "
                       f"{r['input']}, width {r['width']:g}, batch {r['batch']}) end to end / step alone = "
                       f"{r['vs_step_cpu']:.3f} by CPU time ({r['vs_step']:.3f} by the wall clock, range "
                       f"{r['vs_step_min']:.2f}-{r['vs_step_max']:.2f}; the batches cost "
                       f"{r['batches_%_of_step_cpu']:.1f}% of a step's CPU time: {r['batch_per_image_us']:.0f} us an "
                       f"image + {r['batch_fixed_ms']:.1f} ms a batch against a {r['step_ms']:.0f} ms step, "
                       f"{r['vs_step_no_fixed']:.3f} with no fixed cost; target >= {pipeline.TARGET})")
    if lrn is not None and len(lrn):
        ours = lrn[lrn["variant"] == lrn_share.WITH].iloc[0]
        before = lrn[lrn["variant"] == lrn_share.BEFORE].iloc[0]
        out.append(f"{_mark(ours['lrn_share_cpu_%'] <= lrn_share.TARGET_SHARE)}: LRN's share of the AlexNet study "
                   f"step ({ours['model']}, {ours['input']}, width {ours['width']:g}, batch {ours['batch']}) = "
                   f"{ours['lrn_share_cpu_%']:.1f}% by CPU time ({ours['lrn_share_%']:.1f}% by the wall clock; "
                   f"torch's F.local_response_norm, used before: {before['lrn_share_cpu_%']:.1f}%; target <= "
                   f"{lrn_share.TARGET_SHARE:.0f}%)")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--quick", action="store_true", help="a 2-4 minute sanity run: smaller inputs, fewer repeats")
    p.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS)
    p.add_argument("--data", default=None, help="data of the study runs (default: $REVIEWLIB_DATA or "
                                                "../shared/data/tiny-imagenet-10)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: see above)")
    p.add_argument("--models-budget-s", type=float, default=None, help="timing budget of the models table")
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md and figures/ alone")
    p.add_argument("--write", action="store_true", help="with --quick: write the results too (its own section)")
    p.add_argument("--no-gpu", action="store_true", help="skip the GPU benchmark even when CUDA is present")
    args = p.parse_args(argv)

    clock = Clock()
    load0 = load_average()
    threads = set_threads(args.threads)
    mode = "quick" if args.quick else "full"
    print(f"reviewlib benchmarks ({mode}): {machine_line()}; load average {load0} at start", flush=True)
    if args.quick and not args.write:
        print("(quick run: results are printed, not written; --write to write them)")
    models = scratch = e2e = lrn = flops = steps_flops = None
    peak = peak_cpu = None
    runs = None
    if {"pipeline", "lrn"} & set(args.only):
        runs = clock.section("study runs", lambda: study_runs(args.data))
        print(f"study main runs on {data_root(args.data)}: " + "; ".join(
            f"{r.model} {r.image_size}px from {r.resize}px, width {r.width:g}, batch {s.batch_size}"
            for s, r in runs.values()), flush=True)
    if "flops" in args.only:
        peak, peak_cpu = clock.section("matmul peak", lambda: flops_mod.cpu_peak(2048, repeats=3 if args.quick else 5))
        print(f"float32 matmul peak (2048^3, {threads} thread(s)): {peak / 1e9:.1f} GFLOP/s "
              f"({peak_cpu / 1e9:.1f} GFLOP per CPU-second)", flush=True)
    if "models" in args.only:
        _heading("1. models vs torchvision (CPU)")
        cases = mvt.QUICK if args.quick else mvt.FULL
        repeats = mvt.QUICK_REPEATS if args.quick else mvt.FULL_REPEATS
        budget_s = args.models_budget_s or (mvt.QUICK_BUDGET_S if args.quick else mvt.FULL_BUDGET_S)
        models = clock.section("models vs torchvision", lambda: mvt.run(cases, repeats, max(1, repeats // 3), budget_s))
    if "scratch" in args.only:
        _heading("2. from-scratch layers vs torch built-ins (CPU)")
        scratch = clock.section("scratch layers", lambda: scratch_layers.run(
            batch=2 if args.quick else 8, repeats=3 if args.quick else 5, target_s=0.05 if args.quick else 0.1,
            budget_s=15 if args.quick else 40))
    if "pipeline" in args.only:
        _heading("3. study main runs end to end vs the step alone (CPU)")
        e2e = clock.section("data pipeline", lambda: pipeline.run(quick=args.quick, runs=runs))
    if "lrn" in args.only:
        _heading("4. LRN's share of the AlexNet study step (CPU)")
        lrn = clock.section("LRN share", lambda: lrn_share.run(repeats=5 if args.quick else 15, runs=runs))
        print(to_text(lrn), flush=True)
    if "flops" in args.only:
        peak2, peak2_cpu = clock.section("matmul peak (again)",
                                         lambda: flops_mod.cpu_peak(2048, repeats=3 if args.quick else 5))
        peak, peak_cpu = max(peak, peak2), max(peak_cpu, peak2_cpu)
        print(f"\nfloat32 matmul peak, best of start and end: {peak / 1e9:.1f} GFLOP/s "
              f"({peak_cpu / 1e9:.1f} GFLOP per CPU-second)", flush=True)
        if models is not None:
            flops = flops_mod.model_flops(models, peak, peak_cpu)
        if e2e is not None:
            steps_flops = flops_mod.training_step_flops(e2e, peak, peak_cpu)

    # ---------------------------------------------------------------- print everything together
    tables = []
    if models is not None:
        tables.append(("Models vs torchvision (images/s by the wall clock and per CPU-second of this process; "
                       "ratio = ours / torchvision by CPU time, median of the per-repeat ratios (A B A B ... A, "
                       "each B against its two neighbouring A), with min and max; ratio_wall the same by the wall "
                       "clock, ratio_best best wall repeat over best wall repeat; spread = (max - min) / median of "
                       "the wall rates; same_ops: both dispatch the identical ATen operator sequence, forward and "
                       "backward; the paper AlexNet takes 227 px for the papers' 224)", models))
    if scratch is not None:
        tables.append(("From-scratch layers vs torch built-ins (time_ratio = scratch time / torch time, median)",
                       scratch))
    if e2e is not None:
        tables.append((f"The study main runs end to end (the batches the training reads, augmented on the device, "
                       f"-> the training step) vs the step alone on one fixed batch (vs_step by the wall clock, "
                       f"vs_step_cpu by CPU time; target >= {pipeline.TARGET}); batches_img_s: the batches alone", e2e))
    if lrn is not None:
        tables.append((f"LRN's share of the AlexNet study step (forward, loss, backward, SGD; share = (t_with - "
                       f"t_without) / t_with; target <= {lrn_share.TARGET_SHARE:.0f}%); layer_fwd_bwd: one LRN "
                       f"alone on lrn1's input", lrn))
    if flops is not None:
        tables.append((f"Achieved FLOP/s (2 x MACs x images/s, x3 for forward+backward; GFLOP_s by the wall clock) "
                       f"and % of the float32 matmul peak ({peak / 1e9:.1f} GFLOP/s; % computed per CPU-second on "
                       f"both sides: {peak_cpu / 1e9:.1f} GFLOP per CPU-second)", flops))
    if steps_flops is not None and len(steps_flops):
        tables.append(("Achieved FLOP/s of the study main runs' training steps (% of peak per CPU-second)",
                       steps_flops))
    for title, t in tables:
        _heading(title)
        print(to_text(t))
    checks = verdicts(models, e2e, lrn)
    timing = pd.DataFrame(clock.sections)
    total = clock.elapsed()
    _heading("targets")
    print("\n".join(checks) or "(no targets checked)")
    print(f"\ntotal {total:.0f}s ({total / 60:.1f} min); load average {load0} at start, {load_average()} at end; "
          f"{threads} torch thread(s)")
    print(to_text(timing))

    if not args.no_write and (not args.quick or args.write):
        section, figure = (("cpu-quick", FIGURES / "bench_cpu_quick.png") if args.quick
                           else ("cpu", FIGURES / "bench_cpu.png"))
        md = [f"## CPU ({mode} run)", "",
              f"`python -m benchmarks{' --quick' if args.quick else ''}` on {machine_line()}.",
              f"Load average {load0} at start, {load_average()} at end (the machine may be shared; every "
              f"comparison is interleaved, A B A B ... A, the targets are judged by CPU time, and each table gives "
              f"the load during it). Total {total:.0f}s.", ""]
        if peak is not None:
            md += [f"Float32 matmul peak (2048^3), measured in this run with the same threads: {peak / 1e9:.1f} "
                   f"GFLOP/s by the wall clock, {peak_cpu / 1e9:.1f} GFLOP per CPU-second of this process.", ""]
        md += ["Targets:", ""] + [f"- {c}" for c in checks] + [""]
        for title, t in tables:
            md += [f"### {title}", "", to_markdown(t), ""]
        md += ["### Time per section", "", to_markdown(timing), "", f"![CPU benchmarks](../figures/{figure.name})"]
        write_section(section, "\n".join(md), RESULTS)
        plot(figure, models=models, scratch=scratch, e2e=e2e, lrn=lrn, flops=flops, steps=steps_flops,
             accept=RATIO_ACCEPT, e2e_target=pipeline.TARGET, lrn_target=lrn_share.TARGET_SHARE)
        print(f"\nwrote {RESULTS} ({section} section) and {figure}")

    if torch.cuda.is_available() and not args.no_gpu:
        from . import gpu
        _heading("GPU")
        gpu.main(["--no-compile"] if args.quick else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
