"""GPU and shared memory: the settings that end in OOMKilled or a CUDA out-of-memory."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import (
    display_name,
    edit_value,
    flag_anchor,
    merged_first_last,
    once,
    other_accelerator,
    own,
    own_spec,
    pod_at,
    runtime_unresolved,
    where,
)
from llmlint.graph.objects import Container, K8sObject, PodTemplate, as_int, as_map, dig
from llmlint.lazyre import LazyRe
from llmlint.model import AppendItem, Edit, Finding, Fix, Path, SetValue
from llmlint.serving import gpus
from llmlint.serving.server import Server


def _float(v: str | None) -> float | None:
    try:
        return float(v) if v is not None else None
    except ValueError:
        return None


@check("LLM003")
def gpu_memory_utilization_too_high(ctx: Context) -> Iterator[Finding]:
    return once(_gpu_memory_utilization_too_high(ctx))


def _gpu_memory_utilization_too_high(ctx: Context) -> Iterator[Finding]:
    limit = float(ctx.param("max-gpu-memory-utilization"))
    target = float(ctx.param("gpu-memory-utilization"))
    for s in merged_first_last(ctx.inference_servers()):
        f = s.flag("mem")
        if f is None or f.value is None:
            continue
        v = _float(f.value)
        if v is None or v < limit:
            continue
        origin = f.value_origin()
        obj, path, span = flag_anchor(s, f)
        new = f"{target:.2f}"
        fix = None
        suffix = ""
        if origin is not None:
            suffix = where(origin, s)
            desc = f"set {f.name} to {new}{suffix}"
            length = s.flag("max_len")
            if length is not None:
                # a context length sized to what fit at the old value may no longer fit the smaller KV cache
                shown = f"{length.name} {length.value}" if length.value is not None else length.name
                desc += f"; check that {shown} still fits the smaller KV cache, or the server may not start"
            fix = make_fix("unsafe" if length is not None else "safe", desc, edit_value(origin, f.value, new))
        msg = (
            f"{f.name} {f.value}{suffix} for {display_name(s)} leaves {100 - v * 100:.0f}% of GPU memory for "
            f"CUDA, NCCL and activations: OOM under load (max {target:.2f})"
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


Where = tuple[K8sObject, Path]


def _nnodes(s: Server) -> int:
    """Nodes (pods) one server instance spans: ``--nnodes`` (SGLang, vLLM); 1 when absent or unreadable."""
    n = None
    for f in s.flags:
        if f.name.replace("_", "-") == "--nnodes":
            n = as_int(f.value) if f.value is not None else None
    return n if n is not None and n > 0 else 1


_RAY = LazyRe(r"ray\s+start|--distributed-executor-backend[=\s]+ray|--worker-use-ray", re.IGNORECASE)


def _multi_pod(s: Server) -> bool:
    """Does one server instance span several pods (a LeaderWorkerSet group, a Ray cluster)? A single pod
    whose parallelism exceeds its GPUs cannot start (LLM010), and still needs /dev/shm once it has them."""
    c = s.container
    w = c.template.workload
    if w.kind == "LeaderWorkerSet":
        size = as_int(dig(w.obj.data, "spec", "leaderWorkerTemplate", "size"))
        if size is not None and size > 1:
            return True
    argv = " ".join(str(x) for x in [*c.strings("command"), *c.strings("args")])
    return _RAY.search(argv) is not None


def parallel_degree(s: Server) -> tuple[int, str, Where | None, tuple[int, int] | None]:
    """How many GPUs of this pod the server spreads one model over, why we think so, and where that is
    written. /dev/shm is the pod's own: a model spread over several pods (``--nnodes``, a LeaderWorkerSet
    group) puts only its share of each pod's GPUs through it."""
    tp, pp = s.tp, s.pp
    if tp * pp > 1:
        f = s.flag("tp") if tp > 1 else s.flag("pp")
        assert f is not None
        obj, path, span = flag_anchor(s, f)
        what = f"{f.name} {f.value}" + (f" × pipeline {pp}" if pp > 1 and tp > 1 else "")
        nodes = _nnodes(s)
        local = -(-(tp * pp) // nodes)
        pod_gpus = s.container.template.gpus()
        if pod_gpus > 0 and (nodes > 1 or _multi_pod(s)):
            local = min(local, pod_gpus)  # the other ranks run in the group's other pods
        if local != tp * pp:
            what += f" ({local} GPU{'s' if local != 1 else ''} in this pod)"
        return local, what, (obj, path), span
    g = s.gpus
    if g > 1:
        c = s.container
        key = "limits" if c.resource("limits", "nvidia.com/gpu") is not None else "requests"
        return g, f"{g} GPUs", (c.obj, (*c.path, "resources", key)), None
    return 1, "", None, None


def _mounted_anywhere(t: PodTemplate, name: str) -> bool:
    return any(m.get("name") == name for c in t.all_containers() for _, m in c.mounts)


def shm_fix(ctx: Context, s: Server, degree: int) -> tuple[list[Edit], str]:
    """Edits that give the container a memory-backed /dev/shm, reusing a volume the pod already has."""
    c, t = s.container, s.container.template
    tgt = c.obj.target
    size = shm_size(ctx, max(degree, s.gpus))
    edits: list[Edit] = []
    spare = [
        (i, v)
        for i, v in t.volumes
        if "shm" in str(v.get("name", "")).lower() and not _mounted_anywhere(t, str(v.get("name")))
    ]
    ready = next(((i, v) for i, v in spare if memory_backed(v)), None)
    disk = next(((i, v) for i, v in spare if "emptyDir" in v and not memory_backed(v)), None)
    if ready is not None:
        name = str(ready[1].get("name"))
        desc = f"mount the memory-backed volume {name!r} at /dev/shm"
    elif disk is not None:
        i, v = disk
        name = str(v.get("name"))
        vobj, vpath = pod_at(t, "volumes", i)
        base = (*vpath, "emptyDir")
        edits.append(SetValue(vobj.target, (*base, "medium"), "Memory"))
        limit = as_map(v.get("emptyDir")).get("sizeLimit")
        if not limit:
            edits.append(SetValue(vobj.target, (*base, "sizeLimit"), size))
        desc = f"make the unused emptyDir {name!r} memory-backed and mount it at /dev/shm"
    else:
        name = _free_name(t, "dshm")
        volume = {"name": name, "emptyDir": {"medium": "Memory", "sizeLimit": size}}
        vpath = (*t.spec_path, "volumes")
        edits.append(
            AppendItem(tgt, vpath, volume) if "volumes" in own_spec(t) else SetValue(tgt, vpath, [volume])
        )
        desc = f"add an emptyDir volume {name!r} (medium: Memory, sizeLimit: {size}) mounted at /dev/shm"
    mount = {"name": name, "mountPath": "/dev/shm"}
    mpath = (*c.path, "volumeMounts")
    edits.append(AppendItem(tgt, mpath, mount) if "volumeMounts" in own(c) else SetValue(tgt, mpath, [mount]))
    return edits, desc


@check("LLM004")
def missing_dev_shm(ctx: Context) -> Iterator[Finding]:
    return once(_missing_dev_shm(ctx))


def _missing_dev_shm(ctx: Context) -> Iterator[Finding]:
    for s in merged_first_last(ctx.servers):
        degree, what, anchor, span = parallel_degree(s)
        if degree <= 1 or (s.gpus == 0 and other_accelerator(s)):
            continue
        if runtime_unresolved(s):
            continue  # the serving runtime KServe merges in may mount /dev/shm
        if s.container.template.spec.get("hostIPC") is True:
            continue  # the node's IPC namespace: /dev/shm is the node's, not the runtime's 64 MB
        c = s.container
        if shm_mount(c) is not None:
            continue  # mounted: LLM016 judges the volume behind it
        edits, desc = shm_fix(ctx, s, degree)
        msg = (
            f"{display_name(s)} runs over {what} with no memory-backed /dev/shm: NCCL crashes or hangs in the "
            "64 MB default"
        )
        obj, path = anchor or (c.obj, (*c.path, "name"))
        yield ctx.finding(
            "LLM004",
            obj,
            path,
            msg,
            container=c,
            fix=make_fix("safe", desc, *edits),
            span=span,
        )


@check("LLM016")
def shm_not_memory_backed(ctx: Context) -> Iterator[Finding]:
    return once(_shm_not_memory_backed(ctx))


def _shm_not_memory_backed(ctx: Context) -> Iterator[Finding]:
    for s in merged_first_last(ctx.servers):
        c, t = s.container, s.container.template
        mount = shm_mount(c)
        if mount is None:
            continue
        degree, what, _, _ = parallel_degree(s)
        if degree <= 1 or (s.gpus == 0 and other_accelerator(s)):
            continue  # no tensor-parallel traffic goes through it: its backing changes nothing useful
        name = mount[1].get("name")
        vol = t.volume(str(name)) if name is not None else None
        if vol is None:
            continue
        vi, v = vol
        if "hostPath" in v:
            continue  # the node's own /dev/shm
        vobj, vpath = pod_at(t, "volumes", vi)
        model = display_name(s)
        if "emptyDir" not in v:
            kind = next((k for k in v if k != "name"), "?")
            msg = f"/dev/shm of {model} over {what} is a {kind} volume, not RAM: NCCL traffic slows to a crawl or fails"
            yield ctx.finding("LLM016", t.obj, (*t.spec_path, "volumes", vi, "name"), msg, container=c)
            continue
        ed = as_map(v.get("emptyDir"))
        medium, limit = ed.get("medium"), ed.get("sizeLimit")
        if medium == "Memory" and limit:
            continue
        size = shm_size(ctx, max(degree, s.gpus))
        edits: list[Edit] = []
        base = (*vpath, "emptyDir")
        if medium != "Memory":
            edits.append(SetValue(vobj.target, (*base, "medium"), "Memory"))
            msg = (
                f"/dev/shm of {model} over {what} is a disk-backed emptyDir (no medium: Memory): "
                "NCCL's shared buffers hit the node's disk"
            )
        else:
            msg = (
                f"/dev/shm of {model} over {what} has no sizeLimit: its pages count against the memory limit, "
                "so a burst is OOMKilled"
            )
        if not limit:
            edits.append(SetValue(vobj.target, (*base, "sizeLimit"), size))
        fix = make_fix(
            "safe", f"set the /dev/shm volume to medium: Memory with sizeLimit: {limit or size}", *edits
        )
        yield ctx.finding(
            "LLM016", t.obj, (*t.spec_path, "volumes", vi, "emptyDir"), msg, container=c, fix=fix
        )


def _gpu_of(ctx: Context, s: Server) -> tuple[gpus.Gpu, str] | None:
    found = gpus.from_labels(gpus.selector_labels(s.container.template.spec))
    if found is not None:
        return found[0], found[2]
    default = ctx.param("default-gpu")
    if default:
        g = gpus.gpu(str(default))
        if g is not None:
            return g, "config default-gpu"
    return None


def _utilization(s: Server) -> float:
    v = _float(s.value("mem"))
    if v is not None and 0 < v <= 1:
        return v
    return 0.88 if s.framework is not None and s.framework.key == "sglang" else 0.9


@check("LLM011")
def model_exceeds_gpu_memory(ctx: Context) -> Iterator[Finding]:
    return once(_model_exceeds_gpu_memory(ctx))


def _model_exceeds_gpu_memory(ctx: Context) -> Iterator[Finding]:
    for s in merged_first_last(ctx.inference_servers()):
        gb = s.weight_gb()
        if gb is None or s.framework is None:
            continue
        found = _gpu_of(ctx, s)
        if found is None:
            continue
        gpu, source = found
        degree = s.tp * s.pp
        util = _utilization(s)
        per_gpu = gb * 1e9 / 2**30 / degree
        usable = gpu.memory_gib * util
        if per_gpu <= usable:
            continue
        need = 1
        while gb * 1e9 / 2**30 / need > usable:
            need *= 2
        c = s.container
        assumed = " (config default-gpu)" if source == "config default-gpu" else ""
        msg = (
            f"{display_name(s)} needs {per_gpu:.0f} GiB of weights per GPU over {degree}, more than a {gpu.name}"
            f"{assumed} gives ({gpu.memory_gib:g} GiB × {util:.2f} = {usable:.0f}): CUDA out of memory at start"
        )
        fix = _tp_fix(s, need) if need <= 8 and s.pp == 1 else None
        if fix is None and need > 8:
            msg += "; no single node holds it"
        tp = s.flag("tp")
        obj, path, span = flag_anchor(s, tp) if tp is not None else (c.obj, (*c.path, "image"), None)
        yield ctx.finding("LLM011", obj, path, msg, container=c, fix=fix, span=span)


def _tp_fix(s: Server, n: int) -> Fix | None:
    """Tensor parallel size ``n`` and as many GPUs (requests and limits)."""
    c = s.container
    tgt = c.obj.target
    edits: list[Edit] = []
    flag = s.flag("tp")
    if flag is not None and flag.value is not None:
        origin = flag.value_origin()
        if origin is None:
            return None
        edits.append(edit_value(origin, flag.value, str(n)))
    else:
        if s.in_shell or s.framework is None or not s.framework.flag_names("tp"):
            return None
        name = s.framework.flag_names("tp")[0]
        path = (*c.path, "args")
        edits.append(
            AppendItem(tgt, path, f"{name}={n}") if "args" in own(c) else SetValue(tgt, path, [f"{name}={n}"])
        )
    for section in ("limits", "requests"):
        key = "nvidia.com/gpu"
        if section == "limits" or c.resource("requests", key) is not None:
            edits.append(SetValue(tgt, (*c.path, "resources", section, key), n))
    return make_fix(
        "unsafe", f"serve over {n} GPUs: tensor parallel size {n} and nvidia.com/gpu: {n}", *edits
    )


@check("LLM022")
def max_model_len_unset(ctx: Context) -> Iterator[Finding]:
    return once(_max_model_len_unset(ctx))


def _max_model_len_unset(ctx: Context) -> Iterator[Finding]:
    threshold = int(ctx.param("long-context-threshold"))
    target = int(ctx.param("max-model-len"))
    for s in merged_first_last(ctx.inference_servers()):
        fw = s.framework
        if fw is None or not fw.uses_vllm_engine or s.flag("max_len") is not None:
            continue
        ctx_len = s.context_length()
        if ctx_len is None or ctx_len < threshold:
            continue
        c = s.container
        fix = None
        if not s.in_shell:
            flag = fw.flag_names("max_len")[0]
            fix = make_fix(
                "unsafe",
                f"add {flag}={target} (parameter max-model-len)",
                AppendItem(c.obj.target, (*c.path, "args"), f"{flag}={target}")
                if "args" in own(c)
                else SetValue(c.obj.target, (*c.path, "args"), [f"{flag}={target}"]),
            )
        msg = (
            f"{display_name(s)} supports {ctx_len:,} tokens and has no --max-model-len: vLLM fails to start if "
            "its KV cache cannot hold one such sequence"
        )
        mf = s.flag("model")
        if mf is not None:
            obj, path, span = flag_anchor(s, mf)
        else:
            obj, path, span = c.obj, (*c.path, "image"), None
        yield ctx.finding("LLM022", obj, path, msg, container=c, fix=fix, span=span)
