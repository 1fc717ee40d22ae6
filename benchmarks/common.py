"""Shared helpers for the benchmarks: the study runs, the training step, interleaved timing, summaries, markdown
tables, the results file.

The benchmarks are entry points: the sizes they time come from :meth:`reviewlib.study.Study.for_paper` (each paper's
study main run gives the model, its real input side, the resize side, the width, the batch size and the recipe), so
they time exactly what the notebooks and ``python -m reviewlib.train`` train, and no size is written here.

Speed is noisy on a shared machine, so every comparison here times the candidates in turn (A B A B ... A: each
run of B between two runs of A, so a steady drift of the machine's load hits both alike) and reports the median and
the spread over repeats; a ratio is the median of the per-repeat ratios, not a ratio of medians.
"""
from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch


REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "tiny-imagenet-10"
PAPERS = ("alexnet", "vgg", "googlenet")
RESULTS = REPO / "benchmarks" / "RESULTS.md"
TITLE = "# reviewlib benchmarks (written by `python -m benchmarks` and `python -m benchmarks.gpu`; do not edit by hand)"
FIGURES = REPO / "figures"


# ------------------------------------------------------------------------------------------------ the machine
def load_average() -> float:
    """The 1-minute load average (how many runnable processes share the CPUs); NaN where the OS has none."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return float("nan")


def set_threads(threads: int | None) -> int:
    """Use ``threads`` intra-op threads and return the count in use.

    ``None`` chooses: torch's default, except on an oversubscribed machine (1-minute load average at or above the
    CPU count), where one thread is used. There a second thread is often descheduled while the first waits for it at
    every parallel region, which makes timings erratic; one thread per process keeps the comparison fair and steady.
    """
    if threads is None:
        cpus = os.cpu_count() or 1
        threads = 1 if load_average() >= cpus else torch.get_num_threads()
    if threads < 1:
        raise ValueError(f"--threads must be >= 1, got {threads}")
    torch.set_num_threads(threads)
    return torch.get_num_threads()


def machine_line() -> str:
    """One line describing the machine and the software, for the results' header."""
    cpu = platform.processor() or platform.machine()
    return (f"{platform.system()} {platform.machine()} ({cpu}), {os.cpu_count()} CPUs, torch {torch.__version__}, "
            f"{torch.get_num_threads()} torch thread(s), "
            f"MKLDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}")


def sync(device: torch.device | str | None) -> None:
    """Wait for queued GPU work, so wall-clock times measure the work (no-op on the CPU)."""
    device = torch.device(device) if device is not None else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


# ------------------------------------------------------------------------------------------------ the study runs
def data_root(root: str | Path | None = None) -> Path:
    """``root``, else ``$REVIEWLIB_DATA``, else ``../shared/data/tiny-imagenet-10`` beside the repo."""
    if root:
        return Path(root)
    env = os.environ.get("REVIEWLIB_DATA", "").strip()
    return Path(env) if env else SHARED_DATA


def study_runs(root: str | Path | None = None, *, device: str = "cpu", budget: str = "study",
               papers: Sequence[str] = PAPERS) -> dict:
    """``{paper: (study, main run)}``: each paper's study under ``budget`` on the data at :func:`data_root`."""
    from reviewlib.study import Study

    out = {}
    for paper in papers:
        study = Study.for_paper(paper, budget, data=str(data_root(root)), device=device)
        out[paper] = (study, study.runs["main"])
    return out


def build_run_model(study, run, **model_kw) -> torch.nn.Module:
    """The run's model as its training builds it (:func:`reviewlib.experiments.runner.build`: the run's width and
    real input side, the recipe's initialisation), in train mode on the study's device."""
    from reviewlib.experiments.runner import BASELINE, Variant, build, splits

    variant = Variant("benchmark", model_kw=model_kw) if model_kw else BASELINE
    torch.manual_seed(0)
    classes = len(splits(study, run)[0].wnids)
    return build(study, run, variant, num_classes=classes).to(study.device).train()


def train_step(model: torch.nn.Module, recipe) -> Callable[[torch.Tensor, torch.Tensor], None]:
    """``step(x, y)``: one training step as :func:`reviewlib.train.loop.fit` takes it: forward (channels-last on
    the CPU and the GPU, in bf16 autocast on a GPU, as fit), the loss with the recipe's auxiliary weight, the NaN
    check, SGD with the
    recipe's momentum and weight decay, and the Polyak average when the recipe keeps one."""
    from reviewlib.device import in_training_layout, model_to_device
    from reviewlib.train.ema import make_ema
    from reviewlib.train.loop import compute_loss

    device = next(model.parameters()).device
    cuda = device.type == "cuda"
    model_to_device(model, device)
    opt = torch.optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          weight_decay=recipe.weight_decay)
    ema = make_ema(model, recipe.ema_decay) if recipe.ema_decay is not None else None

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        with torch.autocast(device.type, torch.bfloat16, enabled=cuda):
            out = model(in_training_layout(x))
            _, loss, _ = compute_loss(out, y, recipe.aux_weight)
        if not bool(torch.isfinite(loss.detach())):
            raise FloatingPointError("benchmark step: the loss is not finite")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if ema is not None:
            ema.update_parameters(model)
    return step


# ------------------------------------------------------------------------------------------------ timing
@dataclass
class Timings:
    """Per-call seconds of each candidate, by wall clock and by this process's CPU time (``time.process_time``:
    user + system time of all its threads, not counting the time other processes held the CPUs)."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)


def interleaved(candidates: dict[str, Callable[[], object]], *, repeats: int, warmup: int = 1, inner: int = 1,
                device: torch.device | str | None = None, budget_s: float | None = None,
                min_repeats: int = 3, bracket: bool = True) -> Timings:
    """Seconds per call of each candidate, ``repeats`` times, the candidates taking turns: A B A B ... A.

    Each candidate first runs ``warmup`` calls (untimed: allocator, one-time kernel choices). Then every repeat
    times ``inner`` back-to-back calls of each candidate in the same cyclic order, so each candidate always runs
    right after the same other one (for two: A always after B, B always after A; neither finds the caches warm
    from itself). With ``bracket`` one more run of the first candidate closes the sequence, so every run of the
    others sits between two runs of the first and :func:`paired_ratio` can average those two, which cancels a
    steady drift of the machine's load. With ``budget_s``, no new repeat starts once that many seconds have passed
    (warm-up included) and ``min_repeats`` are done: on a busy machine the benchmark takes fewer repeats rather
    than longer.
    """
    if repeats < 1 or inner < 1:
        raise ValueError(f"repeats and inner must be >= 1, got {repeats} and {inner}")
    start = time.perf_counter()
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    sync(device)
    times = Timings({n: [] for n in names}, {n: [] for n in names})

    def timed(name: str) -> None:
        fn = candidates[name]
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(inner):
            fn()
        sync(device)
        times.cpu[name].append((time.process_time() - c0) / inner)
        times.wall[name].append((time.perf_counter() - t0) / inner)

    for r in range(repeats):
        if budget_s is not None and r >= min_repeats and time.perf_counter() - start > budget_s:
            break
        for name in names:
            timed(name)
    if bracket and len(names) > 1:
        timed(names[0])
    return times


def calls_for(fn: Callable[[], object], target_s: float, *, cap: int = 1000,
              device: torch.device | str | None = None) -> int:
    """How many back-to-back calls of ``fn`` take about ``target_s`` seconds (one timed call, after one warm-up)."""
    fn()
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    dt = max(time.perf_counter() - t0, 1e-7)
    return int(max(1, min(cap, round(target_s / dt))))


def spread_pct(values: Sequence[float]) -> float:
    """(max - min) / median of the values, in percent: how far apart the repeats were."""
    med = statistics.median(values)
    return 100.0 * (max(values) - min(values)) / med if med else float("nan")


def rate_summary(seconds: Sequence[float], items: int) -> tuple[float, float]:
    """(median items/s, spread in %) of per-call times, each call handling ``items`` items."""
    rates = [items / s for s in seconds]
    return statistics.median(rates), spread_pct(rates)


def paired_ratio(num_seconds: Sequence[float], den_seconds: Sequence[float]) -> tuple[float, float, float]:
    """Speed of A over speed of B from :func:`interleaved` times (A's seconds first): the median over repeats of
    ``t_B / t_A``, and its min and max. Above 1: A is the faster. When one list has one more entry (the bracketing
    run), each time of the other is compared with the mean of its two neighbours in the longer list."""
    a, b = list(num_seconds), list(den_seconds)
    if len(a) == len(b) + 1:
        a = [(x + y) / 2 for x, y in zip(a, a[1:])]
    elif len(b) == len(a) + 1:
        b = [(x + y) / 2 for x, y in zip(b, b[1:])]
    if len(a) != len(b) or not a:
        raise ValueError(f"paired_ratio: {len(a)} and {len(b)} times do not pair up")
    ratios = [tb / ta for ta, tb in zip(a, b)]
    return statistics.median(ratios), min(ratios), max(ratios)


# ------------------------------------------------------------------------------------------------ matmul peak
def matmul_peak(n: int = 2048, *, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu",
                repeats: int = 5, target_s: float = 0.3) -> float:
    """The machine's achievable FLOP/s: the best of ``repeats`` timings of an ``n x n`` by ``n x n`` matrix product
    (2 n^3 FLOPs) in ``dtype`` on ``device``, with the current thread count. The best, not the median: it is the
    ceiling the models are measured against, and on a busy machine the best repeat is the least disturbed."""
    device = torch.device(device)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    c = torch.empty(n, n, device=device, dtype=dtype)
    fn = lambda: torch.mm(a, b, out=c)  # noqa: E731
    inner = calls_for(fn, target_s, cap=200, device=device)
    best = min(interleaved({"mm": fn}, repeats=repeats, warmup=1, inner=inner, device=device).wall["mm"])
    return 2.0 * n ** 3 / best


# ------------------------------------------------------------------------------------------------ output
def fmt(v: object, digits: int = 2) -> str:
    """A table cell: floats rounded (large ones with thousands separators), None/NaN as a dash."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if v != v:  # NaN
            return "-"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.{digits}f}"
    return str(v)


def to_markdown(df: pd.DataFrame, digits: int = 2) -> str:
    """A pipe table of ``df`` (no index), numbers formatted with :func:`fmt`; no tabulate needed."""
    cols = [str(c) for c in df.columns]
    rows = [[fmt(v, digits) for v in row] for row in df.itertuples(index=False, name=None)]
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join("---:" if num else ":---" for num in numeric) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def to_text(df: pd.DataFrame, digits: int = 2) -> str:
    """The same table aligned for a terminal."""
    cols = [str(c) for c in df.columns]
    rows = [[fmt(v, digits) for v in row] for row in df.itertuples(index=False, name=None)]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    out = ["  ".join(c.rjust(w) for c, w in zip(cols, widths))]
    out += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def write_section(name: str, markdown: str, path: Path = RESULTS,
                  title: str = TITLE) -> Path:
    """Put ``markdown`` between ``<!-- begin NAME -->`` and ``<!-- end NAME -->`` in ``path``, keeping the other
    sections (the CPU run and the GPU run each rewrite only their own). Written atomically."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{markdown.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else f"{title}\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return path


class Clock:
    """Wall-clock seconds since start, and per-section times and load averages for the results' footer."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.sections: list[dict] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def section(self, name: str, fn: Callable[[], object]):
        load0, t = load_average(), time.perf_counter()
        result = fn()
        self.sections.append({"section": name, "seconds": time.perf_counter() - t,
                              "load_start": load0, "load_end": load_average()})
        return result
