"""The web page at / (issue 18) over plain HTTP: served with its policy,
off with `webui: false` or `--no-webui`, the Host / Origin rules on the
page's own requests, the dashboard feed behind a key, and what the feed
says about a request (and never the prompt). The browser test is
Tests/browser (make test-webui)."""
from __future__ import annotations

import re
import subprocess
import time
from urllib.parse import urlparse

import httpx
import pytest

from conftest import (CHAT_MODEL, EMBED_MODEL, MEMBER_KEY, REQUIRED_FILES, _bin_path, _model_entry, _start)
from e2e_helpers import user

FEED = "/api/v1/dashboard"


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/ui/[^"]+)"', html)


def test_page_and_assets_are_served_with_a_strict_policy(server):
    with server.http() as h:
        r = h.get("/")
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe" not in csp
        assert r.headers["x-frame-options"] == "DENY"
        assets = _assets(r.text)
        assert "/ui/main.js" in assets and "/ui/app.css" in assets
        for path in assets:
            a = h.get(path)
            assert a.status_code == 200, path
            assert a.headers["content-type"].startswith("text/css" if path.endswith(".css") else "text/javascript")
        # Modules the entry script imports are served too.
        for dep in re.findall(r'from "\./([^"]+)"', h.get("/ui/main.js").text):
            assert h.get("/ui/" + dep).status_code == 200, dep
        missing = h.get("/ui/nothing.js")
        assert missing.status_code == 404 and "detail" in missing.json()


def _unknown_route(h, path: str):
    r = h.get(path)
    assert r.status_code == 404, (path, r.text)
    assert r.json() == {"detail": f"Not found: {path}"}


def test_webui_false_makes_root_an_unknown_route(tmp_path_factory, models_dir):
    config = {"server": {"api_keys": [], "webui": False},
              "models": [_model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL], "embedding", context_size=512)]}
    srv = _start("webui-off", config, tmp_path_factory)
    try:
        with srv.http() as h:
            for path in ["/", "/ui/main.js", FEED]:
                _unknown_route(h, path)
            assert h.get("/health").status_code == 200
    finally:
        srv.stop()


def test_no_webui_flag_turns_it_off(tmp_path, models_dir):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"models": [{"id": "%s", "path": "%s", "capability": "embedding", "context_size": 512}]}'
                   % (EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL]))
    proc = subprocess.Popen([str(_bin_path()), "serve", "--config", str(cfg), "--port", "0", "--no-webui"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = None
        deadline = time.time() + 60
        while url is None and time.time() < deadline:
            line = proc.stdout.readline()
            if line.startswith("pendra listening on "):
                url = line.split("on ", 1)[1].strip()
        assert url, "server did not start"
        with httpx.Client(base_url=url, timeout=30) as h:
            _unknown_route(h, "/")
            _unknown_route(h, FEED)
    finally:
        proc.terminate()
        proc.wait(10)


def test_page_requests_follow_the_host_and_origin_rules(server):
    own = server.url  # what a browser sends as Origin for the page's own POST
    port = urlparse(own).port
    body = {"model": CHAT_MODEL, "messages": user("hi"), "max_tokens": 2}
    with server.http() as h:
        assert h.get("/", headers={"Host": f"attacker.example:{port}"}).status_code == 403
        assert h.get("/", headers={"Host": f"localhost:{port}"}).status_code == 200
        r = h.post("/v1/chat/completions", headers={"Origin": own}, json=body)
        assert r.status_code == 200, r.text
        assert "access-control-allow-origin" not in r.headers  # same origin needs no CORS
        r = h.post("/v1/chat/completions", headers={"Origin": f"http://localhost:{port}", "Host": f"localhost:{port}"}, json=body)
        assert r.status_code == 200, r.text
        # Another port on the same machine is another origin.
        r = h.post("/v1/chat/completions", headers={"Origin": f"http://127.0.0.1:{port + 1}"}, json=body)
        assert r.status_code == 403, r.text
        # What a page sends under Referrer-Policy: no-referrer; the page sends same-origin.
        assert h.get("/").headers["referrer-policy"] == "same-origin"
        assert h.post("/v1/chat/completions", headers={"Origin": "null"}, json=body).status_code == 403


def test_with_keys_the_page_is_public_and_the_feed_needs_a_key(keyed_server):
    with keyed_server.http() as h:
        assert h.get("/").status_code == 200
        assert h.get("/ui/main.js").status_code == 200
        r = h.get(FEED)
        assert r.status_code == 401 and "detail" in r.json()
        # A key in the query string is no key.
        assert h.get(FEED + f"?api_key={MEMBER_KEY}").status_code == 401
        r = h.get(FEED, headers={"Authorization": f"Bearer {MEMBER_KEY}"})
        assert r.status_code == 200
        assert MEMBER_KEY not in r.text
        assert {m["id"] for m in r.json()["models"]} >= {EMBED_MODEL}


def test_feed_lists_a_request_without_its_text(server):
    marker = "zebra-marker-4417"
    with server.http() as h:
        r = h.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": user(f"say {marker}"), "max_tokens": 4})
        assert r.status_code == 200
        rid = r.headers["x-request-id"]
        reply = r.json()["choices"][0]["message"]["content"]
        # A request is recorded when its handler returns, just after its last
        # byte went out: the client may ask for the feed first.
        deadline = time.monotonic() + 5
        while True:
            feed = h.get(FEED)
            assert feed.status_code == 200
            body = feed.json()
            if any(x["id"] == rid for x in body["requests"]) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert feed.headers["cache-control"] == "no-store"
        assert marker not in feed.text and (not reply.strip() or reply not in feed.text)
        rec = next(x for x in body["requests"] if x["id"] == rid)
        assert rec["route"] == "/v1/chat/completions" and rec["method"] == "POST" and rec["status"] == 200
        assert rec["model"] == CHAT_MODEL and rec["completion_tokens"] == r.json()["usage"]["completion_tokens"]
        assert rec["prompt_tokens"] == r.json()["usage"]["prompt_tokens"] and rec["duration_ms"] > 0
        assert rec["client_closed"] is False
        # Newest first, and the feed's own polls are not listed.
        assert body["requests"][0]["id"] == rid
        assert all(x["route"] != FEED for x in body["requests"])
        llama = next(m for m in body["models"] if m["id"] == CHAT_MODEL)
        metrics = h.get("/metrics").text
        total = re.search(r'^pendra_kv_cells_total\{model="tiny-llama:latest"\} (\S+)$', metrics, re.M).group(1)
        assert llama["loaded"] is True and llama["kv_cells_total"] == int(float(total))
        tokens = re.search(r'^pendra_completion_tokens_total\{model="tiny-llama:latest"\} (\S+)$', metrics, re.M).group(1)
        assert llama["completion_tokens"] == int(float(tokens))
        assert body["default_model"] is None and isinstance(body["throughput"]["points"], list)


def test_a_stream_the_client_leaves_is_counted_as_abandoned(server):
    def abandoned(h) -> float:
        m = re.search(r'^pendra_requests_abandoned_total\{route="/v1/chat/completions"\} (\S+)$', h.get("/metrics").text, re.M)
        return float(m.group(1)) if m else 0.0

    body = {"model": CHAT_MODEL, "messages": user("Write an endless poem."), "max_tokens": 3000,
            "ignore_eos": True, "stream": True}
    with server.http() as h:
        before = abandoned(h)
        with server.http() as streaming:
            with streaming.stream("POST", "/v1/chat/completions", json=body) as r:
                rid = r.headers["x-request-id"]
                lines = r.iter_lines()
                for line in lines:
                    if line.startswith("data:"):
                        break
                r.close()
                del lines
        deadline = time.time() + 5
        while abandoned(h) == before and time.time() < deadline:
            time.sleep(0.1)
        assert abandoned(h) == before + 1
        rec = next(x for x in h.get(FEED).json()["requests"] if x["id"] == rid)
        assert rec["client_closed"] is True and rec["completion_tokens"] < 3000
