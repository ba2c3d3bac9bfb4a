"""Issue #6: every serving framework gets the same care as vLLM."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import rules_of, scan_json, write


def deployment(container: str, extra_spec: str = "") -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: s}\nspec:\n  selector: {matchLabels: {app: s}}\n"
        "  template:\n    metadata: {labels: {app: s}}\n    spec:\n"
        + extra_spec
        + "      containers:\n"
        + container
    )


def scan(tmp_path: Path, text: str) -> list[str]:
    write(tmp_path, "m.yaml", text)
    _, report = scan_json(str(tmp_path / "m.yaml"))
    assert report["errors"] == []
    return rules_of(report)


def test_sglang_tp2_without_shm_fires_llm004(tmp_path: Path) -> None:
    text = deployment(
        "        - name: sglang\n          image: lmsysorg/sglang:v0.4.9\n"
        '          command: ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen2.5-14B-Instruct", "--tp", "2"]\n'
    )
    assert "LLM004" in scan(tmp_path, text)


def test_triton_probe_on_health_fires_llm015(tmp_path: Path) -> None:
    text = deployment(
        "        - name: triton\n          image: nvcr.io/nvidia/tritonserver:24.08-trtllm-python-py3\n"
        '          command: ["tritonserver", "--model-repository=/models"]\n'
        "          readinessProbe: {httpGet: {path: /health, port: 8000}}\n"
    )
    assert "LLM015" in scan(tmp_path, text)


def test_nim_named_port_is_clean(tmp_path: Path) -> None:
    text = deployment(
        "        - name: nim\n          image: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.3.3\n"
        "          ports: [{name: http, containerPort: 8000}]\n"
        "          startupProbe: {httpGet: {path: /v1/health/ready, port: http}, periodSeconds: 10, failureThreshold: 60}\n"
        "          readinessProbe: {httpGet: {path: /v1/health/ready, port: http}}\n"
        "          livenessProbe: {httpGet: {path: /v1/health/live, port: http}}\n"
    )
    found = scan(tmp_path, text)
    assert not {"LLM001", "LLM014", "LLM015"} & set(found)


def test_nim_readiness_only_fires_llm001_with_model_from_image(tmp_path: Path) -> None:
    text = deployment(
        "        - name: nim\n          image: nvcr.io/nim/meta/llama-3.1-70b-instruct:1.3.3\n"
        "          readinessProbe: {httpGet: {path: /v1/health/ready, port: 8000}}\n"
    )
    write(tmp_path, "m.yaml", text)
    _, report = scan_json(str(tmp_path / "m.yaml"))
    (f,) = [f for f in report["findings"] if f["rule"] == "LLM001"]
    assert "70B" in f["message"]


@pytest.mark.parametrize(
    ("container", "fires"),
    [
        # llama.cpp listens on 8080 by default
        (
            '        - name: l\n          image: ghcr.io/ggml-org/llama.cpp:server\n          args: ["-m", "/models/q.gguf"]\n'
            "          readinessProbe: {httpGet: {path: /health, port: 8080}}\n",
            False,
        ),
        (
            '        - name: l\n          image: ghcr.io/ggml-org/llama.cpp:server\n          args: ["-m", "/models/q.gguf", "--port", "9000"]\n'
            "          readinessProbe: {httpGet: {path: /health, port: 8080}}\n",
            True,
        ),
        # Ollama: OLLAMA_HOST sets the port
        (
            "        - name: o\n          image: ollama/ollama:0.9.6\n          env: [{name: OLLAMA_HOST, value: '0.0.0.0:8080'}]\n"
            "          readinessProbe: {httpGet: {path: /, port: 11434}}\n",
            True,
        ),
        # TGI's image listens on 80 unless --port or PORT says otherwise
        (
            "        - name: t\n          image: ghcr.io/huggingface/text-generation-inference:3.3.4\n"
            "          env: [{name: PORT, value: '8080'}]\n          readinessProbe: {httpGet: {path: /health, port: 8080}}\n",
            False,
        ),
    ],
)
def test_probe_ports_per_framework(tmp_path: Path, container: str, fires: bool) -> None:
    assert ("LLM014" in scan(tmp_path, deployment(container))) is fires


def test_kserve_huggingface_predictor(tmp_path: Path) -> None:
    text = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: llama}
spec:
  predictor:
    minReplicas: 2
    model:
      modelFormat: {name: huggingface}
      args: ["--model_name=llama", "--model_id=meta-llama/Llama-3.1-70B-Instruct", "--tensor_parallel_size=4", "--gpu_memory_utilization=0.97"]
      resources:
        limits: {nvidia.com/gpu: "4"}
"""
    found = scan(tmp_path, text)
    assert {"LLM003", "LLM005"} <= set(found)
    # the Hugging Face runtime KServe merges in (not in the scan) may mount /dev/shm: unknown, no LLM004
    assert "LLM004" not in found


def test_sglang_mem_fraction_static(tmp_path: Path) -> None:
    text = deployment(
        "        - name: sglang\n          image: lmsysorg/sglang:v0.4.9\n"
        '          command: ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen2.5-7B-Instruct", "--mem-fraction-static", "0.96"]\n'
    )
    assert "LLM003" in scan(tmp_path, text)


def test_gpu_container_without_framework_gets_gpu_rules(tmp_path: Path) -> None:
    text = deployment(
        "        - name: custom\n          image: registry.local/team/custom-server:1.0\n"
        "          resources: {limits: {nvidia.com/gpu: 2}}\n"
    )
    found = scan(tmp_path, text)
    assert "LLM004" in found  # two GPUs, no /dev/shm
    assert "LLM001" not in found and "LLM007" not in found
