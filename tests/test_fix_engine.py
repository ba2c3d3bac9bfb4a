"""Issue 12: the fix machinery is trustworthy whatever a rule proposes.

Test rules (registered for one test with the real ``@check`` registry, run by the real engine) propose
fixes that do not clear their finding, undo each other, make things worse, span two files, add a second
claim or mount: the loop must revert, drop and report them, and write all of a fix or none of it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import write

from llmlint.checks import REGISTRY, Context
from llmlint.engine import ScanResult, Settings, scan
from llmlint.fixes.run import FixOutcome, fix_loop, write_all
from llmlint.fixes.validate import Known, problems
from llmlint.model import AddDocument, AppendItem, Finding, Fix, SetValue

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  annotations: {{state: "{state}"}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
        - name: web
          image: nginx:1.27  # plain web, so no real rule fires
          envFrom:
            - configMapRef: {{name: cfg}}
          volumeMounts:
            - {{name: cache, mountPath: /root/.cache/huggingface}}
      volumes:
        - {{name: cache, emptyDir: {{}}}}
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  mode: "old"  # the value the two-file fix changes
"""


def _dep(name: str = "web", state: str = "a") -> str:
    return DEPLOYMENT.format(name=name, state=state)


def _deployments(ctx: Context) -> Iterator[Any]:
    for o in ctx.graph.objects:
        if o.kind == "Deployment":
            yield o


Rule = Any


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Register test rules for one test: ``rules("LLMX01", fn)``."""

    def add(rule_id: str, fn: Any) -> None:
        monkeypatch.setitem(REGISTRY, rule_id, fn)

    yield add


def _settings(**severity: str) -> Settings:
    return Settings(select=["LLMX"], severity=severity)


def _run(tmp: Path, settings: Settings, roots: list[str] | None = None) -> tuple[FixOutcome, ScanResult]:
    old = os.getcwd()
    os.chdir(tmp)
    try:
        result = scan(["."], settings)
        outcome = fix_loop(result, settings, unsafe=True, roots=roots)
        errors = write_all(outcome)
        outcome.result.errors.extend(errors)
    finally:
        os.chdir(old)
    return outcome, result


def _annotation_rule(rule_id: str, fires: str, sets: str) -> Any:
    """Fires on a Deployment whose ``state`` annotation is ``fires``; its fix sets it to ``sets``."""

    def fn(ctx: Context) -> Iterable[Finding]:
        for o in _deployments(ctx):
            if o.annotations.get("state") == fires:
                fix = Fix(
                    "safe",
                    f"set state {sets}",
                    [SetValue(o.target, ("metadata", "annotations", "state"), sets)],
                )
                yield Finding(
                    rule_id, f"state is {fires}", o.target, ("metadata", "annotations", "state"), fix=fix
                )

    return fn


# ---- the loop converges honestly ------------------------------------------------------------------------


def test_a_fix_that_does_not_clear_its_finding_is_reverted_once_and_reported(
    tmp_path: Path, rules: Any
) -> None:
    def fn(ctx: Context) -> Iterable[Finding]:
        for o in _deployments(ctx):  # always fires; its fix adds one more mount every time
            n = len(o.data["spec"]["template"]["spec"]["containers"][0]["volumeMounts"])
            mount = {"name": "cache", "mountPath": f"/data/{n}"}
            path = ("spec", "template", "spec", "containers", 0, "volumeMounts")
            yield Finding(
                "LLMX01",
                "always",
                o.target,
                (),
                fix=Fix("safe", "add a mount", [AppendItem(o.target, path, mount)]),
            )

    rules("LLMX01", fn)
    f = write(tmp_path, "d.yaml", _dep())
    outcome, _ = _run(tmp_path, _settings())
    assert f.read_text() == _dep()
    assert outcome.applied == [] and outcome.fixed == {}
    (note,) = outcome.skipped
    assert "LLMX01" in note and "does not clear its own finding" in note


def test_a_flip_flop_is_reported_with_its_rules_and_nothing_counts_as_fixed(
    tmp_path: Path, rules: Any
) -> None:
    rules("LLMX01", _annotation_rule("LLMX01", "a", "b"))
    rules("LLMX02", _annotation_rule("LLMX02", "b", "a"))
    f = write(tmp_path, "d.yaml", _dep())
    outcome, _ = _run(tmp_path, _settings())
    assert f.read_text() == _dep()
    assert outcome.applied == [] and outcome.fixed == {}
    assert any("undo each other (LLMX01, LLMX02)" in s for s in outcome.skipped), outcome.skipped


def test_a_chain_of_fixes_that_converges_counts_each_landed_fix(tmp_path: Path, rules: Any) -> None:
    rules("LLMX01", _annotation_rule("LLMX01", "a", "b"))
    rules("LLMX02", _annotation_rule("LLMX02", "b", "c"))
    f = write(tmp_path, "d.yaml", _dep())
    outcome, _ = _run(tmp_path, _settings())
    assert f.read_text() == _dep(state="c")
    assert [x.rule for x in outcome.applied] == ["LLMX01", "LLMX02"] and outcome.skipped == []


def test_a_fix_that_adds_a_finding_of_higher_severity_is_reverted(tmp_path: Path, rules: Any) -> None:
    rules("LLMX01", _annotation_rule("LLMX01", "a", "b"))  # info
    rules(
        "LLMX02",
        lambda ctx: (  # error, on what LLMX01 writes; no fix
            Finding("LLMX02", "state b is fatal", o.target, ())
            for o in _deployments(ctx)
            if o.annotations.get("state") == "b"
        ),
    )
    f = write(tmp_path, "d.yaml", _dep())
    outcome, _ = _run(tmp_path, _settings(LLMX01="info", LLMX02="error"))
    assert f.read_text() == _dep()
    assert outcome.applied == []
    (note,) = outcome.skipped
    assert "LLMX01" in note and "LLMX02 (error)" in note


# ---- API-server validation of what is written ---------------------------------------------------------


def _one_fix_rule(rule_id: str, make: Any) -> Any:
    def fn(ctx: Context) -> Iterable[Finding]:
        for o in _deployments(ctx):
            if o.annotations.get("state") == "a":
                yield Finding(rule_id, "x", o.target, (), fix=Fix("unsafe", "x", make(o)))

    return fn


def test_a_second_mount_at_a_mounted_path_is_dropped(tmp_path: Path, rules: Any) -> None:
    spec = ("spec", "template", "spec")
    rules(
        "LLMX01",
        _one_fix_rule(
            "LLMX01",
            lambda o: [
                AppendItem(
                    o.target,
                    (*spec, "volumes"),
                    {"name": "model-cache", "persistentVolumeClaim": {"claimName": "c"}},
                ),
                AppendItem(
                    o.target,
                    (*spec, "containers", 0, "volumeMounts"),
                    {"name": "model-cache", "mountPath": "/root/.cache/huggingface"},
                ),
                SetValue(o.target, ("metadata", "annotations", "state"), "b"),
            ],
        ),
    )
    f = write(tmp_path, "d.yaml", _dep())
    outcome, _ = _run(tmp_path, _settings())
    assert f.read_text() == _dep() and outcome.applied == []
    (note,) = outcome.skipped
    assert "mountPath '/root/.cache/huggingface' must be unique" in note


def test_an_int32_overflow_is_dropped(tmp_path: Path, rules: Any) -> None:
    probe = {
        "httpGet": {"path": "/health", "port": 8000},
        "periodSeconds": 10,
        "failureThreshold": 157894736842105257984,
    }
    rules(
        "LLMX01",
        _one_fix_rule(
            "LLMX01",
            lambda o: [
                SetValue(o.target, ("spec", "template", "spec", "containers", 0, "startupProbe"), probe),
                SetValue(o.target, ("metadata", "annotations", "state"), "b"),
            ],
        ),
    )
    f = write(tmp_path, "d.yaml", _dep())
    outcome, _ = _run(tmp_path, _settings())
    assert f.read_text() == _dep() and outcome.applied == []
    assert "157894736842105257984 is out of range" in outcome.skipped[0]


PVC = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "model-cache"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}},
}


def test_one_claim_appended_by_two_fixes_of_one_file_lands_once(tmp_path: Path, rules: Any) -> None:
    rules(
        "LLMX01",
        _one_fix_rule(
            "LLMX01",
            lambda o: [
                AddDocument(o.target, PVC),
                SetValue(o.target, ("metadata", "annotations", "state"), "b"),
            ],
        ),
    )
    f = write(tmp_path, "lws.yaml", _dep("leader") + "---\n" + _dep("worker"))
    outcome, _ = _run(tmp_path, _settings())
    text = f.read_text()
    assert text.count("kind: PersistentVolumeClaim") == 1
    assert [x.rule for x in outcome.applied] == ["LLMX01"]
    assert any("would hold PersistentVolumeClaim model-cache twice" in s for s in outcome.skipped), (
        outcome.skipped
    )


def test_an_object_the_context_or_another_file_has_is_not_created() -> None:
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "vllm"}}
    dep_ref = type(
        "Ref", (), {"api_version": "apps/v1", "kind": "Deployment", "name": "vllm", "namespace": None}
    )()
    known = Known([(pdb, "other/pdb.yaml", True)])
    assert "read as context" in (known.collides(pdb, "a.yaml", dep_ref) or "")
    known = Known([(pdb, "other/pdb.yaml", False)])
    assert "already exists in other/pdb.yaml" in (known.collides(pdb, "a.yaml", dep_ref) or "")
    # a file holding a variant of the same Deployment (an overlay) has its own PDB: not a collision
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "vllm"}}
    known = Known([(pdb, "gpu-b/all.yaml", False), (dep, "gpu-b/all.yaml", False)])
    assert known.collides(pdb, "gpu-a/all.yaml", dep_ref) is None


def test_validation_matches_the_api_server() -> None:
    pod: dict[str, Any] = {
        "kind": "Pod",
        "spec": {
            "initContainers": [{"name": "a"}],
            "containers": [
                {
                    "name": "a",
                    "ports": [
                        {"name": "http", "containerPort": 8000},
                        {"name": "http", "containerPort": 8000, "protocol": "TCP"},
                        {"containerPort": 8000, "protocol": "UDP"},
                        {"containerPort": 70000},
                    ],
                    "env": [{"name": "X", "value": "1"}, {"name": "X", "value": "2"}],
                    "volumeMounts": [{"name": "v", "mountPath": "/m"}, {"name": "w", "mountPath": "/m"}],
                    "readinessProbe": {"periodSeconds": 2**31},
                }
            ],
            "volumes": [{"name": "v"}, {"name": "v"}],
        },
    }
    got = "\n".join(sorted(problems(pod)))
    for want in (
        "container name 'a' is used twice",
        "volume name 'v' is used twice",
        "port name 'http' is used twice",
        "containerPort 8000/TCP is declared twice",
        "mountPath '/m' must be unique",
        "mount of 'w', which is not a volume of the pod",
        "'X' is defined twice",
        "containerPort: 70000 is out of range",
        "periodSeconds: 2147483648 is out of range",
    ):
        assert want in got, (want, got)
    assert "8000/UDP" not in got  # another protocol is another port
    sts = {
        "kind": "StatefulSet",
        "spec": {
            "volumeClaimTemplates": [{"metadata": {"name": "data"}}, {"metadata": {"name": "data"}}],
            "template": {
                "spec": {"containers": [{"name": "c", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}
            },
        },
    }
    assert problems(sts) == {"volumeClaimTemplates: claim template 'data' is defined twice"}


# ---- a fix spanning two files: all or none ------------------------------------------------------------


def _two_file_rule(ctx: Context) -> Iterable[Finding]:
    cm = next((o for o in ctx.graph.objects if o.kind == "ConfigMap"), None)
    for o in _deployments(ctx):
        if cm is not None and cm.data.get("data", {}).get("mode") == "old":
            edits = [
                SetValue(cm.target, ("data", "mode"), "new"),
                SetValue(o.target, ("metadata", "annotations", "state"), "new"),
            ]
            yield Finding("LLMX01", "old mode", o.target, (), fix=Fix("safe", "switch mode", edits))


def _read_only(p: Path) -> None:
    p.chmod(stat.S_IRUSR | stat.S_IRGRP)  # no write bit for anyone (root passes os.access: the bits count)


def test_a_two_file_fix_with_one_unwritable_file_lands_in_neither(tmp_path: Path, rules: Any) -> None:
    rules("LLMX01", _two_file_rule)
    d = write(tmp_path, "deploy.yaml", _dep())
    c = write(tmp_path, "cm.yaml", CONFIGMAP)
    _read_only(c)
    outcome, _ = _run(tmp_path, _settings(), roots=["."])
    assert d.read_text() == _dep() and c.read_text() == CONFIGMAP
    assert outcome.applied == []
    assert any("cm.yaml" not in s or "read-only" in s for s in outcome.skipped)
    assert any("read-only" in s for s in outcome.skipped), outcome.skipped


def test_a_two_file_fix_lands_in_both(tmp_path: Path, rules: Any) -> None:
    rules("LLMX01", _two_file_rule)
    d = write(tmp_path, "deploy.yaml", _dep())
    c = write(tmp_path, "cm.yaml", CONFIGMAP)
    outcome, _ = _run(tmp_path, _settings(), roots=["."])
    assert 'state: "new"' in d.read_text() and 'mode: "new"  # the value' in c.read_text()
    assert [x.rule for x in outcome.applied] == ["LLMX01"]


def test_write_all_writes_a_group_of_files_all_or_none(tmp_path: Path, rules: Any) -> None:
    """The file becomes read-only after the loop decided (no pre-check): the write itself refuses both."""
    rules("LLMX01", _two_file_rule)
    d = write(tmp_path, "deploy.yaml", _dep())
    c = write(tmp_path, "cm.yaml", CONFIGMAP)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = scan(["."], _settings())
        outcome = fix_loop(result, _settings(), unsafe=True)
        assert len(outcome.fixed) == 2
        _read_only(c)
        errors = write_all(outcome)
    finally:
        os.chdir(old)
    assert d.read_text() == _dep() and c.read_text() == CONFIGMAP
    assert outcome.applied == []
    assert {e.file for e in errors} == {"deploy.yaml", "cm.yaml"}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")], "temporary files left behind"


def test_a_startup_probe_shorter_than_the_authors_readiness_budget_is_dropped(
    tmp_path: Path, rules: Any
) -> None:
    readiness = "          readinessProbe: {httpGet: {path: /health, port: 8000}, periodSeconds: 10, failureThreshold: 600}\n"
    text = _dep().replace("          envFrom:\n", readiness + "          envFrom:\n")
    short = {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 10, "failureThreshold": 20}
    long = {**short, "failureThreshold": 600}
    path = ("spec", "template", "spec", "containers", 0, "startupProbe")
    for probe, lands in ((short, False), (long, True)):
        rules(
            "LLMX01",
            _one_fix_rule(
                "LLMX01",
                lambda o, p=probe: [
                    SetValue(o.target, path, p),
                    SetValue(o.target, ("metadata", "annotations", "state"), "b"),
                ],
            ),
        )
        f = write(tmp_path, "d.yaml", text)
        outcome, _ = _run(tmp_path, _settings())
        assert (f.read_text() != text) == lands, outcome.skipped
        if not lands:
            assert (
                "shortens the start-up deadline of container 'web' from 6000 s to 200 s" in outcome.skipped[0]
            )


def test_a_loop_still_changing_files_after_the_last_round_is_reported(tmp_path: Path, rules: Any) -> None:
    def fn(ctx: Context) -> Iterable[Finding]:
        for o in _deployments(ctx):  # each fix clears its finding and causes the next one (a new path)
            n = int(o.annotations.get("state", "0"))
            edit = SetValue(o.target, ("metadata", "annotations", "state"), str(n + 1))
            yield Finding("LLMX01", f"step {n}", o.target, ("step", n), fix=Fix("safe", "next", [edit]))

    rules("LLMX01", fn)
    f = write(tmp_path, "d.yaml", _dep(state="0"))
    outcome, _ = _run(tmp_path, _settings())
    assert f.read_text() == _dep(state="8") and len(outcome.applied) == 8
    assert outcome.skipped == [
        "fixes did not converge after 8 rounds (LLMX01 still apply); what was fixed so far is kept"
    ]


def test_fixed_n_counts_only_what_landed(tmp_path: Path, rules: Any) -> None:
    rules("LLMX01", _annotation_rule("LLMX01", "a", "b"))
    one = write(tmp_path, "one.yaml", _dep("one"))
    two = write(tmp_path, "two.yaml", _dep("two"))
    _read_only(two)
    outcome, _ = _run(tmp_path, _settings(), roots=["."])
    assert [f.target.source for f in outcome.applied] == ["one.yaml"]
    assert one.read_text() == _dep("one", "b") and two.read_text() == _dep("two")
    assert outcome.skipped == ["two.yaml:5: LLMX01 fix not applied: the file is read-only; not written"]
