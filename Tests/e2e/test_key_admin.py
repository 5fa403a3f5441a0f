"""Key admin (owner only): GET/POST /api/v1/keys, DELETE /api/v1/keys/{id};
keys made there work at once, never show their secret again, and survive a
restart when server.api_keys_file is set."""
from __future__ import annotations

import os
import re
import stat

from conftest import EMBED_MODEL, MEMBER_KEY, OWNER_KEY, REQUIRED_FILES, _model_entry, _start
from e2e_helpers import openai_error

OWNER = {"Authorization": f"Bearer {OWNER_KEY}"}


def _detail(resp, status: int) -> str:
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:300]}"
    body = resp.json()
    assert set(body) == {"detail"} and body["detail"], body
    return body["detail"]


def test_members_and_strangers_cannot_manage_keys(keyed_server):
    with keyed_server.http() as h:
        for method, path in [("GET", "/api/v1/keys"), ("POST", "/api/v1/keys"), ("DELETE", "/api/v1/keys/key_0")]:
            _detail(h.request(method, path), 401)
            _detail(h.request(method, path, headers={"x-api-key": MEMBER_KEY}), 403)


def test_create_use_list_and_revoke(keyed_server):
    with keyed_server.http() as h:
        r = h.post("/api/v1/keys", headers=OWNER, json={"role": "member", "name": "laptop"})
        assert r.status_code == 201, r.text
        made = r.json()
        secret = made["key"]
        assert re.fullmatch(r"pdr_sk_[0-9a-f]{48}", secret) and made["id"].startswith("key_")
        assert made["role"] == "member" and made["organisation"] == "acme"  # the caller's, by default
        assert made["source"] == "api" and made["persistent"] is False

        # It works at once, as a member.
        assert h.get("/v1/models", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        _detail(h.get("/api/v1/keys", headers={"x-api-key": secret}), 403)

        listed = h.get("/api/v1/keys", headers=OWNER)
        assert listed.status_code == 200
        assert secret not in listed.text and OWNER_KEY not in listed.text and MEMBER_KEY not in listed.text
        entries = {e["id"]: e for e in listed.json()["data"]}
        assert entries[made["id"]]["name"] == "laptop"
        assert sorted(e["source"] for e in entries.values()).count("config") == 3

        r = h.delete(f"/api/v1/keys/{made['id']}", headers=OWNER)
        assert r.status_code == 200 and r.json() == {"id": made["id"], "deleted": True}
        openai_error(h.get("/v1/models", headers={"Authorization": f"Bearer {secret}"}), 401)
        assert made["id"] not in h.get("/api/v1/keys", headers=OWNER).text
        _detail(h.delete(f"/api/v1/keys/{made['id']}", headers=OWNER), 404)


def test_config_keys_are_not_revocable_and_bad_bodies_are_400(keyed_server):
    with keyed_server.http() as h:
        config_ids = [e["id"] for e in h.get("/api/v1/keys", headers=OWNER).json()["data"] if e["source"] == "config"]
        assert "config file" in _detail(h.delete(f"/api/v1/keys/{config_ids[0]}", headers=OWNER), 409)
        assert "root" in _detail(h.post("/api/v1/keys", headers=OWNER, json={"role": "root"}), 400)
        assert "organisation" in _detail(h.post("/api/v1/keys", headers=OWNER, json={"organisation": 5}), 400)
        _detail(h.post("/api/v1/keys", headers={**OWNER, "Content-Type": "application/json"}, content=b"{nope"), 400)


def test_open_server_has_no_keys_to_manage(http):
    assert http.get("/api/v1/keys").json()["data"] == []
    assert "open" in _detail(http.post("/api/v1/keys", json={"role": "owner"}), 409)


def test_keys_file_survives_a_restart(tmp_path_factory, models_dir):
    keys_file = "state/api-keys.json"  # relative to the config's folder
    config = {"server": {"api_keys": [{"key": OWNER_KEY, "role": "owner", "organisation": "acme"}],
                         "api_keys_file": keys_file},
              "models": [_model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL], "embedding",
                                      context_size=512)]}
    first = _start("keysfile", config, tmp_path_factory)
    try:
        with first.http() as h:
            made = h.post("/api/v1/keys", headers=OWNER, json={"role": "owner", "organisation": "ops"}).json()
        assert made["persistent"] is True
        path = first.workdir / keys_file
        assert made["key"] not in path.read_text()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        first.stop()

    # A new process reading the same file (its absolute path this time).
    again = {**config, "server": {**config["server"], "api_keys_file": str(path)}}
    second = _start("keysfile-restart", again, tmp_path_factory)
    try:
        with second.http() as h:
            r = h.get("/api/v1/keys", headers={"Authorization": f"Bearer {made['key']}"})
            assert r.status_code == 200, r.text
            assert [e["organisation"] for e in r.json()["data"] if e["source"] == "api"] == ["ops"]
    finally:
        second.stop()
