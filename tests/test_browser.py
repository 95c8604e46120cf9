"""The explorer in a real browser: JupyterLab headless, Debian's chromium, one click on Dream.

The Python-driven tests (test_widgets.py) check the logic; this one checks what only a browser
can: the widgets render in JupyterLab, the click reaches the kernel, and the preview picture
that the dream thread sends back shows up on the page.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

INSTALL = "apt-get install chromium chromium-driver (and pip install selenium)"
TOKEN = "dreamlib-browser-test"
CELL = ('from dreamlib.widgets import explorer\n'
        'explorer(image="chelsea", model="mobilenet_v2", layers={"block_1_expand_relu": 1.0},\n'
        '         random_weights=True, max_size=96, steps=2, octaves=2)')
PREVIEW_WIDTH = 96  # the cat fitted within max_size=96


def _find(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser_tools():
    """Paths of chromium and chromedriver, or a skip that names the install command."""
    chromium = _find("chromium", "chromium-browser")
    driver = _find("chromedriver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip(f"selenium is not installed: {INSTALL}")
    if not chromium or not driver:
        pytest.skip(f"chromium or chromedriver not found: {INSTALL} (.ci/run does)")
    return chromium, driver


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(browser_tools, tmp_path_factory):
    """A headless JupyterLab serving a folder with one explorer notebook; yields its base URL."""
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("jupyter_home")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": CELL}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 4}
    (root / "explore.ipynb").write_text(json.dumps(notebook))
    news = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))  # no "get Jupyter news?" toast over the page
    env = dict(os.environ, DREAMLIB_QUICK="1", DREAMLIB_ALLOW_RANDOM_WEIGHTS="1", TF_CPP_MIN_LOG_LEVEL="2",
               # the user's own Jupyter settings, workspaces and kernels stay out; the venv's
               # share/jupyter (the widgets extension, the python3 kernel) is still found
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    port = _free_port()
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield base
    finally:
        # the server's process group holds its kernels too: end them all, then wait
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(server.pid, sig)
                server.wait(wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


@pytest.fixture
def chrome(browser_tools):
    """Headless chromium driven by chromedriver; always quit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_tools
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _preview(driver):
    """(src, natural width) of the explorer's preview <img>, or None before it exists."""
    return driver.execute_script(
        "const img = document.querySelector('img.dreamlib-preview');"
        "return img && img.complete && img.naturalWidth ? [img.src, img.naturalWidth] : null;")


@pytest.mark.browser
def test_explorer_cell_dreams_in_jupyterlab(lab, chrome):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    chrome.get(f"{lab}/lab/tree/explore.ipynb?token={TOKEN}")
    # JupyterLab re-renders cells while it loads: an element found a moment ago can be replaced
    wait = WebDriverWait(chrome, 60, poll_frequency=0.25, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: "| Idle" in d.find_element(By.ID, "jp-main-statusbar").text, "the kernel never started")

    def click_cell(driver):
        """Click into the explorer cell's editor (found afresh, so a re-rendered one is no problem)."""
        editor = next((e for e in driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell .cm-content")
                       if e.is_displayed()), None)
        if editor is not None:
            editor.click()
        return editor is not None

    # Run the explorer cell as a learner does: click into it, Shift+Enter.
    wait.until(click_cell, "the notebook never opened")
    ActionChains(chrome).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()

    first = wait.until(lambda d: _preview(d), "the explorer's preview never appeared")
    assert first[1] == PREVIEW_WIDTH                       # the original picture, before dreaming
    dream = chrome.find_element(By.XPATH, "//div[contains(@class, 'dreamlib-explorer')]//button[.='Dream']")
    wait.until(lambda d: dream.is_enabled(), "the Dream button stayed disabled")
    dream.click()

    def dreamed(driver):
        now = _preview(driver)
        finished = "done: 2/2 octaves" in driver.find_element(By.CSS_SELECTOR, ".dreamlib-explorer").text
        return now if now and now[0] != first[0] and finished else None  # not "octave 1/2 done"

    after = wait.until(dreamed, "the preview never changed after Dream")
    assert after[1] == PREVIEW_WIDTH
    text = chrome.find_element(By.CSS_SELECTOR, ".dreamlib-explorer").text
    assert "done: 2/2 octaves" in text and "UNTRAINED" in text
    progress = chrome.find_element(By.CSS_SELECTOR, ".dreamlib-explorer .progress-bar")
    assert progress.get_attribute("style").replace(" ", "").find("width:100%") >= 0
