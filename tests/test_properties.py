"""Property-based tests over generated manifests: a scan never raises, and fixes are lossless.

Manifests are Deployments and LeaderWorkerSets running vLLM, SGLang or TGI, written in many styles
(2 or 4 spaces, indented or ``kubectl``-style sequences, plain/double/single quotes, comments, CRLF,
flow or block collections) with random bad settings (GPU memory utilization 0.95–0.99, no startupProbe,
TP > 1 without /dev/shm, 2–4 replicas without a PDB, a TGI image). For each: the scan raises nothing and
reports no input error; ``--fix --unsafe-fixes`` leaves none of the fixed findings; fixing again changes
nothing; every original line no fix owns is byte-identical; the result parses.
"""

from __future__ import annotations

import difflib
import json
import random
import re
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmlint.engine import ScanResult, Settings, scan
from llmlint.fixes.run import fix_loop
from llmlint.fixes.text import splices
from llmlint.fixes.write import encode

MODEL = "meta-llama/Llama-3.1-8B-Instruct"
_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./:=-]*$")


@dataclass(frozen=True)
class Style:
    step: int  # mapping indentation
    seq_offset: int  # dashes right of their parent key: 0 (kubectl) or the step
    quote: str  # "plain" | '"' | "'"
    flow_labels: bool
    flow_args: bool
    crlf: bool
    final_newline: bool
    bom: bool
    seed: int  # comments and per-scalar choices


class Emitter:
    def __init__(self, style: Style) -> None:
        self.s = style
        self.rnd = random.Random(style.seed)
        self.lines: list[str] = []
        self.n = 0

    def comment(self) -> str:
        if self.rnd.random() < 0.25:
            self.n += 1
            return f"  # note {self.n}"
        return ""

    def comment_line(self, pad: str) -> None:
        if self.rnd.random() < 0.1:
            self.n += 1
            self.lines.append(f"{pad}# about the next key {self.n}")

    def scalar(self, v: Any, flow: bool = False) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        s = str(v)
        plain_ok = bool(_PLAIN.match(s)) and yaml.safe_load(f"k: {s}") == {"k": s}
        if flow and plain_ok and ":" in s:
            plain_ok = False
        quote = self.s.quote if self.rnd.random() < 0.7 else self.rnd.choice(["plain", '"', "'"])
        if quote == "plain" and plain_ok:
            return s
        if quote == "'" and s.isprintable():
            return "'" + s.replace("'", "''") + "'"
        return json.dumps(s)

    def flow(self, v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{self.scalar(k, True)}: {self.flow(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(self.flow(x) for x in v) + "]"
        return self.scalar(v, True)

    def mapping(self, d: dict[str, Any], indent: int, first_prefix: str | None = None) -> None:
        for i, (k, v) in enumerate(d.items()):
            pad = " " * indent
            lead = pad if i or first_prefix is None else first_prefix
            if i or first_prefix is None:
                self.comment_line(pad)
            key = self.scalar(k)
            as_flow = (k == "labels" and self.s.flow_labels) or (
                k in ("args", "command") and self.s.flow_args
            )
            if isinstance(v, dict) and v and not as_flow:
                self.lines.append(f"{lead}{key}:{self.comment()}")
                self.mapping(v, indent + self.s.step)
            elif isinstance(v, list) and v and not as_flow:
                self.lines.append(f"{lead}{key}:{self.comment()}")
                self.sequence(v, indent + self.s.seq_offset)
            elif isinstance(v, str) and "\n" in v:
                self.lines.append(f"{lead}{key}: |{self.comment()}")
                self.lines += [" " * (indent + self.s.step) + ln for ln in v.rstrip("\n").split("\n")]
            else:
                text = self.flow(v) if isinstance(v, dict | list) else self.scalar(v)
                self.lines.append(f"{lead}{key}: {text}{self.comment()}")

    def sequence(self, items: list[Any], indent: int) -> None:
        pad = " " * indent
        for item in items:
            if isinstance(item, dict) and item:
                self.mapping(item, indent + 2, first_prefix=pad + "- ")
            else:
                text = self.flow(item) if isinstance(item, dict | list) else self.scalar(item)
                self.lines.append(f"{pad}- {text}{self.comment()}")

    def document(self, d: dict[str, Any]) -> str:
        self.lines = []
        self.mapping(d, 0)
        return "\n".join(self.lines) + "\n"


def render(docs: list[dict[str, Any]], style: Style) -> bytes:
    em = Emitter(style)
    text = "---\n".join(em.document(d) for d in docs)
    if not style.final_newline:
        text = text.rstrip("\n")
    if style.crlf:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if style.bom else b"") + text.encode("utf-8")


@st.composite
def manifests(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Style]:
    fw = draw(st.sampled_from(["vllm", "sglang", "tgi"]))
    kind = draw(st.sampled_from(["Deployment", "LeaderWorkerSet"]))
    replicas = draw(st.integers(1, 4))
    tp = draw(st.sampled_from([1, 2, 4]))
    util = draw(st.sampled_from([None, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99]))
    probes = draw(st.sampled_from(["none", "readiness", "readiness+liveness", "startup+readiness+liveness"]))
    shm = draw(st.booleans())
    pdb = draw(st.booleans())
    eq = draw(st.booleans())  # --flag=value or --flag value
    gpu_as_int = draw(st.booleans())
    name = draw(st.sampled_from(["llm", "vllm-8b", "chat"]))

    def flag(f: str, v: str) -> list[str]:
        return [f"{f}={v}"] if eq else [f, v]

    # where vLLM's flags are written: args, a ``sh -c`` script (one line, or lines with ``\``
    # continuations, emitted as a ``|`` block), or args with the utilization from a ConfigMap
    how = draw(st.sampled_from(["args", "shell", "shell-lines", "configmap"]))
    extra_docs: list[dict[str, Any]] = []
    container: dict[str, Any] = {"name": fw}
    port = 8000
    if fw == "vllm":
        container["image"] = "vllm/vllm-openai:v0.6.0"
        args = flag("--model", MODEL) + flag("--tensor-parallel-size", str(tp))
        if util is not None and how == "configmap":
            args += flag("--gpu-memory-utilization", "$(GPU_MEM)")
            container["env"] = [
                {
                    "name": "GPU_MEM",
                    "valueFrom": {"configMapKeyRef": {"name": f"{name}-config", "key": "GPU_MEM"}},
                }
            ]
            extra_docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"{name}-config"},
                    "data": {"GPU_MEM": f"{util:.2f}", "OTHER": "keep me"},
                }
            )
        elif util is not None:
            args += flag("--gpu-memory-utilization", f"{util:.2f}")
        if how.startswith("shell"):
            sep = " \\\n  " if how == "shell-lines" else " "
            container["command"] = ["/bin/sh", "-c", "exec vllm serve" + sep + sep.join(args) + "\n"]
        else:
            container["args"] = args
    elif fw == "sglang":
        port = 30000
        container["image"] = "lmsysorg/sglang:v0.4.0-cu124"
        container["command"] = ["python3", "-m", "sglang.launch_server"]
        container["args"] = flag("--model-path", MODEL) + flag("--tp", str(tp)) + flag("--port", str(port))
    else:
        port = 80
        container["image"] = "ghcr.io/huggingface/text-generation-inference:2.4.0"
        container["args"] = flag("--model-id", MODEL) + flag("--num-shard", str(tp))
    container["ports"] = [{"name": "http", "containerPort": port}]
    container["resources"] = {"limits": {"nvidia.com/gpu": tp if gpu_as_int else str(tp)}}
    handler = {"httpGet": {"path": "/health", "port": port}}
    if "startup" in probes:
        container["startupProbe"] = {**handler, "periodSeconds": 10, "failureThreshold": 180}
    if "readiness" in probes:
        container["readinessProbe"] = {**handler, "periodSeconds": 5}
    if "liveness" in probes:
        container["livenessProbe"] = {**handler, "periodSeconds": 10, "failureThreshold": 6}
    pod: dict[str, Any] = {"containers": [container]}
    if shm:
        container["volumeMounts"] = [{"name": "shm", "mountPath": "/dev/shm"}]
        pod["volumes"] = [{"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}}]
    labels = {"app": name}
    template = {"metadata": {"labels": labels}, "spec": pod}
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if draw(st.booleans()):
        meta["annotations"] = {"description": "serves chat\nfor the team\n"}
    if kind == "Deployment":
        spec: dict[str, Any] = {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": template,
        }
        obj = {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}
    else:
        spec = {"replicas": replicas, "leaderWorkerTemplate": {"size": 2, "workerTemplate": template}}
        obj = {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": kind, "metadata": meta, "spec": spec}
    docs = [*extra_docs, obj]
    if pdb:
        docs.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": f"{name}-pdb"},
                "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}},
            }
        )
    step = draw(st.sampled_from([2, 4]))
    style = Style(
        step=step,
        seq_offset=draw(st.sampled_from([0, step])),
        quote=draw(st.sampled_from(["plain", '"', "'"])),
        flow_labels=draw(st.booleans()),
        flow_args=draw(st.booleans()),
        crlf=draw(st.booleans()),
        final_newline=draw(st.booleans()),
        bom=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )
    return docs, style


def _scan(data: bytes) -> ScanResult:
    result = scan(["-"], Settings(), stdin=data)
    assert result.errors == [], [e.one_line() for e in result.errors]
    return result


def _keys(result: ScanResult, rules: set[str]) -> set[tuple[str, str | None]]:
    return {(f.rule, f.target.ref.name) for f in result.active if f.rule in rules}


def _owned_lines(result: ScanResult, unsafe: bool) -> set[int]:
    """0-based lines of the original text that some fix of the first scan splices into (and around)."""
    src = result.sources()["-"]
    docs = result.documents()["-"]
    owned: set[int] = set()
    for f in result.active:
        if f.fix is None or (f.fix.safety == "unsafe" and not unsafe):
            continue
        for sp in splices(src, docs, f.fix):
            first = src.text.count("\n", 0, sp.start)
            last = src.text.count("\n", 0, sp.end)
            owned.update(range(first - 1, last + 2))
    return owned


COMMON = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(manifests())
def test_scan_never_raises_and_reads_everything(m: tuple[list[dict[str, Any]], Style]) -> None:
    docs, style = m
    data = render(docs, style)
    assert list(yaml.safe_load_all(data.decode("utf-8-sig"))) == docs  # the generator writes what it means
    result = _scan(data)
    assert result.objects == len(docs)


@COMMON
@given(manifests())
def test_fix_is_lossless_idempotent_and_silences_the_fixed_rules(
    m: tuple[list[dict[str, Any]], Style],
) -> None:
    docs, style = m
    data = render(docs, style)
    before = _scan(data)
    original = before.sources()["-"].text
    owned = _owned_lines(before, unsafe=True)
    outcome = fix_loop(before, Settings(), unsafe=True)
    assert outcome.skipped == [], outcome.skipped
    fixed = outcome.fixed.get("-", original)
    applied = {f.rule for f in outcome.applied}
    # the result parses, and every fixed finding is gone when scanned from scratch
    written = encode(before.sources()["-"], fixed)  # the bytes --fix writes
    assert written.startswith(b"\xef\xbb\xbf") == style.bom
    after = _scan(written)
    list(yaml.safe_load_all(fixed))
    assert not (_keys(after, applied) & _keys(before, applied)), [
        (f.rule, f.message) for f in after.active if f.rule in applied
    ]
    # fixing again changes nothing
    again = fix_loop(after, Settings(), unsafe=True)
    assert again.fixed.get("-", fixed) == fixed, difflib.unified_diff(
        fixed.splitlines(), again.fixed["-"].splitlines(), lineterm=""
    )
    # line endings and the final-newline state are kept
    if style.crlf:
        assert "\n" not in fixed.replace("\r\n", "")
    assert fixed.endswith("\n") == original.endswith("\n")
    # every original line that no fix owns is byte-identical; only lines near the edits change
    a, b = original.splitlines(keepends=True), fixed.splitlines(keepends=True)
    for op, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        touched = set(range(i1, i2)) if op != "insert" else {i1 - 1, i1}
        # the last original line may gain a newline when something is appended after it
        stray = {i for i in touched - owned if i < len(a) and not (op != "insert" and i == len(a) - 1)}
        assert not stray, (op, [a[i] for i in sorted(stray)], sorted(owned))


@settings(max_examples=30, deadline=None)
@given(manifests(), st.data())
def test_scan_survives_a_mangled_value(m: tuple[list[dict[str, Any]], Style], data: st.DataObject) -> None:
    """Any value of the manifest replaced by a value of another type: errors or findings, no exception."""
    docs, style = m
    paths: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                paths.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                paths.append((node, i))
                walk(v)

    walk(docs[0])
    parent, key = data.draw(st.sampled_from(paths))
    parent[key] = data.draw(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(2**70), 2**70),
            st.floats(allow_nan=False),
            st.text(max_size=8),
            st.sampled_from(["two", "-1", "1e999", "$(X)", "--num-shard=abc", "0.99", ""]),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
    )
    data_bytes = render(docs, style)
    result = scan(["-"], Settings(), stdin=data_bytes)
    outcome = fix_loop(result, Settings(), unsafe=True)
    if "-" in outcome.fixed:
        list(yaml.safe_load_all(outcome.fixed["-"]))


@COMMON
@given(manifests())
def test_json_patch_is_the_text_fix(m: tuple[list[dict[str, Any]], Style]) -> None:
    """Every fix's json_patch, applied with the jsonpatch library, gives the object of its fixed text."""
    from test_fix_patch import check_patches

    docs, style = m
    check_patches(render(docs, style).decode("utf-8-sig"))
