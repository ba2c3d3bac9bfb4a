"""Disruptions and rollouts: how many replicas stay up while nodes drain and versions roll."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.graph.objects import Workload, as_int, dig
from llmlint.graph.selectors import matches
from llmlint.model import AddDocument, Finding

LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "LeaderWorkerSet", "InferenceService"})


def serving_workloads(ctx: Context) -> list[Workload]:
    """Long-running workloads with at least one inference server or GPU container."""
    seen: dict[int, Workload] = {}
    for s in ctx.servers:
        w = s.container.template.workload
        if w.kind in LONG_RUNNING:
            seen.setdefault(id(w), w)
    return list(seen.values())


def hpa_min_replicas(ctx: Context, w: Workload) -> int | None:
    for hpa in ctx.graph.of_kind("HorizontalPodAutoscaler", w.obj.namespace):
        ref = dig(hpa.data, "spec", "scaleTargetRef")
        if isinstance(ref, dict) and ref.get("kind") == w.kind and ref.get("name") == w.obj.name:
            m = as_int(dig(hpa.data, "spec", "minReplicas"))
            return 1 if m is None else m
    return None


def replicas_of(ctx: Context, w: Workload) -> int | None:
    hpa = hpa_min_replicas(ctx, w)
    return hpa if hpa is not None else w.replicas


def pod_selector_labels(w: Workload) -> dict[str, str]:
    """Labels that select the workload's pods, for a new PDB: its matchLabels, else its pods' labels."""
    sel = w.selector or {}
    ml = sel.get("matchLabels")
    if isinstance(ml, dict) and ml and not sel.get("matchExpressions"):
        return {str(k): str(v) for k, v in ml.items()}
    if w.kind == "LeaderWorkerSet":
        return {"leaderworkerset.sigs.k8s.io/name": w.obj.name}
    labels: dict[str, str] = {}
    for t in w.templates:
        labels = dict(t.labels) if not labels else {k: v for k, v in labels.items() if t.labels.get(k) == v}
    return labels


def pdbs_for(ctx: Context, w: Workload) -> list[Any]:
    out = []
    for pdb in ctx.graph.of_kind("PodDisruptionBudget", w.obj.namespace):
        sel = dig(pdb.data, "spec", "selector")
        if any(matches(sel, t.labels) for t in w.templates) or (
            w.kind == "LeaderWorkerSet" and matches(sel, {"leaderworkerset.sigs.k8s.io/name": w.obj.name})
        ):
            out.append(pdb)
    return out


@check("LLM005")
def missing_pdb(ctx: Context) -> Iterator[Finding]:
    for w in serving_workloads(ctx):
        n = replicas_of(ctx, w)
        if n is None or n < 2 or pdbs_for(ctx, w):
            continue
        labels = pod_selector_labels(w)
        fix = None
        if labels:
            md: dict[str, Any] = {"name": f"{w.obj.name}-pdb"}
            if w.obj.ref.namespace:
                md["namespace"] = w.obj.ref.namespace
            pdb = {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": md,
                "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
            }
            fix = make_fix("safe", f"add PodDisruptionBudget {md['name']} (minAvailable: 1)", AddDocument(w.obj.target, pdb))
        unit = "groups" if w.kind == "LeaderWorkerSet" else "replicas"
        msg = (
            f"{n} {unit} and no PodDisruptionBudget selects their pods: a node drain or cluster upgrade may "
            "evict all of them at once, and each takes minutes to load its model again"
        )
        at = w.replicas_path if w.replicas_path and dig(w.obj.data, *w.replicas_path) is not None else ("metadata", "name")
        yield ctx.finding("LLM005", w.obj, at, msg, fix=fix)
