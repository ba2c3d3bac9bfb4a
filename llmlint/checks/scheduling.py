"""Scheduling: what a GPU pod asks the scheduler and the API for, and whether that matches what it runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.availability import LONG_RUNNING
from llmlint.checks.common import display_name, flag_anchor, model_name
from llmlint.checks.facts import container_label, gke_accelerator, is_context
from llmlint.graph.objects import (
    GPU_RESOURCES,
    Container,
    PodTemplate,
    Workload,
    as_int,
    as_list,
    as_map,
    dig,
)
from llmlint.graph.quantities import quantity, same
from llmlint.lazyre import LazyRe
from llmlint.model import AppendItem, Edit, Finding, Path, SetValue
from llmlint.serving.args import Word
from llmlint.serving.frameworks import by_command
from llmlint.serving.server import Flag, Server

# ---- quantities ---------------------------------------------------------------------------------------


def _show(v: Any) -> str:
    return str(v)


def _like(old: Any, n: int) -> Any:
    """``n`` written like ``old`` (a quoted string stays a string)."""
    return str(n) if isinstance(old, str) else n


def _res_path(c: Container, section: str, key: str) -> Path:
    return (*c.path, "resources", section, key)


# Accelerators are extended resources (never overcommitted): NVIDIA GPUs and MIG slices, AMD and Intel GPUs,
# Gaudi, TPUs, Neuron.
ACCELERATOR = re.compile(
    r"^(nvidia\.com/|amd\.com/gpu|gpu\.intel\.com/|habana\.ai/|google\.com/tpu|aws\.amazon\.com/neuron)"
)


def accelerators(c: Container) -> list[str]:
    """The accelerator resources ``c`` names in requests or limits."""
    out: list[str] = []
    for section in ("requests", "limits"):
        for key in as_map(c.resources.get(section)):
            if isinstance(key, str) and ACCELERATOR.match(key) and key not in out:
                out.append(key)
    return out


def _gpu_containers(t: PodTemplate) -> Iterator[Container]:
    for c in t.all_containers():
        if accelerators(c):
            yield c


# ---- LLM009 -------------------------------------------------------------------------------------------


@check("LLM009")
def gpu_request_limit_mismatch(ctx: Context) -> Iterator[Finding]:
    for w in ctx.graph.workloads:
        if is_context(w.obj):
            continue
        for t in w.templates:
            for c in _gpu_containers(t):
                for key in accelerators(c):
                    req, lim = c.resource("requests", key), c.resource("limits", key)
                    if req is None or quantity(req) is None:
                        continue  # limits alone (the request defaults to them), or a malformed value
                    if lim is not None and same(req, lim):
                        continue
                    fix = make_fix(
                        "safe",
                        f"set resources.limits[{key}] to {_show(req)} (= requests)",
                        SetValue(c.obj.target, _res_path(c, "limits", key), req),
                    )
                    who = f"{'init container' if c.init else 'container'} {container_label(c)!r}"
                    if lim is None:
                        path = _res_path(c, "requests", key)
                        msg = (
                            f"{who} requests {key}: {_show(req)} without a limit: the API server rejects the pod "
                            "(an extended resource needs a limit)"
                        )
                    else:
                        path = _res_path(c, "limits", key)
                        msg = (
                            f"{who} requests {key}: {_show(req)} but limits {_show(lim)}: the API server rejects "
                            "the pod (extended resources need requests = limits)"
                        )
                    yield ctx.finding("LLM009", c.obj, path, msg, container=c, fix=fix)


# ---- LLM010 -------------------------------------------------------------------------------------------

_RAY = LazyRe(r"ray\s+start|--distributed-executor-backend[=\s]+ray|--worker-use-ray", re.IGNORECASE)


def _argv_text(c: Container) -> str:
    return " ".join(str(x) for x in [*c.strings("command"), *c.strings("args")])


def _runs_server(s: Server) -> bool:
    """Whether the container starts the server itself (not, say, a Ray worker in the server's image)."""
    c = s.container
    if c.strings("command"):
        return by_command(_argv_text(c)) is not None
    return True  # the image's entrypoint is the server


class _Unreadable(Exception):
    """A parallelism flag whose value is not a number we can read (``$(TP)`` from a Secret)."""


def _int_flag(f: Flag | None, known: dict[str, int] | None = None) -> int | None:
    """The flag's positive integer value, or None when absent; raises _Unreadable otherwise.

    ``known`` resolves variables the manifest cannot: the LeaderWorkerSet controller sets
    ``LWS_GROUP_SIZE`` in every pod of a group (the vLLM LWS guide passes
    ``--pipeline-parallel-size $(LWS_GROUP_SIZE)``).
    """
    if f is None:
        return None
    value = f.value or ""
    for var, number in (known or {}).items():
        value = value.replace(f"$({var})", str(number))
    n = as_int(value)
    if n is None or n <= 0:
        raise _Unreadable(f.name)
    return n


def _named(s: Server, *names: str) -> Flag | None:
    found = None
    for f in s.flags:
        if f.name.replace("_", "-") in names:
            found = f
    return found


def parallel_size(s: Server, known: dict[str, int] | None = None) -> tuple[int, str, Flag | None] | None:
    """GPUs the server's parallelism needs (tensor × pipeline × data), in words, and the flag that says so.

    None when it cannot be known: a framework without such flags, TGI without ``--num-shard`` (it then
    shards over every GPU it sees), an unreadable value (``$(TP)`` from a Secret), or a container that does
    not start the server itself.
    """
    fw = s.framework
    if fw is not None and fw.key == "nim" and s.flag("tp") is None:
        return _nim_parallel(s)
    if fw is None or not fw.flag_names("tp"):
        return None
    try:
        tp, pp, dp = (_int_flag(s.flag(k), known) for k in ("tp", "pp", "dp"))
    except _Unreadable:
        return None
    explicit = tp is not None or pp is not None
    if not explicit and (fw.key not in ("vllm", "sglang") or not _runs_server(s)):
        return None  # TGI uses every visible GPU by default; KServe may size it itself
    ntp, npp, ndp = tp or 1, pp or 1, dp or 1
    if fw.key == "sglang" and _named(s, "--enable-dp-attention") is not None:
        ndp = 1  # DP attention runs its data-parallel ranks on the tensor-parallel GPUs
    local = _named(s, "--data-parallel-size-local", "-dpl")
    if fw.uses_vllm_engine and local is not None:
        try:
            ndp = _int_flag(local, known) or ndp  # this pod's share of a multi-node data-parallel group
        except _Unreadable:
            return None
    parts = []
    anchor: Flag | None = None
    for name, n, flag in (
        ("tensor", ntp, s.flag("tp")),
        ("pipeline", npp, s.flag("pp")),
        ("data", ndp, s.flag("dp")),
    ):
        if flag is not None and n >= 1 and (n > 1 or name == "tensor"):
            parts.append(f"{flag.name} {n}")
            anchor = anchor or flag
    if not parts:
        parts.append("tensor parallel size 1 (the default)")
    return ntp * npp * ndp, " × ".join(parts), anchor


NIM_PARALLEL_ENV = (("tensor", "NIM_TENSOR_PARALLEL_SIZE"), ("pipeline", "NIM_PIPELINE_PARALLEL_SIZE"))


def _nim_parallel(s: Server) -> tuple[int, str, Flag | None] | None:
    """NIM reads its parallelism from env (``NIM_TENSOR_PARALLEL_SIZE``, ``NIM_PIPELINE_PARALLEL_SIZE``);
    without them it picks a profile for the GPUs it sees (None: nothing to compare)."""
    total, parts, anchor = 1, [], None
    for _, var in NIM_PARALLEL_ENV:
        e = s.env.get(var)
        if e is None:
            continue
        n = as_int(e.value) if e.value is not None else None
        if n is None or n <= 0:
            return None  # unknown here (a Secret, a ConfigMap not scanned) or not a number
        total *= n
        parts.append(f"{var}={n}")
        if anchor is None:
            anchor = Flag(var, e.value, Word(var, [], e.item), None, env=e)
    if not parts:
        return None
    return total, " × ".join(parts), anchor


def _gpu_key(c: Container) -> str:
    for section in ("limits", "requests"):
        for key in GPU_RESOURCES:
            if c.resource(section, key) is not None:
                return key
    return GPU_RESOURCES[0]


def gpu_count_edits(c: Container, n: int) -> list[Edit]:
    """Edits that give container ``c`` ``n`` GPUs (limits, and requests where they are written)."""
    key = _gpu_key(c)
    lim, req = c.resource("limits", key), c.resource("requests", key)
    edits: list[Edit] = []
    if lim is not None or req is None:
        edits.append(
            SetValue(c.obj.target, _res_path(c, "limits", key), _like(lim if lim is not None else req, n))
        )
    if req is not None:
        edits.append(SetValue(c.obj.target, _res_path(c, "requests", key), _like(req, n)))
    return edits


def _lws_size(w: Workload) -> int | None:
    raw = dig(w.obj.data, "spec", "leaderWorkerTemplate", "size")
    return 1 if raw is None else as_int(raw)


def _group_gpus(w: Workload, size: int) -> tuple[int, str, list[tuple[PodTemplate, int]]]:
    """GPUs of one LeaderWorkerSet group, in words, and (template, pods of it in a group)."""
    leader = next((t for t in w.templates if t.role == "leader"), None)
    worker = next((t for t in w.templates if t.role == "worker"), None)
    pods: list[tuple[PodTemplate, int]] = []
    if leader is not None:
        pods.append((leader, 1))
        if worker is not None and size > 1:
            pods.append((worker, size - 1))
    elif worker is not None:
        pods.append((worker, size))
    total = sum(t.gpus() * n for t, n in pods)
    words = " + ".join(
        f"{n} {t.role} pod{'s' if n > 1 else ''} × {t.gpus()} GPU{'s' if t.gpus() != 1 else ''}"
        for t, n in pods
    )
    return total, words, pods


def _only_gpu_container(t: PodTemplate) -> Container | None:
    cs = [c for c in t.containers if c.gpus() > 0]
    return cs[0] if len(cs) == 1 else None


@check("LLM010")
def parallelism_gpu_mismatch(ctx: Context) -> Iterator[Finding]:
    done_lws: set[int] = set()
    for s in ctx.inference_servers():
        c = s.container
        t, w = c.template, c.template.workload
        if is_context(w.obj):
            continue
        known = {}
        if w.kind == "LeaderWorkerSet":
            size = _lws_size(w)
            known = {"LWS_GROUP_SIZE": size} if size else {}
        ps = parallel_size(s, known)
        if ps is None:
            continue
        need, what, flag = ps
        if w.kind == "InferenceService" and isinstance(dig(t.spec, "workerSpec"), dict):
            continue  # KServe multi-node: workerSpec.tensorParallelSize/pipelineParallelSize size the group
        edits: list[Edit] = []
        if w.kind == "LeaderWorkerSet":
            if flag is None or id(w) in done_lws:
                continue  # only the pod that launches the server with explicit sizes tells
            done_lws.add(id(w))
            size = _lws_size(w)
            if size is None or size < 1:
                continue
            have, _words, pods = _group_gpus(w, size)
            if have == 0 or have == need:
                continue
            where = f"a group of {size} pods has {have} GPU{'s' if have != 1 else ''}"
            if need % size == 0:
                per = need // size
                targets = [(_only_gpu_container(pt) or (c if pt is t else None)) for pt, _ in pods]
                if all(x is not None for x in targets):
                    for x in targets:
                        assert x is not None
                        edits.extend(gpu_count_edits(x, per))
            desc = f"give every pod of the group {need // size if edits else '?'} GPUs ({need} per group)"
        else:
            have = c.gpus()
            if have == 0:
                continue  # no GPU requested: nothing to compare with
            try:
                nnodes = _int_flag(_named(s, "--nnodes")) or 1
            except _Unreadable:
                continue
            if nnodes > 1:
                if need % nnodes:
                    continue
                need //= nnodes
                what += f" over --nnodes {nnodes} pods"
            if have == need:
                continue
            if need > have and _RAY.search(_argv_text(c)):
                continue  # a Ray cluster may bring the other GPUs
            where = f"the container gets {have} GPU{'s' if have != 1 else ''}"
            edits = gpu_count_edits(c, need)
            desc = f"set the container's {_gpu_key(c)} to {need}"
        if need > have:
            effect = "it cannot start"
        else:
            effect = f"{have - need} stay idle"
        if w.kind != "LeaderWorkerSet":
            where = f"the pod has {have} GPU{'s' if have != 1 else ''}"
        msg = (
            f"{display_name(s)} with {what} needs {need} GPU{'s' if need != 1 else ''} but {where}: {effect}"
        )
        fix = make_fix("unsafe", desc, *edits) if edits else None
        if flag is not None:
            obj, path, span = flag_anchor(s, flag)
        else:
            key = _gpu_key(c)
            section = "limits" if c.resource("limits", key) is not None else "requests"
            obj, path, span = c.obj, _res_path(c, section, key), None
        yield ctx.finding("LLM010", obj, path, msg, container=c, fix=fix, span=span)


# ---- LLM023 -------------------------------------------------------------------------------------------


def tolerates(tolerations: list[Any], key: str) -> bool:
    """Whether one of ``tolerations`` tolerates a ``key`` taint with effect NoSchedule (any value)."""
    for tol in tolerations:
        if not isinstance(tol, dict):
            continue
        op = tol.get("operator") or "Equal"
        effect = tol.get("effect") or ""
        if effect not in ("", "NoSchedule"):
            continue
        k = tol.get("key") or ""
        if op == "Exists" and k == "":
            return True
        if k == key and op in ("Exists", "Equal"):
            return True
    return False


@check("LLM023")
def gpu_toleration_missing(ctx: Context) -> Iterator[Finding]:
    key = str(ctx.param("gpu-taint-key"))
    for w in ctx.graph.workloads:
        if is_context(w.obj):
            continue
        for t in w.templates:
            # NVIDIA GPUs and MIG slices (nvidia.com/mig-1g.10gb) run on the same tainted nodes
            gpu = [(c, r) for c in _gpu_containers(t) for r in accelerators(c) if r.startswith("nvidia.com/")]
            if not gpu or gke_accelerator(t):
                continue  # GKE adds the toleration to pods that select an accelerator node pool
            tols = as_list(t.spec.get("tolerations"))
            if tolerates(tols, key):
                continue
            c, res = gpu[0]
            if "tolerations" in t.spec:
                path: Path = (*t.spec_path, "tolerations")
            else:
                section = "limits" if c.resource("limits", res) is not None else "requests"
                path = _res_path(c, section, res)
            toleration = {"key": key, "operator": "Exists", "effect": "NoSchedule"}
            fix = make_fix(
                "safe",
                f"add the toleration {{key: {key}, operator: Exists, effect: NoSchedule}}",
                AppendItem(t.obj.target, (*t.spec_path, "tolerations"), toleration),
            )
            role = f" {t.role}" if t.role in ("leader", "worker") else ""
            msg = (
                f"{template_name(ctx, t)}{role} pods request {res} but do not tolerate the {key}:NoSchedule "
                "taint of GPU node pools: they stay Pending on tainted nodes"
            )
            yield ctx.finding("LLM023", t.obj, path, msg, container=c, fix=fix)


def template_name(ctx: Context, t: PodTemplate) -> str:
    """How a message names a pod template: the model its server serves, else the workload."""
    for s in ctx.servers_of(t):
        if s.framework is not None:
            return model_name(s) or s.framework.title
    return f"{t.obj.kind} {t.obj.name}"


# ---- LLM026 -------------------------------------------------------------------------------------------

KSERVE_KINDS = frozenset({"InferenceService", "ServingRuntime", "ClusterServingRuntime"})

QOS_RESOURCES = ("cpu", "memory")


def _memory_state(c: Container) -> tuple[str, Edit | None, Path] | None:
    """Why ``c``'s memory keeps its pod from the Guaranteed class (None when it does not): a short reason,
    the edit that fixes it (the request raised to the limit) if there is one, and where it is written."""
    req, lim = c.resource("requests", "memory"), c.resource("limits", "memory")
    if (req is not None and quantity(req) is None) or (lim is not None and quantity(lim) is None):
        return None  # a malformed quantity: the API's schema error, not a QoS question
    if lim is not None and (req is None or same(req, lim)):
        return None  # a limit alone: the request defaults to it
    if lim is None and req is None:
        if c.obj.kind in KSERVE_KINDS:
            return None  # KServe merges the InferenceService's and its runtime's container: sized elsewhere
        at: Path = (*c.path, "resources") if "resources" in c.data else (*c.path, "name")
        return "unset", None, at
    if lim is None:
        # Adding a limit could OOM-kill a server that now uses more than its request: no automatic fix.
        return f"request {_show(req)} without a limit", None, _res_path(c, "requests", "memory")
    edit = SetValue(c.obj.target, _res_path(c, "requests", "memory"), lim)
    return f"request {_show(req)} < limit {_show(lim)}", edit, _res_path(c, "requests", "memory")


def _sets_nothing(c: Container) -> bool:
    return all(dig(c.resources, s, r) is None for s in ("requests", "limits") for r in QOS_RESOURCES)


def _one_shot_init(c: Container) -> bool:
    """An init container that runs to completion before the server starts (not a native sidecar, which
    runs beside it: ``restartPolicy: Always``)."""
    return c.init and c.data.get("restartPolicy") != "Always"


def _qos_class(t: PodTemplate) -> str:
    any_set = any(
        dig(c.resources, s, r) is not None
        for c in t.all_containers()
        for s in ("requests", "limits")
        for r in QOS_RESOURCES
    )
    return "Burstable" if any_set else "BestEffort"


def _label(c: Container) -> str:
    """A container as the LLM026 message names it: quoted, an init container said to be one."""
    return f"init container {container_label(c)!r}" if _one_shot_init(c) else repr(container_label(c))


def _names(labels: list[str], most: int = 3) -> str:
    shown = ", ".join(labels[:most])
    return shown + (f" and {len(labels) - most} more" if len(labels) > most else "")


@check("LLM026")
def not_guaranteed_qos(ctx: Context) -> Iterator[Finding]:
    """One finding per pod template whose memory is not guaranteed in some container (init containers and
    sidecars included). CPU alone is not reported: CPU limits are often left out on purpose (throttling),
    and CPU pressure never evicts or OOM-kills a pod."""
    seen: set[int] = set()
    for s in ctx.servers:
        t = s.container.template
        if id(t) in seen or (s.framework is None and t.workload.kind not in LONG_RUNNING):
            continue  # a GPU batch job (training, embedding) is not a server whose model must stay loaded
        seen.add(id(t))
        if is_context(t.obj):
            continue
        states = [(c, st) for c in t.all_containers() if (st := _memory_state(c)) is not None]
        if all(st[1] is not None for c, st in states if not _one_shot_init(c)):
            # the running containers are Guaranteed-sized (or the fix makes them so): an init container that
            # sets no cpu/memory at all has finished by then, and blaming it fixes nothing that matters
            states = [(c, st) for c, st in states if not (_one_shot_init(c) and _sets_nothing(c))]
        if not states:
            continue
        by_reason: dict[str, list[str]] = {}
        for c, (why, _, _) in sorted(states, key=lambda x: _one_shot_init(x[0])):  # the running ones first
            by_reason.setdefault(why, []).append(_label(c))
        if len(by_reason) == 1:
            why, who = next(iter(by_reason.items()))
            detail = f"memory {why} in {_names(who)}"
        else:
            detail = "memory " + "; ".join(f"{why} in {_names(who, 2)}" for why, who in by_reason.items())
        cls = _qos_class(t)
        subject = display_name(s) if s.framework is not None else f"{t.workload.kind} {t.obj.name}"
        msg = f"pods of {subject} are {cls} ({detail}): first to be evicted or OOM-killed"
        if len(msg) > 160:
            msg = f"pods of {subject} are {cls}: memory {detail.removeprefix('memory ')}"
        # the server's own container first: that is where the reader looks
        first = next((x for x in states if x[0] is s.container), states[0])
        edits = [st[1] for _, st in states if st[1] is not None]
        fix = None
        if len(edits) == len(states):
            names = _names([_label(c) for c, _ in states])
            fix = make_fix(
                "unsafe",
                f"set requests.memory = limits.memory in {names}; the pod then schedules only on a node with "
                "that much memory free",
                *edits,
            )
        yield ctx.finding("LLM026", first[0].obj, first[1][2], msg, container=first[0], fix=fix)
