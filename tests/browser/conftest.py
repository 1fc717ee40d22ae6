"""A JupyterLab server and a headless Chromium for tests/browser (one of each for the whole session).

Skips, with the reason, when the ``playwright`` package or the Chromium binary is missing (``playwright install``
cannot download browsers on the build machine; CI installs Debian's ``chromium`` with apt-get). The server runs
on localhost on a free port, without a token, with temporary config/runtime/settings/workspace folders (nothing
of the user's JupyterLab set-up is read or changed), autosave off (the notebooks in the repository are never
written; the checkpoint JupyterLab makes on opening a file goes to the temporary folder too), and
``REVIEWLIB_BUDGET=smoke``.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
#: Chromium to drive; REVIEWLIB_CHROMIUM overrides the Debian package's path.
CHROMIUM = Path(os.environ.get("REVIEWLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_TIMEOUT_S = 180

# JupyterLab user settings for the test server: never write the notebooks, render every cell (so the DOM holds all
# of them), no news or update checks, no extension manager (no network on the build machine).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """A running ``jupyter lab`` process: its URL, its log, its runtime folder (kernel connection files)."""

    def __init__(self, proc: subprocess.Popen, url: str, log: Path, runtime_dir: Path):
        self.proc, self.url, self.log, self.runtime_dir = proc, url, log, runtime_dir

    def log_tail(self, chars: int = 6000) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else "(no server log)"
        return text[-chars:]

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def sessions(self) -> list[dict]:
        return self.api("/api/sessions")

    def shutdown_sessions(self, notebook: str | None = None) -> None:
        """Shut down the kernel(s) of ``notebook`` (all when None), freeing their memory."""
        for s in self.sessions():
            if notebook is None or s.get("path") == notebook:
                self.api(f"/api/sessions/{s['id']}", method="DELETE")


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    pytest.importorskip("playwright.sync_api",
                        reason="the playwright package is not installed (pip install playwright, see requirements.txt)")
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set REVIEWLIB_CHROMIUM): "
                    "browser tests skipped")
    tmp = tmp_path_factory.mktemp("jupyterlab")
    dirs = {k: tmp / k for k in ("config", "data", "runtime", "settings", "workspaces", "ipython", "checkpoints")}
    for d in dirs.values():
        d.mkdir()
    for plugin, values in LAB_SETTINGS.items():
        f = dirs["settings"] / f"{plugin}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    env = dict(os.environ, REVIEWLIB_BUDGET="smoke", JUPYTER_CONFIG_DIR=str(dirs["config"]),
               JUPYTER_DATA_DIR=str(dirs["data"]),
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), IPYTHONDIR=str(dirs["ipython"]),
               PYTHONUNBUFFERED="1")
    env.pop("MPLBACKEND", None)  # the kernel's inline backend, as a reader gets it (CI exports Agg)
    port = _free_port()
    log = tmp / "server.log"
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.open_browser=False", "--IdentityProvider.token=",
           "--ServerApp.allow_root=True", "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={NOTEBOOK_DIR}",
           f"--LabApp.user_settings_dir={dirs['settings']}", f"--LabApp.workspaces_dir={dirs['workspaces']}",
           f"--FileCheckpoints.checkpoint_dir={dirs['checkpoints']}"]  # not notebooks/.ipynb_checkpoints
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=NOTEBOOK_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    server = LabServer(proc, f"http://127.0.0.1:{port}", log, dirs["runtime"])
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with code {proc.returncode} before serving:\n{server.log_tail()}")
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer within {SERVER_START_TIMEOUT_S} s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        if proc.poll() is None:
            try:
                server.shutdown_sessions()
            except Exception:  # the server may already be failing; the process is stopped below anyway
                pass
            os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group (start_new_session above)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(lab_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
