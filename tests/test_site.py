"""The course site, checked in a real browser.

The site is built into a temporary folder by `docs/build_site.py` (the same build as `nox -s docs`),
served on 127.0.0.1, and opened in Debian's headless Chromium through Playwright, which is pointed
at `/usr/bin/chromium` and never downloads a browser. Checked: every lab page typesets its maths
with the bundled KaTeX (no raw `$$` left, no KaTeX error), shows its figures and the API of every
graded function with a points table; search finds "Bradley"; and no request leaves the machine.
A screenshot of the Lab 3 page is saved to `site-screenshots/lab3.png` for CI to keep.

Without a browser (or without Playwright) the tests skip and say why, except under CI
(`CI=true`), where that is a failure.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "site-screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # Chromium refuses to start as root without it
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Defence in depth: no host name but the local server resolves, so nothing can leave.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
LAB_PAGES = {
    "lab1_sft": ("labs/lab1-sft/", ["sft_gain", "log_softmax", "next_token_targets", "masked_mean_nll",
                                    "masked_mean_nll_grad", "sft_step"]),
    "lab2_reward": ("labs/lab2-reward/", ["preference_probability", "preference_loss", "preference_loss_grad",
                                          "fit_reward_model", "pairwise_accuracy"]),
    "lab3_rlhf": ("labs/lab3-rlhf/", ["rlhf_capability_step", "kl_divergence", "kl_regularized_objective",
                                      "kl_regularized_gradient", "rlhf_update", "optimal_policy",
                                      "reinforce_kl_gradient", "ppo_clip_objective", "kl_estimators",
                                      "kl_loss_gradient", "best_of_n_policy"]),
    "lab4_dpo": ("labs/lab4-dpo/", ["dpo_loss", "implicit_reward", "dpo_gradient"]),
    "lab5_grpo": ("labs/lab5-grpo/", ["group_advantages", "pass_at_k", "grpo_objective", "grpo_objective_grad"]),
}  # fmt: skip
LOCAL_SCHEMES = {"data", "blob", "about"}  # never touch the network

# Runs in the page: what the maths and the figures look like after the page script ran.
PAGE_REPORT = """() => {
    const article = document.querySelector("article");
    const math = [...article.querySelectorAll(".arithmatex")];
    const images = [...article.querySelectorAll("img")];
    return {
        text: article.innerText,
        math: math.length,
        untypeset: math.filter((m) => !m.querySelector(".katex")).map((m) => m.textContent.slice(0, 80)),
        katex: article.querySelectorAll(".katex").length,
        errors: [...article.querySelectorAll(".katex-error")].map((e) => e.textContent.slice(0, 80)),
        brokenImages: images.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.src),
        images: images.length,
    };
}"""


def missing(reason: str) -> None:
    """Skip, or fail under CI, where the browser test must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: under CI=true the browser test of the site must run")
    pytest.skip(f"{reason}: the browser test of the site is skipped")


def chromium_path() -> Path:
    """Debian's Chromium (or $CHROMIUM), never a browser that Playwright downloads."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    path = Path(found)
    if not path.exists():
        missing("no Chromium installed (apt-get install chromium)")
    return path


def load_build_site() -> Any:
    """Import docs/build_site.py, the build that `nox -s docs` runs."""
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "docs" / "build_site.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve files without logging every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the site into a temporary folder and serve it on 127.0.0.1; yield its base URL."""
    chromium_path()  # skip before spending time on the build
    site = tmp_path_factory.mktemp("site") / "site"
    try:
        load_build_site().build(site)
    except SystemExit as error:
        pytest.fail(f"the site did not build: {error}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def requests_seen() -> list[str]:
    """Every URL the browser requested during the module's tests."""
    return []


@pytest.fixture(scope="module")
def browser(
    site_url: str, requests_seen: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A fresh headless Chromium context that records every request and lets none leave."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (requirements/site-test.txt)")

    def route(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()  # recorded by the request listener, and reported by the test below

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(chromium_path()),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
        )
        context.on("request", lambda request: requests_seen.append(request.url))
        context.route("**/*", route)
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


def open_page(browser: Any, url: str) -> Any:
    """Open `url` in a new tab and wait until the network is idle."""
    page = browser.new_page()
    page.goto(url, wait_until="networkidle")
    return page


@pytest.mark.parametrize("lab", sorted(LAB_PAGES))
def test_lab_page_typesets_math_and_shows_the_api(browser: Any, site_url: str, lab: str) -> None:
    path, functions = LAB_PAGES[lab]
    page = open_page(browser, site_url + path)
    page.wait_for_selector("article .katex")
    report = page.evaluate(PAGE_REPORT)

    assert report["math"] > 10, f"{lab}: too few formulas ({report['math']}): is arithmatex on?"
    assert not report["untypeset"], f"{lab}: formulas left untypeset: {report['untypeset'][:3]}"
    assert report["katex"] >= report["math"], f"{lab}: KaTeX rendered fewer formulas than the page has"
    assert not report["errors"], f"{lab}: KaTeX could not parse: {report['errors'][:3]}"
    for raw in ("$$", "\\(", "\\["):
        assert raw not in report["text"], f"{lab}: raw math delimiter {raw!r} left in the page"
    assert report["images"] >= 1 and not report["brokenImages"], (
        f"{lab}: figures missing: {report['brokenImages']}"
    )

    for name in functions:
        heading = page.locator(f'[id="{lab}.{name}"]')
        assert heading.count() == 1, f"{lab}: the API section does not show {name}"
        assert name in heading.inner_text()
    points = page.locator("article table").filter(has_text="Graded properties")
    assert points.count() == 1, f"{lab}: no points table"
    for name in functions:
        assert name in points.inner_text(), f"{lab}: {name} is missing from the points table"

    if lab == "lab3_rlhf":
        SCREENSHOTS.mkdir(exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 2400})  # the toy table and the first derivations
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / "lab3.png"))
    page.close()


def test_home_page_and_concepts_render(browser: Any, site_url: str) -> None:
    page = open_page(browser, site_url)
    assert "python -m nox -s grade" in page.locator("article").inner_text()
    page.close()
    page = open_page(browser, site_url + "concepts/reward-models-rlhf/")
    page.wait_for_selector("article .katex")
    assert page.locator("article .admonition.success").count() == 1, "a concept page ends with its key idea"
    page.close()


def test_search_finds_bradley(browser: Any, site_url: str) -> None:
    page = open_page(browser, site_url)
    page.locator("input.md-search__input").click()
    page.keyboard.type("Bradley")  # the theme searches on key events, not on a filled value
    results = page.locator(".md-search-result__item")
    results.first.wait_for()
    assert "Bradley" in page.locator(".md-search-result").inner_text()
    page.close()


def test_no_request_left_the_machine(browser: Any, site_url: str, requests_seen: list[str]) -> None:
    open_page(browser, site_url + "labs/lab4-dpo/").close()  # at least one page, even when run alone
    assert requests_seen, "the browser made no request at all"
    outside = [
        url
        for url in requests_seen
        if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert not outside, f"requests left the machine: {sorted(set(outside))[:10]}"
    assert any("/assets/katex/" in url for url in requests_seen), "KaTeX was not served by the site"
