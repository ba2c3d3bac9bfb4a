"""Hugging Face tokens never appear in any output: text, JSON, SARIF, GitHub, JUnit, or a diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli, write

TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"

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


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_no_token_in_reports(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, "m.yaml", MANIFESTS)
    code, out, err = cli("scan", "--format", fmt, "m.yaml", cwd=tmp_path)
    assert code == 1
    assert "LLM013" in out
    assert TOKEN not in out + err
    assert TOKEN[3:12] not in out + err


def test_no_token_in_diffs(tmp_path: Path) -> None:
    write(tmp_path, "m.yaml", MANIFESTS)
    code, out, err = cli("scan", "--diff", "--unsafe-fixes", "m.yaml", cwd=tmp_path)
    assert code == 1  # the diff is not empty
    assert out.startswith("--- a/m.yaml")
    assert TOKEN not in out + err
