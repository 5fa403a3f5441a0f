"""`pendra` as a user meets it on the command line: help, and bad configs
that must end in one line naming the problem and a non-zero exit, never a
crash trace."""
import json
import subprocess

import pytest

from conftest import _bin_path


def run(*args, cwd=None, timeout=60):
    return subprocess.run([str(_bin_path()), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


def test_help_explains_every_flag():
    r = run("--help")
    assert r.returncode == 0
    for flag in ["--config", "--host", "--port", "--worker-name", "--worker-id", "--rpc", "--log-level", "--allow-remote"]:
        assert flag in r.stdout


def one_line_error(r, *needles):
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("pendra: ")
    for n in needles:
        assert n in lines[0], lines[0]
    assert "Fatal error" not in r.stderr and "Stack dump" not in r.stderr


@pytest.mark.parametrize("content,needles", [
    (None, ["file not found"]),
    ("{not json", ["invalid JSON"]),
    (json.dumps({"models": [{"id": "x:1", "path": "a.gguf", "capability": "chatt"}]}), ["models[0].capability", "chatt"]),
    (json.dumps({"models": [{"id": "x:1", "path": "missing.gguf", "capability": "chat"}]}), ["x:1", "file not found"]),
    (json.dumps({"models": [{"id": "x:1", "path": "m.gguf", "capability": "chat", "context_size": "big"}]}), ["context_size"]),
    (json.dumps({"models": "nope"}), ["models"]),
    (json.dumps({"models": [{"id": "x:1", "path": "m.gguf", "capability": "chat", "speculative": {"type": "eagle"}}]}),
     ["models[0].speculative.type", "eagle"]),
    (json.dumps({"models": [{"id": "x:1", "path": "m.gguf", "capability": "chat", "target_itl_ms": -5}]}),
     ["target_itl_ms"]),
])
def test_bad_config_is_one_line_and_non_zero(tmp_path, content, needles):
    cfg = tmp_path / "cfg.json"
    if content is not None:
        cfg.write_text(content)
    one_line_error(run("serve", "--config", str(cfg), "--port", "0", cwd=tmp_path), *needles)


def test_a_file_that_is_not_gguf_is_refused_clearly(tmp_path):
    (tmp_path / "fake.gguf").write_bytes(b"this is not a model" * 10)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"models": [{"id": "fake:1", "path": "fake.gguf", "capability": "chat"}]}))
    one_line_error(run("serve", "--config", str(cfg), "--port", "0", cwd=tmp_path), "fake:1", "GGUF")


def test_non_loopback_without_keys_is_refused(tmp_path, models_dir):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"models": [{"id": "t:1", "path": str(models_dir / "tiny-bert-embed.gguf"),
                                           "capability": "embedding"}]}))
    one_line_error(run("serve", "--config", str(cfg), "--host", "0.0.0.0", "--port", "0"), "--allow-remote")


def test_bad_flag():
    one_line_error(run("serve", "--port", "eighty"), "--port")


def test_inspect_reads_a_gguf_without_loading_it(models_dir):
    r = run("inspect", str(models_dir / "tiny-llama.gguf"))
    assert r.returncode == 0
    assert "llama" in r.stdout and "F16" in r.stdout and "4096" in r.stdout


@pytest.mark.parametrize("flags,needles", [
    (["--rpc", "gpu-host"], ["--rpc", "\"gpu-host\" is not host:port"]),
    (["--rpc", "nope=127.0.0.1:50052"], ["--rpc", "no model \"nope\""]),
    (["--worker-id", "has space"], ["--worker-id"]),
])
def test_bad_scale_out_flags_are_one_line(tmp_path, models_dir, flags, needles):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"models": [{"id": "t:1", "path": str(models_dir / "tiny-llama.gguf")}]}))
    one_line_error(run("serve", "--config", str(cfg), "--port", "0", *flags), *needles)


def test_bad_rpc_servers_in_the_config_name_the_field(tmp_path, models_dir):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"models": [{"id": "t:1", "path": str(models_dir / "tiny-llama.gguf"),
                                           "rpc_servers": ["127.0.0.1:50052", "10.0.0.2"]}]}))
    one_line_error(run("serve", "--config", str(cfg), "--port", "0"), "models[0].rpc_servers[1]", "host:port")
