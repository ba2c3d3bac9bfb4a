"""``llmlint audit`` against the tests' own HTTPS API server, with the real ``kubernetes`` client."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from llmlint.audit import AuditOptions, kubectl_commands, run_audit
from llmlint.catalog import rules
from llmlint.cli import main
from llmlint.engine import Settings, scan
from llmlint.fixes.patch import apply_json_patch

from .conftest import (
    SECRET_VALUE,
    TOKEN,
    Server,
    oom_status,
    pods_of,
    running_status,
    served,
    vllm_deployment,
)

PY = sys.executable


def audit(*args: str) -> Result:
    return CliRunner().invoke(main, ["audit", *args], catch_exceptions=False)


def audit_json(api: Server, *args: str, kubeconfig: Path | None = None) -> tuple[dict[str, Any], Result]:
    r = audit("--kubeconfig", str(kubeconfig or api.kubeconfig()), "--format", "json", *args)
    assert r.exit_code in (0, 1), r.output + r.stderr
    return json.loads(r.stdout), r


def by_rule(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        out.setdefault(f["rule"], []).append(f)
    return out


# ---- what the audit finds --------------------------------------------------------------------------


def test_headline_findings_on_a_vllm_deployment(api: Server) -> None:
    doc, r = audit_json(api)
    found = by_rule(doc)
    assert r.exit_code == 1
    for rule in ("LLM001", "LLM003", "LLM005"):
        (f,) = found[rule]
        assert f["object"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "ml",
            "name": "vllm-llama3-8b",
        }
        assert f["file"] is None
        assert f["fix"]["json_patch"] is not None
    assert "0.97" in found["LLM003"][0]["message"]
    assert found["LLM003"][0]["fix"]["json_patch"] == [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/args/1",
            "value": "--gpu-memory-utilization=0.90",
        }
    ]
    # the pods, the ReplicaSet, Events and Nodes are evidence, not linted objects: no finding names them
    assert {f["object"]["kind"] for f in doc["findings"]} <= {"Deployment"}


def test_oomkilled_pod_is_reported_by_llm101(api: Server) -> None:
    doc, _ = audit_json(api)
    (f,) = by_rule(doc)["LLM101"]
    msg = f["message"]
    assert f["object"]["name"] == "vllm-llama3-8b" and f["container"] == "vllm"
    assert "OOMKilled in 1 pod of 2" in msg
    assert "5 restarts" in msg and "2026-11-30 10:14:37 UTC" in msg and "gpu-node-2" in msg
    assert "vllm-llama3-8b-6d5f7c9b8-bx1q7" in msg
    assert f["fix"]["json_patch"] == [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/resources/limits/memory",
            "value": "48Gi",
        },
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/resources/requests/memory",
            "value": "48Gi",
        },
    ]


def test_server_added_fields_cause_no_findings(api: Server, tmp_path: Path) -> None:
    """status, managedFields, uid, API defaults: the audit finds what a scan of the manifest finds."""
    doc, _ = audit_json(api, "--ignore", "LLM1")
    audited = sorted(
        (f["rule"], f["object"]["name"]) for f in doc["findings"] if f["object"]["name"] == "vllm-llama3-8b"
    )
    manifest = tmp_path / "m.yaml"
    manifest.write_text(yaml.safe_dump(vllm_deployment()), encoding="utf-8")
    scanned = sorted((f.rule, f.target.ref.name) for f in scan([str(manifest)], Settings()).active)
    assert audited == scanned


def test_chosen_context_is_honoured_when_the_current_one_is_dead(api: Server) -> None:
    kc = api.kubeconfig(current="dead")
    r = audit("--kubeconfig", str(kc), "--format", "json")
    assert r.exit_code == 2 and "cannot reach the API server" in r.stderr and "context dead" in r.stderr
    doc, _ = audit_json(api, "--context", "live", kubeconfig=kc)
    assert "LLM003" in by_rule(doc)
    r = audit("--kubeconfig", str(kc), "--context", "nope")
    assert r.exit_code == 2 and "context 'nope' not found" in r.stderr and "Traceback" not in r.output


def test_namespace_scoping(api: Server) -> None:
    def names(doc: dict[str, Any]) -> set[tuple[str | None, str]]:
        return {(f["object"]["namespace"], f["object"]["name"]) for f in doc["findings"]}

    doc, _ = audit_json(api)  # the context's namespace: ml
    assert names(doc) == {("ml", "vllm-llama3-8b")}
    listed = [p for p in api.cluster.paths() if "/namespaces/" in p]
    assert listed and all("/namespaces/ml/" in p for p in listed)

    api.cluster.requests.clear()
    doc, _ = audit_json(api, "--namespace", "other")
    assert names(doc) == {("other", "vllm-other")}
    assert all("/namespaces/ml/" not in p for p in api.cluster.paths())
    assert "0.99" in by_rule(doc)["LLM003"][0]["message"]

    doc, _ = audit_json(api, "-A")
    assert names(doc) == {("ml", "vllm-llama3-8b"), ("other", "vllm-other")}

    # no namespace in the context: "default"
    doc, r = audit_json(api, kubeconfig=api.kubeconfig("nons.yaml", namespace=None))
    assert doc["findings"] == []
    assert any("/namespaces/default/" in p for p in api.cluster.paths())
    assert "warning: no workloads found in namespace default (context live)" in r.stderr


def test_only_get_requests_and_never_secrets(api: Server) -> None:
    audit_json(api, "-A")
    r = audit("--kubeconfig", str(api.kubeconfig()), "--diff")
    assert r.exit_code == 1
    reqs = api.cluster.requests
    assert reqs and all(q.method == "GET" for q in reqs)
    assert all(q.authorized for q in reqs)  # the bearer token went with every request
    assert not any("secrets" in q.path for q in reqs)


def test_no_secret_value_in_any_output(api: Server) -> None:
    kc = str(api.kubeconfig())
    outputs = []
    for fmt in ("text", "json", "sarif", "github", "junit"):
        r = audit("--kubeconfig", kc, "-A", "--format", fmt)
        assert r.exit_code == 1, (fmt, r.stderr)
        outputs.append(r.stdout + r.stderr)
    outputs.append(audit("--kubeconfig", kc, "-A", "--diff").output)
    for out in outputs:
        assert SECRET_VALUE not in out
        assert SECRET_VALUE[:12] not in out


def test_forbidden_resource_warns_once_and_the_audit_goes_on(api: Server) -> None:
    api.cluster.forbidden |= {"nodes", "configmaps"}
    doc, r = audit_json(api)
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    assert sum("nodes" in w for w in warnings) == 1
    assert sum("configmaps" in w for w in warnings) == 1
    assert all("403" in w for w in warnings)
    assert "LLM003" in by_rule(doc) and "LLM101" in by_rule(doc)
    # pods forbidden: one warning, not a second one for the GPU accounting across namespaces
    api.cluster.forbidden = {"secrets", "pods"}
    doc, r = audit_json(api)
    assert [w for w in r.stderr.splitlines() if "pods" in w] == [
        "warning: forbidden to list pods in namespace ml (RBAC, HTTP 403); skipped"
    ]
    assert "LLM101" not in by_rule(doc) and "LLM003" in by_rule(doc)


def test_listing_is_paged(api: Server) -> None:
    dep = served(vllm_deployment("big", "ml"))
    api.cluster.objects += [dep, *pods_of(dep, [running_status() for _ in range(7)], ["gpu-node-1"] * 7)]
    api.cluster.page_cap = 3
    opts = AuditOptions(kubeconfig=str(api.kubeconfig()), timeout=5)
    result, warnings = run_audit(opts, Settings())
    assert warnings == []
    pod_requests = [q for q in api.cluster.requests if q.path == "/api/v1/namespaces/ml/pods"]
    assert len(pod_requests) == 3  # 9 pods, 3 per page
    assert all(q.query["limit"] == ["500"] for q in pod_requests)
    assert [("continue" in q.query) for q in pod_requests] == [False, True, True]
    # controller-owned pods and ReplicaSets are evidence only: the linted objects are the Deployments & co.
    assert {o.kind for o in result.graph.objects} == {"Deployment", "ConfigMap", "Service"}
    assert {f.target.ref.name for f in result.active} == {"vllm-llama3-8b", "big"}


def test_fixes_are_kubectl_commands(api: Server) -> None:
    r = audit("--kubeconfig", str(api.kubeconfig()), "--diff")
    assert r.exit_code == 1
    doc, _ = audit_json(api)
    patches = {
        f["rule"]: f["fix"]["json_patch"] for f in doc["findings"] if f["fix"] and f["fix"]["json_patch"]
    }
    commands = [line for line in r.stdout.splitlines() if line.startswith("kubectl patch")]
    assert len(commands) == len(patches)
    seen = []
    for line in commands:
        argv = shlex.split(line)
        assert argv[:4] == ["kubectl", "patch", "deployment", "vllm-llama3-8b"]
        assert argv[4:7] == ["-n", "ml", "--type=json"] and argv[7] == "-p"
        ops = json.loads(argv[8])
        # a change of a list item is guarded by a test of its current value
        for i, op in enumerate(ops):
            if op["op"] == "replace" and op["path"].rsplit("/", 1)[-1].isdigit():
                assert ops[i - 1]["op"] == "test" and ops[i - 1]["path"] == op["path"]
        if any(op["path"].endswith("/args/1") for op in ops):
            assert {
                "op": "test",
                "path": "/spec/template/spec/containers/0/args/1",
                "value": "--gpu-memory-utilization=0.97",
            } in ops
        seen.append([op for op in ops if op["op"] != "test"])
    assert sorted(map(json.dumps, seen)) == sorted(map(json.dumps, patches.values()))
    # a fix that creates an object (LLM005's PodDisruptionBudget) is a kubectl apply heredoc
    assert "kubectl apply -f - <<'EOF'\napiVersion: policy/v1\nkind: PodDisruptionBudget" in r.stdout
    # the script is valid shell: bash -n parses it
    check = subprocess.run(["bash", "-n"], input=r.stdout, text=True, capture_output=True)
    assert check.returncode == 0, check.stderr


def test_a_fix_in_a_configmap_patches_the_configmap(api: Server, tmp_path: Path) -> None:
    dep = vllm_deployment("vllm-cm", "cm")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["args"][1] = "--gpu-memory-utilization=$(GPU_UTIL)"
    c["env"] = [{"name": "GPU_UTIL", "valueFrom": {"configMapKeyRef": {"name": "vllm-env", "key": "util"}}}]
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "vllm-env", "namespace": "cm"},
        "data": {"util": "0.98"},
    }
    api.cluster.objects += [served(dep), served(cm)]
    doc, _ = audit_json(api, "-n", "cm", "--select", "LLM003")
    (f,) = doc["findings"]
    assert f["object"]["kind"] == "Deployment"
    assert f["fix"]["target"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "namespace": "cm",
        "name": "vllm-env",
    }
    assert f["fix"]["json_patch"] == [{"op": "replace", "path": "/data/util", "value": "0.90"}]
    r = audit("--kubeconfig", str(api.kubeconfig()), "-n", "cm", "--select", "LLM003", "--diff")
    (cmd,) = [line for line in r.stdout.splitlines() if line.startswith("kubectl")]
    assert shlex.split(cmd)[:6] == ["kubectl", "patch", "configmap", "vllm-env", "-n", "cm"]


def test_kubectl_commands_quote_and_name_custom_kinds() -> None:
    from llmlint.engine import ScanResult
    from llmlint.graph.index import Graph
    from llmlint.model import Finding, Fix, ObjectRef, Target

    ref = ObjectRef("serving.kserve.io/v1beta1", "InferenceService", "team a", "llm")
    fix = Fix("safe", "d", [], json_patch=[{"op": "replace", "path": "/spec/x", "value": "it's"}])
    f = Finding("LLM003", "m", Target("cluster", 0, (), ref), (), fix=fix)

    out = kubectl_commands(ScanResult([f], [], [], Graph()))
    argv = shlex.split(out.splitlines()[1])
    assert argv[2:6] == ["inferenceservice.serving.kserve.io", "llm", "-n", "team a"]
    assert json.loads(argv[-1]) == fix.json_patch


def _served_object(api: Server, ref: dict[str, Any]) -> dict[str, Any]:
    return api.cluster.find(ref["kind"], ref["namespace"], ref["name"])


def test_each_json_patch_clears_its_finding_in_a_new_scan(api: Server, tmp_path: Path) -> None:
    doc, _ = audit_json(api, "-A")
    audit_only = {r.id for r in rules().values() if r.audit_only}
    checked = 0
    for i, f in enumerate(doc["findings"]):
        fix = f["fix"]
        if f["rule"] in audit_only or fix is None:
            continue
        target = fix.get("target") or f["object"]
        obj = _served_object(api, target)
        patched = apply_json_patch(obj, fix["json_patch"] or [])
        docs = [patched, *fix.get("creates", [])]
        if target != f["object"]:
            docs.append(_served_object(api, f["object"]))
        path = tmp_path / f"fixed-{i}.yaml"
        path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
        after = scan([str(path)], Settings())
        assert after.errors == []
        still = [g for g in after.active if g.rule == f["rule"] and g.target.ref.name == f["object"]["name"]]
        assert still == [], (f["rule"], f["message"], [g.message for g in still])
        checked += 1
    assert checked >= 4


def test_evidence_fixes_clear_their_finding_in_a_new_audit(api: Server) -> None:
    doc, _ = audit_json(api)
    (f,) = by_rule(doc)["LLM101"]
    obj = api.cluster.find("Deployment", "ml", "vllm-llama3-8b")
    api.cluster.replace(apply_json_patch(obj, f["fix"]["json_patch"]))
    doc, _ = audit_json(api)
    assert "LLM101" not in by_rule(doc)  # the OOMKilled pod ran under the old limit


# ---- failures: one clear line, exit 2, no traceback, bounded time -----------------------------------


def _cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 40
) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.monotonic()
    p = subprocess.run(
        [PY, "-m", "llmlint", "audit", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    return p, time.monotonic() - t0


def test_unreachable_server_exits_2_within_30_seconds(api: Server) -> None:
    p, took = _cli("--kubeconfig", str(api.kubeconfig(current="dead")))
    assert p.returncode == 2
    assert took < 30
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr
    assert lines[0].startswith("llmlint: cannot reach the API server at https://127.0.0.1:")
    assert "connection refused" in lines[0]
    assert p.stdout == ""


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{{{ not yaml", "bad kubeconfig"),
        ("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n", "bad kubeconfig"),
        ("- just\n- a list\n", "bad kubeconfig"),
    ],
)
def test_bad_kubeconfig_is_one_line(tmp_path: Path, content: str, expected: str) -> None:
    kc = tmp_path / "kc.yaml"
    kc.write_text(content, encoding="utf-8")
    r = CliRunner().invoke(main, ["audit", "--kubeconfig", str(kc)])
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines


def test_missing_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    r = CliRunner().invoke(main, ["audit"])
    assert r.exit_code == 2 and "no kubeconfig" in r.stderr
    r = CliRunner().invoke(main, ["audit", "--kubeconfig", str(tmp_path / "nope.yaml")])
    assert r.exit_code == 2 and "no such file" in r.stderr
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "gone.yaml"))
    r = CliRunner().invoke(main, ["audit"])
    assert r.exit_code == 2 and "gone.yaml ($KUBECONFIG): no such file" in r.stderr


def test_kubeconfig_from_the_environment(
    api: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(api.kubeconfig()))
    r = CliRunner().invoke(main, ["audit", "--format", "json"])
    assert r.exit_code == 1 and "LLM003" in r.stdout
    # a list of files is merged, as kubectl does; a missing one is skipped
    monkeypatch.setenv("KUBECONFIG", f"{tmp_path / 'missing.yaml'}:{api.kubeconfig()}")
    r = CliRunner().invoke(main, ["audit", "--format", "json"])
    assert r.exit_code == 1 and "LLM003" in r.stdout
    # ~/.kube/config when nothing else is set
    monkeypatch.delenv("KUBECONFIG")
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(api.kubeconfig().read_text(), encoding="utf-8")
    r = CliRunner().invoke(main, ["audit", "--format", "json"])
    assert r.exit_code == 1 and "LLM003" in r.stdout


def test_in_cluster_configuration(api: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No kubeconfig, a service account mounted: the pod's token, CA and namespace are used."""
    from kubernetes.config import incluster_config

    from llmlint.sources import cluster

    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text(TOKEN, encoding="utf-8")
    (sa / "ca.crt").write_bytes(api.pki.ca_pem)
    (sa / "namespace").write_text("other", encoding="utf-8")
    monkeypatch.setattr(cluster, "INCLUSTER_TOKEN_FILE", str(sa / "token"))
    monkeypatch.setattr(cluster, "INCLUSTER_NAMESPACE_FILE", str(sa / "namespace"))
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(sa / "token"))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(sa / "ca.crt"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", api.url.rsplit(":", 1)[1])
    r = CliRunner().invoke(main, ["audit", "--format", "json"])
    assert r.exit_code == 1, r.stderr
    assert {f["object"]["name"] for f in json.loads(r.stdout)["findings"]} == {"vllm-other"}
    r = CliRunner().invoke(main, ["audit", "--context", "x"])
    assert r.exit_code == 2 and "--context needs a kubeconfig" in r.stderr


def test_wrong_token_and_wrong_ca(api: Server) -> None:
    r = audit("--kubeconfig", str(api.kubeconfig("t.yaml", token="wrong")))
    assert r.exit_code == 2 and "rejected the credentials (HTTP 401" in r.stderr
    r = audit("--kubeconfig", str(api.kubeconfig("ca.yaml", ca=api.pki.other_ca_pem)))
    assert r.exit_code == 2 and "TLS certificate verification failed" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_slow_server_times_out_with_a_clear_error(api: Server) -> None:
    api.cluster.slow["/api"] = 3.0
    t0 = time.monotonic()
    r = audit("--kubeconfig", str(api.kubeconfig()), "--timeout", "0.5")
    took = time.monotonic() - t0
    assert r.exit_code == 2 and "no answer within 0.5 s" in r.stderr
    assert took < 3


def test_server_that_never_answers_the_tls_handshake(api: Server) -> None:
    """TCP connects (the kernel's backlog), TLS never starts: the timeout still ends it, exit 2."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        port = s.getsockname()[1]
        kc = api.kubeconfig()
        kc.write_text(kc.read_text().replace(api.url, f"https://127.0.0.1:{port}"))
        t0 = time.monotonic()
        r = audit("--kubeconfig", str(kc), "--timeout", "1")
        took = time.monotonic() - t0
    assert r.exit_code == 2 and took < 4, (took, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the API server" in lines[0] and "1 s" in lines[0], lines


def test_slow_resource_gives_a_partial_result_with_a_warning(api: Server) -> None:
    api.cluster.slow["/events"] = 3.0
    t0 = time.monotonic()
    doc, r = audit_json(api, "--timeout", "0.5")
    assert time.monotonic() - t0 < 3
    assert (
        "warning: listing events in namespace ml failed" in r.stderr and "no answer within 0.5 s" in r.stderr
    )
    assert "LLM003" in by_rule(doc)


def test_trickling_server_does_not_hold_the_audit(api: Server) -> None:
    """Each read gets a byte before the read timeout: only a deadline on the whole request ends it."""
    api.cluster.trickle.add("/pods")
    t0 = time.monotonic()
    doc, r = audit_json(api, "--timeout", "0.5")
    assert time.monotonic() - t0 < 4
    assert "listing pods in namespace ml failed" in r.stderr and "no complete answer within 0.5 s" in r.stderr
    assert "LLM003" in by_rule(doc)


def test_dying_server_is_given_up_on_not_waited_for(api: Server) -> None:
    # every list times out: after two resources in a row the rest are skipped
    for frag in ("/deployments", "/statefulsets", "/daemonsets", "/replicasets", "/pods", "/jobs"):
        api.cluster.slow[frag] = 2.0
    t0 = time.monotonic()
    r = audit("--kubeconfig", str(api.kubeconfig()), "--timeout", "0.4")
    assert time.monotonic() - t0 < 4
    assert r.exit_code in (0, 1) and "Traceback" not in r.output
    assert "after 2 failed requests in a row; the audit is partial" in r.stderr


def test_closed_connections_and_malformed_json(api: Server) -> None:
    api.cluster.close.add("/deployments")
    api.cluster.malformed.add("/configmaps")
    doc, r = audit_json(api)
    assert (
        "listing deployments.apps in namespace ml failed" in r.stderr and "closed the connection" in r.stderr
    )
    assert "listing configmaps in namespace ml: malformed JSON" in r.stderr
    assert "Traceback" not in r.output
    assert doc["findings"] == []  # no Deployment could be read; the rest of the audit ran
    # the dropped connection was retried once, no more
    assert sum(1 for p in api.cluster.paths() if p.endswith("/deployments")) == 2


def test_malformed_discovery_answer(api: Server) -> None:
    api.cluster.malformed.add("/api")
    r = audit("--kubeconfig", str(api.kubeconfig()))
    assert r.exit_code == 2 and "did not answer as a Kubernetes API server" in r.stderr


def test_partial_page_is_kept(api: Server) -> None:
    dep = served(vllm_deployment("big", "ml"))
    api.cluster.objects += [dep, *pods_of(dep, [oom_status() for _ in range(4)], ["gpu-node-1"] * 4)]
    api.cluster.page_cap = 2

    # the second page of pods fails: the first two pods are kept, with a warning
    original = api.cluster.malformed

    class SecondPage(set[str]):
        def __iter__(self) -> Any:
            reqs = [q for q in api.cluster.requests if q.path.endswith("/pods")]
            if reqs and "continue" in reqs[-1].query:
                return iter({"/pods"})
            return iter(set())

    api.cluster.malformed = SecondPage()
    _, warnings = run_audit(AuditOptions(kubeconfig=str(api.kubeconfig()), timeout=5), Settings())
    api.cluster.malformed = original
    assert any("malformed JSON" in w and "kept the 2 objects" in w for w in warnings), warnings


# ---- the import budget and the progress display -----------------------------------------------------


def test_scan_does_not_import_kubernetes(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text(yaml.safe_dump(vllm_deployment()), encoding="utf-8")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from llmlint.cli import main\n"
        f"r = CliRunner().invoke(main, ['scan', {str(m)!r}])\n"
        "assert r.exit_code == 1, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('kubernetes', 'urllib3')))\n"
    )
    p = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"


def test_progress_on_a_terminal_only(api: Server, capfd: pytest.CaptureFixture[str]) -> None:
    result, _ = run_audit(AuditOptions(kubeconfig=str(api.kubeconfig()), progress=True), Settings())
    assert result.active
    result, _ = run_audit(AuditOptions(kubeconfig=str(api.kubeconfig()), progress=False), Settings())
    capfd.readouterr()
    r = audit("--kubeconfig", str(api.kubeconfig()), "--format", "json")
    assert r.stderr == ""  # not a terminal: nothing but warnings (none here) on stderr
