"""The object graph: every object of a scan, its workloads, and the index linking them."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from llmlint import kinds
from llmlint.graph.objects import (
    KSERVE_CONTAINER,
    PREDICTOR_MODEL_KEYS,
    Container,
    JsonMap,
    K8sObject,
    Merge,
    Part,
    PodTemplate,
    Workload,
    as_int,
    as_list,
    as_map,
    dig,
    str_map,
)
from llmlint.graph.selectors import matches
from llmlint.kinds import SERVING_RUNTIMES, TEMPLATE_WORKLOADS
from llmlint.manifest.loader import Document
from llmlint.manifest.positions import locate
from llmlint.model import InputError, ObjectRef, Path, Target

# kind → (path of the pod template, path of the replica count); the template holds metadata + spec.
_TEMPLATE_PATHS: dict[str, tuple[Path, Path | None]] = dict(TEMPLATE_WORKLOADS)
WORKLOAD_KINDS = kinds.WORKLOAD_KINDS


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

    def variants(self, obj: K8sObject) -> list[K8sObject]:
        """The other objects of ``obj``'s kind, namespace and name in other files: alternatives to it
        (per-accelerator files, overlays), never objects that run beside it."""
        if not obj.name:
            return []
        return [
            o
            for o in self._by_ns_kind.get((obj.namespace, obj.kind), [])
            if o is not obj and o.name == obj.name and o.target.source != obj.target.source
        ]

    def coexist(self, a: K8sObject, b: K8sObject) -> bool:
        """Whether two objects can run together: not one object, and not variants of one object."""
        if a is b:
            return False
        return not (a.kind == b.kind and a.namespace == b.namespace and a.name == b.name and a.name)

    def runtime_of(self, isvc: K8sObject) -> K8sObject | None:
        """The ServingRuntime/ClusterServingRuntime a KServe InferenceService's ``model`` uses, if it is
        in the scan: the one it names (namespace first, as KServe looks), else the only auto-selectable
        runtime whose ``supportedModelFormats`` name its model format."""
        model = dig(isvc.data, "spec", "predictor", "model")
        if not isinstance(model, dict):
            return None
        name = model.get("runtime")
        if isinstance(name, str) and name:
            found = self._named_runtimes(isvc, name)
            return found[0] if found else None
        fmt = dig(model, "modelFormat", "name")
        if not isinstance(fmt, str) or not fmt:
            return None
        candidates = [
            rt
            for rt in (
                *self.of_kind("ServingRuntime", isvc.namespace),
                *self.of_kind("ClusterServingRuntime"),
            )
            if dig(rt.data, "spec", "disabled") is not True and _supports(rt, fmt)
        ]
        distinct = {(rt.kind, rt.name) for rt in candidates}
        if len(distinct) != 1:
            return None  # none, or several (KServe picks by priority; llmlint does not guess)
        return _nearest(isvc, candidates)

    def _named_runtimes(self, isvc: K8sObject, name: str) -> list[K8sObject]:
        local = [o for o in self.of_kind("ServingRuntime", isvc.namespace) if o.name == name]
        if local:
            return [_nearest(isvc, local)]
        cluster = [o for o in self.of_kind("ClusterServingRuntime") if o.name == name]
        return [_nearest(isvc, cluster)] if cluster else []

    def containers(self) -> Iterator[Container]:
        for w in self.workloads:
            for t in w.templates:
                yield from t.containers


def _supports(runtime: K8sObject, fmt: str) -> bool:
    for f in as_list(dig(runtime.data, "spec", "supportedModelFormats")):
        if (
            isinstance(f, dict)
            and str(f.get("name", "")).lower() == fmt.lower()
            and f.get("autoSelect") is True
        ):
            return True
    return False


def _nearest(obj: K8sObject, candidates: list[K8sObject]) -> K8sObject:
    """Of variants of one object, the one nearest ``obj``: in its file, else in its directory, else the one
    whose path shares the longest prefix with its path."""
    here = obj.target.source

    def score(c: K8sObject) -> tuple[bool, bool, int]:
        there = c.target.source
        common = len(os.path.commonprefix([here, there]))  # noqa: RUF071 (flattened names share no dir)
        return there == here, os.path.dirname(there) == os.path.dirname(here), common

    return max(candidates, key=score)


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
    if kind in SERVING_RUNTIMES:
        return _serving_runtime(obj)
    return None


def _serving_runtime(obj: K8sObject) -> Workload | None:
    """KServe ServingRuntime/ClusterServingRuntime: ``spec`` holds containers and pod fields. It makes no
    pods itself (the InferenceServices that use it do, with its container merged in): 0 replicas."""
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return None
    w = Workload(obj, 0, None)
    t = _template(w, (), obj.data, 0, "runtime")
    if t is not None:
        t.labels, t.annotations = {}, obj.annotations
        w.templates.append(t)
    return w


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
    for key in PREDICTOR_MODEL_KEYS:
        model = pred.get(key)
        if isinstance(model, dict):
            t.containers.append(Container(t, ("spec", "predictor", key), model))
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
    merge_runtimes(g)
    mount_storage(g)
    return g


# ---- KServe: the runtime's container and pod fields merged into the predictor --------------------------
# As KServe's controller does (pkg/controller/v1beta1/inferenceservice: MergeRuntimeContainers,
# MergePodSpec): a strategic merge patch of the runtime's ``kserve-container`` by the predictor's ``model``
# container (maps merged key by key, the predictor winning; env merged by name, ports by containerPort,
# volumeMounts by mountPath; args concatenated, runtime first), and of the runtime's pod fields by the
# predictor's (volumes by name; nodeSelector, affinity, tolerations, imagePullSecrets, schedulerName).

_CONTAINER_KEYS = {"env": "name", "ports": "containerPort", "volumeMounts": "mountPath"}
_POD_FIELDS = ("nodeSelector", "affinity", "tolerations", "volumes", "imagePullSecrets", "schedulerName")


def _merge_maps(base: JsonMap, over: JsonMap) -> JsonMap:
    out = dict(base)
    for k, v in over.items():
        b = out.get(k)
        out[k] = _merge_maps(b, v) if isinstance(b, dict) and isinstance(v, dict) else v
    return out


def _merge_list(base: Part, over: Part, key: str, merge_key: str) -> tuple[list[Any], list[tuple[Part, int]]]:
    items: list[Any] = []
    where: list[tuple[Part, int]] = []
    index: dict[Any, int] = {}
    for part in (base, over):
        for i, item in enumerate(as_list(part.data.get(key))):
            k = item.get(merge_key) if isinstance(item, dict) else None
            if k is not None and k in index:
                items[index[k]], where[index[k]] = item, (part, i)
                continue
            if k is not None:
                index[k] = len(items)
            items.append(item)
            where.append((part, i))
    return items, where


def merge_container(base: Part, over: Part) -> tuple[JsonMap, Merge]:
    """The merged container data, and where each value is written."""
    data = _merge_maps(base.data, over.data)
    m = Merge(base, over, concat=frozenset({"args"}))
    for key, merge_key in _CONTAINER_KEYS.items():
        if key in base.data or key in over.data:
            data[key], m.lists[key] = _merge_list(base, over, key, merge_key)
    if "args" in base.data or "args" in over.data:
        data["args"] = [*as_list(base.data.get("args")), *as_list(over.data.get("args"))]
    return data, m


def _runtime_container(rt: K8sObject) -> tuple[int, JsonMap] | None:
    containers = [
        (i, c) for i, c in enumerate(as_list(dig(rt.data, "spec", "containers"))) if isinstance(c, dict)
    ]
    for i, c in containers:
        if c.get("name") == KSERVE_CONTAINER:
            return i, c
    return containers[0] if containers else None


def merge_runtimes(g: Graph) -> None:
    """Give each InferenceService whose runtime is in the scan the merged predictor container.

    A runtime used so is analysed through the InferenceServices (their findings about its values point
    at its lines); one that no InferenceService of the scan uses is analysed on its own."""
    used: set[int] = set()
    for w in g.workloads:
        if w.kind != "InferenceService" or not w.templates:
            continue
        rt = g.runtime_of(w.obj)
        if rt is None:
            for c in w.templates[0].containers:
                c.partial = c.path[-1:] == ("model",)  # KServe merges a runtime we cannot see
            continue
        used.add(id(rt))
        t = w.templates[0]
        found = _runtime_container(rt)
        for c in t.containers:
            if c.path[-1:] != ("model",) or found is None:
                continue
            i, rc = found
            c.data, c.merged = merge_container(
                Part(rt, ("spec", "containers", i), rc), Part(w.obj, c.path, c.data)
            )
        spec = rt.data.get("spec")
        if not isinstance(spec, dict):
            continue
        base = Part(rt, ("spec",), {k: spec[k] for k in _POD_FIELDS if k in spec})
        over = Part(w.obj, t.spec_path, t.spec)
        merged = _merge_maps(base.data, over.data)
        pm = Merge(base, over)
        if "volumes" in base.data or "volumes" in over.data:
            merged["volumes"], pm.lists["volumes"] = _merge_list(base, over, "volumes", "name")
        if "tolerations" in over.data:
            merged["tolerations"] = over.data["tolerations"]  # a list without a merge key: replaced
        t.spec, t.merged = merged, pm
    for w in g.workloads:
        if id(w.obj) in used:
            w.templates = []  # it makes no pods; the InferenceServices that use it do


# KServe mounts a ``pvc://CLAIM/PATH`` storageUri into the predictor's ``kserve-container`` at /mnt/models
# (volume ``kserve-pvc-source``; pkg/webhook/admission/pod/storage_initializer_injector.go): the model and
# any cache under /mnt/models live on that claim.
KSERVE_MODEL_DIR = "/mnt/models"
KSERVE_PVC_VOLUME = "kserve-pvc-source"


def _own(parts: Merge | None, obj: K8sObject, path: Path, data: JsonMap) -> Merge:
    if parts is not None:
        return parts
    own = Part(obj, path, data)
    return Merge(own, own)


def mount_storage(g: Graph) -> None:
    for w in g.workloads:
        if w.kind != "InferenceService" or not w.templates:
            continue
        t = w.templates[0]
        for c in t.containers:
            uri = c.data.get("storageUri") if c.path[-1:] and c.path[-1] in PREDICTOR_MODEL_KEYS else None
            if not isinstance(uri, str) or not uri.startswith("pvc://"):
                continue
            claim = uri[len("pvc://") :].split("/", 1)[0]
            if not claim:
                continue
            at = (w.obj, (*c.path, "storageUri"))
            cm = _own(c.merged, w.obj, c.path, c.data)
            mounts = as_list(c.data.get("volumeMounts"))
            if "volumeMounts" not in cm.lists:
                cm.lists["volumeMounts"] = [(cm.over, i) for i in range(len(mounts))]
            cm.added[("volumeMounts", len(mounts))] = at
            c.data = {
                **c.data,
                "volumeMounts": [*mounts, {"name": KSERVE_PVC_VOLUME, "mountPath": KSERVE_MODEL_DIR}],
            }
            c.merged = cm
            pm = _own(t.merged, w.obj, t.spec_path, t.spec)
            volumes = as_list(t.spec.get("volumes"))
            if "volumes" not in pm.lists:
                pm.lists["volumes"] = [(pm.over, i) for i in range(len(volumes))]
            pm.added[("volumes", len(volumes))] = at
            vol = {"name": KSERVE_PVC_VOLUME, "persistentVolumeClaim": {"claimName": claim}}
            t.spec = {**t.spec, "volumes": [*volumes, vol]}
            t.merged = pm
            break
