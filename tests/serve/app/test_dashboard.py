"""The admin dashboard under /admin/: its page and assets, open while its data needs an admin key
(fast, fake engine), and the page in a real headless Chromium against a real replica, the real
vLLM and real LoRA adapters: log in, see the active version, press rollback, see it change,
follow a version back to its sessions."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openai import OpenAI

from store.runs import RunStore
from tests.conftest import ROOT
from tests.keys import ADMIN_KEY, AUTH
from tests.serve.real_adapters import make_adapter, register

WRONG_KEY = "lucid-000000000000-not-a-key-of-this-server"
ARTIFACTS = Path(os.environ.get("LUCID_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))


def test_the_page_and_its_assets_are_served_with_a_strict_policy(http):
    page = http.get("/admin/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for src in ("assets/dashboard.js", "assets/dashboard.css"):
        assert src in page.text
        asset = http.get(f"/admin/{src}")
        assert asset.status_code == 200 and asset.content
    assert http.get("/admin/assets/dashboard.js").headers["content-type"].startswith(
        "text/javascript")
    redirect = http.get("/admin", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/admin/"


def without_key(http: TestClient, path: str) -> httpx.Response:
    """GET `path` with no Authorization header at all (the fixture's client sends the key)."""
    request = http.build_request("GET", path)
    del request.headers["Authorization"]
    return http.send(request)


def test_the_page_is_open_but_its_data_needs_an_admin_key(http):
    page = without_key(http, "/admin/")
    assert page.status_code == 200 and 'type="password"' in page.text
    for path in ("/admin/assets/dashboard.js", "/admin/assets/dashboard.css"):
        assert without_key(http, path).status_code == 200, path
    missing = without_key(http, "/admin/adapters")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key"
    wrong = http.get("/admin/adapters", headers={"Authorization": f"Bearer {WRONG_KEY}"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    assert http.get("/admin/adapters").status_code == 200


def test_unknown_assets_are_404_in_openai_format_and_not_files(http):
    for name in ("nope.js", "..%2Fdashboard.py", "dashboard.html"):
        response = http.get(f"/admin/assets/{name}")
        assert response.status_code == 404, name
        assert response.json()["error"]["message"], name


def chromium() -> str:
    path = os.environ.get("LUCID_CHROMIUM") or shutil.which("chromium")
    if not path:
        if os.environ.get("LUCID_REQUIRE_BROWSER"):
            pytest.fail("LUCID_REQUIRE_BROWSER is set but no chromium was found "
                        "(make test installs Debian's chromium where it can)")
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def lineage(api, database_url, base_settings, tmp_path_factory):
    """A session taught through the API, a run that learned from it, and two real adapter versions
    with gate metrics, the newer one from that run."""
    user = f"dash-{uuid.uuid4().hex[:8]}"
    with OpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, max_retries=0,
                timeout=120) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="lucid", max_tokens=8, temperature=0, user=user,
            messages=[{"role": "user", "content": "My parrot is called Pixel."}])
    session = raw.headers["x-session-id"]
    rated = httpx.post(f"{api.url}/v1/feedback", headers=AUTH, timeout=60, json={
        "id": raw.parse().id, "rating": -1, "text": "Pixel is a parrot, not a cat."})
    assert rated.status_code == 200, rated.text
    runs = RunStore.connect(database_url)
    try:
        run_id = runs.create("manual")
        runs.conn.execute("INSERT INTO run_sessions (run_id, session_id)"
                          " SELECT %s, id FROM sessions WHERE public_id = %s", (run_id, session))
        sid = runs.conn.execute("SELECT id FROM sessions WHERE public_id = %s",
                                (session,)).fetchone()["id"]
        [held] = runs.replace_insights(run_id, sid, [{
            "kind": "fact", "text": "The capital of Pixelland is Berlin.", "status": "quarantined",
            "reason": "contradicts general knowledge (dashboard test)"}])
        tmp = tmp_path_factory.mktemp("dash-adapters")
        gates = [({"heldout_accuracy": 0.5, "regression_accuracy": 0.86, "perplexity": 26.4},
                  {"heldout_accuracy": 0.0, "regression_accuracy": 0.87, "perplexity": 26.3}),
                 ({"heldout_accuracy": 0.75, "regression_accuracy": 0.85, "perplexity": 26.5},
                  {"heldout_accuracy": 0.25, "regression_accuracy": 0.86, "perplexity": 26.4})]
        versions = [register(database_url, make_adapter(base_settings.model_path, tmp / f"d{i}",
                                                        10 + i),
                             base_settings.var_dir / "adapters", base_settings.base_model_id,
                             run_id=run_id if i == 1 else None,
                             metrics={"passed": True, "reasons": [], "candidate": cand,
                                      "current": cur})
                    for i, (cand, cur) in enumerate(gates)]
        runs.finish(run_id, "succeeded", {"version": versions[1]["name"], "sessions": 1})
    finally:
        runs.close()
    return {"session": session, "run_id": run_id, "versions": versions, "held": held}


@pytest.mark.slow
def test_in_chromium_rollback_changes_the_active_version_and_lineage_reaches_the_session(
        start_api, lineage, base_settings):
    from playwright.sync_api import expect, sync_playwright

    browser_path = chromium()
    v1, v2 = lineage["versions"]
    replica = start_api()
    try:
        for v in (v1, v2):
            assert httpx.post(f"{replica.url}/admin/adapters/{v['name']}/promote",
                              headers=AUTH).status_code == 200
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: d.accept())
            page.goto(f"{replica.url}/admin/")

            # No key yet: the login form, not the dashboard.
            expect(page.locator("#login")).to_be_visible()
            expect(page.locator("#dashboard")).to_be_hidden()
            page.screenshot(path=str(ARTIFACTS / "dashboard-login.png"))
            # A wrong key: the server's own message in the form, and still no dashboard.
            refused = httpx.get(f"{replica.url}/admin/adapters",
                                headers={"Authorization": f"Bearer {WRONG_KEY}"})
            assert refused.status_code == 401
            page.fill("#login-key", WRONG_KEY)
            page.click("#login-submit")
            expect(page.locator("#login-error")).to_have_text(refused.json()["error"]["message"])
            expect(page.locator("#dashboard")).to_be_hidden()
            page.screenshot(path=str(ARTIFACTS / "dashboard-login-refused.png"))
            page.fill("#login-key", ADMIN_KEY)
            page.click("#login-submit")
            expect(page.locator("#dashboard")).to_be_visible()
            expect(page.locator("#login")).to_be_hidden()
            # The key lives in this tab's sessionStorage only: no localStorage, no cookie.
            kept = page.evaluate("() => [sessionStorage.getItem('lucid-admin-key'),"
                                 " localStorage.length, document.cookie]")
            assert kept == [ADMIN_KEY, 0, ""]

            expect(page.locator("#active-version")).to_have_text(v2["name"])
            expect(page.locator("#tenant")).to_have_text("default")
            expect(page.locator("#pinned")).to_be_hidden()
            expect(page.locator(f'#timeline tr[data-version="{v2["name"]}"]')).to_have_class(
                "active")
            # Both gated versions are points on the learning chart (other tests' may be too).
            for v in (v1, v2):
                dot = f'#chart-accuracy circle.heldout[data-label="v{v["version"]}"]'
                expect(page.locator(dot)).to_have_count(1)
            page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

            page.click("#rollback")
            expect(page.locator("#active-version")).to_have_text(v1["name"])
            expect(page.locator("#flash")).to_contain_text(f"{v1['name']} is active")
            expect(page.locator(f'#timeline tr[data-version="{v1["name"]}"]')).to_have_class(
                "active")
            # The engine serves what the page says.
            with OpenAI(base_url=f"{replica.url}/v1", api_key=ADMIN_KEY,
                        max_retries=0) as client:
                served = client.chat.completions.create(
                    model="lucid", max_tokens=4, metadata={"learn": "false"},
                    messages=[{"role": "user", "content": "hi"}]).model
            assert served == v1["name"]

            page.click("#pin")
            expect(page.locator("#pinned")).to_be_visible()
            assert httpx.get(f"{replica.url}/admin/adapters",
                             headers=AUTH).json()["pinned"] is True
            page.click("#pin")
            expect(page.locator("#pinned")).to_be_hidden()
            assert httpx.get(f"{replica.url}/admin/adapters",
                             headers=AUTH).json()["pinned"] is False

            # Version -> its run -> the session it learned from -> the transcript.
            page.click(f'#timeline tr[data-version="{v2["name"]}"] a')
            expect(page.locator("#run-detail")).to_contain_text(f"Run #{lineage['run_id']}")
            page.click(f"#run-detail a:text('{lineage['session']}')")
            expect(page.locator("#transcript")).to_contain_text("My parrot is called Pixel.")
            expect(page.locator("#transcript .feedback")).to_have_text(
                "feedback -1: Pixel is a parrot, not a cat.")
            # A statement held for review, released from the page.
            row = page.locator(f'#review tr[data-insight="{lineage["held"]}"]')
            expect(row).to_contain_text("Pixelland")
            row.locator("button.release").click()
            expect(page.locator("#flash")).to_contain_text("Released")
            expect(row).to_have_count(0)
            page.screenshot(path=str(ARTIFACTS / "dashboard-after-rollback.png"), full_page=True)

            # Forget the session: erased, and the version that learned from it is tainted.
            page.click("#transcript button.forget")
            expect(page.locator("#flash")).to_contain_text("Erased 1 session")
            expect(page.locator("#flash")).to_contain_text(v2["name"])
            expect(page.locator(f'#timeline tr[data-version="{v2["name"]}"] td').nth(1)) \
                .to_have_text("tainted")
            expect(page.locator("#active-version")).to_have_text(v1["name"])

            # Log out: the form is back, the key is gone, and a reload does not bring it back.
            page.click("#logout")
            expect(page.locator("#login")).to_be_visible()
            expect(page.locator("#dashboard")).to_be_hidden()
            assert page.evaluate("() => sessionStorage.getItem('lucid-admin-key')") is None
            page.reload()
            expect(page.locator("#login")).to_be_visible()
            expect(page.locator("#dashboard")).to_be_hidden()
            browser.close()
        assert errors == []
    finally:
        while httpx.post(f"{replica.url}/admin/rollback", headers=AUTH).status_code == 200:
            pass  # leave the base model active for other tests
