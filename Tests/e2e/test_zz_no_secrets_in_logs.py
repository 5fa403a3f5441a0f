"""Runs last (file order): no key or bearer token appears in any server log of
this e2e run, even after requests that carried wrong keys."""
from __future__ import annotations

import re

from conftest import LIMITED_KEY, MEMBER_KEY, OWNER_KEY

CANARY = "pdr_sk_" + "c0ffee" * 8


def test_no_secret_in_any_log(keyed_server, server, tmp_path_factory):
    # Requests that carry secrets in every place a client puts them.
    with keyed_server.http() as h:
        h.get("/v1/models", headers={"Authorization": f"Bearer {CANARY}"})
        h.get("/v1/models", headers={"x-api-key": CANARY})
        h.post("/v1/embeddings", headers={"Authorization": f"Bearer {CANARY}"}, json={"model": "x", "input": "y"})
        made = h.post("/api/v1/keys", headers={"Authorization": f"Bearer {OWNER_KEY}"}, json={"name": "log-check"})
        assert made.status_code == 201, made.text
        fresh = made.json()["key"]
        h.get("/v1/models", headers={"Authorization": f"Bearer {fresh}"})
    with server.http() as h:
        h.get("/v1/models", headers={"Authorization": f"Bearer {CANARY}"})
    logs = sorted(tmp_path_factory.getbasetemp().glob("*/stderr.log"))
    assert logs, "no server logs found"
    secrets = [OWNER_KEY, MEMBER_KEY, LIMITED_KEY, CANARY, fresh]
    total = 0
    for path in logs:
        text = path.read_text("utf-8", "replace")
        total += len(text.splitlines())
        for s in secrets:
            assert s not in text, f"{s[:10]}... appears in {path}"
        assert not re.search(r"pdr_sk_[0-9a-f]{8,}", text), path
        assert not re.search(r"(?i)bearer\s+\S", text), path
    # The logs did record these requests (the check could fail).
    assert total > 50, total
    print(f"\n{len(logs)} server logs, {total} lines: no secret found")
