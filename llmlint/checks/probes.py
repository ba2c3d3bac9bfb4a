"""Probes that kill or hide a server while its model loads."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import PROBES, handler, probe_budget, startup_need, threshold_for
from llmlint.graph.objects import Container, as_int
from llmlint.model import Finding, SetValue


@check("LLM001")
def missing_startup_probe(ctx: Context) -> Iterator[Finding]:
    for s in ctx.inference_servers():
        c = s.container
        if c.probe("startupProbe") is not None:
            continue
        live, ready = c.probe("livenessProbe"), c.probe("readinessProbe")
        if live is None and ready is None:
            continue
        need, why = startup_need(ctx, s)
        if live is not None:
            budget = probe_budget(live)[0]
            key = "livenessProbe"
            msg = (
                f"livenessProbe without a startupProbe restarts the container after about {budget} s, but {why}: "
                "the pod crash-loops before the model is loaded"
            )
        else:
            key = "readinessProbe"
            msg = (
                f"readinessProbe without a startupProbe: {why}, and nothing tells Kubernetes the server is "
                "still starting (a liveness probe added later kills it; rollouts and alerts read a loading "
                "model as a failing one)"
            )
        probe = live if live is not None else ready
        assert probe is not None
        h = handler(ready or {}) or handler(probe)
        fix = None
        if h is not None:
            period = 10
            new = {
                h[0]: copy.deepcopy(h[1]),
                "periodSeconds": period,
                "failureThreshold": threshold_for(need, 0, period),
            }
            fix = make_fix(
                "safe",
                f"add a startupProbe on the {key}'s {h[0]} handler allowing {new['failureThreshold'] * period} s",
                SetValue(c.obj.target, (*c.path, "startupProbe"), new),
            )
        yield ctx.finding("LLM001", c.obj, (*c.path, key), msg, container=c, fix=fix)


@check("LLM002")
def startup_budget_too_small(ctx: Context) -> Iterator[Finding]:
    for s in ctx.inference_servers():
        c = s.container
        probe = c.probe("startupProbe")
        if probe is None:
            continue
        budget, delay, period, failures = probe_budget(probe)
        need, why = startup_need(ctx, s)
        if budget >= need:
            continue
        n = threshold_for(need, delay, period)
        path = (*c.path, "startupProbe")
        at = (*path, "failureThreshold") if "failureThreshold" in probe else path
        msg = (
            f"startupProbe allows {budget} s ({delay} + {period} × {failures}) but {why}: "
            f"the container is restarted before it is ready"
        )
        fix = make_fix(
            "safe",
            f"raise startupProbe.failureThreshold to {n} ({delay} + {period} × {n} = {delay + period * n} s)",
            SetValue(c.obj.target, (*path, "failureThreshold"), n),
        )
        yield ctx.finding("LLM002", c.obj, at, msg, container=c, fix=fix)


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
    for s in ctx.inference_servers():
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
    for s in ctx.inference_servers():
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
            served = path in {_health_path(p) for p in fw.other_paths}
            what = "serves it, but not as a health check" if served else "does not serve it (404)"
            msg = (
                f"{kind} requests {raw!r}: {fw.title} {what}; its health endpoint is {right!r}, so the probe "
                f"{'restarts a healthy server' if kind == 'livenessProbe' else 'never lets the pod become Ready'}"
            )
            at = (*c.path, kind, "httpGet", "path") if "path" in h else (*c.path, kind, "httpGet")
            fix = make_fix(
                "safe",
                f"use {right} for the {kind}",
                SetValue(c.obj.target, (*c.path, kind, "httpGet", "path"), right),
            )
            yield ctx.finding("LLM015", c.obj, at, msg, container=c, fix=fix)
