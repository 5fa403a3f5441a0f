"""The web page in a real browser (headless chromium over the DevTools
protocol) against the real binary serving the default model, smollm2:135m:
a chat streams a real answer, stop cancels the generation on the server
(seen in /metrics), the dashboard shows the model, its KV cache and the
request just made, and a screenshot is taken: to a temporary file, or to
PENDRA_WEBUI_SCREENSHOT when set (`make test-webui SCREENSHOT=docs/webui.png`
refreshes the README's picture), so a plain run leaves the tree clean.

Run with `make test-webui` (it installs chromium through scripts/deps.sh)."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from pathlib import Path

import httpx
import pytest

from cdp import Browser

REPO = Path(__file__).resolve().parents[2]
MODEL = "smollm2:135m"
LONG_MAX_TOKENS = 3000
# Generous: the test machines have 2 cores, often shared with builds.
GEN_TIMEOUT = 120


def _e2e():
    """Tests/e2e/conftest.py (the server fixture's code), under its own name."""
    spec = importlib.util.spec_from_file_location("e2e_conftest", REPO / "Tests/e2e/conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


E2E = _e2e()


def _config(models_dir: Path, keys: list | None = None) -> dict:
    """models.example (what `make run` serves) with paths into the models dir."""
    config = json.loads((REPO / "models.example").read_text())
    models = []
    for m in config["models"]:
        path = models_dir / Path(m["path"]).name
        if path.is_file():
            models.append({**m, "path": str(path)})
    config["models"] = models
    if keys is not None:
        config["server"]["api_keys"] = keys
    return config


def _server(name, config, tmp_path_factory):
    binary, models_dir = E2E._check_inputs()
    if not (models_dir / "smollm2-135m-instruct.gguf").is_file():
        pytest.fail(f"{models_dir} lacks smollm2-135m-instruct.gguf: run `make models`", pytrace=False)
    return E2E.PendraServer(name, binary, config, tmp_path_factory.mktemp(name))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = _server("webui", _config(E2E._models_dir().resolve()), tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture()
def browser(tmp_path):
    b = Browser(tmp_path / "chromium")
    # Installed before the page's own scripts: any CSP violation is recorded.
    b.call("Page.addScriptToEvaluateOnNewDocument", source=(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"))
    yield b
    b.close()


def _gauge(srv, name: str, model: str = MODEL) -> float:
    text = httpx.get(srv.url + "/metrics", timeout=10).text
    m = re.search(rf'^{name}\{{[^}}]*model="{re.escape(model)}"[^}}]*\}} (\S+)$', text, re.M)
    assert m, f"{name} for {model} not in /metrics"
    return float(m.group(1))


def _counter(srv, name: str, labels: str) -> float:
    text = httpx.get(srv.url + "/metrics", timeout=10).text
    m = re.search(rf"^{name}\{{{re.escape(labels)}\}} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


JS_LAST = "document.querySelector('#messages .message.assistant:last-child')"


def _send(b: Browser, text: str, max_tokens: int, temperature: str = "0"):
    b.eval(f"""(() => {{
        const set = (id, v) => {{ const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event('change')); }};
        set('temperature', {json.dumps(temperature)});
        set('max-tokens', '{max_tokens}');
        document.getElementById('prompt').value = {json.dumps(text)};
        document.getElementById('send').click();
    }})()""")


def _reply_text(b: Browser) -> str:
    return b.eval(f"({JS_LAST}?.querySelector('.content')?.textContent) || ''")


def test_chat_streams_stops_and_dashboard_shows_it(server, browser, tmp_path):
    b = browser
    b.open(server.url + "/")
    # The picker holds the chat models, the server's default chosen.
    assert b.wait_for("document.getElementById('model').value") == MODEL
    options = b.eval("[...document.getElementById('model').options].map(o => o.value)")
    assert MODEL in options and "tiny-bert-embed:latest" not in options
    b.wait_for(f"!!document.querySelector('#models-table tr[data-model-id=\"{MODEL}\"]')")

    # 1. A whole answer, streamed: the page's own POST passes the Origin check.
    _send(b, "What is the capital of France? Answer in one word.", 64)
    b.wait_for(f"!!{JS_LAST} && !{JS_LAST}.classList.contains('streaming') && document.getElementById('stop').disabled", GEN_TIMEOUT)
    answer = _reply_text(b)
    meta = b.eval(f"{JS_LAST}.querySelector('.meta').textContent")
    assert "Paris" in answer, (answer, meta)
    assert "· stop" in meta and "failed" not in meta, meta
    assert b.eval("document.getElementById('chat-error').hidden"), b.eval("document.getElementById('chat-error').textContent")

    # 2. Code comes back as a code block.
    _send(b, "Write a Python function that adds two numbers.", 48)
    b.wait_for(f"!!{JS_LAST} && !{JS_LAST}.classList.contains('streaming') && document.getElementById('stop').disabled", GEN_TIMEOUT)
    code = b.eval(f"({JS_LAST}.querySelector('.content pre code') || {{}}).textContent")
    assert code and "def " in code and "```" not in _reply_text(b), _reply_text(b)

    # 3. A long generation, stopped mid-stream.
    active_before = _gauge(server, "pendra_active_sequences")
    abandoned_before = _counter(server, "pendra_requests_abandoned_total", 'route="/v1/chat/completions"')
    completion_before = _counter(server, "pendra_completion_tokens_total", f'model="{MODEL}"')
    _send(b, "Write a very long story about a dragon who learns to bake bread. Make it at least 3000 words.",
          LONG_MAX_TOKENS, temperature="0.7")
    b.wait_for(f"!!{JS_LAST} && {JS_LAST}.classList.contains('streaming')", 30)
    first = len(b.wait_for(f"(({JS_LAST}.querySelector('.content').textContent) || '').length >= 40 && "
                           f"{JS_LAST}.querySelector('.content').textContent", 90))
    # More tokens keep arriving (slowly on 2 busy cores: give them time).
    b.wait_for(f"{JS_LAST}.querySelector('.content').textContent.length > {first}", 30)
    assert _gauge(server, "pendra_active_sequences") == active_before + 1, "the generation is not running"
    request_id = b.eval(f"{JS_LAST}.dataset.requestId")
    assert request_id.startswith("req_"), request_id
    b.eval("document.getElementById('stop').click()")
    b.wait_for("document.getElementById('stop').disabled", 10)
    assert "stopped" in b.eval(f"{JS_LAST}.querySelector('.meta').textContent")

    # The server cancelled: the sequence is freed at once, long before
    # LONG_MAX_TOKENS could have been generated, and counted as abandoned.
    deadline = time.time() + 5
    while _gauge(server, "pendra_active_sequences") != active_before and time.time() < deadline:
        time.sleep(0.1)
    assert _gauge(server, "pendra_active_sequences") == active_before, "the sequence still runs after stop"
    deadline = time.time() + 5
    while _counter(server, "pendra_requests_abandoned_total", 'route="/v1/chat/completions"') == abandoned_before \
            and time.time() < deadline:
        time.sleep(0.1)
    assert _counter(server, "pendra_requests_abandoned_total", 'route="/v1/chat/completions"') == abandoned_before + 1
    generated = _counter(server, "pendra_completion_tokens_total", f'model="{MODEL}"') - completion_before
    assert 0 < generated < LONG_MAX_TOKENS / 3, generated
    time.sleep(1.0)
    assert _counter(server, "pendra_completion_tokens_total", f'model="{MODEL}"') - completion_before == generated

    # 4. The dashboard (its next poll) shows the model, its KV use and the request.
    row = f"document.querySelector('#requests-table tr[data-request-id=\"{request_id}\"]')"
    b.wait_for("!!" + row, 20)
    status = b.eval(f"{row}.querySelector('.status').textContent")
    assert status == "200 cancelled", status
    tokens = b.eval(f"{row}.querySelector('.tokens').textContent")
    assert tokens.endswith(f"→ {int(generated)}"), (tokens, generated)
    assert "/v1/chat/completions" in b.eval(f"{row}.querySelector('.route').textContent")
    model_row = f"document.querySelector('#models-table tr[data-model-id=\"{MODEL}\"]')"
    assert b.eval(f"{model_row}.querySelector('.state').textContent") == "loaded"
    # The KV cells shown are /metrics' (read again each time: the cache may
    # still settle after the cancel).
    deadline = time.time() + 20
    while True:
        kv = f"{int(_gauge(server, 'pendra_kv_cells_used'))} / {int(_gauge(server, 'pendra_kv_cells_total'))}"
        shown = b.eval(f"{model_row}.querySelector('.kv-text').textContent")
        if shown == kv or time.time() > deadline:
            break
        time.sleep(0.3)
    assert shown == kv, (shown, kv)
    assert int(kv.split(" / ")[0]) > 0, "earlier turns stay cached as prefixes"
    # The chart has had tokens through llama_decode.
    b.wait_for("fetch('/api/v1/dashboard').then(r => r.json()).then(f => "
               "f.throughput.points.some(p => p.decoded_tokens_per_second > 0))", 10)

    # Conversations live in local storage only.
    stored = json.loads(b.eval("localStorage.getItem('pendra.conversations')"))
    assert [m["role"] for m in stored[0]["messages"]] == ["user", "assistant"] * 3
    assert b.eval("window.__csp") == [], "CSP violations"
    assert b.problems() == []

    asked = os.environ.get("PENDRA_WEBUI_SCREENSHOT")
    shot = Path(asked) if asked else tmp_path / "webui.png"
    if not shot.is_absolute():
        shot = REPO / shot
    time.sleep(2.5)   # one more poll: the chart's latest point
    b.screenshot(shot)
    assert shot.stat().st_size > 10000


def test_keyed_server_asks_for_a_key_and_keeps_it_in_session_storage(tmp_path_factory, browser):
    key = "sk-webui-member"
    srv = _server("webui-keyed", _config(E2E._models_dir().resolve(),
                                         keys=[{"key": key, "role": "member", "organisation": "web"}]), tmp_path_factory)
    try:
        b = browser
        b.open(srv.url + "/")
        b.wait_for("!document.getElementById('key-dialog').hidden", 10)
        assert b.eval("document.querySelectorAll('#models-table tbody tr').length") == 0
        b.eval(f"document.getElementById('key-input').value = {json.dumps(key)}; "
               "document.getElementById('key-form').requestSubmit()")
        b.wait_for("document.getElementById('key-dialog').hidden", 10)
        b.wait_for(f"!!document.querySelector('#models-table tr[data-model-id=\"{MODEL}\"]')", 10)
        assert b.wait_for("document.getElementById('model').value") == MODEL
        assert b.eval("sessionStorage.getItem('pendra.apiKey')") == key
        assert b.eval("localStorage.getItem('pendra.apiKey')") is None
        assert key not in b.eval("location.href")
        assert b.eval("window.__csp") == []
    finally:
        srv.stop()


def _select(b: Browser, select_id: str, value: str):
    b.eval(f"(el => {{ el.value = {json.dumps(value)}; el.dispatchEvent(new Event('change')); }})"
           f"(document.getElementById({json.dumps(select_id)}))")


WEATHER_TOOL = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather for a city",
    "parameters": {"type": "object", "required": ["city", "unit"], "properties": {
        "city": {"type": "string", "maxLength": 16}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}}}}]


def test_reasoning_is_collapsed_and_tool_calls_are_shown_as_calls(tmp_path_factory, browser):
    """tiny-qwen3-think's generation prompt opens <think> (its random weights
    never close it: everything is reasoning); tiny-qwen2 with tool_choice
    required must call a tool (the grammar forces the call's syntax)."""
    models_dir = E2E._models_dir().resolve()
    config = {"server": {"api_keys": []}, "models": [
        {"id": "tiny-qwen3-think:latest", "path": str(models_dir / "tiny-qwen3-think.gguf"), "capability": "chat",
         "context_size": 1024, "parallel": 1},
        {"id": "tiny-qwen2:latest", "path": str(models_dir / "tiny-qwen2.gguf"), "capability": "chat",
         "context_size": 1024, "parallel": 1}]}
    srv = _server("webui-formats", config, tmp_path_factory)
    try:
        b = browser
        b.open(srv.url + "/")
        b.wait_for("document.getElementById('model').options.length === 2")
        _select(b, "model", "tiny-qwen3-think:latest")
        _select(b, "reasoning", "medium")
        _send(b, "Hi", 12)
        b.wait_for(f"!!{JS_LAST} && !{JS_LAST}.classList.contains('streaming')", GEN_TIMEOUT)
        details = f"{JS_LAST}.querySelector('details.reasoning')"
        assert b.eval(f"!!{details}"), b.eval(f"{JS_LAST}.outerHTML")
        assert b.eval(f"{details}.open") is False
        assert b.eval(f"{details}.querySelector('.reasoning-text').textContent.length") > 0
        assert "<think>" not in b.eval(f"{JS_LAST}.textContent")

        b.eval("document.getElementById('new-chat').click()")
        _select(b, "model", "tiny-qwen2:latest")
        _select(b, "reasoning", "")
        b.eval(f"document.getElementById('tools').value = {json.dumps(json.dumps(WEATHER_TOOL))}")
        _select(b, "tool-choice", "required")
        _send(b, "What is the weather in Paris?", 120)
        b.wait_for(f"!!{JS_LAST} && !{JS_LAST}.classList.contains('streaming')", GEN_TIMEOUT)
        name = b.eval(f"({JS_LAST}.querySelector('.tool-call .tool-name') || {{}}).textContent")
        assert name and name.startswith("tool call: get_weather"), b.eval(f"{JS_LAST}.outerHTML")
        args = json.loads(b.eval(f"{JS_LAST}.querySelector('.tool-call pre').textContent"))
        assert args["unit"] in ("celsius", "fahrenheit")
        assert "tool_calls" in b.eval(f"{JS_LAST}.querySelector('.meta').textContent")
        assert b.eval("document.querySelectorAll('#conversation-list li').length") == 2
        assert b.eval("window.__csp") == [] and b.problems() == []
    finally:
        srv.stop()
