"""``python -m reviewlib.train`` under torchrun: 2 processes, gloo, sharded data, one checkpoint, exact resume state."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import torch

from reviewlib.data.synthetic import make_synthetic_imagenet

REPO = Path(__file__).resolve().parents[1]


def test_torchrun_two_process_gloo_cli(tmp_path):
    root = make_synthetic_imagenet(tmp_path / "synthetic", num_classes=2, train_per_class=16, val_per_class=3,
                                   image_size=32, seed=0)
    out = tmp_path / "run"
    env = dict(os.environ, REVIEWLIB_DEVICE="cpu", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "reviewlib.train", "--model", "vgg_A", "--data", str(root), "--budget", "smoke",
           "--epochs", "1", "--out", str(out), "--width", "0.0625", "--image-size", "32", "--classes", "2",
           "--max-batches", "2", "--batch-size", "8", "--no-progress"]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "2 process(es)" in proc.stdout
    assert proc.stdout.count("val_acc1") == 1  # rank 0 alone prints the history
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "history.csv"]  # one file, no temp files
    ck = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ck["epoch"] == 1 and len(ck["ranks"]) == 2  # each process's RNG state and sums
    hist = pd.read_csv(out / "history.csv")
    assert hist.epoch.tolist() == [1]
    # the 6 val images are split 3 + 3 over the ranks (no padding duplicates) and the counts summed
    correct = hist.val_acc1.iloc[0] * 6 / 100
    assert abs(correct - round(correct)) < 1e-9
