"""``python -m reviewlib.train`` under torchrun: 2 processes, gloo, DistributedSampler, one checkpoint."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def _need(module: str, *names: str):
    try:
        mod = __import__(module, fromlist=list(names))
    except ImportError as e:
        pytest.skip(f"{module} is not importable yet ({e}); the CLI needs it")
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        pytest.skip(f"{module} lacks {missing} yet; the CLI needs them")
    return mod


def test_torchrun_two_process_gloo_cli(tmp_path):
    _need("reviewlib.nets", "build_model", "paper_of")
    data = _need("reviewlib.data.files", "get_datasets", "make_loader", "make_synthetic_imagenet")
    root = data.make_synthetic_imagenet(tmp_path / "synthetic", num_classes=2, train_per_class=16, val_per_class=3,
                                        image_size=32, seed=0)
    out = tmp_path / "run"
    env = dict(os.environ, REVIEWLIB_DEVICE="cpu", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "reviewlib.train", "--model", "vgg_A", "--data", str(root), "--budget", "smoke",
           "--epochs", "1", "--out", str(out), "--width", "0.0625", "--image-size", "32", "--classes", "2",
           "--max-batches", "2", "--batch-size", "8", "--workers", "0", "--no-progress"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 process(es)" in proc.stdout
    checkpoints = sorted(p.name for p in out.glob("*.pt"))
    assert checkpoints == ["checkpoint.pt"]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    ck = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ck["epoch"] == 1 and len(ck["rng"]) == 2  # one RNG state per rank
    hist = pd.read_csv(out / "history.csv")
    assert hist.epoch.tolist() == [1]
    # the 6 val images are split 3 + 3 over the ranks (no padding duplicates) and the counts summed
    correct = hist.val_acc1.iloc[0] * 6 / 100
    assert abs(correct - round(correct)) < 1e-9
