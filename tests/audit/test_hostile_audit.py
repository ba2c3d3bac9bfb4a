"""``llmlint audit`` against a hostile API server: injection, leaks, hangs and crashes.

Every case runs beside the default cluster, whose findings (the vLLM Deployment's LLM003) must survive.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from llmlint.cli import main
from llmlint.sources import cluster as cluster_mod

from .conftest import Server, served, vllm_deployment

HF = "hf_" + "InjectedTokenValue0123456789abcdefgh"


def audit(*args: str) -> Result:
    return CliRunner().invoke(main, ["audit", *args], catch_exceptions=False)


def _hostile_deployment() -> dict[str, Any]:
    dep = vllm_deployment("evil", "ml")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["args"] = [
        "--model=meta-llama/Llama-3.1-8B-Instruct",
        "--gpu-memory-utilization=0.97",
        "--bogus-flag\ntouch pwned #",
        "$(touch pwned2)'; touch pwned3; '`touch pwned4`",
        f"--api-key\n{HF}",
    ]
    return served(dep)


def _stub_kubectl(directory: Path) -> Path:
    """A real ``kubectl`` on PATH that records its argv (one JSON list a line) and its stdin."""
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    stub = bin_dir / "kubectl"
    stub.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        "rec = os.environ['KUBECTL_RECORD']\n"
        "data = sys.stdin.read() if '-f' in sys.argv else ''\n"
        "with open(rec, 'a') as fh:\n"
        "    fh.write(json.dumps({'argv': sys.argv[1:], 'stdin': data}) + '\\n')\n",
        encoding="utf-8",
    )
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def test_audit_diff_script_runs_nothing_but_kubectl(api: Server, tmp_path: Path) -> None:
    api.cluster.objects.append(_hostile_deployment())
    r = audit("--kubeconfig", str(api.kubeconfig()), "--diff")
    assert r.exit_code in (1, 2), r.output
    script = r.stdout
    assert "kubectl patch" in script
    assert HF not in script + r.stderr
    for line in script.splitlines():
        assert "\x1b" not in line
    work = tmp_path / "run"
    work.mkdir()
    (work / "fix.sh").write_text(script, encoding="utf-8")
    bin_dir = _stub_kubectl(tmp_path)
    record = tmp_path / "kubectl.jsonl"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "KUBECTL_RECORD": str(record)}
    subprocess.run(["sh", "fix.sh"], cwd=work, env=env, check=True, timeout=60)
    assert sorted(p.name for p in work.iterdir()) == ["fix.sh"]  # no pwned* file
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    lines = [line for line in script.splitlines() if line.startswith("kubectl ")]
    assert len(calls) == len(lines) > 0
    for call in calls:
        assert call["argv"][0] in ("patch", "apply")
        if call["argv"][0] == "patch":
            ops = json.loads(call["argv"][call["argv"].index("-p") + 1])
            assert isinstance(ops, list) and ops
    # the good Deployment's fix is still there
    assert any("vllm-llama3-8b" in c["argv"] for c in calls)


def test_no_line_break_or_escape_in_any_audit_output(api: Server) -> None:
    api.cluster.objects.append(_hostile_deployment())
    api.cluster.fail["/services"] = (500, "boom\n::error file=x::pwned\x1b[2J")
    kc = str(api.kubeconfig())
    for fmt in ("text", "json", "sarif", "github", "junit"):
        r = audit("--kubeconfig", kc, "--format", fmt)
        assert r.exit_code == 1, r.output
        for text in (r.stdout, r.stderr):
            assert "\x1b" not in text and HF not in text
            assert not any(line.startswith("::error file=x") for line in text.splitlines())
        assert "LLM003" in r.stdout
    assert "boom\\n::error" in r.stderr  # the server's message, escaped


def test_password_in_the_server_url_is_never_printed(api: Server) -> None:
    kc = api.kubeconfig()
    cfg = yaml.safe_load(kc.read_text())
    cfg["clusters"][0]["cluster"]["server"] = f"https://admin:s3cr3t-pw@127.0.0.1:{api.closed_port}"
    kc.write_text(yaml.safe_dump(cfg))
    r = audit("--kubeconfig", str(kc), "--timeout", "3")
    assert r.exit_code == 2
    assert "cannot reach" in r.stderr
    assert "s3cr3t-pw" not in r.output + r.stderr and "admin:" not in r.stderr


def test_endless_continue_tokens_end_with_a_clear_error(api: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_mod, "MAX_PAGES", 25)
    api.cluster.endless.add("/pods")
    r = audit("--kubeconfig", str(api.kubeconfig()))
    assert r.exit_code == 2
    assert "more than 25 pages" in r.stderr and "continue token" in r.stderr
    assert sum(1 for p in api.cluster.paths() if p.endswith("/pods")) == 25


def test_a_repeated_continue_token_ends_the_listing(api: Server) -> None:
    api.cluster.same_token.add("/deployments")
    r = audit("--kubeconfig", str(api.kubeconfig()))
    assert r.exit_code == 2
    assert "same continue token" in r.stderr


def test_credential_plugin_that_never_answers_is_bounded(api: Server, tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.sh"
    pidfile = tmp_path / "plugin.pid"
    plugin.write_text(f"#!/bin/sh\necho $$ > {pidfile}\nsleep 300\n", encoding="utf-8")
    plugin.chmod(0o755)
    kc = api.kubeconfig()
    cfg = yaml.safe_load(kc.read_text())
    cfg["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": str(plugin),
            "interactiveMode": "Never",
        }
    }
    kc.write_text(yaml.safe_dump(cfg))
    r = audit("--kubeconfig", str(kc), "--timeout", "2")
    assert r.exit_code == 2
    assert "credential plugin" in r.stderr and "--timeout" in r.stderr
    pid = int(pidfile.read_text())
    state = "?"
    for _ in range(100):  # SIGKILL is delivered asynchronously: wait until the process is dead
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            state = "gone"
        if state in ("gone", "Z", "X"):
            break
        time.sleep(0.05)
    assert state in ("gone", "Z", "X")  # killed, not left sleeping


def test_a_deep_object_is_an_error_entry_and_the_audit_goes_on(api: Server) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    raw = (
        '{"metadata": {"name": "deep", "namespace": "ml", "uid": "u-deep"}, "spec": {"replicas": 1, "x": '
        + deep
        + "}}"
    )
    api.cluster.raw_items["/deployments"] = [raw]
    r = audit("--kubeconfig", str(api.kubeconfig()), "--format", "json")
    assert r.exit_code == 2, r.output
    doc = json.loads(r.stdout)
    assert any("Deployment ml/deep" in e["message"] and "deep" in e["message"] for e in doc["errors"])
    assert any(f["rule"] == "LLM003" and f["object"]["name"] == "vllm-llama3-8b" for f in doc["findings"])


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_a_lone_surrogate_is_an_error_entry_in_every_format(api: Server, fmt: str) -> None:
    dep = served(vllm_deployment("placeholder", "ml"))
    text = json.dumps({k: v for k, v in dep.items() if k not in ("kind", "apiVersion")})
    api.cluster.raw_items["/deployments"] = [text.replace('"placeholder"', '"bad\\ud800name"', 1)]
    r = audit("--kubeconfig", str(api.kubeconfig()), "--format", fmt)
    assert r.exit_code == 2, r.output
    assert "surrogate" in r.stdout + r.stderr
    assert "LLM003" in r.stdout
    r.stdout.encode("utf-8")  # nothing unencodable


def test_every_list_forbidden_exits_2_naming_the_permissions(api: Server) -> None:
    api.cluster.forbidden |= {
        "deployments",
        "statefulsets",
        "daemonsets",
        "replicasets",
        "jobs",
        "cronjobs",
        "pods",
        "leaderworkersets",
        "inferenceservices",
    }
    r = audit("--kubeconfig", str(api.kubeconfig()))
    assert r.exit_code == 2
    msg = [line for line in r.stderr.splitlines() if line.startswith("llmlint:")]
    assert len(msg) == 1 and "could read no workload" in msg[0]
    for plural in ("deployments", "statefulsets", "pods", "jobs"):
        assert plural in msg[0]
    assert "get and list" in msg[0]


def test_timeout_help_and_default_agree() -> None:
    r = CliRunner().invoke(main, ["audit", "--help"], catch_exceptions=False)
    assert "--timeout" in r.output and "default: 20" in r.output
    from llmlint.audit import AuditOptions

    assert AuditOptions().timeout == 20.0
