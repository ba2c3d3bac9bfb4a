"""Helpers several check families share: start-up estimates, probe arithmetic, value edits."""

from __future__ import annotations

import math
from typing import Any

from llmlint.checks import Context
from llmlint.graph.objects import K8sObject, Workload, as_int, as_map, dig
from llmlint.model import Edit, Path, ReplaceInString, SetValue
from llmlint.serving.args import Origin
from llmlint.serving.model_size import load_seconds
from llmlint.serving.server import Server

PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def startup_need(ctx: Context, s: Server) -> tuple[float, str]:
    """Seconds the server needs to load its model, and the reasoning in words."""
    gb = s.download_gb()  # load time reads the checkpoint (bitsandbytes quantises after reading 16-bit)
    if gb is None:
        need = float(ctx.param("startup-unknown-model-seconds"))
        return (
            need,
            f"a model of unknown size (assumed to need {need:.0f} s; set the annotation llmlint.io/model-params)",
        )
    need = load_seconds(
        gb,
        fixed_seconds=float(ctx.param("startup-fixed-seconds")),
        bandwidth_mb_s=float(ctx.param("startup-bandwidth-mb-s")),
    )
    params = s.model_params() or 0
    bits = {4.0: "32-bit", 2.0: "16-bit", 1.0: "8-bit", 0.5: "4-bit"}.get(s.bytes_per_param(), "")
    article = "an" if str(f"{params:g}")[0] == "8" or str(f"{params:g}").startswith(("11", "18")) else "a"
    return (
        need,
        f"{article} {params:g}B model at {bits} ({gb:.0f} GB of weights) needs about {need:.0f} s to load",
    )


def probe_budget(probe: dict[str, Any]) -> tuple[int, int, int, int]:
    """(budget, initialDelaySeconds, periodSeconds, failureThreshold) with the API's defaults."""
    delay = as_int(probe.get("initialDelaySeconds"))
    period = as_int(probe.get("periodSeconds"))
    failures = as_int(probe.get("failureThreshold"))
    d = 0 if delay is None else delay
    p = 10 if period is None or period <= 0 else period
    f = 3 if failures is None or failures <= 0 else failures
    return d + p * f, d, p, f


def threshold_for(need: float, delay: int, period: int) -> int:
    return max(1, math.ceil(max(need - delay, 0) / period))


def handler(probe: dict[str, Any]) -> tuple[str, Any] | None:
    for key in HANDLERS:
        if key in probe:
            return key, probe[key]
    return None


def http_port(probe: dict[str, Any]) -> Any:
    return as_map(probe.get("httpGet")).get("port", as_map(probe.get("tcpSocket")).get("port"))


def edit_value(origin: Origin, old: str, new: str) -> Edit:
    """Change ``old`` to ``new`` where the value is written (an arg, an env value, a ConfigMap key)."""
    if origin.start == 0 and len(old) == origin.end:
        whole = origin.obj.data
        for step in origin.path:
            whole = whole[step] if isinstance(whole, dict | list) else None  # type: ignore[index]
        if isinstance(whole, str) and whole == old:
            return SetValue(origin.obj.target, origin.path, new)
    return ReplaceInString(origin.obj.target, origin.path, origin.start, origin.end, old, new)


def where(origin: Origin, s: Server) -> str:
    """Words for where a value is written when it is not in the container's own arguments."""
    if origin.obj is not s.obj:
        key = origin.path[-1] if origin.path else "?"
        return f" (from {origin.obj.kind} {origin.obj.name}, key {key})"
    if "env" in origin.path:
        i = origin.path.index("env")
        name = s.container.data.get("env", [])[origin.path[i + 1]].get("name", "?")
        return f" (from env {name})"
    return ""


def new_object(
    api_version: str, kind: str, name: str, beside: K8sObject, spec: dict[str, Any]
) -> dict[str, Any]:
    """A new object for an AddDocument fix, in the namespace of the object it is added beside."""
    md: dict[str, Any] = {"name": name}
    if beside.ref.namespace:
        md["namespace"] = beside.ref.namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": md, "spec": spec}


def replicas_anchor(w: Workload) -> Path:
    """Where a finding about a workload's replica count points: ``replicas`` if written, else its name."""
    if w.replicas_path and dig(w.obj.data, *w.replicas_path) is not None:
        return w.replicas_path
    return ("metadata", "name")
