"""The page in a real browser: Selenium driving headless chromium (skipped when absent).

``SYMPROP_SCREENSHOTS=1`` writes the main views to ``reports/serve/``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium/chromedriver absent")
SHOTS = ROOT / "reports" / "serve" if os.environ.get("SYMPROP_SCREENSHOTS") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def page():
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "symprop", "serve",
                               str(ROOT / "examples" / "lecture_221.toml"), "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        options = Options()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,3000"):
            options.add_argument(arg)
        options.binary_location = CHROMIUM
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.get(f"http://127.0.0.1:{port}/")
        yield driver
        driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait(driver, condition, seconds=90):
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(lambda d: condition(d))


def shot(element, name: str) -> None:
    """The element cut from a whole-window screenshot (element screenshots clip canvases)."""
    if SHOTS is None:
        return
    from io import BytesIO

    from PIL import Image

    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = element.parent
    driver.execute_script("arguments[0].scrollIntoView()", element)
    r = driver.execute_script("const b = arguments[0].getBoundingClientRect();"
                              "return [b.left, b.top, b.right, b.bottom];", element)
    image = Image.open(BytesIO(driver.get_screenshot_as_png()))
    image.crop(tuple(round(v) for v in r)).save(SHOTS / name)


def test_the_math_renders_and_steps_forward_and_back(page):
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#derivation .katex"))
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#check-table tr"))
    assert not page.find_elements(By.CSS_SELECTOR, ".katex-error")
    assert "lecture_221" in page.find_element(By.ID, "message").text
    items = lambda: page.find_elements(By.CSS_SELECTOR, "#steps .step")  # noqa: E731
    assert len(items()) == 1
    for _ in range(3):
        page.find_element(By.ID, "step-next").click()
    assert [li.get_attribute("data-address") for li in items()] == [
        "net1[1]", "net1[2]", "out1[1]", "out1[2]"]
    assert "0.6803" in items()[2].text and "exact: 0.68026719669864845" in items()[2].text
    page.find_element(By.ID, "step-back").click()
    assert len(items()) == 3
    line = page.find_element(By.CSS_SELECTOR, 'line[data-element="w1[1,1]"]')
    page.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                        line)                   # a thin SVG line has no centre to click on
    wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#formula .entry")) == 2)
    assert "exact" in page.find_element(By.ID, "formula").text
    page.find_element(By.ID, "step-all").click()
    shot(page.find_element(By.ID, "derivation-panel"), "derivation.png")
    shot(page.find_element(By.ID, "diagram-panel"), "formula.png")
    shot(page.find_element(By.ID, "example-panel"), "worked-example.png")


def test_training_changes_the_boundary(page):
    wait(page, lambda d: d.find_element(By.ID, "train-status").get_attribute("data-epoch") == "0")
    canvas = lambda: page.execute_script(  # noqa: E731
        "return document.getElementById('boundary').toDataURL()")
    Select(page.find_element(By.ID, "dataset")).select_by_value("gauss")
    wait(page, lambda d: d.execute_script(
        "return S.query.dataset === 'gauss' && S.frames >= 1 && S.lastFrame.epoch === 0"))
    before = canvas()
    page.find_element(By.ID, "play").click()
    wait(page, lambda d: int(d.find_element(By.ID, "train-status").get_attribute("data-epoch"))
         >= 30)
    page.find_element(By.ID, "pause").click()
    assert canvas() != before
    assert "train loss" in page.find_element(By.ID, "train-status").text
    shot(page.find_element(By.ID, "train-panel"), "training.png")


def test_typed_numbers_get_verdicts(page):
    boxes = {b.get_attribute("name"): b for b in
             page.find_elements(By.CSS_SELECTOR, "#check-table input")}
    boxes["out1[1]"].send_keys("0,68")
    boxes["w1[1,2]+"].send_keys("0.81")
    page.find_element(By.ID, "check-button").click()
    verdict = lambda a: page.find_element(  # noqa: E731
        By.CSS_SELECTOR, f'tr[data-address="{a}"] .verdict').text
    wait(page, lambda d: verdict("out1[1]"))
    assert verdict("out1[1]").startswith("correct")
    assert verdict("w1[1,2]+").startswith("wrong")
    assert verdict("E") == ""
    shot(page.find_element(By.ID, "check-panel"), "check-my-numbers.png")


def test_a_bad_spec_file_gets_one_line_on_the_page(page, tmp_path):
    bad = tmp_path / "broken.toml"
    bad.write_text("[network]\ninputs = 2\n[[network.layers]]\nunits = 'two'\n")
    page.find_element(By.ID, "spec-file").send_keys(str(bad))
    wait(page, lambda d: "units" in d.find_element(By.ID, "message").text)
    text = page.find_element(By.ID, "message").text
    assert text.startswith("broken.toml: network.layers[1].units")
    assert "expected a positive integer" in text and "\n" not in text


def test_the_builder_rebuilds_and_keeps_its_settings_in_the_url(page):
    units = page.find_element(By.CSS_SELECTOR, "#layers .units")
    units.clear()
    units.send_keys("3")
    page.find_element(By.ID, "inputs").click()        # the change event fires on blur
    wait(page, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#diagram circle")) == 6)
    assert "layers=3%3Asigmoid%3A0" in page.current_url
    wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, "#steps .katex"))
    assert not page.find_elements(By.CSS_SELECTOR, ".katex-error")
    shot(page.find_element(By.ID, "builder"), "builder.png")


def test_no_script_errors_in_the_console(page):
    errors = [e["message"] for e in page.get_log("browser")
              if e["level"] == "SEVERE" and "Failed to load resource" not in e["message"]]
    assert not errors, errors
