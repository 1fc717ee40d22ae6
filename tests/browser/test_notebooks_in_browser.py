"""Every notebook, run top to bottom in JupyterLab in a real (headless) Chromium, as a reader would.

For each notebooks/*.ipynb: open it, Run > Run All Cells, wait until no cell is queued or running, then assert
that every code cell ran (has an execution count), that no output is an error (a traceback, or a JavaScript
error from a renderer), that every matplotlib figure shows as an image (not as "<Figure size ...>" text, which
is what a reader sees when the inline backend is not active), and that every widget rendered (no "Error displaying widget"; explorers show their
sliders). In the AlexNet notebook, moving the explorer's fc6 slider one step must change the displayed totals to
exactly what ``reviewlib.papers.alexnet.explorer().update(fc6=...)`` computes and redraw the layer table, and
moving conv1's kernel slider must redraw the feature-map plot; the totals check must fail once
the widget's callback is broken in the kernel (the last test breaks it on purpose). A screenshot of each notebook
(scrolled to its first widget, if any) goes to figures/browser_<notebook>.png.

One JupyterLab server and one browser serve all notebooks (see conftest.py); each notebook's kernel is shut down
when its test ends, except the AlexNet one, which the last test reuses.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
ALEXNET = "01_alexnet.ipynb"
FIGURES = ROOT / "figures"
OPEN_TIMEOUT_S = 120  # JupyterLab's first page load and the kernel's start, on a busy 2-core machine
RUN_TIMEOUT_S = 480  # one notebook in the smoke budget (about a minute each when the machine is free)
WIDGET_TIMEOUT_S = 60
SLIDER_TIMEOUT_S = 30
START_TIMEOUT_S = 20  # Run All Cells must mark cells queued or running within this
RUN_ALL_ATTEMPTS = 3
VIEWPORT = {"width": 1400, "height": 1000}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# One record per code cell: its prompt ("[3]:", "[*]:", "[ ]:"), the start of its source, and its outputs.
CELLS_JS = """() => [...document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')].map(c => ({
  prompt: ((c.querySelector('.jp-InputArea-prompt') || {}).textContent || '').trim(),
  source: ((c.querySelector('.jp-InputArea-editor .cm-content') || {}).innerText || '').slice(0, 80),
  outputs: [...c.querySelectorAll('.jp-OutputArea-output')].map(o => ({
    mime: o.getAttribute('data-mime-type') || '',
    text: (o.innerText || '').slice(0, 3000),
    widget: !!o.querySelector('.jupyter-widgets'),
  })),
}))"""
FIGURE_AS_TEXT = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")
ERROR_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*(Error|Exception|Interrupt)(:.*)?\s*$", re.M)


class NotebookRun:
    """An open notebook page after Run All Cells, with what a failure message needs."""

    def __init__(self, name: str, page, server, console: list[str]):
        self.name, self.page, self.server, self.console = name, page, server, console

    def cells(self) -> list[dict]:
        return self.page.evaluate(CELLS_JS)

    def report(self, problems: list[str]) -> str:
        console = "\n".join(self.console[-30:]) or "(none)"
        return (f"{self.name}: " + "\n".join(problems) + f"\n--- browser console errors ---\n{console}"
                f"\n--- JupyterLab server log (tail) ---\n{self.server.log_tail()}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kernel_connected(server, name: str) -> bool:
    """The server's session for ``name`` has a kernel that is idle and has a websocket connection (the page)."""
    for s in server.sessions():
        k = s.get("kernel") or {}
        if s.get("path") == name and k.get("connections", 0) >= 1 and k.get("execution_state") == "idle":
            return True
    return False


def open_and_run_all(browser, server, name: str) -> NotebookRun:
    """Open ``name`` in JupyterLab, run all cells through the Run menu and wait for the last one."""
    page = browser.new_page(viewport=VIEWPORT)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"[{m.type}] {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    run = NotebookRun(name, page, server, console)
    try:
        _run_all(run)
    except BaseException:
        page.close()
        server.shutdown_sessions(name)
        raise
    return run


def _run_all(run: NotebookRun) -> None:
    page, server, name = run.page, run.server, run.name
    page.set_default_timeout(OPEN_TIMEOUT_S * 1000)
    page.goto(f"{server.url}/lab/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    deadline = time.monotonic() + OPEN_TIMEOUT_S
    while not kernel_connected(server, name):  # the page's websocket reached an idle kernel
        if time.monotonic() > deadline:
            pytest.fail(run.report([f"no idle kernel connected to the page within {OPEN_TIMEOUT_S} s"]))
        time.sleep(0.5)
    started, deadline = False, time.monotonic() + RUN_TIMEOUT_S
    for _ in range(RUN_ALL_ATTEMPTS):  # a click that lands before the page is wired to the kernel is lost
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        retry_at = time.monotonic() + START_TIMEOUT_S
        while not started and time.monotonic() < retry_at:
            prompts = [c["prompt"] for c in run.cells()]
            started = any("*" in p or re.search(r"\d", p) for p in prompts)
            time.sleep(0.5)
        if started:
            break
    else:
        pytest.fail(run.report([f"Run All Cells did not start any cell ({RUN_ALL_ATTEMPTS} tries)"]))
    while True:
        prompts = [c["prompt"] for c in run.cells()]
        if not any("*" in p for p in prompts):
            break
        if time.monotonic() > deadline:
            pytest.fail(run.report([f"still running after {RUN_TIMEOUT_S} s; prompts: {prompts}"]))
        time.sleep(1.0)
    # widget views render asynchronously after their cell finished
    deadline = time.monotonic() + WIDGET_TIMEOUT_S
    while time.monotonic() < deadline:
        outs = [o for c in run.cells() for o in c["outputs"] if o["mime"] == WIDGET_MIME]
        if all(o["widget"] or "Error displaying widget" in o["text"] for o in outs):
            break
        time.sleep(1.0)


def problems_in(run: NotebookRun, expect_sliders: bool) -> list[str]:
    """Everything that is wrong with a finished run (empty when all is well)."""
    problems = []
    cells = run.cells()
    if not cells:
        problems.append("no code cells found in the page")
    for i, c in enumerate(cells, 1):
        where = f"code cell {i} ({c['source'].splitlines()[0] if c['source'] else ''!r})"
        if not re.fullmatch(r"\[\d+\]:", c["prompt"]):
            problems.append(f"{where} did not run (prompt {c['prompt']!r})")
        for o in c["outputs"]:
            text = o["text"]
            if o["mime"] == "application/vnd.jupyter.stderr" and (
                    "Traceback (most recent call last)" in text or ERROR_LINE.search(text)
                    or text.startswith("Javascript Error")):
                problems.append(f"{where} shows an error:\n{text[-1500:]}")
            if o["mime"] == "text/plain" and FIGURE_AS_TEXT.fullmatch(text.strip()):
                problems.append(f"{where} shows a matplotlib figure as text ({text.strip()!r}), not as an image: "
                                "the inline backend was not active when it was displayed (run `%matplotlib inline` "
                                "in the first cell)")
            if "Error displaying widget" in text:
                problems.append(f"{where}: {text[:300]}")
            elif o["mime"] == WIDGET_MIME and not o["widget"]:
                problems.append(f"{where}: widget output did not render (text {text[:200]!r})")
    if expect_sliders and run.page.locator(".jp-Notebook .widget-slider").count() == 0:
        problems.append("the notebook builds an explorer widget (.widget(...)) but no slider is on the page")
    return problems


def screenshot(page, name: str) -> Path:
    """figures/browser_<notebook>.png: the cell of the first slider widget, else of the first figure, else the top
    of the notebook, with the file browser collapsed; written atomically."""
    current_tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current_tab.count():
        current_tab.first.click()  # collapse the left sidebar
    target = None
    for selector in (".jp-OutputArea-output .jupyter-widgets.widget-slider", ".jp-OutputArea-output img"):
        found = page.locator(f".jp-Notebook {selector}")
        if found.count():
            target = found.first
            break
    if target is not None:
        page.evaluate("e => e.closest('.jp-Cell').scrollIntoView({block: 'start'})", target.element_handle())
    else:
        page.evaluate("() => document.querySelector('.jp-Notebook .jp-Cell').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    path = FIGURES / f"browser_{Path(name).stem}.png"
    FIGURES.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".png", dir=FIGURES)
    os.close(fd)
    try:
        page.screenshot(path=tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a figure is meant to be read
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def explorer_root(page):
    """The AlexNet explorer's output (the widget holding the ``reviewlib-totals`` line)."""
    root = page.locator(".jp-OutputArea-output", has=page.locator(".reviewlib-totals")).first
    assert root.count(), "no explorer widget with a .reviewlib-totals line on the page"
    return root


def _slider(root, page, key: str):
    """The explorer's slider for control ``key``, found by its label as the widget shows it."""
    from reviewlib.papers.alexnet import explorer as alexnet_explorer

    control = alexnet_explorer().controls[key]
    label = re.escape(control.label or control.key)
    return root.locator(".widget-slider", has=page.locator(".widget-label", has_text=re.compile(rf"^{label}$")))


def move_slider_and_check_totals(page, key: str = "fc6") -> tuple[str, str]:
    """Press ArrowRight on the explorer's ``key`` slider; the totals line must change to what reviewlib computes
    for the new value. Returns (totals before, totals after); AssertionError when the widget does not update."""
    from reviewlib.papers.alexnet import explorer as alexnet_explorer

    root = explorer_root(page)
    totals = root.locator(".reviewlib-totals")
    slider = _slider(root, page, key)
    assert slider.count() == 1, f"expected one slider labelled {key!r} in the explorer, found {slider.count()}"
    before = totals.inner_text().strip()
    value_before = int(slider.locator(".widget-readout").inner_text().replace(",", ""))
    handle = slider.locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    value = int(slider.locator(".widget-readout").inner_text().replace(",", ""))
    assert value != value_before, f"the {key} slider did not move (readout stayed {value_before})"
    deadline = time.monotonic() + SLIDER_TIMEOUT_S
    after = before
    while after == before and time.monotonic() < deadline:
        time.sleep(0.5)
        after = totals.inner_text().strip()
    assert after != before, (f"moving {key} from {value_before} to {value} did not change the totals "
                             f"within {SLIDER_TIMEOUT_S} s: still {before!r}")
    expected = alexnet_explorer().update(**{key: value}).summary
    assert after == expected, f"totals after {key}={value}: {after!r}, reviewlib computes {expected!r}"
    return before, after


def _explorer_snapshot(root) -> tuple[str, str]:
    """(the explorer's layer-table text, the source of its plot image), as the page shows them now."""
    table = root.locator("table").first
    image = root.locator("img").first
    return (table.inner_text() if table.count() else "", image.get_attribute("src") if image.count() else "")


def move_slider_and_check_table_and_plot(page) -> None:
    """fc6 one step right must redraw the layer table (fc6's row); conv1's kernel one step right must redraw the
    feature-map plot (every map changes size). AssertionError when either stays as it was."""
    root = explorer_root(page)
    table_before, plot_before = _explorer_snapshot(root)
    assert table_before and plot_before, "the explorer shows no layer table or no plot image"
    _, fc6_totals = move_slider_and_check_totals(page, "fc6")
    deadline = time.monotonic() + SLIDER_TIMEOUT_S
    while _explorer_snapshot(root)[0] == table_before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _explorer_snapshot(root)[0] != table_before, "moving fc6 did not redraw the explorer's layer table"
    plot_mid = _explorer_snapshot(root)[1]
    slider = _slider(root, page, "conv1_kernel")
    assert slider.count() == 1, "expected one conv1 kernel slider in the explorer"
    handle = slider.locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    deadline = time.monotonic() + SLIDER_TIMEOUT_S
    while _explorer_snapshot(root)[1] == plot_mid and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _explorer_snapshot(root)[1] != plot_mid, "moving conv1_kernel did not redraw the explorer's plot"
    handle.press("ArrowLeft")  # back to the paper's kernel: later checks start from fc6 moved alone
    totals = root.locator(".reviewlib-totals")
    deadline = time.monotonic() + SLIDER_TIMEOUT_S
    while totals.inner_text().strip() != fc6_totals and time.monotonic() < deadline:
        time.sleep(0.5)
    assert totals.inner_text().strip() == fc6_totals, "moving conv1_kernel back did not restore the totals"


_open: dict[str, NotebookRun] = {}


@pytest.fixture(scope="module")
def runs(lab_server):
    yield _open
    for run in _open.values():
        run.page.close()
        lab_server.shutdown_sessions(run.name)
    _open.clear()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_browser(browser, lab_server, runs, name):
    digest = _digest(NOTEBOOK_DIR / name)
    start = time.monotonic()
    run = open_and_run_all(browser, lab_server, name)
    keep = name == ALEXNET
    try:
        source = (NOTEBOOK_DIR / name).read_text()
        problems = problems_in(run, expect_sliders=".widget(" in source)
        screenshot(run.page, name)
        assert not problems, run.report(problems)
        if name == ALEXNET:
            from reviewlib.papers.alexnet import explorer as alexnet_explorer

            n_int = sum(c.options is None for c in alexnet_explorer().controls.values())
            n_dom = explorer_root(run.page).locator(".widget-slider").count()
            assert n_dom == n_int, run.report([f"explorer shows {n_dom} sliders, alexnet_explorer() has {n_int}"])
            try:
                move_slider_and_check_table_and_plot(run.page)
            except AssertionError as err:
                pytest.fail(run.report([str(err)]))
        assert _digest(NOTEBOOK_DIR / name) == digest, f"{name} was modified on disk by the browser session"
        print(f"{name}: ran in the browser in {time.monotonic() - start:.0f} s")
    finally:
        if keep:
            runs[name] = run
        else:
            run.page.close()
            lab_server.shutdown_sessions(name)


def test_slider_check_fails_when_the_widget_callback_is_broken(browser, lab_server, runs):
    """The slider assertion is not vacuous: replace ``Explorer.update`` in the running kernel by one that returns
    the old state (what a broken callback does) and the same check must fail."""
    from jupyter_client import BlockingKernelClient

    run = runs.get(ALEXNET) or open_and_run_all(browser, lab_server, ALEXNET)
    runs[ALEXNET] = run
    move_slider_and_check_totals(run.page)  # works before the break
    session = next(s for s in lab_server.sessions() if s.get("path") == ALEXNET)
    client = BlockingKernelClient(connection_file=str(lab_server.runtime_dir / f"kernel-{session['kernel']['id']}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        reply = client.execute_interactive(
            "import reviewlib.review.explorer as _E\n_E.Explorer.update = lambda self, **changes: self.state", timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()
    with pytest.raises(AssertionError, match="did not change the totals"):
        move_slider_and_check_totals(run.page)
