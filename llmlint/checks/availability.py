"""Disruptions and rollouts: how many replicas stay up while nodes drain and versions roll."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import new_object, replicas_anchor
from llmlint.checks.facts import gke_autopilot, is_context, server_name
from llmlint.graph.objects import PodTemplate, Workload, as_int, as_list, as_map, dig
from llmlint.graph.selectors import matches
from llmlint.lazyre import LazyRe
from llmlint.model import AddDocument, AppendItem, Edit, Finding, RemoveItem, SetValue
from llmlint.serving.server import Server

HOSTNAME = "kubernetes.io/hostname"

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


_NNODES = LazyRe(r"--nnodes[=\s]+[\"']?([^\s\"']+)")
_RAY_GROUP = LazyRe(r"\bray\s+start\b|--distributed-executor-backend[=\s]+ray|\bray\.init\(")
LWS_NAME_LABEL = "leaderworkerset.sigs.k8s.io/name"


def server_of(ctx: Context, w: Workload) -> Server | None:
    """The workload's inference server (its first), else its first GPU container."""
    found = ctx.servers_of_workload(w)
    return next((s for s in found if s.framework is not None), found[0] if found else None)


def workload_name(ctx: Context, w: Workload) -> str:
    s = server_of(ctx, w)
    return server_name(s) if s is not None and s.framework is not None else f"{w.kind} {w.obj.name}"


def pods_per_server(w: Workload) -> int | None:
    """How many pods of the workload form one server: 1 for replicas that each serve, N for a StatefulSet
    (or Deployment) whose pods run one server together (``torchrun --nnodes N``, a Ray cluster); None when
    the pods form a group of a size the manifest does not tell."""
    texts = [
        " ".join(str(x) for x in [*c.strings("command"), *c.strings("args")])
        for t in w.templates
        for c in t.all_containers()
    ]
    for text in texts:
        m = _NNODES.search(text)
        if m:
            n = as_int(m.group(1))
            return n if n is not None and n >= 1 else None
    if any(_RAY_GROUP.search(text) for text in texts):
        return None  # a Ray cluster's pods form one server of whatever size Ray is given
    return 1


def _free_name(ctx: Context, kind: str, namespace: str, base: str) -> str:
    taken = {o.name for o in ctx.graph.of_kind(kind, namespace)}
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    return name


@check("LLM005")
def missing_pdb(ctx: Context) -> Iterator[Finding]:
    for w in serving_workloads(ctx):
        if is_context(w.obj):
            continue
        n = replicas_of(ctx, w)
        if n is None or n < 2 or pdbs_for(ctx, w):
            continue
        if w.kind == "LeaderWorkerSet":
            unit, servers = "groups", n
        else:
            per = pods_per_server(w)
            if per is None or per > 1:
                continue  # the pods are one multi-node server, not replicas: a PDB cannot keep one serving
            unit, servers = "replicas", n
        fix = None
        ns = w.obj.namespace
        name = _free_name(ctx, "PodDisruptionBudget", ns, f"{w.obj.name}-pdb")
        if w.kind == "LeaderWorkerSet":
            # One pod at a time: evicting one restarts its whole group, whose pods are then unavailable, so
            # no pod of another group is evicted until that group serves again.
            spec: dict[str, Any] = {
                "maxUnavailable": 1,
                "selector": {"matchLabels": {LWS_NAME_LABEL: w.obj.name}},
            }
            fix = make_fix(
                "safe",
                f"add PodDisruptionBudget {name} (maxUnavailable: 1 over the groups' pods: one group down at a time)",
                AddDocument(w.obj.target, new_object("policy/v1", "PodDisruptionBudget", name, w.obj, spec)),
            )
        else:
            labels = pod_selector_labels(w)
            if labels:
                spec = {"minAvailable": 1, "selector": {"matchLabels": labels}}
                pdb = new_object("policy/v1", "PodDisruptionBudget", name, w.obj, spec)
                fix = make_fix(
                    "safe",
                    f"add PodDisruptionBudget {name} (minAvailable: 1)",
                    AddDocument(w.obj.target, pdb),
                )
        msg = (
            f"{servers} {unit} of {workload_name(ctx, w)} and no PodDisruptionBudget: a node drain may evict all "
            "of them at once, each reloading its model for minutes"
        )
        yield ctx.finding("LLM005", w.obj, replicas_anchor(w), msg, fix=fix)


def _spreads_over_hosts(t: PodTemplate) -> bool:
    aff = as_map(dig(t.spec, "affinity", "podAntiAffinity"))
    for term in as_list(aff.get("requiredDuringSchedulingIgnoredDuringExecution")):
        if isinstance(term, dict) and term.get("topologyKey") == HOSTNAME:
            return True
    for term in as_list(aff.get("preferredDuringSchedulingIgnoredDuringExecution")):
        if isinstance(term, dict) and dig(term, "podAffinityTerm", "topologyKey") == HOSTNAME:
            return True
    for tsc in as_list(t.spec.get("topologySpreadConstraints")):
        if isinstance(tsc, dict) and tsc.get("topologyKey") == HOSTNAME:
            return True
    return False


@check("LLM017")
def replicas_share_a_node(ctx: Context) -> Iterator[Finding]:
    for w in serving_workloads(ctx):
        n = replicas_of(ctx, w)
        if n is None or n < 2 or w.kind == "LeaderWorkerSet" or is_context(w.obj) or pods_per_server(w) != 1:
            continue
        for t in w.templates:
            if _spreads_over_hosts(t) or t.gpus() >= 8:
                continue  # spread, or a pod that takes a whole node's GPUs cannot share one
            labels = pod_selector_labels(w)
            fix = None
            if labels:
                term = {
                    "weight": 100,
                    "podAffinityTerm": {"labelSelector": {"matchLabels": labels}, "topologyKey": HOSTNAME},
                }
                fix = make_fix(
                    "safe",
                    "add a preferred podAntiAffinity on kubernetes.io/hostname",
                    AppendItem(
                        w.obj.target,
                        (
                            *t.spec_path,
                            "affinity",
                            "podAntiAffinity",
                            "preferredDuringSchedulingIgnoredDuringExecution",
                        ),
                        term,
                    ),
                )
            msg = (
                f"{n} replicas of {workload_name(ctx, w)} and no anti-affinity or spread on kubernetes.io/hostname: "
                "they may share one node and fail together"
            )
            yield ctx.finding("LLM017", w.obj, replicas_anchor(w), msg, fix=fix)


def _percent_or_int(v: Any, total: int, round_up: bool) -> int | None:
    if isinstance(v, str) and v.endswith("%"):
        try:
            pct = float(v[:-1])
        except ValueError:
            return None
        x = total * pct / 100
        return math.ceil(x) if round_up else math.floor(x)
    return as_int(v)


@check("LLM018")
def pdb_blocks_drain(ctx: Context) -> Iterator[Finding]:
    for w in serving_workloads(ctx):
        n = replicas_of(ctx, w)
        if n is None:
            continue
        for pdb in pdbs_for(ctx, w):
            spec = as_map(pdb.data.get("spec"))
            if "maxUnavailable" in spec:
                allowed = _percent_or_int(spec["maxUnavailable"], n, round_up=True)
                key = "maxUnavailable"
                new: int | str = 1
            elif "minAvailable" in spec:
                need = _percent_or_int(spec["minAvailable"], n, round_up=True)
                allowed = None if need is None else n - need
                key = "minAvailable"
                new = max(n - 1, 0) if as_int(spec["minAvailable"]) is not None else "50%"
            else:
                continue
            if allowed is None or allowed > 0:
                continue
            if is_context(pdb):
                continue
            msg = (
                f"PodDisruptionBudget {pdb.name} allows no disruption of {w.obj.name} ({key}: {spec[key]}, "
                f"{n} replica{'s' if n != 1 else ''}): node drains and cluster upgrades hang"
            )
            fix = make_fix(
                "safe",
                f"set {key}: {new} so one pod may move at a time",
                SetValue(pdb.target, ("spec", key), new),
            )
            yield ctx.finding("LLM018", pdb, ("spec", key), msg, fix=fix)


def recreate_edits(w: Workload) -> list[Edit]:
    """Edits that give a Deployment the Recreate strategy (one per path, so json_patch never adds a parent
    twice); LLM006 and LLM019 offer the same edits, so applying both changes nothing twice."""
    tgt = w.obj.target
    strategy = dig(w.obj.data, "spec", "strategy")
    if not isinstance(strategy, dict):
        return [SetValue(tgt, ("spec", "strategy"), {"type": "Recreate"})]
    edits: list[Edit] = [SetValue(tgt, ("spec", "strategy", "type"), "Recreate")]
    if "rollingUpdate" in strategy:
        edits.append(RemoveItem(tgt, ("spec", "strategy", "rollingUpdate")))
    return edits


# Objects that set a workload's replica count through ``spec.scaleTargetRef``: the HPA, KEDA's ScaledObject,
# AIBrix's PodAutoscaler (``autoscaling.aibrix.ai``) and Knative's (KServe serverless) PodAutoscaler.
AUTOSCALER_KINDS = ("HorizontalPodAutoscaler", "ScaledObject", "PodAutoscaler")
_COMMENTED_REPLICAS = LazyRe(r"^[ \t]*#[ \t]*replicas[ \t]*:", re.MULTILINE)


def autoscaled(ctx: Context, w: Workload) -> bool:
    """Does an autoscaler of the scan target the workload (its replica count is then the autoscaler's)?
    One that allows at most one replica (``maxReplicas: 1``) leaves it at one."""
    for kind in AUTOSCALER_KINDS:
        for a in ctx.graph.of_kind(kind, w.obj.namespace):
            spec = as_map(a.data.get("spec"))
            ref = as_map(spec.get("scaleTargetRef"))
            if ref.get("name") != w.obj.name or ref.get("kind", "Deployment") != w.kind:
                continue
            most = as_int(spec.get("maxReplicas", spec.get("maxReplicaCount")))  # KEDA: maxReplicaCount
            if most != 1:
                return True
    return False


def one_replica(ctx: Context, w: Workload) -> bool:
    """Is the replica count known to be 1: ``replicas: 1`` written, or no count at all (the API's default)
    with no autoscaler targeting the workload and no ``# replicas:`` line the author commented out?"""
    if w.replicas_path is None or autoscaled(ctx, w):
        return False
    raw = dig(w.obj.data, *w.replicas_path)
    if raw is not None:
        return as_int(raw) == 1
    doc = w.obj.doc
    return doc is None or _COMMENTED_REPLICAS.search(doc.text) is None


@check("LLM019")
def rollout_needs_spare_gpus(ctx: Context) -> Iterator[Finding]:
    for w in serving_workloads(ctx):
        if w.kind != "Deployment" or is_context(w.obj):
            continue
        gpus_per_pod = max((t.gpus() for t in w.templates), default=0)
        if gpus_per_pod <= 0 or any(gke_autopilot(t) for t in w.templates):
            continue  # GKE Autopilot provisions a node for the surge pod
        strategy_raw = dig(w.obj.data, "spec", "strategy")
        strategy = as_map(strategy_raw)
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            continue
        single = one_replica(ctx, w)
        n = 1 if single else (replicas_of(ctx, w) or 1)  # unknown: at least one pod
        ru_raw = strategy.get("rollingUpdate")
        ru = as_map(ru_raw)
        raw = ru.get("maxSurge", "25%")
        surge = _percent_or_int(raw, n, round_up=True)
        if surge is None or surge <= 0:
            continue
        spare = surge * gpus_per_pod
        tgt = w.obj.target
        if not single:
            # One edit per path that exists, so that the RFC 6902 rendering never adds a parent twice.
            edits: list[Edit]
            want = {"maxSurge": 0, "maxUnavailable": 1}
            if isinstance(ru_raw, dict):
                edits = [SetValue(tgt, ("spec", "strategy", "rollingUpdate", k), v) for k, v in want.items()]
            elif isinstance(strategy_raw, dict):
                edits = [SetValue(tgt, ("spec", "strategy", "rollingUpdate"), want)]
            else:
                edits = [
                    SetValue(tgt, ("spec", "strategy"), {"type": "RollingUpdate", "rollingUpdate": want})
                ]
            fix = make_fix(
                "unsafe", "roll one pod at a time without extra GPUs: maxSurge: 0, maxUnavailable: 1", *edits
            )
        else:
            fix = make_fix(
                "unsafe",
                "use the Recreate strategy (one replica: the old pod stops before the new one starts)",
                *recreate_edits(w),
            )
        # a percentage of a count that is not known: at least one pod
        least = "at least " if not single and n < 2 and isinstance(raw, str) else ""
        pods, gpus = f"{surge} extra pod{'s' if surge != 1 else ''}", f"{spare} spare GPU{'s' if spare != 1 else ''}"
        msg = (
            f"RollingUpdate (maxSurge {raw}) of {workload_name(ctx, w)} starts {least}{pods} first: a rollout "
            f"needs {least}{gpus} or stays Pending"
        )
        at = ("spec", "strategy", "rollingUpdate", "maxSurge") if "maxSurge" in ru else ("metadata", "name")
        yield ctx.finding("LLM019", w.obj, at, msg, fix=fix)


@check("LLM024")
def cpu_autoscaling_on_gpu_server(ctx: Context) -> Iterator[Finding]:
    for w in serving_workloads(ctx):
        for hpa in ctx.graph.of_kind("HorizontalPodAutoscaler", w.obj.namespace):
            ref = as_map(dig(hpa.data, "spec", "scaleTargetRef"))
            if ref.get("kind") != w.kind or ref.get("name") != w.obj.name or is_context(hpa):
                continue
            spec = as_map(hpa.data.get("spec"))
            lo, hi = as_int(spec.get("minReplicas", 1)), as_int(spec.get("maxReplicas"))
            if lo is not None and hi is not None and hi <= lo:
                continue  # it never scales, on any metric
            at: tuple[str | int, ...] | None = None
            what = ""
            if "targetCPUUtilizationPercentage" in spec:
                at, what = ("spec", "targetCPUUtilizationPercentage"), "CPU"
            metrics = as_list(spec.get("metrics"))
            for i, m in enumerate(metrics):
                name = (
                    dig(m, "resource", "name")
                    if isinstance(m, dict) and m.get("type") == "Resource"
                    else None
                )
                if name in ("cpu", "memory"):
                    at, what = ("spec", "metrics", i, "resource", "name"), str(name)
                    break
            if at is None and not metrics and "targetCPUUtilizationPercentage" not in spec:
                at, what = ("spec", "scaleTargetRef"), "CPU (the default)"
            if at is None:
                continue
            msg = (
                f"HorizontalPodAutoscaler {hpa.name} scales {workload_name(ctx, w)} on {what}: a GPU server "
                "saturates on queue depth and KV cache first, so it scales late or never"
            )
            yield ctx.finding("LLM024", hpa, at, msg)
