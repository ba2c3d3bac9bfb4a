"""Credentials, control characters and line breaks from the input never appear in any output.

Masking runs on the raw data before any format escapes it: a token after ``\\n`` (JSON), ``%0A`` (GitHub)
or ESC is masked as surely as one on its own. A fix whose patch would have to show a credential is left
out of ``--diff`` (with a note) and loses its ``diff``/``json_patch`` in reports, and what is printed
still applies.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import cli, write

from llmlint.report.redact import Secrets, printable, redact_diff

TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
TOKEN2 = "hf_" + "ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210"
TOKEN3 = "hf_" + "QqWwEeRrTtYyUuIiOoPpAaSsDdFf11223344"

MANIFESTS = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: cfg}}
data:
  GPU_MEM: "0.97"
  HF_TOKEN: "{TOKEN}"
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: vllm}}
spec:
  selector: {{matchLabels: {{app: vllm}}}}
  template:
    metadata: {{labels: {{app: vllm}}}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct", "--gpu-memory-utilization=$(GPU_MEM)"]
          envFrom: [{{configMapRef: {{name: cfg}}}}]
          env:
            - name: HUGGING_FACE_HUB_TOKEN
              value: "{TOKEN}"
"""

# Tokens behind escapes, in a wrapper script whose flag a fix rewrites (the fix's patch carries the script).
HEREDOC = f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: wrapped}}
spec:
  selector: {{matchLabels: {{app: wrapped}}}}
  template:
    metadata: {{labels: {{app: wrapped}}}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          command: ["sh", "-c"]
          args: ["cat > /tmp/t <<EOF\\n{TOKEN}\\n%0A{TOKEN2}\\e{TOKEN3}\\nEOF\\nexec vllm serve meta-llama/Llama-3.1-8B-Instruct --gpu-memory-utilization=0.97"]
          resources: {{limits: {{nvidia.com/gpu: "1"}}}}
"""

# A good file beside them: its findings and fixes must survive untouched.
GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: good}
spec:
  selector: {matchLabels: {app: good}}
  template:
    metadata: {labels: {app: good}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args:
            - --model=meta-llama/Llama-3.1-8B-Instruct
            - --gpu-memory-utilization=0.97
          resources: {limits: {nvidia.com/gpu: "1"}}
"""

ALL_TOKENS = (TOKEN, TOKEN2, TOKEN3)


def _no_token(text: str) -> None:
    for t in ALL_TOKENS:
        assert t not in text
        assert t[3:14] not in text  # nor any long part of one


def _tree(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", MANIFESTS)
    write(tmp_path, "wrapped.yaml", HEREDOC)
    write(tmp_path, "good.yaml", GOOD)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
@pytest.mark.parametrize("unsafe", [False, True])
def test_no_token_in_reports(tmp_path: Path, fmt: str, unsafe: bool) -> None:
    _tree(tmp_path)
    args = ["scan", "--format", fmt, "--select", "ALL", "."] + (["--unsafe-fixes"] if unsafe else [])
    code, out, err = cli(*args, cwd=tmp_path)
    assert code == 1
    assert "LLM013" in out and "LLM003" in out
    _no_token(out + err)


def test_reports_keep_the_fixes_that_carry_no_token(tmp_path: Path) -> None:
    _tree(tmp_path)
    _, out, _ = cli("scan", "--format", "json", ".", cwd=tmp_path)
    doc = json.loads(out)
    good = [f for f in doc["findings"] if f["file"] == "good.yaml" and f["rule"] == "LLM003"]
    assert good and good[0]["fix"]["diff"] and good[0]["fix"]["json_patch"]
    wrapped = [f for f in doc["findings"] if f["file"] == "wrapped.yaml" and f["rule"] == "LLM003"]
    assert wrapped, doc["findings"]
    fix = wrapped[0]["fix"]
    # the patch would carry the script, tokens and all: not shown, and the description says so
    assert fix["diff"] is None and fix["json_patch"] is None
    assert "--fix" in fix["description"]


def test_diff_leaves_out_the_hunks_with_a_token_and_still_applies(tmp_path: Path) -> None:
    _tree(tmp_path)
    code, out, err = cli("scan", "--diff", "--unsafe-fixes", ".", cwd=tmp_path)
    assert code == 1
    _no_token(out + err)
    assert "left out of the diff" in err and "--fix" in err
    assert "+++ b/good.yaml" in out  # the good file's fix survives
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "fix.patch").write_text(out, encoding="utf-8")
    subprocess.run(["git", "apply", "--check", "fix.patch"], cwd=tmp_path, check=True)
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    assert "--gpu-memory-utilization=0.90" in (tmp_path / "good.yaml").read_text()
    # --fix applies what the diff left out
    cli("scan", "--fix", "--unsafe-fixes", "m.yaml", cwd=tmp_path)
    assert TOKEN not in (tmp_path / "m.yaml").read_text().split("kind: Deployment")[1]


def test_redact_diff_shifts_the_hunks_it_keeps() -> None:
    diff = f"--- a/x.yaml\n+++ b/x.yaml\n@@ -1,2 +1,3 @@\n a\n-{TOKEN}\n+b\n+c\n@@ -10,1 +11,1 @@\n-d\n+e\n"
    out, notes = redact_diff(diff, Secrets())
    assert out == "--- a/x.yaml\n+++ b/x.yaml\n@@ -10,1 +10,1 @@\n-d\n+e\n"
    assert len(notes) == 1 and "x.yaml at line 1" in notes[0]


def test_printable_escapes_what_a_terminal_or_runner_acts_on() -> None:
    assert (
        printable("a\nb\r\x1b[31m\x9b\u2028\u202e\ud800\t") == "a\\nb\\r\\e[31m\\x9b\\u2028\\u202e\\ud800\\t"
    )
    assert printable("plain ünïcode") == "plain ünïcode"


HOSTILE_NAME = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "evil\\n::error file=x.yaml,line=1::pwned\\e[2J\\u202e"
spec:
  selector: {matchLabels: {app: evil}}
  template:
    metadata: {labels: {app: evil}}
    spec:
      containers:
        - name: "c\\n::warning::injected"
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct", "--gpu-memory-utilization=0.97"]
          resources: {limits: {nvidia.com/gpu: "1"}}
"""


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "junit"])
def test_names_with_line_breaks_and_escapes(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, "evil.yaml", HOSTILE_NAME)
    write(tmp_path, "good.yaml", GOOD)
    code, out, err = cli("scan", "--format", fmt, ".", cwd=tmp_path)
    assert code == 1
    for text in (out, err):
        assert "\x1b" not in text and "\u202e" not in text and "\u2028" not in text
        for line in text.splitlines():
            assert "pwned" not in line or not line.lstrip().startswith("::error file=x")
            assert not re.match(r"\s*::(warning|error)::injected", line)
    assert out.count("LLM003") >= 2  # the good file's finding and the hostile one's


def test_diff_never_shows_a_workflow_command_in_a_context_line(tmp_path: Path) -> None:
    """GitHub's runner trims leading blanks before looking for ``::``: a context line of a diff (" …")
    holding one would run as a workflow command in a CI log; that hunk is left out."""
    script = GOOD.replace(
        "          args:\n",
        "          env:\n            - name: SCRIPT\n              value: |\n"
        "                ::error file=x.yaml::pwned\n          args:\n",
    )
    write(tmp_path, "good.yaml", script)
    write(tmp_path, "other.yaml", GOOD.replace("name: good", "name: other"))
    _, out, err = cli("scan", "--diff", ".", cwd=tmp_path)
    assert "left out of the diff" in err and "good.yaml" in err
    assert "::error" not in out
    assert "+++ b/other.yaml" in out and "--gpu-memory-utilization=0.90" in out
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), line


PLAIN_TOKEN = "QzT8wLmN4pRvX2kJ7sYd9aBcE5fGhU3i"  # no hf_ prefix: a token only because LLM013 says so


@pytest.mark.parametrize(
    "args",
    [
        ("--diff", "--unsafe-fixes"),
        ("--format", "json", "--unsafe-fixes"),
        ("--format", "sarif"),
        ("--format", "github"),
        ("--format", "junit"),
        ("--format", "text"),
    ],
)
def test_values_llm013_calls_tokens_are_never_printed(tmp_path: Path, args: tuple[str, ...]) -> None:
    manifest = GOOD.replace(
        '          resources: {limits: {nvidia.com/gpu: "1"}}\n',
        f'          env:\n            - name: HF_TOKEN\n              value: "{PLAIN_TOKEN}"\n'
        '          resources: {limits: {nvidia.com/gpu: "1"}}\n',
    )
    write(tmp_path, "m.yaml", manifest)
    write(tmp_path, "good.yaml", GOOD.replace("name: good", "name: other"))
    _, out, err = cli("scan", *args, ".", cwd=tmp_path)
    assert PLAIN_TOKEN not in out + err and PLAIN_TOKEN[:12] not in out + err
    assert "good.yaml" in out + err  # the neighbour's findings or fixes are there


def test_diff_with_every_hunk_left_out_still_fails(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", MANIFESTS)
    code, out, err = cli("scan", "--diff", "--unsafe-fixes", "m.yaml", cwd=tmp_path)
    _no_token(out + err)
    assert out == "" and "left out of the diff" in err
    assert code == 1  # the fixes are still to be made
