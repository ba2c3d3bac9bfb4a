"""Which GPU a pod or node has, and how much memory it holds (``data/gpus.json``).

Shared by the manifest rules (the GPU a pod asks for through nodeSelector / node affinity) and by
``audit`` (the GPU a node's labels name).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any, NamedTuple

from llmlint import data as datafiles
from llmlint.lazyre import LazyRe

_SUFFIXES = LazyRe(r"(-SHARED|-MIG-[0-9a-z.]+)$", re.IGNORECASE)


class Gpu(NamedTuple):
    name: str
    memory_gib: float


@cache
def _data() -> dict[str, Any]:
    text = datafiles.read("gpus.json")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, spec in _data()["gpus"].items():
        out[name.lower()] = name
        for a in spec.get("aliases", []):
            out[str(a).lower()] = name
    return out


def gpu(name: str) -> Gpu | None:
    """A GPU by its table name or any alias (label value, short name), case-insensitively."""
    key = _SUFFIXES.sub("", name.strip()).lower()
    canon = _aliases().get(key)
    if canon is None:
        return None
    return Gpu(canon, float(_data()["gpus"][canon]["memory_gib"]))


def _by_memory(candidates: list[str], mib: float) -> Gpu | None:
    best = None
    for c in candidates:
        g = gpu(c)
        if g is not None and (
            best is None or abs(g.memory_gib * 1024 - mib) < abs(best.memory_gib * 1024 - mib)
        ):
            best = g
    return best


def from_labels(labels: dict[str, str]) -> tuple[Gpu, int | None, str] | None:
    """(GPU, GPUs per node if the labels say, the label that told) from node labels or a nodeSelector."""
    data = _data()
    memory = None
    for key in data.get("memory_label_keys", {}):
        v = labels.get(key)
        if v and v.isdigit():
            memory = float(v)
    for key in data.get("label_keys", []):
        value = labels.get(key)
        if not value:
            continue
        if key.endswith("instance-type"):
            it = data["instance_types"].get(value)
            if it:
                g = gpu(it["gpu"])
                if g is not None:
                    return g, int(it.get("count", 0)) or None, f"{key}={value}"
            continue
        amb = data.get("ambiguous_aliases", {}).get(value)
        if amb:
            # without a memory label assume the smallest: a fit check must not be optimistic
            g = _by_memory(amb, memory if memory is not None else 0.0)
            if g is not None:
                return g, None, f"{key}={value}"
            continue
        g = gpu(value)
        if g is not None:
            return g, None, f"{key}={value}"
    return None


def selector_labels(spec: dict[str, Any]) -> dict[str, str]:
    """Node labels a pod spec requires: its nodeSelector and single-valued ``In`` node-affinity terms."""
    out = (
        {str(k): str(v) for k, v in (spec.get("nodeSelector") or {}).items()}
        if isinstance(spec.get("nodeSelector"), dict)
        else {}
    )
    aff = spec.get("affinity")
    terms: Any = None
    if isinstance(aff, dict):
        na = aff.get("nodeAffinity")
        if isinstance(na, dict):
            req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
            if isinstance(req, dict):
                terms = req.get("nodeSelectorTerms")
    if isinstance(terms, list) and len(terms) == 1 and isinstance(terms[0], dict):
        for e in m if isinstance(m := terms[0].get("matchExpressions"), list) else []:
            if (
                isinstance(e, dict)
                and e.get("operator") == "In"
                and isinstance(e.get("values"), list)
                and len(e["values"]) == 1
            ):
                out.setdefault(str(e.get("key")), str(e["values"][0]))
    return out
