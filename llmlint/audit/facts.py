"""What only a cluster knows: the pods of each workload (with status), events, nodes, GPUs in use.

``facts_from_objects`` splits the listed objects into the ones the rules lint (workloads and the objects
they link to, without ``status`` and ``metadata.managedFields``) and the evidence the LLM1xx rules read.
Pods a controller owns, ReplicaSets a Deployment owns and Jobs a CronJob owns are evidence only: linted
too, they would repeat every finding of their owner. No ``kubernetes`` import here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from llmlint.graph.index import WORKLOAD_KINDS
from llmlint.graph.objects import K8sObject, as_int, as_list, as_map, dig
from llmlint.graph.selectors import matches
from llmlint.model import ObjectRef, Target

JsonMap = dict[str, Any]
SOURCE = "cluster"
# Kinds the rules read (everything else listed is evidence only).
LINTED_KINDS = WORKLOAD_KINDS | {
    "PersistentVolumeClaim",
    "ConfigMap",
    "Service",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "NetworkPolicy",
}
# Labels that tie pods to a custom workload when the owner chain does not reach it.
_OWNER_LABELS = {
    "LeaderWorkerSet": "leaderworkerset.sigs.k8s.io/name",
    "InferenceService": "serving.kserve.io/inferenceservice",
}


def _md(o: JsonMap) -> JsonMap:
    return as_map(o.get("metadata"))


def _key(kind: str, ns: str, name: str) -> tuple[str, str, str]:
    return (kind, ns, name)


def key_of(o: JsonMap) -> tuple[str, str, str]:
    md = _md(o)
    return _key(str(o.get("kind") or ""), str(md.get("namespace") or ""), str(md.get("name") or ""))


def controller_ref(o: JsonMap) -> JsonMap | None:
    refs = [r for r in as_list(_md(o).get("ownerReferences")) if isinstance(r, dict)]
    for r in refs:
        if r.get("controller") is True:
            return r
    return refs[0] if len(refs) == 1 else None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def stripped(o: JsonMap) -> JsonMap:
    """The object as the rules see it: no ``status``, no ``metadata.managedFields``."""
    out = {k: v for k, v in o.items() if k != "status"}
    md = o.get("metadata")
    if isinstance(md, dict) and "managedFields" in md:
        out["metadata"] = {k: v for k, v in md.items() if k != "managedFields"}
    return out


@dataclass
class ClusterFacts:
    """Evidence for the LLM1xx rules (``Context.cluster`` during ``audit``)."""

    pods: list[JsonMap] = field(default_factory=list)
    events: list[JsonMap] = field(default_factory=list)
    nodes: dict[str, JsonMap] = field(default_factory=dict)
    # every pod known to run on the nodes (for free-GPU arithmetic), the audited ones included
    node_pods: list[JsonMap] = field(default_factory=list)
    namespace: str | None = None  # the audit's scope; None: all namespaces
    _pods_of: dict[Target, list[JsonMap]] = field(default_factory=lambda: defaultdict(list))
    _events_of: dict[tuple[str, str], list[JsonMap]] = field(default_factory=lambda: defaultdict(list))
    _gpus_used: dict[str, dict[str, int]] = field(default_factory=dict)

    def gpus_used(self, key: str) -> dict[str, int]:
        """``key`` GPUs (``nvidia.com/gpu``) that the pods on each node hold (pods not yet finished)."""
        if key not in self._gpus_used:
            used: dict[str, int] = {}
            for pod in self.node_pods:
                node = dig(pod, "spec", "nodeName")
                if not isinstance(node, str) or dig(pod, "status", "phase") in ("Succeeded", "Failed"):
                    continue
                used[node] = used.get(node, 0) + _pod_gpus(pod, key)
            self._gpus_used[key] = used
        return self._gpus_used[key]

    def pods_of(self, obj: K8sObject) -> list[JsonMap]:
        return self._pods_of.get(obj.target, [])

    def events_of_pod(self, pod: JsonMap) -> list[JsonMap]:
        md = _md(pod)
        return self._events_of.get((str(md.get("namespace") or ""), str(md.get("name") or "")), [])


def _pod_gpus(pod: JsonMap, key: str) -> int:
    total = 0
    for c in as_list(dig(pod, "spec", "containers")):
        if isinstance(c, dict):
            n = as_int(dig(c, "resources", "limits", key))
            total += n if n is not None else (as_int(dig(c, "resources", "requests", key)) or 0)
    return total


def _is_evidence_only(
    o: JsonMap, by_uid: dict[str, JsonMap], by_key: dict[tuple[str, str, str], JsonMap]
) -> bool:
    kind = o.get("kind")
    if kind not in LINTED_KINDS:
        return True
    ref = controller_ref(o)
    if ref is None:
        return False
    if kind == "Pod":
        return True
    owner_kind = ref.get("kind")
    if (kind, owner_kind) in (("ReplicaSet", "Deployment"), ("Job", "CronJob")):
        return True
    # e.g. the StatefulSets of a LeaderWorkerSet, the Deployment of a KServe InferenceService
    return owner_kind in WORKLOAD_KINDS and _owner(o, ref, by_uid, by_key) is not None


def _owner(
    o: JsonMap, ref: JsonMap, by_uid: dict[str, JsonMap], by_key: dict[tuple[str, str, str], JsonMap]
) -> JsonMap | None:
    uid = ref.get("uid")
    if isinstance(uid, str) and uid in by_uid:
        return by_uid[uid]
    ns = str(_md(o).get("namespace") or "")
    kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    found = by_key.get(_key(kind, ns, name))
    if found is not None:
        return found
    # A ReplicaSet not listed: its name is <deployment>-<pod-template-hash>; a Job's <cronjob>-<time>.
    guess = {"ReplicaSet": "Deployment", "Job": "CronJob"}.get(kind)
    if guess and "-" in name:
        return by_key.get(_key(guess, ns, name.rsplit("-", 1)[0]))
    return None


def facts_from_objects(
    objects: Iterable[JsonMap], *, namespace: str | None = None, other_pods: Iterable[JsonMap] = ()
) -> tuple[ClusterFacts, list[K8sObject]]:
    """(evidence, objects to lint) from listed objects (each with ``kind`` and ``apiVersion``)."""
    objs = [o for o in objects if isinstance(o, dict)]
    by_uid: dict[str, JsonMap] = {}
    by_key: dict[tuple[str, str, str], JsonMap] = {}
    for o in objs:
        uid = _md(o).get("uid")
        if isinstance(uid, str):
            by_uid[uid] = o
        by_key[key_of(o)] = o
    facts = ClusterFacts(namespace=namespace)
    linted: list[K8sObject] = []
    fed: dict[int, K8sObject] = {}
    for o in objs:
        kind = o.get("kind")
        if kind == "Pod":
            facts.pods.append(o)
        elif kind == "Event":
            facts.events.append(o)
            inv = as_map(o.get("involvedObject")) or as_map(o.get("regarding"))
            if inv.get("kind") == "Pod":
                ns = str(inv.get("namespace") or _md(o).get("namespace") or "")
                facts._events_of[(ns, str(inv.get("name") or ""))].append(o)
        elif kind == "Node":
            facts.nodes[str(_md(o).get("name") or "")] = o
        if _is_evidence_only(o, by_uid, by_key):
            continue
        data = stripped(o)
        md = _md(data)

        def s(v: Any) -> str | None:
            return None if v is None else str(v)

        ref = ObjectRef(s(data.get("apiVersion")), s(kind), s(md.get("namespace")), s(md.get("name")))
        k = K8sObject(data, Target(SOURCE, len(linted), (), ref), None)
        linted.append(k)
        fed[id(o)] = k
    facts.node_pods = [*facts.pods, *(p for p in other_pods if isinstance(p, dict))]
    # pods → the linted object that owns them (through ReplicaSets, Jobs, StatefulSets...)
    by_ns_kind: dict[tuple[str, str], list[K8sObject]] = defaultdict(list)
    for k in linted:
        by_ns_kind[(k.namespace, k.kind)].append(k)
    for pod in facts.pods:
        owner = _root(pod, by_uid, by_key, fed)
        if owner is None:
            owner = _by_labels(pod, by_ns_kind)
        if owner is not None:
            facts._pods_of[owner.target].append(pod)
    return facts, linted


def _root(
    pod: JsonMap,
    by_uid: dict[str, JsonMap],
    by_key: dict[tuple[str, str, str], JsonMap],
    fed: dict[int, K8sObject],
) -> K8sObject | None:
    if id(pod) in fed:
        return fed[id(pod)]
    cur = pod
    for _ in range(6):
        ref = controller_ref(cur)
        if ref is None:
            return None
        owner = _owner(cur, ref, by_uid, by_key)
        if owner is None:
            return None
        if id(owner) in fed:
            return fed[id(owner)]
        cur = owner
    return None


def _by_labels(pod: JsonMap, by_ns_kind: dict[tuple[str, str], list[K8sObject]]) -> K8sObject | None:
    md = _md(pod)
    ns = str(md.get("namespace") or "")
    labels = {str(k): str(v) for k, v in as_map(md.get("labels")).items()}
    for kind, label in _OWNER_LABELS.items():
        name = labels.get(label)
        if name:
            for k in by_ns_kind.get((ns, kind), []):
                if k.name == name:
                    return k
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        for k in by_ns_kind.get((ns, kind), []):
            sel = dig(k.data, "spec", "selector")
            if isinstance(sel, dict) and sel and matches(sel, labels):
                return k
    return None
