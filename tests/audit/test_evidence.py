"""LLM101–LLM105 (live-cluster evidence) and how listed objects become linted objects and evidence."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from llmlint.audit import AuditOptions, facts_from_objects, run_audit
from llmlint.catalog import rules
from llmlint.checks.evidence import quantity
from llmlint.engine import Settings, analyse, scan
from llmlint.fixes.patch import apply_json_patch
from llmlint.model import Finding, SetValue

from .conftest import Server, node, oom_status, pods_of, running_status, served, vllm_deployment

EVIDENCE = ["LLM101", "LLM102", "LLM103", "LLM104", "LLM105"]


def audit_objects(objects: list[dict[str, Any]], rule: str | None = None) -> list[Finding]:
    facts, linted = facts_from_objects(objects)
    result = analyse([], Settings(select=[rule] if rule else None), extra=linted, cluster=facts)
    assert result.errors == []
    return [f for f in result.active if rule is None or f.rule == rule]


def _examples(kind: str) -> list[tuple[str, int, str]]:
    out = []
    for rid in EVIDENCE:
        r = rules()[rid]
        for i, ex in enumerate(r.bad if kind == "bad" else r.good):
            out.append((rid, i, ex.manifest))
    return out


@pytest.mark.parametrize(("rule", "index", "manifest"), _examples("bad"), ids=lambda v: str(v)[:8])
def test_every_bad_example_fires(rule: str, index: int, manifest: str) -> None:
    found = audit_objects(list(yaml.safe_load_all(manifest)), rule)
    assert len(found) == 1, [f.message for f in found]
    f = found[0]
    assert f.target.ref.kind == "Deployment"  # the owning workload, never a pod
    assert f.target.source == "cluster"


@pytest.mark.parametrize(("rule", "index", "manifest"), _examples("good"), ids=lambda v: str(v)[:8])
def test_no_good_example_fires(rule: str, index: int, manifest: str) -> None:
    assert audit_objects(list(yaml.safe_load_all(manifest)), rule) == []


def test_catalog_entries() -> None:
    for rid in EVIDENCE:
        r = rules()[rid]
        assert r.audit_only and r.family == "evidence" and r.bad and r.good and r.references


def test_scan_never_reports_evidence_rules(tmp_path: Path) -> None:
    """The examples hold pods with status and events; ``scan`` runs no audit-only rule on them."""
    for rid in EVIDENCE:
        for i, ex in enumerate(rules()[rid].bad):
            p = tmp_path / f"{rid}-{i}.yaml"
            p.write_text(ex.manifest, encoding="utf-8")
    result = scan([str(tmp_path)], Settings())
    assert not [f for f in result.findings if f.rule.startswith("LLM1")]


def test_evidence_rules_yield_nothing_without_cluster_facts() -> None:
    from llmlint.checks import Context, load_all
    from llmlint.graph.index import build

    _, linted = facts_from_objects(list(yaml.safe_load_all(rules()["LLM101"].bad[0].manifest)))
    ctx = Context(build([], linted), {}, None)
    for rid in EVIDENCE:
        assert list(load_all()[rid](ctx)) == []


def test_messages_cite_what_was_observed() -> None:
    msgs = {
        rid: audit_objects(list(yaml.safe_load_all(rules()[rid].bad[0].manifest)), rid)[0].message
        for rid in EVIDENCE
    }
    assert (
        "3 restarts" in msgs["LLM101"]
        and "2026-11-30 10:01:40 UTC" in msgs["LLM101"]
        and "gpu-node-1" in msgs["LLM101"]
    )
    assert "took 500 s" in msgs["LLM102"] and "600 s" in msgs["LLM102"]
    assert (
        "14 FailedAttachVolume" in msgs["LLM103"]
        and "pvc-3f2a9c1e" in msgs["LLM103"]
        and "11:42:10" in msgs["LLM103"]
    )
    assert "gpu-node-1" in msgs["LLM104"] and "0 free" in msgs["LLM104"] and "maxSurge 25%" in msgs["LLM104"]
    assert "l4-node-1" in msgs["LLM105"] and "24 GiB" in msgs["LLM105"] and "140 GB" in msgs["LLM105"]
    restarts = audit_objects(list(yaml.safe_load_all(rules()["LLM102"].bad[1].manifest)), "LLM102")[0]
    assert "4 restarts" in restarts.message and "120 'startup probe failed' events" in restarts.message


# ---- fixes, checked the way a user would: patch the live object, audit again --------------------------


def _reaudit_after_fix(objects: list[dict[str, Any]], rule: str) -> tuple[Finding, list[Finding]]:
    facts, linted = facts_from_objects(objects)
    result = analyse([], Settings(select=[rule]), extra=linted, cluster=facts)
    from llmlint.fixes.run import annotate

    annotate(result)
    (f,) = result.active
    assert f.fix is not None and f.fix.json_patch
    ref = f.target.ref
    patched = []
    for o in objects:
        md = o.get("metadata", {})
        if o.get("kind") == ref.kind and md.get("name") == ref.name and md.get("namespace") == ref.namespace:
            o = apply_json_patch(o, f.fix.json_patch)
        patched.append(o)
    return f, audit_objects(patched, rule)


@pytest.mark.parametrize(
    ("rule", "index"), [("LLM101", 0), ("LLM102", 0), ("LLM102", 1), ("LLM103", 0), ("LLM104", 0)]
)
def test_json_patch_of_an_evidence_finding_clears_it(rule: str, index: int) -> None:
    objects = list(yaml.safe_load_all(rules()[rule].bad[index].manifest))
    f, after = _reaudit_after_fix(objects, rule)
    assert after == [], (f.message, [g.message for g in after])


def test_llm105_pins_a_bigger_gpu_of_the_cluster() -> None:
    objects = list(yaml.safe_load_all(rules()["LLM105"].bad[0].manifest))
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "h100-1", "labels": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}},
            "status": {
                "allocatable": {"nvidia.com/gpu": "8"},
                "conditions": [{"type": "Ready", "status": "True"}],
            },
        }
    )
    f, after = _reaudit_after_fix(objects, "LLM105")
    assert f.fix is not None and f.fix.json_patch == [
        {
            "op": "add",
            "path": "/spec/template/spec/nodeSelector",
            "value": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        }
    ]
    assert after == []


def test_llm104_counts_cordoned_unready_and_other_namespaces() -> None:
    base = list(yaml.safe_load_all(rules()["LLM104"].good[1].manifest))  # fits: 4 free on gpu-node-2
    assert audit_objects(base, "LLM104") == []
    for change in ("cordon", "unready", "busy"):
        objs = copy.deepcopy(base)
        n = objs[1]
        if change == "cordon":
            n["spec"] = {"unschedulable": True}
            assert audit_objects(objs, "LLM104")
        elif change == "unready":
            n["status"]["conditions"][0]["status"] = "False"
            assert audit_objects(objs, "LLM104")
        else:
            other = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "x", "namespace": "team-b"},
                "spec": {
                    "nodeName": "gpu-node-2",
                    "containers": [{"name": "c", "resources": {"limits": {"nvidia.com/gpu": "2"}}}],
                },
                "status": {"phase": "Running"},
            }
            facts, linted = facts_from_objects(objs, namespace="ml", other_pods=[other])
            result = analyse([], Settings(select=["LLM104"]), extra=linted, cluster=facts)
            (f,) = result.active
            assert "2 free" in f.message


def test_quantity() -> None:
    assert quantity("32Gi") == 32 * 2**30
    assert quantity("500M") == 500e6
    assert quantity("1.5") == 1.5 and quantity(2) == 2
    assert quantity("lots") is None and quantity(None) is None and quantity(True) is None


# ---- what is linted, and what is evidence only ---------------------------------------------------------


def test_owned_objects_are_evidence_not_linted() -> None:
    dep = served(vllm_deployment())
    objs = [dep, *pods_of(dep, [running_status(), oom_status()], ["n1", "n2"])]
    cron = served(
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "warm", "namespace": "ml"},
            "spec": {
                "schedule": "* * * * *",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "spec": {
                                "containers": [{"name": "c", "image": "busybox"}],
                                "restartPolicy": "Never",
                            }
                        }
                    }
                },
            },
        }
    )
    job = served(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "warm-29000000", "namespace": "ml"},
            "spec": {
                "template": {
                    "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "Never"}
                }
            },
        },
        owner=cron,
    )
    bare = served(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "debug", "namespace": "ml"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        }
    )
    facts, linted = facts_from_objects([*objs, cron, job, bare])
    assert sorted((o.kind, o.name) for o in linted) == [
        ("CronJob", "warm"),
        ("Deployment", "vllm-llama3-8b"),
        ("Pod", "debug"),
    ]
    for o in linted:
        assert "status" not in o.data and "managedFields" not in o.data["metadata"]
    (d,) = [o for o in linted if o.kind == "Deployment"]
    assert len(facts.pods_of(d)) == 2
    assert all("status" in p for p in facts.pods_of(d))  # evidence keeps its status
    (b,) = [o for o in linted if o.kind == "Pod"]
    assert [p["metadata"]["name"] for p in facts.pods_of(b)] == ["debug"]


def test_pods_found_without_uids_by_name_and_labels() -> None:
    dep = vllm_deployment()
    rs_owned = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "a",
            "namespace": "ml",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "vllm-llama3-8b-abc123", "controller": True}],
        },
        "spec": {},
    }
    by_label = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "b",
            "namespace": "ml",
            "labels": {"app": "vllm-llama3-8b"},
            "ownerReferences": [{"kind": "Something", "name": "x", "controller": True}],
        },
        "spec": {},
    }
    facts, linted = facts_from_objects([dep, rs_owned, by_label])
    assert [o.kind for o in linted] == ["Deployment"]
    assert sorted(p["metadata"]["name"] for p in facts.pods_of(linted[0])) == ["a", "b"]


# ---- through the API server -----------------------------------------------------------------------------


def _lws(name: str = "llama-405b") -> dict[str, Any]:
    tpl = {
        "metadata": {"labels": {"app": name}},
        "spec": {
            "containers": [
                {
                    "name": "vllm",
                    "image": "vllm/vllm-openai:v0.10.1",
                    "args": [
                        "--model=meta-llama/Llama-3.1-405B-Instruct-FP8",
                        "--gpu-memory-utilization=0.98",
                        "--tensor-parallel-size=8",
                        "--pipeline-parallel-size=2",
                    ],
                    "resources": {
                        "limits": {"nvidia.com/gpu": "8", "memory": "1Ti"},
                        "requests": {"nvidia.com/gpu": "8", "memory": "1Ti"},
                    },
                }
            ]
        },
    }
    return {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": {"name": name, "namespace": "ml"},
        "spec": {"replicas": 1, "leaderWorkerTemplate": {"size": 2, "workerTemplate": tpl}},
    }


def test_custom_resources_when_served(api: Server) -> None:
    lws = served(_lws())
    sts = served(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "llama-405b", "namespace": "ml"},
            "spec": {
                "replicas": 1,
                "serviceName": "llama-405b",
                "selector": {"matchLabels": {"app": "llama-405b"}},
                "template": copy.deepcopy(lws["spec"]["leaderWorkerTemplate"]["workerTemplate"]),
            },
        },
        owner=lws,
    )
    api.cluster.objects += [lws, sts]
    kc = str(api.kubeconfig())
    result, warnings = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM003"]))
    assert warnings == []
    names = sorted((f.target.ref.kind, f.target.ref.name) for f in result.active)
    # the StatefulSet the LeaderWorkerSet owns is not linted a second time
    assert names == [("Deployment", "vllm-llama3-8b"), ("LeaderWorkerSet", "llama-405b")]

    api.cluster.custom = False
    api.cluster.requests.clear()
    result, warnings = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM003"]))
    assert warnings == []
    assert not any("leaderworkerset" in p or "kserve" in p for p in api.cluster.paths())
    # not served: the StatefulSet's owner is unknown to the audit, so the StatefulSet is what gets linted
    assert sorted(str(f.target.ref.kind) for f in result.active) == ["Deployment", "StatefulSet"]


def test_slow_start_through_the_api_server(api: Server) -> None:
    dep = vllm_deployment("vllm-slow")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["startupProbe"] = {
        "httpGet": {"path": "/health", "port": 8000},
        "periodSeconds": 10,
        "failureThreshold": 60,
    }
    d = served(dep)
    api.cluster.objects += [
        d,
        *pods_of(d, [running_status("2026-11-30T10:00:00Z", "2026-11-30T10:09:10Z")], ["gpu-node-1"]),
    ]
    kc = str(api.kubeconfig())
    result, _ = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM102"]))
    (f,) = result.active
    assert "took 550 s" in f.message and f.target.ref.name == "vllm-slow"
    assert f.fix is not None and f.fix.json_patch == [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/startupProbe/failureThreshold",
            "value": 83,
        }
    ]
    api.cluster.replace(apply_json_patch(api.cluster.find("Deployment", "ml", "vllm-slow"), f.fix.json_patch))
    result, _ = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM102"]))
    assert result.active == []


def test_no_spare_gpus_through_the_api_server(api: Server) -> None:
    # gpu-node-1 and -2 have 2 GPUs each, one used on each: a 2-GPU pod fits nowhere
    dep = vllm_deployment("vllm-tp2")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    c["args"].append("--tensor-parallel-size=2")
    c["resources"]["limits"]["nvidia.com/gpu"] = c["resources"]["requests"]["nvidia.com/gpu"] = "2"
    dep["spec"]["replicas"] = 1
    d = served(dep)
    api.cluster.objects += [d, node("gpu-node-3", cordoned=True)]
    kc = str(api.kubeconfig())
    result, _ = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM104"]))
    (f,) = result.active
    assert f.target.ref.name == "vllm-tp2"
    assert "2 free" in f.message and "2 schedulable nodes" in f.message
    assert f.fix is not None and f.fix.json_patch == [
        {"op": "replace", "path": "/spec/strategy", "value": {"type": "Recreate"}}
    ]
    api.cluster.replace(apply_json_patch(api.cluster.find("Deployment", "ml", "vllm-tp2"), f.fix.json_patch))
    result, _ = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM104"]))
    assert result.active == []


def _slow_start_objects() -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(rules()["LLM102"].bad[1].manifest))  # killed by a 300 s startupProbe


def test_llm102_ignores_crashes_and_readiness_flaps() -> None:
    objs = _slow_start_objects()
    assert audit_objects(objs, "LLM102")
    # a crash of its own (exit 1, a bad flag) with no probe failures is not a slow start
    crash = copy.deepcopy(objs[:2])
    crash[1]["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] = 1
    assert audit_objects(crash, "LLM102") == []
    # killed by the kubelet (exit 137) without events: still counted
    assert audit_objects(copy.deepcopy(objs[:2]), "LLM102")
    # Ready long after the budget: the startup probe passed in time, readiness came later
    flap = list(yaml.safe_load_all(rules()["LLM102"].good[0].manifest))
    flap[1]["status"]["conditions"][0]["lastTransitionTime"] = "2026-12-01T10:00:00Z"
    assert audit_objects(flap, "LLM102") == []


def test_llm102_without_a_startup_probe_adds_one() -> None:
    objs = _slow_start_objects()
    c = objs[0]["spec"]["template"]["spec"]["containers"][0]
    c["livenessProbe"] = c.pop("startupProbe")
    objs[1]["spec"]["containers"][0].pop("startupProbe")
    objs[2]["message"] = "Liveness probe failed: HTTP probe failed with statuscode: 503"
    (f,) = audit_objects(objs, "LLM102")
    assert "there is no startupProbe" in f.message and "'liveness probe failed' events" in f.message
    assert f.fix is not None
    (edit,) = f.fix.edits
    assert isinstance(edit, SetValue) and edit.path[-1] == "startupProbe"
    assert edit.value["failureThreshold"] * 10 >= 350 * 1.5


def test_gpus_used_by_other_namespaces_count(api: Server) -> None:
    """A namespace-scoped audit counts the GPUs that pods of other namespaces hold on the nodes."""
    kc = str(api.kubeconfig())
    result, _ = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM104"]))
    assert result.active == []  # one GPU free on each node: the 1-GPU surge pod fits
    other = served(vllm_deployment("batch", "team-b"))
    api.cluster.objects += pods_of(other, [running_status(), running_status()], ["gpu-node-1", "gpu-node-2"])
    result, warnings = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM104"]))
    assert warnings == []
    (f,) = result.active
    assert f.target.ref.name == "vllm-llama3-8b" and "have 0 free" in f.message
    # pods of other namespaces not readable: said once, and the audited namespace's pods are counted
    api.cluster.forbidden_cluster_wide.add("pods")
    result, warnings = run_audit(AuditOptions(kubeconfig=kc), Settings(select=["LLM104"]))
    assert warnings == [
        "cannot list pods in all namespaces (forbidden): free GPUs are counted from namespace ml's pods only"
    ]
    assert result.active == []
