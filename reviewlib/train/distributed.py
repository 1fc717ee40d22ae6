"""Data-parallel training over several processes (``torchrun --nproc_per_node=N``), in torch's own pieces.

Every process holds a copy of the model wrapped in ``DistributedDataParallel`` (gradients are averaged over
processes in ``backward``) and trains on its own shard of each batch. Rank 0 alone shows progress and writes the
checkpoint, between barriers so no process runs ahead of the file. Metric sums are added over processes, so the
history is that of the whole data. Without an initialised process group every function here is the one-process
case (no-op or identity).
"""
from __future__ import annotations

import contextlib
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main() -> bool:
    """True on the process that logs and writes files (rank 0; the only one without torchrun)."""
    return rank() == 0


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """``DistributedDataParallel(model)`` under torchrun, else ``model`` itself."""
    if not is_distributed():
        return model
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def all_sum(values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each tensor summed over processes (one all-reduce for all; they share a dtype and device)."""
    if not is_distributed() or not values:
        return values
    flat = torch.cat([v.reshape(-1) for v in values.values()])
    dist.all_reduce(flat)
    out, i = {}, 0
    for key, v in values.items():
        out[key], i = flat[i:i + v.numel()].view_as(v), i + v.numel()
    return out


def any_rank(*flags) -> tuple[bool, ...]:
    """Each flag (bool or 0-d tensor) made true on every process when it is true on any (one all-reduce)."""
    if not is_distributed():
        return tuple(bool(f) for f in flags)
    t = torch.stack([torch.as_tensor(f, dtype=torch.float32).reshape(()) for f in flags])
    t = t.to("cuda" if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return tuple(bool(v) for v in t.tolist())


def gather(obj) -> list:
    """Every process's ``obj`` (picklable), indexed by rank; ``[obj]`` without torchrun."""
    if not is_distributed():
        return [obj]
    out = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


@contextlib.contextmanager
def process_group(device: torch.device):
    """Join torchrun's process group when ``WORLD_SIZE`` > 1 (NCCL on CUDA, gloo on the CPU) and leave it at the
    end; yields this process's device (``cuda:LOCAL_RANK`` on CUDA)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        yield device
        return
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    try:
        yield device
    finally:
        dist.destroy_process_group()
