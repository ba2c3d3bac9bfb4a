"""Typed views over Kubernetes objects: workloads, their pod templates and containers.

Views never copy or change the data; they keep the path of every part so findings and fixes can point
back at it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from llmlint.manifest.loader import Document
from llmlint.model import ObjectRef, Path, Target

JsonMap = dict[str, Any]


def dig(data: Any, *path: str | int) -> Any:
    """``data[p0][p1]…`` or None when any step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, str):
            if not isinstance(data, dict):
                return None
            data = data.get(step)
        else:
            if not isinstance(data, list) or not -len(data) <= step < len(data):
                return None
            data = data[step]
    return data


def as_map(value: Any) -> JsonMap:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+").isdigit():
        return int(value)
    return None


def str_map(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_map(value).items() if v is not None}


@dataclass(eq=False)
class K8sObject:
    """One Kubernetes object, its data, and where it came from."""

    data: JsonMap
    target: Target
    doc: Document | None = None
    # Read only as context (a file not named in a file-list scan): rules may read it as a fact, but
    # findings on it are dropped and fixes never edit it.
    context: bool = False

    @property
    def ref(self) -> ObjectRef:
        return self.target.ref

    @property
    def kind(self) -> str:
        return self.ref.kind or ""

    @property
    def name(self) -> str:
        return self.ref.name or ""

    @property
    def namespace(self) -> str:
        """The namespace key: objects without one are taken to be applied together (``-n``)."""
        return self.ref.namespace or ""

    @property
    def metadata(self) -> JsonMap:
        return as_map(self.data.get("metadata"))

    @property
    def labels(self) -> dict[str, str]:
        return str_map(self.metadata.get("labels"))

    @property
    def annotations(self) -> dict[str, str]:
        return str_map(self.metadata.get("annotations"))


@dataclass(eq=False)
class Container:
    """A container (or init container) of a pod template."""

    template: PodTemplate
    path: Path  # relative to the object
    data: JsonMap  # for a merged container (KServe), the merged data
    init: bool = False
    # KServe: the predictor's container merged with its ServingRuntime's; where each value is written.
    merged: Merge | None = None
    # Part of the container comes from something not in the scan (a KServe predictor ``model`` whose
    # runtime is not among the scanned objects): a field it lacks may be set there. Abstain on absences.
    partial: bool = False

    @property
    def obj(self) -> K8sObject:
        return self.template.workload.obj

    @property
    def name(self) -> str:
        """The container's name; never empty (KServe names an unnamed predictor ``kserve-container``)."""
        n = self.data.get("name")
        if isinstance(n, str) and n:
            return n
        if self.obj.kind == "InferenceService" and self.path[-1:] and self.path[-1] in PREDICTOR_MODEL_KEYS:
            return KSERVE_CONTAINER
        last = self.path[-1] if self.path else 0
        return f"{'initContainers' if self.init else 'containers'}[{last}]"

    def at(self, *steps: str | int) -> tuple[K8sObject, Path]:
        """The object and path where the container's value at ``steps`` is written (or is to be written).

        For a plain container that is the container itself; for a KServe predictor merged with its
        runtime, a value that comes from the runtime is written in the runtime (a finding about it points
        there), and a value to add goes to the predictor (which overrides the runtime)."""
        if self.merged is None:
            return self.obj, (*self.path, *steps)
        return self.merged.locate(steps)

    @property
    def image(self) -> str:
        img = self.data.get("image")
        return img if isinstance(img, str) else ""

    def strings(self, key: str) -> list[Any]:
        return as_list(self.data.get(key))

    @property
    def env(self) -> list[JsonMap]:
        return [e for e in as_list(self.data.get("env")) if isinstance(e, dict)]

    @property
    def resources(self) -> JsonMap:
        return as_map(self.data.get("resources"))

    def resource(self, section: str, name: str) -> Any:
        return dig(self.resources, section, name)

    def probe(self, kind: str) -> JsonMap | None:
        p = self.data.get(kind)
        return p if isinstance(p, dict) else None

    @property
    def mounts(self) -> list[tuple[int, JsonMap]]:
        return [(i, m) for i, m in enumerate(as_list(self.data.get("volumeMounts"))) if isinstance(m, dict)]

    def gpus(self) -> int:
        """GPUs this container gets (limits win; an extended resource must have requests = limits)."""
        total = 0
        for key in GPU_RESOURCES:
            n = as_int(self.resource("limits", key))
            if n is None:
                n = as_int(self.resource("requests", key))
            total += n or 0
        return total


GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu")
KSERVE_CONTAINER = "kserve-container"
# KServe predictor keys that hold the model server's container: ``model`` (with a modelFormat) and the
# older framework-named specs of LLM servers.
PREDICTOR_MODEL_KEYS = ("model", "huggingface", "triton")


@dataclass(eq=False)
class Part:
    """One of the two mappings a merged value comes from: the object and the path of the mapping."""

    obj: K8sObject
    path: Path
    data: JsonMap


@dataclass(eq=False)
class Merge:
    """Where the values of a merged mapping (runtime + override, as KServe merges them) are written.

    ``lists`` maps a list field merged by key (``env`` by name…) to the part and index of each merged item;
    ``concat`` names list fields that are concatenated (``args``: runtime first).
    """

    base: Part  # the runtime's
    over: Part  # the predictor's (wins)
    lists: dict[str, list[tuple[Part, int]]] = field(default_factory=dict)
    concat: frozenset[str] = frozenset()
    # Items the platform adds (KServe mounts a ``pvc://`` storageUri at /mnt/models): where they come from.
    added: dict[tuple[str, int], tuple[K8sObject, Path]] = field(default_factory=dict)

    def locate(self, steps: tuple[str | int, ...]) -> tuple[K8sObject, Path]:
        if not steps:
            return self.over.obj, self.over.path
        key, rest = steps[0], steps[1:]
        if isinstance(key, str) and rest and isinstance(rest[0], int):
            idx = rest[0]
            if (key, idx) in self.added:
                return self.added[(key, idx)]
            if key in self.lists:
                items = self.lists[key]
                if 0 <= idx < len(items):
                    part, j = items[idx]
                    return part.obj, (*part.path, key, j, *rest[1:])
                return self.over.obj, (*self.over.path, *steps)
            if key in self.concat:
                n = len(as_list(self.base.data.get(key)))
                if idx < n:
                    return self.base.obj, (*self.base.path, *steps)
                return self.over.obj, (*self.over.path, key, idx - n, *rest[1:])
        own, theirs = _depth_in(self.over.data, steps), _depth_in(self.base.data, steps)
        part = self.base if theirs > own else self.over
        return part.obj, (*part.path, *steps)


def _depth_in(data: Any, steps: tuple[str | int, ...]) -> int:
    """How many of ``steps`` exist in ``data``."""
    n = 0
    for step in steps:
        nxt = dig(data, step)
        if nxt is None:
            break
        data, n = nxt, n + 1
    return n


@dataclass(eq=False)
class PodTemplate:
    """A pod template of a workload, with how many pods it makes."""

    workload: Workload
    path: Path  # the PodTemplateSpec (metadata + spec), relative to the object; () for a Pod
    spec_path: Path
    spec: JsonMap
    labels: dict[str, str]
    annotations: dict[str, str]
    replicas: int | None  # pods from this template; None when unknown (DaemonSet: one per node)
    role: str | None = None
    containers: list[Container] = field(default_factory=list)
    init_containers: list[Container] = field(default_factory=list)

    merged: Merge | None = None  # KServe: the predictor's pod fields merged with its runtime's

    @property
    def obj(self) -> K8sObject:
        return self.workload.obj

    def at(self, *steps: str | int) -> tuple[K8sObject, Path]:
        """The object and path where the pod spec's value at ``steps`` (``"volumes", 2``) is written."""
        if self.merged is None:
            return self.obj, (*self.spec_path, *steps)
        return self.merged.locate(steps)

    def all_containers(self) -> Iterator[Container]:
        yield from self.init_containers
        yield from self.containers

    @property
    def volumes(self) -> list[tuple[int, JsonMap]]:
        return [(i, v) for i, v in enumerate(as_list(self.spec.get("volumes"))) if isinstance(v, dict)]

    def volume(self, name: str) -> tuple[int, JsonMap] | None:
        for i, v in self.volumes:
            if v.get("name") == name:
                return i, v
        return None

    def gpus(self) -> int:
        return sum(c.gpus() for c in self.containers)


@dataclass(eq=False)
class Workload:
    """An object that makes pods, and its pod templates."""

    obj: K8sObject
    replicas: int | None  # the object's replica count (groups for a LeaderWorkerSet)
    replicas_path: Path | None
    templates: list[PodTemplate] = field(default_factory=list)
    selector: JsonMap | None = None  # spec.selector as written (a label selector)
    many_nodes: bool = False  # DaemonSet: pods on every node

    @property
    def kind(self) -> str:
        return self.obj.kind

    def pod_count(self) -> int | None:
        if self.many_nodes:
            return None
        total = 0
        for t in self.templates:
            if t.replicas is None:
                return None
            total += t.replicas
        return total
