"""Probes that kill or hide a server while its model loads."""

from __future__ import annotations

import copy
from collections.abc import Iterator

from llmlint.checks import Context, check, make_fix
from llmlint.checks.common import handler, probe_budget, startup_need, threshold_for
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
            new = {h[0]: copy.deepcopy(h[1]), "periodSeconds": period, "failureThreshold": threshold_for(need, 0, period)}
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
