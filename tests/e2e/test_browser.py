"""JupyterLab, the students' interface, in a real browser: a released notebook runs and shows the checks.

What a student does, done by headless Chromium (Debian's chromium and chromium-driver, driven by
selenium; no driver is downloaded): open the notebook that `nbgrader generate_assignment` releases
for `tensors` in JupyterLab, choose Run > Run All Cells, wait until the kernel is idle, and read the
page. A notebook with the answers typed in shows the 12 "✓ tensors.<check>" lines of its test
cells; the stub as handed out shows the first failing check's message in both languages (Run All
stops at the first error, as it does for the student). A screenshot of each lands in the test's
tmp_path, and its path is printed (pytest -s, or the report's captured output).

The JupyterLab server is started by the test on 127.0.0.1, a free port and a random token, with
its settings, workspaces and runtime files in a temporary folder; it is always stopped (and its
kernels with it), with bounded waits.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import kit
import nbformat
import pytest
import releases

from blitz.authoring.nbgrader import nbgrader_env
from blitz.authoring.notebooks import notebook_text
from blitz.checks import checks_for
from blitz.course import registry

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
BIN = Path(sys.executable).parent
ASSIGNMENT = "tensors"
NAMES = [c.name for c in checks_for(ASSIGNMENT)]
CJK = re.compile(r"[\u4e00-\u9fff]")
RUN_TIMEOUT = 300  # s for Run All on a loaded 2-core machine (the checks take ~10 s on an idle one)
RUN_STARTS = 60  # s for Run All's first cell to start (or end) on a loaded machine; else the click was lost
RUN_ALL_TRIES = 3
RAN = re.compile(r"\[(\*|\d+)\]:")  # a cell's prompt once it runs ([*]:) or ran ([1]:), not [ ]:

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install '.[instructor]')")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
    ),
]


def _cell(nb, grade_id: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> Path:
    """A folder with stub.ipynb (the released notebook as handed out: the one `nbgrader generate_assignment`
    made for the session's student release, tests/releases.py) and solved.ipynb (answers typed in, from the
    instructor's notebook)."""
    release = releases.shared(tmp_path_factory) / "notebooks" / f"{ASSIGNMENT}.ipynb"
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(release, folder / "stub.ipynb")
    source = nbformat.reads(notebook_text(registry.get(ASSIGNMENT)), as_version=4)
    solved = nbformat.read(release, as_version=4)
    for name in NAMES:
        lines = _cell(source, name).source.splitlines()
        _cell(solved, name).source = "\n".join(line for line in lines if "SOLUTION" not in line)
    nbformat.write(solved, folder / "solved.ipynb")
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (it shuts its kernels down), then SIGKILL; bounded waits."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def lab(notebooks, tmp_path_factory):
    """(base URL, token) of a JupyterLab server on 127.0.0.1 serving the notebooks folder."""
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings"
    # Every cell stays in the page (JupyterLab 4 otherwise leaves off-screen cells out of it), and no
    # news or update checks reach for the network.
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    runtime = home / "runtime"
    env = dict(
        nbgrader_env(),
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        BLITZ_LANG="both",
    )
    token = secrets.token_hex(16)
    port = _free_port()
    argv = [str(BIN / "jupyter-lab"), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}"]
    argv += ["--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}"]
    if os.geteuid() == 0:  # CI containers run as root; JupyterLab refuses to without this
        argv.append("--allow-root")
    server_log = home / "server.log"
    with open(server_log, "w") as log:
        proc = subprocess.Popen(
            argv, cwd=notebooks, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy for 127.0.0.1
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, server_log.read_text()
            try:
                with direct.open(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not start:\n" + server_log.read_text()
            time.sleep(0.5)
        yield base, token
    finally:
        _stop(proc)
        # Kernels whose connection file is in this server's runtime folder must be gone with it.
        for pid in kit.marked_processes(str(runtime)):
            os.kill(int(pid), signal.SIGKILL)


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    # The driver's path is given: Selenium Manager is never asked for one (no download, no network).
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def run_all(driver, base: str, token: str, name: str, done) -> str:
    """Open `name` in JupyterLab, Run > Run All Cells, wait for `done(page text)` and an idle kernel."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/lab/tree/{name}?token={token}")
    wait = WebDriverWait(driver, RUN_TIMEOUT, poll_frequency=1)

    def status(d) -> str:
        return d.find_element(By.CSS_SELECTOR, f"{PANEL} .jp-Notebook-ExecutionIndicator").get_attribute("data-status")

    # The indicator says "idle" before a kernel is attached ("No Kernel"): wait for the kernel itself.
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"{PANEL} .jp-Toolbar-kernelName").text.startswith("Python 3"))
    wait.until(lambda d: status(d) == "idle")
    # Run All acts on the current notebook: make it `name`'s (a notebook opened earlier may still hold it).
    current = "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel"
    wait.until(lambda d: d.find_element(By.CSS_SELECTOR, current).text == name)
    # A click on Run All Cells is now and then lost (the page's focus moving): click it again until a cell runs.
    for _ in range(RUN_ALL_TRIES):
        driver.find_element(By.CSS_SELECTOR, f"{PANEL} .jp-Cell .jp-InputPrompt").click()
        driver.find_element(By.XPATH, "//div[contains(@class,'lm-MenuBar-itemLabel') and text()='Run']").click()
        WebDriverWait(driver, 30).until(
            lambda d: d.find_element(By.XPATH, "//div[contains(@class,'lm-Menu-itemLabel') and text()='Run All Cells']")
        ).click()
        try:
            WebDriverWait(driver, RUN_STARTS, poll_frequency=0.5).until(
                lambda d: RAN.search(d.find_element(By.CSS_SELECTOR, f"{PANEL} .jp-Notebook").text)
            )
            break
        except TimeoutException:
            continue

    def finished(d) -> str | bool:
        text = d.find_element(By.CSS_SELECTOR, f"{PANEL} .jp-Notebook").text
        return text if done(text) and status(d) == "idle" and "[*]" not in text else False

    return wait.until(finished)


def show(driver, css: str) -> None:
    """Scroll the first element matching `css` to the middle of the window (for the screenshot)."""
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.CSS_SELECTOR, f"{PANEL} {css}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)


def screenshot(driver, tmp_path: Path, name: str, text: str) -> Path:
    """The page as a PNG (and its text beside it) in the test's tmp_path, for a person to look at."""
    (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    path = tmp_path / f"{name}.png"
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 0
    print(f"screenshot: {path}")
    return path


def test_a_solved_notebook_shows_every_check_passing(lab, browser, tmp_path):
    text = run_all(browser, *lab, "solved.ipynb", lambda t: t.count("✓ tensors.") >= len(NAMES))
    show(browser, ".jp-OutputArea-output")
    screenshot(browser, tmp_path, "solved", text)
    for name in NAMES:
        assert f"✓ tensors.{name}  1.25 / 1.25" in text, name
    assert "CheckFailed" not in text and "Traceback" not in text


def test_the_stub_shows_the_first_check_failing_in_both_languages(lab, browser, tmp_path):
    text = run_all(browser, *lab, "stub.ipynb", lambda t: "CheckFailed" in t)
    show(browser, ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    screenshot(browser, tmp_path, "stub", text)
    # The check's message, as the test cell raised it: "CheckFailed: [key] title", then the message in
    # Chinese and in English (the words are the checks' own; here only both languages are required).
    message = text.split("CheckFailed: [tensors.from_data]", 1)[1].split("\n\n", 1)[0]
    lines = [line for line in message.splitlines() if line.strip()]
    assert any(CJK.search(line) and "NotImplementedError" in line for line in lines), message
    assert any(not CJK.search(line) and "NotImplementedError" in line for line in lines), message
    assert "✓ tensors." not in text  # Run All stops at the first failing cell, as it does for a student
