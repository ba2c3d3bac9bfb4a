"""Hostile and broken input: the real CLI, in a subprocess, in 1 GB of address space and 10 seconds.

Each case is a real file next to a good vLLM manifest with known findings. Every case must give an error
entry naming the file (at the right line where there is one) — or, for input that is merely odd, no
error at all — while the good file is still scanned with all its findings, and nothing prints a
traceback.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MEMORY_LIMIT = 1 << 30  # bytes of address space
TIME_LIMIT = 10.0  # seconds

GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  replicas: 1
  selector:
    matchLabels: {app: vllm}
  template:
    metadata:
      labels: {app: vllm}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.0
          args:
            - --model=meta-llama/Llama-3-8B
            - --gpu-memory-utilization=0.97
          resources:
            limits:
              nvidia.com/gpu: "1"
          envFrom:
            - configMapRef: {name: vllm-config}
"""
GOOD_LLM003_LINE = 18
GOOD_LINES = GOOD.count("\n")

# A workload the prefilter cannot skip (its text names vLLM): its errors are llmlint's to report.
HEAD = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: vllm-hostile\nspec:\n"  # 5 lines
DEEP = 200_000


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_scan(*args: str, cwd: Path, no_prefilter: bool = False) -> tuple[int, dict[str, Any], str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "LLMLINT_NO_PREFILTER")
    }
    env["NO_COLOR"] = "1"
    if no_prefilter:
        env["LLMLINT_NO_PREFILTER"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", "--format", "json", *args],
        cwd=cwd,
        capture_output=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limits,
        env=env,
    )
    out, err = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out and "Traceback" not in err, err[-3000:]
    try:
        report = json.loads(out)
    except json.JSONDecodeError:
        pytest.fail(f"not a JSON report (exit {proc.returncode}): {out[:500]!r} {err[-2000:]!r}")
    return proc.returncode, report, err


def _bomb(levels: int = 9) -> str:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefghij", "bcdefghijk", strict=False):
        if len(rows) == levels:
            break
        rows.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "".join(f"  {r}\n" for r in rows)


def _deep_block_mappings(depth: int) -> str:
    # 200,000 levels of block mappings need ~2·10^10 bytes of indentation; libyaml stops at 1,000 anyway
    return HEAD + "".join(" " * (2 + i) + f"k{i}:\n" for i in range(depth)) + " " * (2 + depth) + "leaf\n"


def _big_document() -> str:
    row = "x" * 80
    body = "".join(f"        k{i}: {row}\n" for i in range(560_000))  # ~52 MB
    return HEAD + "  template:\n    metadata:\n      annotations:\n" + body


def open_fixture(name: str) -> str:
    return (Path(__file__).parent / "fuzz_corpus" / name).read_text(encoding="utf-8")


def _container_doc(env: str = "[]", args: str = "[]", command: str | None = None) -> str:
    cmd = f"          command: {command}\n" if command else ""
    return (
        HEAD + "  template:\n    spec:\n      containers:\n        - name: vllm\n"
        "          image: vllm/vllm-openai:v0.6.0\n"
        f"{cmd}          args: {args}\n          env: {env}\n"
        '          resources: {limits: {nvidia.com/gpu: "1"}}\n'
    )


def _env_bomb() -> str:
    items = ['{name: V0, value: "' + "lol" * 10 + '"}']
    items += [f'{{name: V{i}, value: "' + f"$(V{i - 1})" * 10 + '"}' for i in range(1, 10)]
    return "[" + ", ".join(items) + "]"


@dataclass(frozen=True)
class Case:
    name: str
    content: Callable[[], str | bytes]
    needle: str | None  # part of the error message; None: no error expected
    line: int | None = None  # the error's line; None: the file has none (binary)
    findings: tuple[tuple[str, int], ...] = ()  # (rule, line) the hostile file itself must still yield


CASES = [
    # a ConfigMap the good workload reads (envFrom): parsed, so its alias bomb must be caught
    Case(
        "bomb.yaml",
        lambda: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vllm-config\ndata:\n" + _bomb(),
        "alias",
        6,
    ),
    Case("bomb-workload.yaml", lambda: HEAD + "  x:\n" + _bomb().replace("  ", "    ", 1), "alias", 7),
    Case("flow-seq.yaml", lambda: HEAD + "  x: " + "[" * DEEP + "]" * DEEP + "\n", "nesting", 6),
    Case("flow-map.yaml", lambda: HEAD + "  x: " + "{a: " * DEEP + "1" + "}" * DEEP + "\n", "nesting", 6),
    Case("block-seq.yaml", lambda: HEAD + "  x:\n  " + "- " * DEEP + "1\n", "nesting", 7),
    Case(
        "block-seq-lines.yaml",
        lambda: HEAD + "  x:\n" + "".join(" " * (2 + i) + "-\n" for i in range(3000)) + "   x\n",
        "nesting",
    ),
    Case("block-map.yaml", lambda: _deep_block_mappings(3000), "nesting"),
    # deep enough for Python code that recurses (copy.deepcopy stops near 500), not for libyaml
    Case("deep-500.yaml", lambda: HEAD + "  x: " + "[" * 500 + "]" * 500 + "\n", "levels deep", 1),
    Case(
        "deep-190-fixable.yaml",
        lambda: GOOD + "junk: " + "[" * 190 + "]" * 190 + "\n",
        None,
        findings=(("LLM003", GOOD_LLM003_LINE),),
    ),
    Case("deep-250-block.yaml", lambda: _deep_block_mappings(250), "levels deep", 1),
    Case("deep-compact.yaml", lambda: HEAD + "  x:\n  " + "- " * 250 + "1\n", "levels deep", 1),
    Case(
        "deep-500.json",
        lambda: (
            '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "vllm"}, "x": '
            + "[" * 500
            + "]" * 500
            + "}"
        ),
        "levels deep",
        1,
    ),
    Case(
        "deep-alias.yaml",
        lambda: HEAD + "  a: &x " + "[" * 110 + "]" * 110 + "\n  b: " + "[" * 110 + "*x" + "]" * 110 + "\n",
        "levels deep",
        1,
    ),
    Case("deep.json", lambda: "[" * DEEP + "]" * DEEP, "deep"),
    Case("deep-object.json", lambda: '{"a":' * DEEP + "1" + "}" * DEEP, "deep"),
    Case("binary.yaml", lambda: bytes(range(256)) * 64, "binary", None),
    Case("elf.yml", lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 500, "binary", None),
    Case("invalid-utf8.yaml", lambda: HEAD.encode() + b"  replicas: 1\n  name: caf\xe9\n", "UTF-8", 7),
    Case("utf16.yaml", lambda: b"\xff\xfe" + HEAD.encode("utf-16-le"), "UTF-16"),
    Case("big.yaml", _big_document, "MB", 1),
    Case(
        "helm.yaml",
        lambda: (
            HEAD + '  replicas: {{ .Values.replicas }}\n  template:\n{{- include "pod" . | nindent 4 }}\n'
        ),
        "helm template",
        6,
    ),
    Case(
        "helm-if.yaml",
        lambda: "{{- if .Values.enabled }}\n" + HEAD + "  replicas: 1\n{{- end }}\n",
        "helm template",
        1,
    ),
    # non-mapping documents in a file of Kubernetes objects are errors; a file with no object at all is
    # not a manifest (an Ansible playbook, a list of hosts) and is only checked to be YAML
    Case(
        "scalar.yaml",
        lambda: "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\njust a string\n",
        "not a Kubernetes object",
        4,
    ),
    Case(
        "list.yaml",
        lambda: "apiVersion: v1\nkind: Pod\n---\n- just\n- a list\n",
        "not a Kubernetes object",
        3,
    ),
    Case("flow-list.yaml", lambda: "kind: Pod\n--- [1, 2]\n", "not a Kubernetes object", 2),
    Case("number.yaml", lambda: "apiVersion: v1\nkind: Secret\n---\n42\n", "not a Kubernetes object", 3),
    Case("playbook.yml", lambda: "- hosts: all\n  tasks:\n    - ping:\n", None),
    Case("lonely-scalar.yaml", lambda: "just a string\n", None),
    Case("empty.yaml", lambda: "", None),
    Case(
        "directive.yaml",
        lambda: "%YAML 1.1\n---\n" + GOOD + "...\n---\n# the end\n",
        None,
        findings=(("LLM003", GOOD_LLM003_LINE + 2),),
    ),
    Case("comments.yaml", lambda: "# nothing here\n---\n# still nothing\n---\n", None),
    Case("only-dashes.yaml", lambda: "---\n" * 200_000, "documents", 100_001),
    Case("big-int.json", lambda: '{"kind": "Pod",\n "x": ' + "1" * 5000 + "}", "digits"),
    Case("big-int.yaml", lambda: HEAD + "  replicas: " + "9" * 5000 + "\n", "digits"),
    Case("int32.yaml", lambda: HEAD + "  replicas: " + "9" * 4000 + "\n", "32-bit", 6),
    Case("tags.yaml", lambda: open_fixture("binary-set-omap-tags.yaml"), None),
    Case("nan.yaml", lambda: HEAD + "  replicas: 1\n  x: .nan\n", "not a number JSON can hold", 7),
    Case("inf.json", lambda: '{"kind": "Pod", "x": Infinity}', "JSON"),
    Case("replicas-string.yaml", lambda: HEAD + '  replicas: "two"\n  selector: {}\n', "replicas", 6),
    Case(
        "probe-string.yaml",
        lambda: (
            HEAD + "  template:\n    spec:\n      containers:\n        - name: c\n"
            "          image: vllm/vllm-openai:v0.6.0\n          startupProbe:\n            failureThreshold: lots\n"
        ),
        "failureThreshold",
        12,
    ),
    Case(
        "containers-map.yaml",
        lambda: HEAD + "  template:\n    spec:\n      containers: {name: c}\n",
        "containers",
        8,
    ),
    Case(
        "num-shard.yaml",
        lambda: (
            HEAD + "  template:\n    spec:\n      containers:\n        - name: tgi\n"
            "          image: ghcr.io/huggingface/text-generation-inference:2.4.0\n"
            '          args: ["--num-shard=abc", "--port", "http", "--max-total-tokens", "-1e999"]\n'
            '          resources: {limits: {nvidia.com/gpu: "two"}}\n'
        ),
        None,
        findings=(("LLM007", 10),),
    ),
    Case(
        "duplicate.yaml",
        lambda: HEAD + "  replicas: 1\n  template: {}\n  replicas: 3\n",
        "duplicate key 'replicas'",
        8,
    ),
    Case(
        "duplicate-nested.yaml",
        lambda: GOOD.replace("          resources:", "          image: evil:1\n          resources:"),
        "duplicate key 'image'",
        19,
    ),
    Case(
        "duplicate.json",
        lambda: '{"apiVersion": "v1",\n "kind": "Pod",\n "kind": "Deployment"}',
        "duplicate key 'kind'",
        3,
    ),
    Case("unhashable.yaml", lambda: HEAD + "  ? [a, b]\n  : c\n", "invalid YAML", 6),
    Case("tabs.yaml", lambda: HEAD + "\treplicas: 1\n", "invalid YAML", 6),
    Case(
        "nul-late.yaml", lambda: HEAD + "  replicas: 1\n" + "# pad\n" * 2000 + "  x: \x00\n", "invalid YAML"
    ),
    Case("surrogate.yaml", lambda: HEAD + '  replicas: 1\n  x: "\\ud800"\n', "invalid YAML", 7),
    Case("timestamp.yaml", lambda: HEAD + "  replicas: 1\n  created: 2026-01-01T00:00:00Z\n", None),
    Case(
        "weird-keys.yaml",
        lambda: (
            HEAD + "  1: one\n  null: nothing\n  true: yes\n  template:\n    metadata:\n"
            "      labels: {1: 2, x: [1]}\n      annotations: {llmlint.io/ignore: [LLM003]}\n"
        ),
        None,
    ),
    Case(
        "kind-list-of-junk.yaml",
        lambda: "apiVersion: v1\nkind: List\nitems: [1, null, [2], {kind: 5}, {kind: Pod}]\n",
        "no 'spec'",
    ),
    Case("items-not-list.yaml", lambda: "apiVersion: v1\nkind: List\nitems: {a: 1}\n", None),
    # issue 15 §8: a lone surrogate in a JSON manifest is not text (no format could print it)
    Case(
        "surrogate.json",
        lambda: '{"apiVersion": "apps/v1", "kind": "Deployment",\n "metadata": {"name": "bad\\ud800"}}',
        "lone surrogate",
        2,
    ),
    Case(
        "surrogate-pair.json",
        lambda: (
            '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"},'
            ' "data": {"smile": "\\ud83d\\ude00", "esc": "\\\\ud800"}}'
        ),
        None,
    ),
    # §10: valid YAML that must be read as PyYAML reads it
    Case(
        "cr.yaml",
        lambda: ("# classic Mac line ends\n" + GOOD).replace("\n", "\r"),
        None,
        findings=(("LLM003", GOOD_LLM003_LINE + 1),),
    ),
    Case(
        "end-marker-directive.yaml",
        lambda: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n...\n%YAML 1.1\n---\n" + GOOD,
        None,
        findings=(("LLM003", GOOD_LLM003_LINE + 6),),
    ),
    Case(
        "list-in-list.yaml",
        lambda: (
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: List\n    items:\n"
            + "".join(
                ("      - " if i == 0 else "        ") + line + "\n"
                for i, line in enumerate(GOOD.splitlines())
            )
        ),
        None,
        findings=(("LLM003", GOOD_LLM003_LINE + 6),),
    ),
    Case(
        "anchor-redefined.yaml",
        lambda: GOOD + "junk:\n  a: &x 1\n  b: *x\n  c: &x [2]\n  d: *x\n",
        None,
        findings=(("LLM003", GOOD_LLM003_LINE),),
    ),
    # §11: clear errors at the right line
    Case(
        "max-surge.yaml", lambda: HEAD + '  strategy: {rollingUpdate: {maxSurge: "1e400%"}}\n', "maxSurge", 6
    ),
    Case("form-feed.yaml", lambda: HEAD + "  replicas: 1\n\x0c\n", "form feed", 7),
    # "billion laughs" through Kubernetes $(VAR) expansion, and in a shell script
    Case(
        "env-bomb.yaml",
        lambda: _container_doc(env=_env_bomb(), args='["--model=$(V9)", "--gpu-memory-utilization=0.97"]'),
        None,
    ),
    Case(
        "shell-bomb.yaml",
        lambda: _container_doc(
            env='[{name: A, value: "' + "x" * 60_000 + '"}]',
            command='["sh", "-c", "vllm serve m ' + "$A" * 20_000 + '"]',
        ),
        None,
    ),
    # unclosed references, one search to the end of the string each: quadratic before
    Case(
        "unclosed.yaml",
        lambda: _container_doc(args='["' + "$(" * 1_500_000 + '", "' + "${" * 1_000_000 + '"]'),
        None,
    ),
]


@pytest.fixture
def good_dir(tmp_path: Path) -> Path:
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    return tmp_path


def _write(path: Path, content: str | bytes) -> None:
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)


_BASELINE: set[tuple[str, int]] = set()


def _baseline() -> set[tuple[str, int]]:
    """Every finding (rule, line) of the good manifest scanned alone."""
    if not _BASELINE:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "good.yaml").write_text(GOOD, encoding="utf-8")
            _, report, _ = run_scan("good.yaml", cwd=Path(tmp))
        _BASELINE.update((f["rule"], f["line"]) for f in report["findings"])
        assert ("LLM003", GOOD_LLM003_LINE) in _BASELINE
    return _BASELINE


def _good_findings_present(report: dict[str, Any]) -> None:
    """The good file was scanned in full: all of its findings are there, as when it is alone."""
    got = {(f["rule"], f["line"]) for f in report["findings"] if f["file"] == "good.yaml"}
    want = _baseline()
    assert want <= got, (sorted(want - got), report["errors"])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file_next_to_a_good_one(good_dir: Path, case: Case) -> None:
    _write(good_dir / case.name, case.content())
    code, report, _ = run_scan(".", cwd=good_dir)
    _good_findings_present(report)
    errs = [e for e in report["errors"] if e["file"] == case.name]
    if case.needle is None:
        assert errs == [], errs
        assert code == 1  # the good file's error-level finding
    else:
        assert code == 2, report
        assert errs, report["errors"]
        assert any(case.needle.lower() in e["message"].lower() for e in errs), errs
        if case.line is not None:
            assert case.line in [e["line"] for e in errs], errs
    mine = {(f["rule"], f["line"]) for f in report["findings"] if f["file"] == case.name}
    assert set(case.findings) <= mine, mine
    assert all(e["file"] for e in report["errors"]), report["errors"]


@pytest.mark.parametrize("no_prefilter", [False, True], ids=["prefilter", "no-prefilter"])
def test_all_at_once_and_alone(tmp_path: Path, no_prefilter: bool) -> None:
    """Every case in one directory (one process); and some named on the command line. Without the
    prefilter every document is parsed: more errors (a playbook is not an object), never a crash."""
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    cheap = [c for c in CASES if c.name not in ("big.yaml",)]
    for c in cheap:
        _write(tmp_path / c.name, c.content())
    code, report, _ = run_scan(".", cwd=tmp_path, no_prefilter=no_prefilter)
    assert code == 2
    _good_findings_present(report)
    files = {e["file"] for e in report["errors"]}
    assert {c.name for c in cheap if c.needle} <= files
    assert report["summary"]["files"] == len(cheap) + 1
    code, report, _ = run_scan(
        "bomb.yaml", "good.yaml", "flow-seq.yaml", cwd=tmp_path, no_prefilter=no_prefilter
    )
    assert code == 2 and {e["file"] for e in report["errors"]} == {"bomb.yaml", "flow-seq.yaml"}
    _good_findings_present(report)


def test_good_document_after_a_bad_one_in_the_same_file(good_dir: Path) -> None:
    bad = HEAD + "  x: " + "[" * DEEP + "]" * DEEP + "\n"
    (good_dir / "mixed.yaml").write_text(
        bad + "---\n" + GOOD + "---\n" + "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: vllm-config}\ndata:\n" + _bomb(),
        encoding="utf-8",
    )
    code, report, _ = run_scan(".", cwd=good_dir)
    assert code == 2
    errs = sorted((e["line"], e["message"]) for e in report["errors"] if e["file"] == "mixed.yaml")
    assert [line for line, _ in errs] == [6, 7 + GOOD_LINES + 6], errs
    assert ("LLM003", 7 + GOOD_LLM003_LINE) in {
        (f["rule"], f["line"]) for f in report["findings"] if f["file"] == "mixed.yaml"
    }


def test_symlink_loops_devices_and_fifos(good_dir: Path) -> None:
    sub = good_dir / "sub"
    sub.mkdir()
    (sub / "up").symlink_to("..")  # a directory loop
    (sub / "deeper").symlink_to(sub)  # and another
    (sub / "self.yaml").symlink_to("self.yaml")  # a file that names itself
    (sub / "a.yaml").symlink_to("b.yaml")
    (sub / "b.yaml").symlink_to("a.yaml")
    (sub / "dangling.yaml").symlink_to("nowhere.yaml")
    (sub / "zero.yaml").symlink_to("/dev/zero")  # reading it would never end
    (sub / "urandom.yml").symlink_to("/dev/urandom")
    os.mkfifo(sub / "fifo.yaml")  # opening it would block
    (sub / "good-link.yaml").symlink_to("../good.yaml")  # the same file again: scanned once
    code, report, _ = run_scan(".", cwd=good_dir)
    assert code == 2
    by_file = {e["file"]: e["message"] for e in report["errors"]}
    for name in ("self.yaml", "a.yaml", "b.yaml"):
        assert "loop" in by_file[f"sub/{name}"]
    assert "broken" in by_file["sub/dangling.yaml"]
    for name in ("zero.yaml", "urandom.yml", "fifo.yaml"):
        assert "not a regular file" in by_file[f"sub/{name}"]
    assert [f["line"] for f in report["findings"] if f["rule"] == "LLM003"] == [GOOD_LLM003_LINE]
    # named explicitly
    code, report, _ = run_scan("sub/self.yaml", "good.yaml", "sub/up", cwd=good_dir)
    assert code == 2
    assert any(e["file"] == "sub/self.yaml" and "loop" in e["message"] for e in report["errors"])
    _good_findings_present(report)


def test_unreadable_and_missing_paths(good_dir: Path) -> None:
    code, report, _ = run_scan("good.yaml", "missing.yaml", cwd=good_dir)
    assert code == 2
    assert [e["file"] for e in report["errors"]] == ["missing.yaml"]
    _good_findings_present(report)


def test_stdin_hostile(tmp_path: Path) -> None:
    bad = (HEAD + "  x: " + "[" * DEEP + "]" * DEEP + "\n---\n" + GOOD).encode()
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", "--format", "json", "-"],
        input=bad,
        capture_output=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limits,
        cwd=tmp_path,
    )
    assert b"Traceback" not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert proc.returncode == 2
    assert [(e["file"], e["line"]) for e in report["errors"]] == [("-", 6)]
    assert ("LLM003", 7 + GOOD_LLM003_LINE) in {(f["rule"], f["line"]) for f in report["findings"]}


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_fix_on_hostile_tree_writes_only_the_good_file(good_dir: Path, fmt: str) -> None:
    cheap = [c for c in CASES if c.name not in ("big.yaml",)]
    for c in cheap:
        _write(good_dir / c.name, c.content())
    before = {c.name: (good_dir / c.name).read_bytes() for c in cheap}
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", "--fix", "--format", fmt, "."],
        cwd=good_dir,
        capture_output=True,
        timeout=TIME_LIMIT * 2,
        preexec_fn=_limits,
        env=env,
    )
    assert b"Traceback" not in proc.stdout + proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 2
    assert "--gpu-memory-utilization=0.90" in (good_dir / "good.yaml").read_text()
    changed = [n for n, b in before.items() if (good_dir / n).read_bytes() != b]
    # a file with an input error is never written; the others may be (they have fixable findings)
    assert set(changed) <= {c.name for c in cheap if c.needle is None}, changed
    assert "env-bomb.yaml" in changed  # still linted and fixed, bomb and all


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_hostile_file_names(good_dir: Path, fmt: str) -> None:
    """A newline in a name must not start a line of its own (``--format github`` would run it as a
    workflow command); bytes that are not UTF-8 and format characters are printed as escapes."""
    bad = b"kind: Pod\nmetadata: {name: vllm}\nspec: [\n"
    (good_dir / os.fsdecode(b"x\n::error file=pwned.yaml::owned\nz.yaml")).write_bytes(bad)
    (good_dir / os.fsdecode(b"latin\xe9.yaml")).write_bytes(GOOD.encode())
    (good_dir / "rtl\u202egnp.yaml").write_bytes(bad)
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", "--format", fmt, "."],
        cwd=good_dir,
        capture_output=True,
        timeout=TIME_LIMIT,
        preexec_fn=_limits,
        env=env,
    )
    out = proc.stdout + proc.stderr
    assert b"Traceback" not in out, proc.stderr[-3000:]
    assert proc.returncode == 2
    assert not any(line.startswith(b"::error file=pwned") for line in out.splitlines())
    assert b"\xe9" not in out and b"\xe2\x80\xae" not in out  # neither raw bytes nor the RTL override
    if fmt == "json":
        report = json.loads(proc.stdout)
        files = {e["file"] for e in report["errors"]} | {f["file"] for f in report["findings"]}
        assert {
            "x\\n::error file=pwned.yaml::owned\\nz.yaml",
            "rtl\\u202egnp.yaml",
            "latin\\xe9.yaml",
        } <= files


def test_directory_symlinks_never_leave_the_tree(tmp_path: Path) -> None:
    """``evil -> /`` would walk the whole machine; a link inside the tree (``base -> ../base``) is fine."""
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / "prod").mkdir(parents=True)
    (repo / "base").mkdir()
    outside.mkdir()
    (repo / "base" / "good.yaml").write_text(GOOD, encoding="utf-8")
    (outside / "other.yaml").write_text(GOOD, encoding="utf-8")
    (repo / "prod" / "base").symlink_to("../base")
    (repo / "prod" / "root").symlink_to("/")
    (repo / "prod" / "out").symlink_to(outside)
    code, report, _ = run_scan("prod", cwd=repo)
    assert code == 1, report["errors"]
    assert {f["file"] for f in report["findings"]} == {"prod/base/good.yaml"}
    assert report["summary"]["files"] == 1
    # named explicitly, a directory outside is walked
    code, report, _ = run_scan(str(outside), cwd=repo)
    assert code == 1 and report["summary"]["files"] == 1


def test_many_small_documents_in_one_file(tmp_path: Path) -> None:
    """2,000 tiny vLLM Deployments in one 430 KB file: findings for each, in bounded time (this took 33 s
    while annotate() diffed and verified the whole file for every finding, and the suppression check
    walked the text from its start for every finding)."""
    one = (
        "kind: Deployment\nmetadata: {{name: vllm{i}}}\nspec: {{replicas: 1, template: {{metadata: {{labels: "
        "{{app: a{i}}}}}, spec: {{containers: [{{name: c, image: vllm/vllm-openai:v1, "
        "args: [--gpu-memory-utilization=0.97]}}]}}}}}}\n---\n"
    )
    (tmp_path / "many.yaml").write_text("".join(one.format(i=i) for i in range(2000)), encoding="utf-8")
    try:
        code, report, _ = run_scan("many.yaml", cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail("more than 10 s")
    assert code == 1
    assert sum(1 for f in report["findings"] if f["rule"] == "LLM003") == 2000


def test_absurd_numbers_give_errors_with_file_and_line(good_dir: Path) -> None:
    """A 310-digit model size (float overflow in estimates) or a percentage no API server takes: never an
    error without a file ("<input>: internal error"), and the good file keeps its findings."""
    digits = "9" * 310
    doc = GOOD.replace(
        "  name: vllm\n", f'  name: big\n  annotations: {{llmlint.io/model-params: "{digits}B"}}\n'
    )
    doc = doc.replace("--model=meta-llama/Llama-3-8B", f"--model=org/m-{digits}B")
    (good_dir / "big-model.yaml").write_text(doc, encoding="utf-8")
    _, report, _ = run_scan(".", "--select", "ALL", cwd=good_dir)
    got = {(f["rule"], f["line"]) for f in report["findings"] if f["file"] == "good.yaml"}
    assert ("LLM003", GOOD_LLM003_LINE) in got
    for e in report["errors"]:
        assert e["file"] == "big-model.yaml" and e["line"] is not None, e


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_lone_surrogate_in_json_in_every_format(good_dir: Path, fmt: str) -> None:
    (good_dir / "bad.json").write_text(
        '{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x\\ud800"}}', encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", "--format", fmt, "."],
        cwd=good_dir,
        capture_output=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")  # strict: valid UTF-8
    assert proc.returncode == 2, err
    assert "Traceback" not in out + err and "internal error" not in out + err
    assert "LLM003" in out and "bad.json" in out + err


def test_positions_in_a_file_of_many_documents(tmp_path: Path) -> None:
    """Line and column come from the line index: exact for the first and the last of 400 documents."""
    n = 400
    (tmp_path / "many.yaml").write_text("".join("---\n" + GOOD for _ in range(n)), encoding="utf-8")
    _, report, _ = run_scan("many.yaml", "--select", "LLM003", cwd=tmp_path)
    lines = sorted(f["line"] for f in report["findings"])
    per = GOOD_LINES + 1
    assert lines == [i * per + 1 + GOOD_LLM003_LINE for i in range(n)]
    assert {f["column"] for f in report["findings"]} == {15}


def test_cr_only_file_is_fixed_with_cr_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "cr.yaml"
    path.write_bytes(("# comment first\n" + GOOD).replace("\n", "\r").encode())
    proc = subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", "--fix", "--select", "LLM003", "cr.yaml"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    data = path.read_bytes()
    assert b"\n" not in data
    assert data == ("# comment first\n" + GOOD).replace("0.97", "0.90").replace("\n", "\r").encode()
