"""Pick the device and make runs repeatable.

Every model in reviewlib runs on CUDA when present, then Apple's MPS, then the CPU; nothing assumes a GPU.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import platform
import random
import threading
from collections.abc import Iterator

import numpy as np
import torch


def pick_device(prefer: str | None = None) -> torch.device:
    """Return ``cuda`` if available, else ``mps``, else ``cpu``.

    ``prefer`` (or the environment variable ``REVIEWLIB_DEVICE``) forces one, e.g. ``"cpu"`` on a GPU machine.
    """
    prefer = prefer or os.environ.get("REVIEWLIB_DEVICE")
    if prefer:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch (all devices); optionally ask torch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def describe_device(device: torch.device | None = None) -> str:
    """One line for a notebook header: the device and, on CUDA, the GPU's name."""
    device = torch.device(device) if device is not None else pick_device()
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)}, {torch.cuda.device_count()} GPU(s))"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return str(device)


def channels_last(device: torch.device | str) -> bool:
    """Whether training keeps weights and batches channels-last (NHWC) on ``device``: on a GPU for the tensor cores,
    and on the CPU, where PyTorch's max-pooling is several times faster in NHWC than in NCHW (3x3/2 on a
    64x16x32x32 batch: 0.4 ms against 4.4 ms on the 2-core machine) and oneDNN's convolutions prefer it: a study
    training step took 30% less time for GoogLeNet, 16% for VGG-A and 7% for AlexNet. The layout changes no number
    a layer computes, only where it lives in memory."""
    return torch.device(device).type in ("cuda", "cpu")


def model_to_device(model: torch.nn.Module, device: torch.device | str) -> torch.nn.Module:
    """``model`` moved to ``device`` in the layout :func:`channels_last` gives that device (in place, returned)."""
    device = torch.device(device)
    return model.to(device, memory_format=torch.channels_last) if channels_last(device) else model.to(device)


def in_training_layout(x: torch.Tensor) -> torch.Tensor:
    """A 4-d batch in the layout :func:`channels_last` gives its device (other tensors as they are)."""
    return x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 and channels_last(x.device) else x


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
# Where glibc's own adaptive thresholds top out on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX, and trim = 2 x mmap): once
# mallopt has set a threshold glibc stops adapting it, so these are what the allocator is left with afterwards.
_ADAPTIVE_MAX = {_M_MMAP_THRESHOLD: 32 << 20, _M_TRIM_THRESHOLD: 64 << 20}
_KEPT = {"depth": 0, "ok": False}
_KEPT_LOCK = threading.Lock()


def _libc():
    if platform.system() != "Linux":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")):
        return None
    libc.mallopt.argtypes, libc.mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = (ctypes.c_size_t,), ctypes.c_int
    return libc


def _keep(libc) -> bool:
    """Raise both thresholds (1 GiB for mmap, where glibc before 2.35 refuses more than 32 MiB and gets that)."""
    mmap = libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) == 1 or libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20) == 1
    return mmap and libc.mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1) == 1


@contextlib.contextmanager
def keep_freed_memory(enabled: bool = True) -> Iterator[bool]:
    """Inside, the C allocator (glibc, on Linux) keeps freed memory for reuse instead of returning it to the OS;
    yields whether it could (False elsewhere, where nothing changes).

    glibc serves a large block with a fresh ``mmap`` and unmaps it on free (from 128 KiB, a threshold it raises by
    itself up to 32 MiB as it sees such blocks freed), and gives the top of its heap back to the OS beyond a trim
    threshold. A CPU training step frees and allocates the same activations, gradients and batches (megabytes each)
    every step, and many of them were page-faulted in anew each time: at the study sizes the kernel's page faulting
    took 10-20% of a training step on the 2-core machine. Raising both thresholds, what PyTorch's CPU tuning guide
    gets with jemalloc or tcmalloc, lets the step reuse its memory. No number a model computes changes.

    The setting is process-wide. Blocks nest (and may be entered from several threads): the outermost one sets it,
    and its exit returns the kept memory to the OS (``malloc_trim``) and leaves the thresholds where glibc's own
    adaptive rule tops out (32 and 64 MiB: glibc stops adapting once they are set). :func:`reviewlib.train.loop.fit`
    trains inside it on the CPU.
    """
    libc = _libc() if enabled else None
    if libc is None:
        yield False
        return
    with _KEPT_LOCK:
        if _KEPT["depth"] == 0:
            _KEPT["ok"] = _keep(libc)
        _KEPT["depth"] += 1
        ok = _KEPT["ok"]
    try:
        yield ok
    finally:
        with _KEPT_LOCK:
            _KEPT["depth"] -= 1
            if _KEPT["depth"] == 0:
                for option, value in _ADAPTIVE_MAX.items():
                    libc.mallopt(option, value)
                libc.malloc_trim(0)
