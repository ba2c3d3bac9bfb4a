"""Probes that kill or hide a server while its model loads."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import (
    PROBES,
    at,
    display_name,
    handler,
    merged_first_last,
    once,
    other_accelerator,
    probe_budget,
    probed,
    startup_cap,
    startup_estimate,
    threshold_for,
)
from llmlint.graph.objects import Container, as_int
from llmlint.model import Finding, Fix, SetValue
from llmlint.serving.server import Server


def _loads_lazily(s: Server) -> bool:
    """Ollama answers at once and loads a model on its first request: its start holds no model load."""
    return s.framework is not None and s.framework.key == "ollama"


def _seconds(need: float, cap: int) -> str:
    return f"more than {cap}" if need > cap else f"about {need:.0f}"


# Accelerators whose servers compile the model at start (on top of loading it): how long is not known here.
_COMPILES = {
    "google.com/tpu": "TPU (XLA compiles too)",
    "aws.amazon.com/neuron": "Neuron (neuronx-cc compiles too)",
    "aws.amazon.com/neuroncore": "Neuron (neuronx-cc compiles too)",
}
PERIOD = 10  # periodSeconds of a startupProbe a fix writes


def _startup_fix(
    c: Container,
    source: str,
    h: tuple[str, Any],
    need: float,
    cap: int,
    live_budget: int,
    ready_budget: int,
    *,
    readiness_only: bool,
) -> Fix:
    """A startupProbe on handler ``h`` that never allows less than the author's budgets or the load.

    Readiness only: nothing restarted the container before, so the new probe adds a restart deadline where
    there was none (unsafe), and allows at least twice the estimate, or the estimate and ten minutes.
    Beside a liveness probe (which restarts a loading server already): 1.5 × the estimate (safe)."""
    if readiness_only:
        target = max(min(max(2 * need, need + 600.0), float(cap)), need, float(ready_budget))
    else:
        target = max(min(1.5 * need, float(cap)), need, float(live_budget), float(ready_budget))
    n = threshold_for(target, 0, PERIOD)
    new: dict[str, Any] = {h[0]: copy.deepcopy(h[1]), "periodSeconds": PERIOD, "failureThreshold": n}
    timeout = as_int((c.probe(source) or {}).get("timeoutSeconds"))
    if timeout is not None and timeout > 1:
        new["timeoutSeconds"] = timeout
    what = f"add a startupProbe on the {source}'s {h[0]} handler allowing {n * PERIOD} s ({PERIOD} × {n})"
    edit = SetValue(c.obj.target, (*c.path, "startupProbe"), new)
    if readiness_only:
        return make_fix(
            "unsafe",
            f"{what}; it adds a restart deadline where there was none: a load slower than that is restarted",
            edit,
        )
    return make_fix("safe", what, edit)


@check("LLM001")
def missing_startup_probe(ctx: Context) -> Iterator[Finding]:
    return once(_missing_startup_probe(ctx))


def _missing_startup_probe(ctx: Context) -> Iterator[Finding]:
    cap = startup_cap(ctx)
    for s in merged_first_last(probed(ctx.servers)):
        c = s.container
        if c.probe("startupProbe") is not None or _loads_lazily(s):
            continue
        live, ready = c.probe("livenessProbe"), c.probe("readinessProbe")
        if live is None and ready is None:
            continue
        need, facts, known = startup_estimate(ctx, s)
        facts = facts.split(",")[0] if need > cap else facts
        if s.framework is None and not known:
            continue  # a GPU container of no known server: only a model it names makes it one
        name = display_name(s)
        live_budget = probe_budget(live)[0] if live is not None else 0
        ready_budget = probe_budget(ready)[0] if ready is not None else 0
        secs = _seconds(need, cap)
        if live is not None:
            if live_budget >= need:
                continue  # liveness already outlasts the load: nothing kills the loading model
            key = "livenessProbe"
            msg = (
                f"livenessProbe restarts {name} after {live_budget} s but it needs {secs} s to load ({facts}): "
                "a crash loop without a startupProbe"
            )
        else:
            if ready_budget >= need:
                continue  # readiness alone kills nothing, and the author's wait already covers the load
            key = "readinessProbe"
            assert ready is not None
            _, delay, period, failures = probe_budget(ready)
            if not known:  # no estimate to size a new restart deadline on
                facts = "assumed: size unknown, so no fix"
            msg = (
                f"{name} has a readinessProbe allowing {ready_budget} s ({delay} + {period} × {failures}) and no "
                f"startupProbe, but loading takes {secs} s ({facts})"
            )
        probe = live if live is not None else ready
        assert probe is not None
        source, h = "readinessProbe", handler(ready or {})
        if h is None:
            source, h = key, handler(probe)
        fix = None
        accel = other_accelerator(s)
        sized = live is not None or known  # readiness only, size unknown: the message says there is no fix
        if need > cap:
            msg += "; no fix until the model size is checked"
        elif sized and accel is not None:
            msg += f"; no fix on {_COMPILES.get(accel, accel)}"
        elif sized and h is not None:
            budgets = (live_budget, ready_budget)
            fix = _startup_fix(c, source, h, need, cap, *budgets, readiness_only=live is None)
        obj, path = c.obj, (*c.path, key)  # the engine points it where KServe's merge took it from
        yield ctx.finding("LLM001", obj, path, msg, container=c, fix=fix)


@check("LLM002")
def startup_budget_too_small(ctx: Context) -> Iterator[Finding]:
    return once(_startup_budget_too_small(ctx))


def _startup_budget_too_small(ctx: Context) -> Iterator[Finding]:
    cap = startup_cap(ctx)
    for s in merged_first_last(probed(ctx.inference_servers())):
        c = s.container
        probe = c.probe("startupProbe")
        if probe is None or _loads_lazily(s):
            continue
        budget, delay, period, failures = probe_budget(probe)
        need, facts, _known = startup_estimate(ctx, s)
        facts = facts.split(",")[0] if need > cap else facts
        if budget >= need:
            continue
        obj = c.obj
        where = (*c.path, "startupProbe", *(("failureThreshold",) if "failureThreshold" in probe else ()))
        msg = (
            f"startupProbe allows {budget} s ({delay} + {period} × {failures}) but {display_name(s)} needs "
            f"{_seconds(need, cap)} s to load ({facts}): it is restarted before it is ready"
        )
        fix = None
        pobj, ppath = at(c, "startupProbe")  # where the probe is written (a KServe runtime's, maybe)
        if need > cap:
            msg += "; no fix until the model size is checked"
        else:
            n = threshold_for(need, delay, period)
            fix = make_fix(
                "safe",
                f"raise startupProbe.failureThreshold to {n} ({delay} + {period} × {n} = {delay + period * n} s)",
                SetValue(pobj.target, (*ppath, "failureThreshold"), n),
            )
        yield ctx.finding("LLM002", obj, where, msg, container=c, fix=fix)


def _named_ports(c: Container) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in c.strings("ports"):
        if isinstance(p, dict) and isinstance(p.get("name"), str):
            n = as_int(p.get("containerPort"))
            if n is not None:
                out[p["name"]] = n
    return out


def _probe_port(probe: dict[str, Any]) -> tuple[str, Any] | None:
    for key in ("httpGet", "tcpSocket", "grpc"):
        h = probe.get(key)
        if isinstance(h, dict) and "port" in h:
            return key, h["port"]
    return None


@check("LLM014")
def probe_port_mismatch(ctx: Context) -> Iterator[Finding]:
    for s in probed(ctx.inference_servers()):
        port = s.port()
        fw = s.framework
        if port is None or fw is None:
            continue  # the listening port is not known (an unresolved $(PORT), a wrapper script): abstain
        c = s.container
        named = _named_ports(c)
        for kind in PROBES:
            probe = c.probe(kind)
            if probe is None:
                continue
            found = _probe_port(probe)
            if found is None:
                continue
            key, raw = found
            if isinstance(raw, str) and as_int(raw) is None:
                resolved = named.get(raw)
                if resolved is None:
                    why = f"the named port {raw!r} is not declared in the container's ports"
                elif resolved in (port, *fw.extra_ports):
                    continue
                else:
                    why = f"the named port {raw!r} is {resolved}"
            else:
                n = as_int(raw)
                if n is None or n == port or (key == "grpc" and n in fw.extra_ports):
                    continue
                why = f"port {n}"
            msg = (
                f"{kind} checks {why}, but {s.display_name()} ({fw.title}) listens on {port}: the probe "
                "never succeeds"
            )
            obj, path = c.at(kind, key, "port")
            fix = make_fix("safe", f"point the {kind} at port {port}", SetValue(obj.target, path, port))
            yield ctx.finding("LLM014", obj, path, msg, container=c, fix=fix)


def _health_path(path: str) -> str:
    p = path.split("?", 1)[0]
    return p.rstrip("/") or "/"


@check("LLM015")
def probe_path_not_health_endpoint(ctx: Context) -> Iterator[Finding]:
    return once(_probe_path_not_health_endpoint(ctx))


def _probe_path_not_health_endpoint(ctx: Context) -> Iterator[Finding]:
    for s in merged_first_last(probed(ctx.inference_servers())):
        fw = s.framework
        if fw is None:
            continue
        c = s.container
        for kind in PROBES:
            probe = c.probe(kind)
            h = (probe or {}).get("httpGet")
            if not isinstance(h, dict):
                continue
            raw = h.get("path", "/")
            path = _health_path(str(raw))
            allowed = fw.live_paths if kind == "livenessProbe" else fw.ready_paths
            if path in {_health_path(p) for p in allowed}:
                continue
            right = allowed[0]
            # a liveness endpoint answers before the models are loaded (Triton, NIM, KServe v2)
            live_only = (
                kind != "livenessProbe"
                and "live" in path
                and path in {_health_path(p) for p in fw.live_paths}
            )
            served = (*fw.other_paths, *fw.ready_paths)
            if not live_only and path in {_health_path(p) for p in served}:
                continue  # served (200 once the server is up): not a health path, but the probe works
            if live_only:
                what = "answers it before the model is ready"
            else:
                outcome = "restarts a healthy server" if kind == "livenessProbe" else "never passes"
                what = f"does not serve it (404): the probe {outcome}"
            msg = f"{kind} of {display_name(s)} requests {raw!r}: {fw.title} {what}; use {right}"
            where = (*c.path, kind, "httpGet", "path") if "path" in h else (*c.path, kind, "httpGet")
            hobj, hpath = at(c, kind, "httpGet")
            fix = make_fix(
                "safe",
                f"use {right} for the {kind}",
                SetValue(hobj.target, (*hpath, "path"), right),
            )
            yield ctx.finding("LLM015", c.obj, where, msg, container=c, fix=fix)
