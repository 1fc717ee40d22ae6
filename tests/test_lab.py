"""``make lab`` starts JupyterLab on notebooks/, as root too (Docker images, cloud notebook machines)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
JUPYTER = REPO / ".venv" / "bin" / "jupyter"
START_TIMEOUT_S = 180


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lab_command(env: dict) -> str:
    """The command ``make lab`` would run, without running it (``make -n``)."""
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", "lab"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_make_lab_adds_allow_root_for_root_only(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "id").write_text("#!/bin/sh\necho 1000\n")
    (fake / "id").chmod(0o755)
    as_user = _lab_command(dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}"))
    assert "jupyter lab --notebook-dir=notebooks" in as_user and "--allow-root" not in as_user
    (fake / "id").write_text("#!/bin/sh\necho 0\n")
    assert "--allow-root" in _lab_command(dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}"))


def test_make_lab_serves_jupyterlab(tmp_path):
    if not JUPYTER.is_file():
        pytest.skip(f"jupyter is not installed in {JUPYTER.parent} (make lab installs it)")
    port = _free_port()
    dirs = {k: tmp_path / k for k in ("config", "data", "runtime", "settings", "workspaces")}
    for d in dirs.values():
        d.mkdir()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_DATA_DIR=str(dirs["data"]),
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]))
    lab_args = (f"--no-browser --port={port} --ServerApp.port_retries=0 --ServerApp.ip=127.0.0.1 "
                f"--IdentityProvider.token=")
    # the Makefile's own recipe; -o: the venv is set up already, never reinstall it from a test
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["make", "-o", ".venv/.installed", "lab", f"LAB_ARGS={lab_args}"], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"make lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=10) as r:
                    assert r.status == 200
                    assert b"JupyterLab" in r.read()
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"no answer from /lab within {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # make and the server: the process group of start_new_session
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
