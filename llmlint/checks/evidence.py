"""Live-cluster evidence (``llmlint audit`` only): what pods, events and nodes show happened.

Each rule reads ``ctx.cluster`` (``llmlint.audit.facts.ClusterFacts``; None during ``scan``, and then the
rules yield nothing) and reports on the workload that owns the pods, so its fix patches that workload.
Evidence from pods made from an older spec than the workload's (the fix was applied, the rollout has not
replaced them yet) does not count: a fixed workload is not reported again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import handler, probe_budget, startup_need, threshold_for
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
from llmlint.graph.quantities import as_float as quantity  # a quantity as a number (memory sizes)
from llmlint.model import Finding, Fix, Path, SetValue
from llmlint.serving import gpus as gpu_table
from llmlint.serving.server import Server

if TYPE_CHECKING:
    from llmlint.audit.facts import ClusterFacts

JsonMap = dict[str, Any]
_VOLUME = re.compile(r'volume "([^"]+)"')


def _facts(ctx: Context) -> ClusterFacts | None:
    return ctx.cluster  # type: ignore[no-any-return]


def _name(o: JsonMap) -> str:
    return str(as_map(o.get("metadata")).get("name") or "?")


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else "an unknown time"


def _time(value: Any) -> datetime | None:
    from llmlint.audit.facts import parse_time

    return parse_time(value)


def _statuses(pod: JsonMap, c: Container) -> JsonMap | None:
    key = "initContainerStatuses" if c.init else "containerStatuses"
    for cs in as_list(dig(pod, "status", key)):
        if isinstance(cs, dict) and cs.get("name") == c.name:
            return cs
    return None


def _pod_container(pod: JsonMap, c: Container) -> JsonMap | None:
    key = "initContainers" if c.init else "containers"
    for pc in as_list(dig(pod, "spec", key)):
        if isinstance(pc, dict) and pc.get("name") == c.name:
            return pc
    return None


def _servers_with_pods(ctx: Context, facts: ClusterFacts) -> Iterator[tuple[Server, list[JsonMap]]]:
    seen: set[tuple[int, str]] = set()
    for s in ctx.servers:
        c = s.container
        key = (id(c.template.workload), c.name)
        if key in seen:
            continue
        seen.add(key)
        pods = facts.pods_of(c.obj)
        if pods:
            yield s, pods


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# ---- LLM101 observed-oom-kills --------------------------------------------------------------------


@check("LLM101")
def observed_oom_kills(ctx: Context) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    factor = float(ctx.param("oom-memory-factor"))
    for s, pods in _servers_with_pods(ctx, facts):
        c = s.container
        limit_now = quantity(c.resource("limits", "memory"))
        kills: list[tuple[str, int, datetime | None, str]] = []
        for pod in pods:
            cs = _statuses(pod, c)
            if cs is None:
                continue
            term = None
            for where in ("lastState", "state"):
                t = as_map(as_map(cs.get(where)).get("terminated"))
                if t.get("reason") == "OOMKilled":
                    term = t
                    break
            if term is None:
                continue
            pc = _pod_container(pod, c)
            limit_then = quantity(dig(pc, "resources", "limits", "memory")) if pc else None
            if limit_then is not None and limit_now is not None and limit_now > limit_then:
                continue  # killed under a smaller limit than the workload has now: already fixed
            restarts = as_int(cs.get("restartCount")) or 0
            node = str(dig(pod, "spec", "nodeName") or "?")
            kills.append((_name(pod), restarts, _time(term.get("finishedAt")), node))
        if not kills:
            continue
        kills.sort(key=lambda k: (k[2] is not None, k[2].timestamp() if k[2] is not None else 0.0))
        last = kills[-1]
        restarts = sum(k[1] for k in kills)
        limit = c.resource("limits", "memory")
        msg = (
            f"container {c.name} was OOMKilled in {_plural(len(kills), 'pod')} of {len(pods)} "
            f"({_plural(restarts, 'restart')} in all; last at {_when(last[2])}, pod {last[0]} on node {last[3]}); "
            + (
                f"its memory limit {limit} is too small"
                if limit is not None
                else "it has no memory limit and the node ran out"
            )
            + ": the kernel kills the server for host RAM (weights staged in CPU memory while loading, "
            "tokenizer and API workers, --swap-space), not GPU memory, and it loads the model again from scratch"
        )
        res_path: Path = (*c.path, "resources")
        fix: Fix | None = None
        at: Path = res_path if c.resources else c.path
        if limit_now is not None:
            gib = math.ceil(limit_now * factor / 2**30)
            new = f"{gib}Gi"
            at = (*res_path, "limits", "memory")
            edits = [SetValue(c.obj.target, (*res_path, "limits", "memory"), new)]
            req = quantity(c.resource("requests", "memory"))
            if req is not None and req < gib * 2**30:
                edits.append(SetValue(c.obj.target, (*res_path, "requests", "memory"), new))
            fix = make_fix(
                "unsafe",
                f"raise the memory limit{' and request' if len(edits) > 1 else ''} of {c.name} "
                f"from {limit} to {new} (×{factor:g}); the pods need nodes with that much free memory",
                *edits,
            )
        yield ctx.finding("LLM101", c.obj, at, msg, container=c, fix=fix)


# ---- LLM102 observed-slow-start --------------------------------------------------------------------


def _ready_at(pod: JsonMap) -> datetime | None:
    for cond in as_list(dig(pod, "status", "conditions")):
        if isinstance(cond, dict) and cond.get("type") == "Ready" and cond.get("status") == "True":
            return _time(cond.get("lastTransitionTime"))
    return None


def _probe_events(facts: ClusterFacts, pod: JsonMap, c: Container) -> tuple[int, datetime | None, str]:
    """Startup-probe failures (count, last time, probe) seen for the container of ``pod``."""
    count, last, kind = 0, None, ""
    for ev in facts.events_of_pod(pod):
        msg = str(ev.get("message") or ev.get("note") or "")
        if ev.get("reason") != "Unhealthy" or not msg.startswith(
            ("Startup probe failed", "Liveness probe failed")
        ):
            continue
        fp = str(as_map(ev.get("involvedObject")).get("fieldPath") or "")
        if fp and f"{{{c.name}}}" not in fp:
            continue
        count += as_int(ev.get("count")) or as_int(dig(ev, "series", "count")) or 1
        kind = kind or msg.split(" probe", 1)[0].lower()
        t = _time(ev.get("lastTimestamp") or ev.get("eventTime") or dig(ev, "metadata", "creationTimestamp"))
        if t is not None and (last is None or t > last):
            last = t
    return count, last, kind


@check("LLM102")
def observed_slow_start(ctx: Context) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    headroom = float(ctx.param("slow-start-headroom"))
    for s, pods in _servers_with_pods(ctx, facts):
        c = s.container
        probe = c.probe("startupProbe")
        budget_now = probe_budget(probe)[0] if probe else None
        measured: list[tuple[float, str]] = []
        failing: list[tuple[str, int, int, datetime | None, str]] = []
        for pod in pods:
            pc = _pod_container(pod, c)
            if pc is not None and budget_now is not None:
                then = pc.get("startupProbe")
                budget_then = probe_budget(then)[0] if isinstance(then, dict) else 0
                if budget_then < budget_now:
                    continue  # made before the budget was raised
            cs = _statuses(pod, c)
            if cs is None:
                continue
            started = _time(dig(cs, "state", "running", "startedAt"))
            ready = _ready_at(pod)
            if cs.get("ready") is True and started is not None and ready is not None and ready >= started:
                took = (ready - started).total_seconds()
                # longer than the budget itself: the startup probe passed in time and readiness came
                # later (a readiness flap), so this is no load time
                if budget_now is None or took <= budget_now + probe_budget(probe or {})[2]:
                    measured.append((took, _name(pod)))
                continue
            if cs.get("ready") is True:
                continue
            restarts = as_int(cs.get("restartCount")) or 0
            events, last, kind = _probe_events(facts, pod, c)
            term = as_map(dig(cs, "lastState", "terminated"))
            # killed by the kubelet (SIGKILL / SIGTERM), not a crash of its own or the OOM killer
            killed = term.get("reason") != "OOMKilled" and as_int(term.get("exitCode")) in (137, 143)
            if events or (restarts and killed):
                failing.append((_name(pod), restarts, events, last, kind))
        longest = max(measured, default=None)
        delay, period = 0, 10
        if probe is not None:
            _, delay, period, _ = probe_budget(probe)
        if failing:
            restarts = sum(f[1] for f in failing)
            events = sum(f[2] for f in failing)
            last = max((f[3] for f in failing if f[3] is not None), default=None)
            what = next((f[4] for f in failing if f[4]), "")
            ev_text = (
                f", {events} '{what or 'startup'} probe failed' events, the last at {_when(last)}"
                if events
                else ""
            )
            need, why = startup_need(ctx, s)
            floor = 2.0 * (budget_now or 0)
            if longest is not None:
                floor = max(floor, longest[0])
            target = max(need, floor) * headroom
            budget_text = (
                f"the startupProbe allows {budget_now} s"
                if budget_now is not None
                else "there is no startupProbe"
            )
            msg = (
                f"{_plural(len(failing), 'pod')} of {len(pods)} restarted while starting and never became Ready "
                f"({_plural(restarts, 'restart')}{ev_text}, e.g. pod {failing[0][0]}): {budget_text} and {why}"
            )
        elif longest is not None and budget_now is not None and longest[0] > budget_now * 2 / 3:
            target = longest[0] * headroom
            msg = (
                f"pod {longest[1]} took {longest[0]:.0f} s from container start to Ready, more than 2/3 of the "
                f"startupProbe's {budget_now} s: a slower node or a cold cache will cross the limit and the "
                "pod is restarted in a loop"
            )
        else:
            continue
        fix = _budget_fix(c, probe, target, delay, period)
        at = (*c.path, "startupProbe") if probe is not None else c.path
        yield ctx.finding("LLM102", c.obj, at, msg, container=c, fix=fix)


def _budget_fix(c: Container, probe: JsonMap | None, target: float, delay: int, period: int) -> Fix | None:
    path = (*c.path, "startupProbe")
    if probe is not None:
        n = threshold_for(target, delay, period)
        return make_fix(
            "safe",
            f"raise startupProbe.failureThreshold to {n} ({delay} + {period} × {n} = {delay + period * n} s)",
            SetValue(c.obj.target, (*path, "failureThreshold"), n),
        )
    ready, live = c.probe("readinessProbe"), c.probe("livenessProbe")
    h = handler(ready or {}) or handler(live or {})
    if h is None:
        return None
    n = threshold_for(target, 0, 10)
    new = {h[0]: h[1], "periodSeconds": 10, "failureThreshold": n}
    return make_fix(
        "safe",
        f"add a startupProbe on the {h[0]} handler allowing {n * 10} s",
        SetValue(c.obj.target, path, new),
    )


# ---- LLM103 observed-multi-attach ------------------------------------------------------------------


def _is_multi_attach(ev: JsonMap) -> bool:
    msg = str(ev.get("message") or ev.get("note") or "")
    return ev.get("reason") == "FailedAttachVolume" or "Multi-Attach error" in msg


def _strategy(w: Workload) -> tuple[str, JsonMap]:
    st = as_map(dig(w.obj.data, "spec", "strategy"))
    return str(st.get("type") or "RollingUpdate"), as_map(st.get("rollingUpdate"))


@check("LLM103")
def observed_multi_attach(ctx: Context) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    done: set[int] = set()
    for w in ctx.graph.workloads:
        if id(w) in done:
            continue
        done.add(id(w))
        pods = facts.pods_of(w.obj)
        count, hit_pods, volumes, last, example = 0, [], [], None, ""
        for pod in pods:
            evs = [e for e in facts.events_of_pod(pod) if _is_multi_attach(e)]
            if not evs:
                continue
            hit_pods.append(_name(pod))
            for ev in evs:
                count += as_int(ev.get("count")) or 1
                m = _VOLUME.search(str(ev.get("message") or ""))
                if m and m.group(1) not in volumes:
                    volumes.append(m.group(1))
                t = _time(
                    ev.get("lastTimestamp") or ev.get("eventTime") or dig(ev, "metadata", "creationTimestamp")
                )
                if t is not None and (last is None or t > last):
                    last, example = t, str(ev.get("message") or "")
                example = example or str(ev.get("message") or "")
        if not hit_pods:
            continue
        replicas = w.replicas if w.replicas is not None else 1
        stype, _ = _strategy(w)
        if w.kind == "Deployment" and stype == "Recreate" and replicas <= 1:
            continue  # no manifest change avoids the rest (a node failure): nothing to fix here
        vols = f" for volume {', '.join(volumes)}" if volumes else ""
        msg = (
            f"{_plural(count, 'FailedAttachVolume / Multi-Attach event')}{vols} for {_plural(len(hit_pods), 'pod')} "
            f"({', '.join(hit_pods[:3])}{'…' if len(hit_pods) > 3 else ''}; last at {_when(last)}): "
            "a ReadWriteOnce volume is still attached to another node, and the new pod waits for it"
        )
        if example:
            msg += f' ("{" ".join(example.split())[:160]}")'
        fix = None
        at: Path = ("metadata", "name")
        if w.kind == "Deployment" and replicas <= 1:
            msg += "; a RollingUpdate starts the new pod before the old one releases the volume"
            at = ("spec", "strategy") if dig(w.obj.data, "spec", "strategy") is not None else at
            fix = make_fix(
                "unsafe",
                "use strategy Recreate (the old pod stops before the new one starts: a short outage per rollout)",
                SetValue(w.obj.target, ("spec", "strategy"), {"type": "Recreate"}),
            )
        else:
            msg += (
                "; pods on several nodes cannot share it: use a ReadWriteMany storage class, or per-pod claims "
                "(StatefulSet volumeClaimTemplates)"
            )
        yield ctx.finding("LLM103", w.obj, at, msg, fix=fix)


# ---- LLM104 no-spare-gpus --------------------------------------------------------------------------


def _node_ready(node: JsonMap) -> bool:
    for cond in as_list(dig(node, "status", "conditions")):
        if isinstance(cond, dict) and cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _surge(w: Workload) -> tuple[int, str] | None:
    """Pods a RollingUpdate adds before removing old ones, and maxSurge as written (API default 25%)."""
    stype, ru = _strategy(w)
    if stype != "RollingUpdate":
        return None
    raw = ru.get("maxSurge", "25%")
    replicas = w.replicas if w.replicas is not None else 1
    if isinstance(raw, str) and raw.strip().endswith("%"):
        try:
            pct = float(raw.strip()[:-1])
        except ValueError:
            return None
        return math.ceil(pct * replicas / 100), raw
    n = as_int(raw)
    return (n, str(raw)) if n is not None else None


def _template_gpus(t: PodTemplate, key: str) -> int:
    total = 0
    for c in t.containers:
        n = as_int(c.resource("limits", key))
        total += n if n is not None else (as_int(c.resource("requests", key)) or 0)
    return total


def free_gpus(facts: ClusterFacts, key: str, node_selector: dict[str, str]) -> dict[str, int]:
    """Free ``key`` GPUs per schedulable (Ready, not cordoned) node matching ``node_selector``."""
    used = facts.gpus_used(key)
    out: dict[str, int] = {}
    for name, node in facts.nodes.items():
        alloc = as_int(dig(node, "status", "allocatable", key))
        if not alloc or dig(node, "spec", "unschedulable") is True or not _node_ready(node):
            continue
        labels = {str(k): str(v) for k, v in as_map(dig(node, "metadata", "labels")).items()}
        if any(labels.get(k) != v for k, v in node_selector.items()):
            continue
        out[name] = max(alloc - used.get(name, 0), 0)
    return out


@check("LLM104")
def no_spare_gpus(ctx: Context) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    gpu_nodes = [
        n
        for n in facts.nodes.values()
        if any(as_int(dig(n, "status", "allocatable", k)) for k in GPU_RESOURCES)
    ]
    if not gpu_nodes:
        return  # nodes unknown (forbidden) or no GPU nodes at all: nothing to measure
    for w in ctx.graph.workloads:
        if w.kind != "Deployment" or not w.templates:
            continue
        t = w.templates[0]
        key = next((k for k in GPU_RESOURCES if _template_gpus(t, k) > 0), None)
        if key is None:
            continue
        surge = _surge(w)
        if surge is None or surge[0] <= 0:
            continue
        per_pod = _template_gpus(t, key)
        selector = {str(k): str(v) for k, v in as_map(t.spec.get("nodeSelector")).items()}
        free = free_gpus(facts, key, selector)
        best = max(free.items(), key=lambda kv: kv[1], default=None)
        if best is not None and best[1] >= per_pod:
            continue
        total = sum(free.values())
        where = f" (at most {best[1]} on one node, {best[0]})" if best is not None else ""
        scope = (
            f"; counted from the pods of namespace {facts.namespace} only"
            if facts.namespace is not None and len(facts.node_pods) == len(facts.pods)
            else ""
        )
        replicas = w.replicas if w.replicas is not None else 1
        msg = (
            f"a rollout first adds {_plural(surge[0], 'pod')} (maxSurge {surge[1]}) of {per_pod} {key} each, "
            f"but the {_plural(len(free), 'schedulable node')} {'that match' if selector else 'with GPUs'} "
            f"have {total} free{where}{scope}: the new pod stays Pending and the rollout never completes"
        )
        if replicas >= 2:
            new: JsonMap = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
            desc = (
                "roll with maxSurge: 0, maxUnavailable: 1 (one replica down at a time, no spare GPUs needed)"
            )
        else:
            new = {"type": "Recreate"}
            desc = "use strategy Recreate (one replica: the old pod stops before the new one starts)"
        fix = make_fix("unsafe", desc, SetValue(w.obj.target, ("spec", "strategy"), new))
        at: Path = ("spec", "strategy", "rollingUpdate", "maxSurge")
        if dig(w.obj.data, *at) is None:
            at = (
                ("spec", "strategy")
                if dig(w.obj.data, "spec", "strategy") is not None
                else ("metadata", "name")
            )
        yield ctx.finding("LLM104", w.obj, at, msg, fix=fix)


# ---- LLM105 node-gpu-too-small ---------------------------------------------------------------------


@check("LLM105")
def node_gpu_too_small(ctx: Context) -> Iterator[Finding]:
    facts = _facts(ctx)
    if facts is None:
        return
    for s, pods in _servers_with_pods(ctx, facts):
        c = s.container
        n_gpus = c.gpus()
        weights = s.weight_gb()
        if n_gpus <= 0 or weights is None:
            continue
        wanted = gpu_table.selector_labels(c.template.spec)
        small: list[tuple[str, gpu_table.Gpu, str]] = []
        for pod in pods:
            node_name = dig(pod, "spec", "nodeName")
            node = facts.nodes.get(node_name) if isinstance(node_name, str) else None
            if node is None:
                continue
            labels = {str(k): str(v) for k, v in as_map(dig(node, "metadata", "labels")).items()}
            if any(labels.get(k) != v for k, v in wanted.items()):
                continue  # the workload no longer asks for this node's kind (a fix waiting for its rollout)
            found = gpu_table.from_labels(labels)
            if found is None:
                continue
            g, _, label = found
            if g.memory_gib * n_gpus < weights and all(x[0] != node_name for x in small):
                small.append((str(node_name), g, label))
        if not small:
            continue
        node_name, g, label = small[0]
        others = f" and {_plural(len(small) - 1, 'more node')}" if len(small) > 1 else ""
        model = s.model() or "the model"
        msg = (
            f"{model} needs about {weights:.0f} GB for its weights alone, but its pods run on node {node_name}"
            f"{others} ({g.name}, {g.memory_gib:g} GiB per GPU, from {label}): {n_gpus} × {g.memory_gib:g} GiB = "
            f"{g.memory_gib * n_gpus:g} GiB; the server fails to load (CUDA out of memory) and restarts"
        )
        fix = _bigger_gpu_fix(ctx, facts, s, weights, n_gpus)
        if fix is None:
            msg += (
                "; no node of the cluster has GPUs that fit: raise tensor parallelism (and GPUs) or quantize"
            )
        at: Path = c.path
        for k in GPU_RESOURCES:
            if c.resource("limits", k) is not None:
                at = (*c.path, "resources", "limits", k)
                break
        yield ctx.finding("LLM105", c.obj, at, msg, container=c, fix=fix)


def _bigger_gpu_fix(ctx: Context, facts: ClusterFacts, s: Server, weights: float, n_gpus: int) -> Fix | None:
    """Pin the pods to the smallest GPU among the cluster's nodes that holds the weights."""
    best: tuple[float, str, str, str] | None = None
    for node in facts.nodes.values():
        labels = {str(k): str(v) for k, v in as_map(dig(node, "metadata", "labels")).items()}
        found = gpu_table.from_labels(labels)
        if found is None:
            continue
        g, _, label = found
        if g.memory_gib * n_gpus < weights:
            continue
        key, _, value = label.partition("=")
        if best is None or g.memory_gib < best[0]:
            best = (g.memory_gib, key, value, g.name)
    if best is None:
        return None
    t = s.container.template
    return make_fix(
        "unsafe",
        f"schedule the pods on {best[3]} nodes (nodeSelector {best[1]}: {best[2]}, {n_gpus} × {best[0]:g} GiB)",
        SetValue(t.obj.target, (*t.spec_path, "nodeSelector", best[1]), best[2]),
    )
