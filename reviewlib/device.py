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
_GLIBC_DEFAULT = 128 * 1024


def _libc():
    if platform.system() != "Linux":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


@contextlib.contextmanager
def keep_freed_memory(enabled: bool = True) -> Iterator[bool]:
    """Inside, the C allocator (glibc, on Linux) keeps freed memory for reuse instead of returning it to the OS;
    yields whether it could (False elsewhere, where nothing changes).

    glibc serves every block over 128 KiB with a fresh ``mmap`` and unmaps it on free, so a CPU training step, which
    frees and allocates the same activations, gradients and batches (megabytes each) every step, page-faults them
    all in anew: at the study sizes the kernel's page faulting took 10-20% of a training step on the 2-core machine.
    Raising the mmap and trim thresholds, what PyTorch's CPU tuning guide gets with jemalloc or tcmalloc, lets the
    step reuse its memory. No number a model computes changes. On exit the thresholds go back to glibc's defaults
    and the kept memory is returned to the OS (``malloc_trim``). :func:`reviewlib.train.loop.fit` trains inside it
    on the CPU.
    """
    libc = _libc() if enabled else None
    if libc is None:
        yield False
        return
    ok = libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 31) == 1
    try:
        yield ok
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_DEFAULT)
        libc.mallopt(_M_TRIM_THRESHOLD, _GLIBC_DEFAULT)
        libc.malloc_trim(0)
