"""Web pages cannot drive the server: Host (DNS rebinding), Origin, Content-Type,
CORS for origins allowed on purpose, and keys checked before bodies are read."""
from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlparse

import httpx
import pytest

from conftest import EMBED_MODEL, MEMBER_KEY, ONDEMAND_MODEL, OWNER_KEY, _model_entry, _start, REQUIRED_FILES

ATTACKER = "http://attacker.example"
APP = "http://app.example:3000"


def _port(srv) -> int:
    return urlparse(srv.url).port


def _loaded(h, mid) -> bool:
    return next(m for m in h.get("/health").json()["models"] if m["id"] == mid)["loaded"]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory, models_dir):
    """Open server with one browser app allowed, an extra host name, a small
    buffer budget and a short body deadline."""
    config = {
        "server": {"worker_name": "e2e-guarded", "api_keys": [], "cors_origins": [APP],
                   "allowed_hosts": ["pendra.lan"], "max_buffered_mb": 2, "body_timeout_seconds": 2},
        "models": [_model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL], "embedding", context_size=512)],
    }
    srv = _start("guarded", config, tmp_path_factory)
    yield srv
    srv.stop()


@pytest.mark.parametrize("keyed", [False, True])
def test_host_must_be_loopback(server, keyed_server, keyed):
    srv = keyed_server if keyed else server
    auth = {"Authorization": f"Bearer {MEMBER_KEY}"} if keyed else {}
    port = _port(srv)
    with srv.http(**auth) as h:
        for host in ["attacker.example", f"attacker.example:{port}", "192.168.1.20", "localhost.attacker.example"]:
            r = h.get("/v1/models", headers={"Host": host})
            assert r.status_code == 403, (host, r.text)
            assert "Host not allowed" in r.json()["error"]["message"]
            assert r.headers["connection"].lower() == "close"
            r = h.post("/v1/embeddings", headers={"Host": host}, json={"model": EMBED_MODEL, "input": "x"})
            assert r.status_code == 403, (host, r.text)
        for host in [f"localhost:{port}", f"127.0.0.1:{port}", "127.9.8.7", f"[::1]:{port}", "api.localhost"]:
            r = h.get("/v1/models", headers={"Host": host})
            assert r.status_code == 200, (host, r.text)


@pytest.mark.parametrize("keyed", [False, True])
def test_foreign_origin_cannot_change_state(server, keyed_server, keyed):
    srv = keyed_server if keyed else server
    auth = {"Authorization": f"Bearer {OWNER_KEY}"} if keyed else {}
    with srv.http(**auth) as h:
        before = _loaded(h, EMBED_MODEL)
        r = h.post(f"/api/v1/models/{EMBED_MODEL}/unload", headers={"Origin": ATTACKER, "Content-Type": "application/json"})
        assert r.status_code == 403, r.text
        assert "cors_origins" in r.json()["detail"]
        assert "access-control-allow-origin" not in r.headers
        r = h.post("/v1/embeddings", headers={"Origin": ATTACKER}, json={"model": EMBED_MODEL, "input": "x"})
        assert r.status_code == 403 and r.json()["error"]["message"]
        r = h.post("/v1/messages", headers={"Origin": "null"},
                   json={"model": EMBED_MODEL, "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]})
        assert r.status_code == 403 and r.json()["type"] == "error"
        # Reading is not state: allowed, but without CORS headers the page cannot see it.
        r = h.get("/v1/models", headers={"Origin": ATTACKER})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
        # A preflight from it is refused.
        r = h.options("/v1/embeddings", headers={"Origin": ATTACKER, "Access-Control-Request-Method": "POST"})
        assert r.status_code == 403 and "access-control-allow-origin" not in r.headers
        assert _loaded(h, EMBED_MODEL) == before


@pytest.mark.parametrize("keyed", [False, True])
def test_post_needs_json_content_type(server, keyed_server, keyed):
    srv = keyed_server if keyed else server
    auth = {"Authorization": f"Bearer {OWNER_KEY}"} if keyed else {}
    with srv.http(**auth) as h:
        before = _loaded(h, ONDEMAND_MODEL)
        # What a no-cors fetch sends: no Content-Type, or text/plain.
        for headers in [{}, {"Content-Type": "text/plain;charset=UTF-8"}, {"Content-Type": "application/x-www-form-urlencoded"}]:
            action = "unload" if before else "load"
            r = h.post(f"/api/v1/models/{ONDEMAND_MODEL}/{action}", headers=headers)
            assert r.status_code == 415, (headers, r.text)
            assert "application/json" in r.json()["detail"]
            r = h.post("/v1/chat/completions", headers=headers, content=b'{"model":"x","messages":[]}')
            assert r.status_code == 415, (headers, r.text)
            assert "Content-Type" in r.json()["error"]["message"]
        assert _loaded(h, ONDEMAND_MODEL) == before
        r = h.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "x"},
                   headers={"Content-Type": "application/json; charset=utf-8"})
        assert r.status_code == 200, r.text


def test_allowed_origin_gets_cors(guarded):
    with guarded.http() as h:
        r = h.options("/v1/embeddings", headers={"Origin": APP, "Access-Control-Request-Method": "POST",
                                                 "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os"})
        assert r.status_code == 204, r.text
        assert r.headers["access-control-allow-origin"] == APP
        assert r.headers["access-control-allow-methods"] == "POST"
        assert r.headers["access-control-allow-headers"] == "authorization, content-type, x-stainless-os"
        assert "Origin" in r.headers["vary"] and int(r.headers["access-control-max-age"]) > 0
        r = h.post("/v1/embeddings", headers={"Origin": APP}, json={"model": EMBED_MODEL, "input": "hello"})
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == APP
        assert "x-request-id" in r.headers["access-control-expose-headers"].lower()
        # Errors carry the headers too, so the page can read them.
        r = h.post("/v1/embeddings", headers={"Origin": APP}, json={"model": "nope", "input": "x"})
        assert r.status_code in (400, 404) and r.headers["access-control-allow-origin"] == APP
        r = h.options("/v1/nowhere", headers={"Origin": APP, "Access-Control-Request-Method": "POST"})
        assert r.status_code == 404
        # A listed extra host name is served; others are not.
        assert h.get("/v1/models", headers={"Host": "pendra.lan"}).status_code == 200
        assert h.get("/v1/models", headers={"Host": "pendra.lan.attacker.example"}).status_code == 403
        # The allowed origin is refused from a host that is not allowed.
        r = h.post("/v1/embeddings", headers={"Origin": APP, "Host": "evil.example"}, json={"model": EMBED_MODEL, "input": "x"})
        assert r.status_code == 403


def _raw(srv) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", _port(srv)), timeout=10)
    return s


def _read_response(s: socket.socket, deadline_s: float = 10) -> bytes:
    s.settimeout(deadline_s)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_upload_without_key_refused_before_body(keyed_server):
    """A 30 MB upload without a key is answered 401 while the client is still sending."""
    total = 30 * 1024 * 1024
    s = _raw(keyed_server)
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {total}\r\n\r\n").encode()
    s.sendall(head)
    sent = [0]
    stop = threading.Event()

    def pump():
        block = b"x" * 65536
        try:
            while sent[0] < total and not stop.is_set():
                s.send(block)
                sent[0] += len(block)
        except OSError:
            pass

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    response = _read_response(s)
    sent_when_answered = sent[0]
    stop.set()
    assert response.startswith(b"HTTP/1.1 401"), response[:200]
    assert b"connection: close" in response.lower()
    assert sent_when_answered < total, f"answered only after the whole body ({sent_when_answered} bytes)"
    t.join(15)
    s.close()
    print(f"\n401 arrived after {sent_when_answered / 1e6:.1f} MB of {total / 1e6:.0f} MB sent")
    # A wrong key and a member key on an owner route are refused the same way.
    for auth, status in [("Bearer sk-wrong", 401), (f"Bearer {MEMBER_KEY}", 403)]:
        s = _raw(keyed_server)
        s.sendall((f"POST /api/v1/keys HTTP/1.1\r\nHost: localhost\r\nAuthorization: {auth}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {total}\r\n\r\n").encode())
        assert _read_response(s).startswith(f"HTTP/1.1 {status}".encode())
        s.close()


def test_body_deadline_is_absolute(guarded):
    """A body trickled one byte at a time is cut at the body deadline (2 s), not re-armed per read."""
    s = _raw(guarded)
    s.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
    start = time.monotonic()
    closed_after = None
    try:
        for _ in range(40):
            s.send(b" ")
            time.sleep(0.25)
    except OSError:
        closed_after = time.monotonic() - start
    if closed_after is None:
        s.settimeout(2)
        try:
            closed_after = time.monotonic() - start if s.recv(100) == b"" else None
        except OSError:
            closed_after = time.monotonic() - start
    assert closed_after is not None and closed_after < 5, closed_after
    s.close()


def test_buffer_budget_answers_503(guarded):
    """max_buffered_mb 2: a second body declared while the first is still arriving gets 503."""
    a = _raw(guarded)
    a.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1500000\r\n\r\n" + b" " * 1000)
    time.sleep(0.3)
    b = _raw(guarded)
    b.sendall(b"POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1500000\r\n\r\n")
    response = _read_response(b)
    assert response.startswith(b"HTTP/1.1 503"), response[:200]
    assert b"retry-after: 1" in response.lower()
    b.close()
    a.close()
    time.sleep(0.3)
    # Once the first connection is gone its reservation is released.
    with guarded.http() as h:
        r = h.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "x" * 1_200_000})
        assert r.status_code in (200, 400), r.text
