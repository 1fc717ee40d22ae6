"""python -m reviewlib.train from a shell: the history it writes, and user errors as one line, not a traceback."""
from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from reviewlib.data.synthetic import make_synthetic_imagenet

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--budget", "smoke", "--width", "0.0625", "--image-size", "32", "--epochs", "1", "--max-batches", "2",
         "--batch-size", "4", "--no-progress"]


def cli(*args, timeout=240) -> subprocess.CompletedProcess:
    env = dict(os.environ, REVIEWLIB_DEVICE="cpu", OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    env.pop("REVIEWLIB_DATA", None)
    return subprocess.run([sys.executable, "-m", "reviewlib.train", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_user_error(proc: subprocess.CompletedProcess, pattern: str) -> str:
    """Exit status 2, no traceback, and the last line of stderr is ``error: <message>`` matching ``pattern``."""
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: "), proc.stderr[-2000:]
    assert re.search(pattern, last), last
    return last


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_synthetic_imagenet(tmp_path_factory.mktemp("data") / "synthetic", num_classes=2, train_per_class=8,
                                   val_per_class=2, image_size=32, seed=0)


@pytest.fixture(scope="module")
def vgg_a_run(data, tmp_path_factory) -> Path:
    """A finished one-epoch vgg_A run: its folder holds checkpoint.pt and history.csv."""
    out = tmp_path_factory.mktemp("vgg_A")
    proc = cli("--model", "vgg_A", "--data", data, "--out", out, *SMALL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_cli_writes_history_csv(vgg_a_run):
    hist = pd.read_csv(vgg_a_run / "history.csv")
    assert hist.epoch.tolist() == [1]
    assert {"val_acc1", "val_acc5", "train_loss"} <= set(hist.columns) and "ema_val_acc1" not in hist


def test_cli_writes_the_averaged_weights_accuracy_with_polyak(data, tmp_path):
    proc = cli("--model", "googlenet_paper", "--data", data, "--out", tmp_path, *SMALL[:4], "--image-size", "96",
               *SMALL[6:])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    hist = pd.read_csv(tmp_path / "history.csv")
    assert {"val_acc1", "ema_val_acc1", "train_aux1_loss"} <= set(hist.columns)


@pytest.mark.parametrize("model", ["alexnet_paper", "vgg16", "googlenet_paper"])
def test_cli_trains_one_batch_at_the_paper_budget(data, tmp_path, model):
    """The paper budget's real input sides (227 for the paper AlexNet, 224 else) reach the model built for them."""
    proc = cli("--model", model, "--data", data, "--out", tmp_path, "--budget", "paper", "--width", "0.0625",
               "--classes", "2", "--epochs", "1", "--max-batches", "1", "--batch-size", "2",
               "--no-progress")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert pd.read_csv(tmp_path / "history.csv").epoch.tolist() == [1]


def test_warm_start_copies_net_a_into_a_deeper_net(data, vgg_a_run, tmp_path):
    proc = cli("--model", "vgg_B", "--data", data, "--out", tmp_path, "--warm-start",
               vgg_a_run / "checkpoint.pt", *SMALL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "warm start from" in proc.stdout and "classifier" in proc.stdout


# ----------------------------------------------------------------------------------------------- user errors

def test_unknown_budget(tmp_path):
    assert_user_error(cli("--model", "vgg_A", "--budget", "huge", "--out", tmp_path),
                      r"^error: unknown budget 'huge'.*valid budgets: smoke, study, paper")


def test_unknown_model(tmp_path):
    assert_user_error(cli("--model", "resnet50", "--budget", "smoke", "--out", tmp_path),
                      r"^error: unknown model 'resnet50'; choose one of .*vgg_A")


def test_impossible_size(data, tmp_path):
    args = [a if a != "32" else "16" for a in SMALL]
    assert_user_error(cli("--model", "vgg_A", "--data", data, "--out", tmp_path, *args),
                      r"^error: pool5: 1x1 input is smaller than its 2x2 pooling window")


def test_missing_data_folder(tmp_path):
    missing = tmp_path / "no-such-folder"
    assert_user_error(cli("--model", "vgg_A", "--data", missing, "--out", tmp_path / "out", *SMALL),
                      rf"^error: .*{re.escape(str(missing))} does not exist")


@pytest.mark.parametrize("content", ["empty", "unknown layout"])
def test_empty_or_unknown_data_folder(tmp_path, content):
    folder = tmp_path / "data"
    folder.mkdir()
    if content == "unknown layout":
        (folder / "notes.txt").write_text("not images\n")
        (folder / "stuff").mkdir()
        (folder / "stuff" / "a.csv").write_text("1,2\n")
    assert_user_error(cli("--model", "vgg_A", "--data", folder, "--out", tmp_path / "out", *SMALL),
                      rf"^error: .*{re.escape(str(folder))}.*(is empty|no known dataset layout)"
                      if content == "empty" else rf"^error: .*no known dataset layout in {re.escape(str(folder))}")


@pytest.mark.parametrize("kind", ["pickle", "truncated"])
def test_resume_from_a_refused_or_damaged_checkpoint(data, vgg_a_run, tmp_path, kind):
    ck = tmp_path / "checkpoint.pt"
    if kind == "pickle":  # what torch.load(weights_only=True) refuses with "Unsupported operand 149"
        ck.write_bytes(pickle.dumps(Fraction(1, 3), protocol=4))
    else:
        good = (vgg_a_run / "checkpoint.pt").read_bytes()
        ck.write_bytes(good[:len(good) // 2])
    last = assert_user_error(cli("--model", "vgg_A", "--data", data, "--out", tmp_path, "--resume", *SMALL),
                             rf"^error: {re.escape(str(ck))} is not a reviewlib checkpoint or is damaged")
    assert "start afresh" in last


def test_resume_from_another_models_checkpoint(data, vgg_a_run, tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes((vgg_a_run / "checkpoint.pt").read_bytes())
    assert_user_error(cli("--model", "vgg_B", "--data", data, "--out", tmp_path, "--resume", *SMALL),
                      r"^error: .*checkpoint.pt was written for another model")


def test_warm_start_from_a_file_that_is_not_a_checkpoint(data, tmp_path):
    bad = tmp_path / "a.pt"
    bad.write_text("hello")
    assert_user_error(cli("--model", "vgg_B", "--data", data, "--out", tmp_path, "--warm-start", bad, *SMALL),
                      rf"^error: {re.escape(str(bad))} is not a reviewlib checkpoint or is damaged")
