"""What the API server would refuse (or warn about) in an object a fix is about to write.

Schema checks (kubernetes-validate) do not see these: they come from the API server's own validation
(``pkg/apis/core/validation``: ``validateContainers``, ``ValidateVolumes``, ``ValidateVolumeMounts``,
``validateContainerPorts``) and from the int32 fields of the schema, which a decoder refuses when out of
range. The fixer compares an object's problems before and after a fix: a fix that adds one is dropped,
so a manifest that already had a problem can still be fixed elsewhere.

- container names unique across ``containers``, ``initContainers`` and ``ephemeralContainers``;
- volume names unique in a pod, and claim template names unique in a StatefulSet;
- per container: port names unique, ``containerPort``/``protocol`` pairs unique (``Duplicate value``),
  ``mountPath`` unique (``must be unique``), every mount naming a volume of the pod (or a claim template);
- per container: env names unique: the API server accepts a duplicate but warns that it hides the earlier
  definition; a fix never adds such a warning;
- int32 fields (replicas, probe timings, ports) are integers in range, ports in 1..65535.

A pod spec is found by its shape (a mapping with a ``containers`` list), so every workload kind,
KServe's predictor and a ServingRuntime are covered without a kind list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

INT32_MAX = 2**31 - 1
_INT32_FIELDS = frozenset(
    [
        "replicas",
        "initialDelaySeconds",
        "periodSeconds",
        "timeoutSeconds",
        "successThreshold",
        "failureThreshold",
        "minReadySeconds",
        "revisionHistoryLimit",
        "progressDeadlineSeconds",
        "parallelism",
        "completions",
        "backoffLimit",
        "size",  # LeaderWorkerSet group size
        "minReplicas",
        "maxReplicas",
    ]
)
_PORT_FIELDS = frozenset(["containerPort", "port", "targetPort"])
_PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _walk(data: Any) -> Iterator[tuple[str, Any]]:
    """(JSON pointer-ish path, mapping) for every mapping in ``data``, iteratively."""
    stack: list[tuple[str, Any]] = [("", data)]
    seen: set[int] = set()
    while stack:
        where, node = stack.pop()
        if id(node) in seen:  # an alias: its content is checked where it is first met
            continue
        if isinstance(node, dict):
            seen.add(id(node))
            yield where, node
            stack.extend((f"{where}/{k}", v) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            seen.add(id(node))
            stack.extend((f"{where}/{i}", v) for i, v in enumerate(node) if isinstance(v, dict | list))


def _names(items: Any, key: str = "name") -> list[Any]:
    if not isinstance(items, list):
        return []
    return [i.get(key) for i in items if isinstance(i, dict) and i.get(key) is not None]


def _dupes(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for v in values:
        try:
            if v in seen and v not in out:
                out.append(v)
            seen.add(v)
        except TypeError:  # an unhashable value: the schema check reports it
            continue
    return out


def _int_problem(where: str, value: Any, lo: int, hi: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float):
            return f"{where}: {value!r} is not an integer"
        return None  # strings are int-or-string fields (ports by name) or a schema matter
    if not lo <= value <= hi:
        return f"{where}: {value} is out of range ({lo}..{hi})"
    return None


def _pod_spec_problems(where: str, spec: dict[str, Any], claim_templates: list[Any]) -> list[str]:
    out: list[str] = []
    all_containers: list[dict[str, Any]] = []
    for lst in _CONTAINER_LISTS:
        items = spec.get(lst)
        if isinstance(items, list):
            all_containers += [c for c in items if isinstance(c, dict)]
    for name in _dupes(_names(all_containers)):
        out.append(f"{where}: container name {name!r} is used twice")
    volumes = _names(spec.get("volumes"))
    for name in _dupes(volumes):
        out.append(f"{where}/volumes: volume name {name!r} is used twice")
    defined = set(volumes) | set(claim_templates)
    for lst in _CONTAINER_LISTS:
        items = spec.get(lst)
        if not isinstance(items, list):
            continue
        for i, c in enumerate(items):
            if not isinstance(c, dict):
                continue
            cw = f"{where}/{lst}/{i}"
            ports = c.get("ports")
            for name in _dupes(_names(ports)):
                out.append(f"{cw}/ports: port name {name!r} is used twice")
            pairs = [
                (p.get("containerPort"), p.get("protocol") or "TCP")
                for p in (ports if isinstance(ports, list) else [])
                if isinstance(p, dict) and p.get("containerPort") is not None
            ]
            for port, proto in _dupes(pairs):
                out.append(f"{cw}/ports: containerPort {port}/{proto} is declared twice")
            mounts = c.get("volumeMounts")
            for path in _dupes(_names(mounts, "mountPath")):
                out.append(f"{cw}/volumeMounts: mountPath {path!r} must be unique")
            for name in _names(mounts):
                if name not in defined:
                    out.append(f"{cw}/volumeMounts: mount of {name!r}, which is not a volume of the pod")
            for name in _dupes(_names(c.get("env"))):
                out.append(f"{cw}/env: {name!r} is defined twice (the API server warns: hides the first)")
    return out


def problems(obj: Any, merged: bool = False) -> set[str]:
    """What the API server would refuse or warn about in ``obj`` (messages with the field's path).

    ``merged`` (a KServe InferenceService, whose runtime's volumes are merged in) skips the check that a
    mount names a volume of the pod, which the object alone cannot answer."""
    out: set[str] = set()
    if not isinstance(obj, dict):
        return out
    claim_templates: list[Any] = []
    for _, m in _walk(obj):
        vct = m.get("volumeClaimTemplates")
        if isinstance(vct, list):
            names = [
                t.get("metadata", {}).get("name")
                for t in vct
                if isinstance(t, dict) and isinstance(t.get("metadata"), dict)
            ]
            claim_templates += [n for n in names if n is not None]
            for name in _dupes(names):
                out.add(f"volumeClaimTemplates: claim template {name!r} is defined twice")
    kserve = obj.get("kind") in ("InferenceService", "InferenceGraph") or merged
    for where, m in _walk(obj):
        if isinstance(m.get("containers"), list):
            found = _pod_spec_problems(where or "/", m, claim_templates)
            if kserve:
                found = [p for p in found if "not a volume of the pod" not in p]
            out.update(found)
        for key, value in m.items():
            if key in _INT32_FIELDS:
                p = _int_problem(f"{where}/{key}", value, 0, INT32_MAX)
            elif key in _PORT_FIELDS or key == "hostPort":
                p = _int_problem(f"{where}/{key}", value, 0 if key == "hostPort" else 1, 65535)
            elif key == "terminationGracePeriodSeconds":
                p = _int_problem(f"{where}/{key}", value, 0, 2**63 - 1)
            else:
                continue
            if p is not None:
                out.add(p)
    return out


def _budget(probe: Any) -> float | None:
    """``initialDelaySeconds + periodSeconds × failureThreshold`` (defaults 0, 10, 3), or None."""
    if not isinstance(probe, dict):
        return None

    def num(key: str, default: int) -> float:
        v = probe.get(key, default)
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else float(default)

    return num("initialDelaySeconds", 0) + num("periodSeconds", 10) * num("failureThreshold", 3)


def deadlines(obj: Any) -> dict[str, float]:
    """The start-up deadline of every container (by its path and name): the startupProbe's budget, or
    without one the longest budget of the readiness and liveness probes (the time the author allowed
    for start-up), or infinity when no probe bounds it."""
    out: dict[str, float] = {}
    for where, m in _walk(obj):
        containers = m.get("containers")
        if not isinstance(containers, list):
            continue
        for i, c in enumerate(containers):
            if not isinstance(c, dict):
                continue
            start = _budget(c.get("startupProbe"))
            if start is None:
                others = [b for b in (_budget(c.get(p)) for p in _PROBES[1:]) if b is not None]
                start = max(others) if others else float("inf")
            out[f"{where}/containers/{c.get('name', i)}"] = start
    return out


def shortened(before: Any, after: Any) -> str | None:
    """Why ``after`` is worse than ``before`` for a starting server: a container's start-up deadline
    got shorter (a new startupProbe below the readiness/liveness budget the author set, a lower
    failureThreshold), so a model that loaded in time before is now killed while loading."""
    old = deadlines(before)
    for c, t in deadlines(after).items():
        if c in old and t < old[c]:
            name = c.rsplit("/", 1)[-1]
            return f"it shortens the start-up deadline of container {name!r} from {old[c]:g} s to {t:g} s"
    return None


def identity(obj: Any) -> tuple[str, str, str, str] | None:
    """(API group, kind, namespace, name) of an object, or None when it has no kind and name.

    The version is left out: ``apps/v1`` and ``apps/v1beta2`` name one stored object."""
    if not isinstance(obj, dict):
        return None
    meta = obj.get("metadata")
    kind, name = obj.get("kind"), meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(kind, str) or not isinstance(name, str):
        return None
    api = obj.get("apiVersion")
    group = api.rsplit("/", 1)[0] if isinstance(api, str) and "/" in api else ""
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return group, kind, ns if isinstance(ns, str) else "", name


Identity = tuple[str, str, str, str]


class Known:
    """The objects a new object must not collide with: those of the scan and of the context.

    A fix never creates an object the context already has, nor one another scanned file has (applying
    both would replace one with the other), except in a file that holds a variant of the object the fix
    is for (two files defining one Deployment are alternatives, each with its own PDB)."""

    def __init__(self, objects: list[tuple[Any, str, bool]]) -> None:
        """``objects``: (data, source name, is context) of every object read."""
        self.where: dict[Identity, set[str]] = {}
        self.context: set[Identity] = set()
        self.in_source: dict[str, set[Identity]] = {}
        for data, source, is_context in objects:
            key = identity(data)
            if key is None:
                continue
            if is_context:
                self.context.add(key)
            self.where.setdefault(key, set()).add(source)
            self.in_source.setdefault(source, set()).add(key)

    @classmethod
    def of_graph(cls, graph: Any) -> Known:
        return cls(
            [
                (o.data, o.target.source, bool(getattr(o, "context", False)))
                for o in getattr(graph, "objects", [])
            ]
        )

    def collides(self, new: Any, source: str, anchor: Any) -> str | None:
        """Why creating ``new`` in ``source`` (for the object ``anchor``, an ObjectRef) is refused."""
        key = identity(new)
        if key is None:
            return None
        label = f"{key[1]} {key[2] + '/' if key[2] else ''}{key[3]}"
        if key in self.context:
            return f"{label} already exists in a manifest read as context"
        anchor_key = identity(
            {
                "apiVersion": getattr(anchor, "api_version", None),
                "kind": getattr(anchor, "kind", None),
                "metadata": {
                    "name": getattr(anchor, "name", None),
                    "namespace": getattr(anchor, "namespace", None),
                },
            }
        )
        for other in sorted(self.where.get(key, ())):
            if other == source:
                return f"{label} already exists in this file"
            if anchor_key is None or anchor_key not in self.in_source.get(other, set()):
                return f"{label} already exists in {other}"
        return None
