"""The object graph: every object of a scan, its workloads, and the index linking them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from llmlint.graph.objects import (
    Container,
    JsonMap,
    K8sObject,
    PodTemplate,
    Workload,
    as_int,
    as_list,
    as_map,
    dig,
    str_map,
)
from llmlint.graph.selectors import matches
from llmlint.manifest.loader import Document
from llmlint.manifest.positions import locate
from llmlint.model import InputError, ObjectRef, Path, Target

# kind → (path of the pod template, path of the replica count); the template holds metadata + spec.
_TEMPLATE_PATHS: dict[str, tuple[Path, Path | None]] = {
    "Deployment": (("spec", "template"), ("spec", "replicas")),
    "StatefulSet": (("spec", "template"), ("spec", "replicas")),
    "ReplicaSet": (("spec", "template"), ("spec", "replicas")),
    "DaemonSet": (("spec", "template"), None),
    "Job": (("spec", "template"), ("spec", "parallelism")),
    "CronJob": (("spec", "jobTemplate", "spec", "template"), ("spec", "jobTemplate", "spec", "parallelism")),
}
WORKLOAD_KINDS = frozenset([*_TEMPLATE_PATHS, "Pod", "LeaderWorkerSet", "InferenceService"])


@dataclass(eq=False)
class Graph:
    """Every object of a scan, its workloads, and indexes by namespace and kind."""

    objects: list[K8sObject] = field(default_factory=list)
    workloads: list[Workload] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    _by_ns_kind: dict[tuple[str, str], list[K8sObject]] = field(default_factory=lambda: defaultdict(list))

    def add(self, obj: K8sObject) -> None:
        self.objects.append(obj)
        self._by_ns_kind[(obj.namespace, obj.kind)].append(obj)

    def of_kind(self, kind: str, namespace: str | None = None) -> list[K8sObject]:
        if namespace is not None:
            return self._by_ns_kind.get((namespace, kind), [])
        return [o for (_, k), objs in self._by_ns_kind.items() if k == kind for o in objs]

    def get(self, kind: str, namespace: str, name: str) -> K8sObject | None:
        for o in self._by_ns_kind.get((namespace, kind), []):
            if o.name == name:
                return o
        return None

    def selecting(self, kind: str, template: PodTemplate, path: str = "selector") -> list[K8sObject]:
        """Objects of ``kind`` in the template's namespace whose label selector at ``spec.<path>`` selects it."""
        return [
            o
            for o in self.of_kind(kind, template.obj.namespace)
            if matches(dig(o.data, "spec", path), template.labels)
        ]

    def containers(self) -> Iterator[Container]:
        for w in self.workloads:
            for t in w.templates:
                yield from t.containers


def _ref(data: JsonMap) -> ObjectRef:
    md = as_map(data.get("metadata"))

    def s(v: Any) -> str | None:
        return v if isinstance(v, str) else (str(v) if v is not None else None)

    return ObjectRef(
        s(data.get("apiVersion")), s(data.get("kind")), s(md.get("namespace")), s(md.get("name"))
    )


def _template(
    w: Workload, path: Path, data: Any, replicas: int | None, role: str | None = None, spec_key: str = "spec"
) -> PodTemplate | None:
    tpl = as_map(data)
    spec = tpl.get(spec_key)
    if not isinstance(spec, dict):
        return None
    md = as_map(tpl.get("metadata"))
    t = PodTemplate(
        workload=w,
        path=path,
        spec_path=(*path, spec_key),
        spec=spec,
        labels=str_map(md.get("labels")),
        annotations=str_map(md.get("annotations")),
        replicas=replicas,
        role=role,
    )
    for key, init in (("initContainers", True), ("containers", False)):
        for i, c in enumerate(as_list(spec.get(key))):
            if isinstance(c, dict):
                (t.init_containers if init else t.containers).append(
                    Container(t, (*t.spec_path, key, i), c, init)
                )
    return t


def _workload(obj: K8sObject) -> Workload | None:
    kind, data = obj.kind, obj.data
    if kind in _TEMPLATE_PATHS:
        tpath, rpath = _TEMPLATE_PATHS[kind]
        replicas = as_int(dig(data, *rpath)) if rpath else None
        if rpath and dig(data, *rpath) is None:
            replicas = 1
        w = Workload(obj, replicas, rpath, many_nodes=kind == "DaemonSet")
        sel_path = ("spec", "jobTemplate", "spec", "selector") if kind == "CronJob" else ("spec", "selector")
        sel = dig(data, *sel_path)
        w.selector = sel if isinstance(sel, dict) else None
        t = _template(w, tpath, dig(data, *tpath), replicas)
        if t:
            w.templates.append(t)
        return w
    if kind == "Pod":
        w = Workload(obj, 1, None)
        t = _template(w, (), data, 1)
        if t:
            t.labels, t.annotations = obj.labels, obj.annotations
            w.templates.append(t)
            w.selector = {"matchLabels": dict(obj.labels)} if obj.labels else None
        return w
    if kind == "LeaderWorkerSet":
        groups = as_int(dig(data, "spec", "replicas"))
        groups = 1 if dig(data, "spec", "replicas") is None else groups
        lwt = ("spec", "leaderWorkerTemplate")
        size = as_int(dig(data, *lwt, "size"))
        size = 1 if dig(data, *lwt, "size") is None else size
        w = Workload(obj, groups, ("spec", "replicas"))
        workers = None if groups is None or size is None else groups * max(size - 1, 0)
        leader = dig(data, *lwt, "leaderTemplate")
        if isinstance(leader, dict):
            t = _template(w, (*lwt, "leaderTemplate"), leader, groups, "leader")
            if t:
                w.templates.append(t)
            t = _template(w, (*lwt, "workerTemplate"), dig(data, *lwt, "workerTemplate"), workers, "worker")
        else:
            # Without a leader template every pod of a group (leader included) uses the worker template.
            all_pods = None if groups is None or size is None else groups * size
            t = _template(w, (*lwt, "workerTemplate"), dig(data, *lwt, "workerTemplate"), all_pods, "worker")
        if t:
            w.templates.append(t)
        return w
    if kind == "InferenceService":
        return _inference_service(obj)
    return None


def _inference_service(obj: K8sObject) -> Workload | None:
    """KServe: the predictor is a pod spec (``containers``) and/or a model spec (``model``)."""
    pred = dig(obj.data, "spec", "predictor")
    if not isinstance(pred, dict):
        return None
    min_r = dig(pred, "minReplicas")
    replicas = 1 if min_r is None else as_int(min_r)
    w = Workload(obj, replicas, ("spec", "predictor", "minReplicas"))
    labels = {"serving.kserve.io/inferenceservice": obj.name, "component": "predictor"}
    t = PodTemplate(
        workload=w,
        path=("spec", "predictor"),
        spec_path=("spec", "predictor"),
        spec=pred,
        labels=labels,
        annotations=str_map(pred.get("annotations")) | obj.annotations,
        replicas=replicas,
        role="predictor",
    )
    model = pred.get("model")
    if isinstance(model, dict):
        t.containers.append(Container(t, ("spec", "predictor", "model"), model))
    for i, c in enumerate(as_list(pred.get("containers"))):
        if isinstance(c, dict):
            t.containers.append(Container(t, ("spec", "predictor", "containers", i), c))
    for i, c in enumerate(as_list(pred.get("initContainers"))):
        if isinstance(c, dict):
            t.init_containers.append(Container(t, ("spec", "predictor", "initContainers", i), c, True))
    w.templates.append(t)
    w.selector = {"matchLabels": {"serving.kserve.io/inferenceservice": obj.name}}
    return w


def _check_shape(obj: K8sObject) -> tuple[str, Path] | None:
    """Objects a rule reads must have the shape the API requires; say what is wrong and where."""
    if not obj.ref.kind:
        return "document has no 'kind'", ()
    if obj.kind in WORKLOAD_KINDS and not isinstance(obj.data.get("spec"), dict):
        return f"{obj.ref.label()} has no 'spec' mapping", ("kind",)
    rpath = _TEMPLATE_PATHS.get(obj.kind, (None, None))[1]
    if rpath is not None:
        raw = dig(obj.data, *rpath)
        if raw is not None and as_int(raw) is None:
            return f"{'.'.join(map(str, rpath))} must be an integer, not {raw!r}", rpath
    return None


def _is_list(data: dict[str, Any]) -> bool:
    kind = data.get("kind")
    return kind == "List" or (
        isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list)
    )


def objects_of(data: Any, target: Target, doc: Document | None) -> Iterator[K8sObject | InputError]:
    if not isinstance(data, dict):
        yield InputError(
            None, None, f"document is a {type(data).__name__}, not a Kubernetes object (a mapping)"
        )
        return
    if "kind" not in data:
        return  # not a Kubernetes object (Helm values, Chart.yaml, a dashboard): nothing to lint
    ref = _ref(data)
    if ref.kind == "List" or ((ref.kind or "").endswith("List") and isinstance(data.get("items"), list)):
        for i, item in enumerate(as_list(data.get("items"))):
            if isinstance(item, dict):
                sub = Target(target.source, target.doc_index, (*target.prefix, "items", i), _ref(item))
                if "kind" in item and _is_list(item):  # a List inside a List: kubectl reads it
                    yield from objects_of(item, sub, doc)
                else:
                    yield K8sObject(item, sub, doc)
        return
    yield K8sObject(data, Target(target.source, target.doc_index, target.prefix, ref), doc)


def add_documents(g: Graph, documents: Iterable[Document]) -> list[K8sObject]:
    added = []
    for doc in documents:
        base = Target(doc.source.name, doc.index, (), ObjectRef(None, None, None, None))
        for item in objects_of(doc.data, base, doc):
            if isinstance(item, InputError):
                item.file, item.line = doc.source.name, doc.line0 + 1
                g.errors.append(item)
                continue
            g.add(item)
            added.append(item)
    return added


def configmap_references(g: Graph) -> set[str]:
    """Names of the ConfigMaps the graph's containers read their environment from."""
    names: set[str] = set()
    for w in g.workloads:
        for t in w.templates:
            for c in t.all_containers():
                for ef in as_list(c.data.get("envFrom")):
                    n = dig(ef, "configMapRef", "name")
                    if isinstance(n, str):
                        names.add(n)
                for e in c.env:
                    n = dig(e, "valueFrom", "configMapKeyRef", "name")
                    if isinstance(n, str):
                        names.add(n)
    return names


def build(documents: Iterable[Document], extra: Iterable[K8sObject] = ()) -> Graph:
    g = Graph()
    add_documents(g, documents)
    for obj in extra:
        g.add(obj)
    for obj in g.objects:
        bad = _check_shape(obj)
        if bad is not None:
            message, path = bad
            err = InputError(None, None, message)
            if obj.doc is not None:
                err.file, err.line = obj.doc.source.name, obj.doc.line0 + 1
                loc = locate(obj.doc, (*obj.target.prefix, *path)) if path else None
                if loc is not None:
                    err.line, err.column = loc.line_col()
            g.errors.append(err)
        w = _workload(obj)
        if w is not None:
            g.workloads.append(w)
    return g
