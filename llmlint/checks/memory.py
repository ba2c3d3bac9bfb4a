"""GPU and shared memory: the settings that end in OOMKilled or a CUDA out-of-memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import edit_value, where
from llmlint.graph.objects import Container, PodTemplate, as_map
from llmlint.model import AppendItem, Edit, Finding, Path
from llmlint.serving.server import Server


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


@check("LLM003")
def gpu_memory_utilization_too_high(ctx: Context) -> Iterator[Finding]:
    limit = float(ctx.param("max-gpu-memory-utilization"))
    target = float(ctx.param("gpu-memory-utilization"))
    for s in ctx.inference_servers():
        f = s.flag("mem")
        if f is None or f.value is None:
            continue
        v = _float(f.value)
        if v is None or v < limit:
            continue
        origin = f.value_origin()
        obj, path, span = f.anchor()
        new = f"{target:.2f}"
        fix = None
        suffix = ""
        if origin is not None:
            suffix = where(origin, s)
            fix = make_fix("safe", f"set {f.name} to {new}{suffix}", edit_value(origin, f.value, new))
        msg = (
            f"{f.name} {f.value}{suffix} leaves {100 - v * 100:.0f}% of GPU memory for the CUDA context, "
            f"NCCL buffers, activations and sampling: the server is OOM-killed under load; use at most "
            f"{target:.2f}"
        )
        yield ctx.finding("LLM003", obj, path, msg, container=s.container, fix=fix, span=span)


def shm_mount(c: Container) -> tuple[int, dict[str, Any]] | None:
    for i, m in c.mounts:
        if str(m.get("mountPath", "")).rstrip("/") == "/dev/shm":
            return i, m
    return None


def memory_backed(volume: dict[str, Any] | None) -> bool:
    ed = as_map((volume or {}).get("emptyDir"))
    return "emptyDir" in (volume or {}) and ed.get("medium") == "Memory"


def shm_size(ctx: Context, gpus: int) -> str:
    fixed = ctx.param("shm-size")
    if fixed:
        return str(fixed)
    per = int(ctx.param("shm-size-per-gpu-gib"))
    return f"{max(8, per * max(gpus, 1))}Gi"


def _free_name(t: PodTemplate, base: str) -> str:
    names = {v.get("name") for _, v in t.volumes}
    name, n = base, 2
    while name in names:
        name, n = f"{base}-{n}", n + 1
    return name


def parallel_degree(s: Server) -> tuple[int, str, Path | None, tuple[int, int] | None]:
    """How many GPUs the server spreads one model over, why we think so, and where that is written."""
    tp, pp = s.tp, s.pp
    if tp * pp > 1:
        f = s.flag("tp") if tp > 1 else s.flag("pp")
        assert f is not None
        _, path, span = f.anchor()
        what = f"{f.name} {f.value}" + (f" × pipeline {pp}" if pp > 1 and tp > 1 else "")
        return tp * pp, what, path, span
    g = s.gpus
    if g > 1:
        c = s.container
        key = "limits" if c.resource("limits", "nvidia.com/gpu") is not None else "requests"
        return g, f"{g} GPUs", (*c.path, "resources", key), None
    return 1, "", None, None


@check("LLM004")
def missing_dev_shm(ctx: Context) -> Iterator[Finding]:
    for s in ctx.servers:
        degree, what, at, span = parallel_degree(s)
        if degree <= 1:
            continue
        c, t = s.container, s.container.template
        mount = shm_mount(c)
        if mount is not None:
            continue  # mounted: LLM016 judges the volume behind it
        existing = next((v for _, v in t.volumes if memory_backed(v)), None)
        edits: list[Edit] = []
        if existing is not None:
            name = str(existing.get("name"))
            desc = f"mount the memory-backed volume {name!r} at /dev/shm"
        else:
            name = _free_name(t, "dshm")
            size = shm_size(ctx, max(degree, s.gpus))
            edits.append(
                AppendItem(
                    c.obj.target,
                    (*t.spec_path, "volumes"),
                    {"name": name, "emptyDir": {"medium": "Memory", "sizeLimit": size}},
                )
            )
            desc = f"add an emptyDir volume {name!r} (medium: Memory, sizeLimit: {size}) mounted at /dev/shm"
        edits.append(AppendItem(c.obj.target, (*c.path, "volumeMounts"), {"name": name, "mountPath": "/dev/shm"}))
        msg = (
            f"{what} and no memory-backed /dev/shm: NCCL and the worker processes exchange tensors through "
            "shared memory, and the container runtime's 64 MB default makes them crash or hang"
        )
        yield ctx.finding(
            "LLM004", c.obj, at or (*c.path, "name"), msg, container=c, fix=make_fix("safe", desc, *edits), span=span
        )
