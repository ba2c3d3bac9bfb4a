"""Issue 12, second review of `llmlint scan . --fix --unsafe-fixes` on real repositories: fixes that made a
working server worse. Each pattern has a small manifest written here, scanned and fixed through the real CLI;
the fixed text is compared exactly, and JSON patches are applied with a real RFC 6902 library."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonpatch
import kubernetes_validate
import pytest
import yaml
from helpers import cli, scan_json, write


def findings(path: Path, rule: str) -> list[dict[str, Any]]:
    _, report = scan_json("--select", rule, str(path))
    return [f for f in report["findings"] if f["rule"] == rule]


def fix(path: Path, rule: str, *, unsafe: bool = True) -> str:
    flags = ("--fix", "--unsafe-fixes") if unsafe else ("--fix",)
    _code, out, err = cli("scan", *flags, "--select", rule, str(path))
    assert "Traceback" not in out + err, err
    return path.read_text()


def valid(text: str) -> None:
    for doc in yaml.safe_load_all(text):
        if doc and doc.get("apiVersion") in ("v1", "apps/v1"):
            kubernetes_validate.validate(doc, "1.33", strict=True)


def patched(text: str, f: dict[str, Any]) -> dict[str, Any]:
    """The first document of ``text`` with the finding's json_patch applied (RFC 6902, ``jsonpatch``)."""
    doc = next(d for d in yaml.safe_load_all(text) if d)
    out: dict[str, Any] = jsonpatch.apply_patch(copy.deepcopy(doc), f["fix"]["json_patch"])
    return out


HEAD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
  selector:
    matchLabels: {app: llm}
  template:
    metadata:
      labels: {app: llm}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
"""


# ---- LLM001: a new startupProbe on a readiness-only container adds a restart deadline ------------------

READY_8B = (
    HEAD
    + """\
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct"]
          readinessProbe:
            httpGet: {path: /health, port: 8000}
            periodSeconds: 10
"""
)


def test_readiness_only_gets_a_generous_unsafe_startup_probe(tmp_path: Path) -> None:
    # the 8B model needs about 350 s: the budget is max(2 × 350, 350 + 600) = 950 s, not 350 s
    p = write(tmp_path, "d.yaml", READY_8B)
    (f,) = findings(p, "LLM001")
    assert "about 350 s" in f["message"]
    assert f["fix"]["safety"] == "unsafe"
    assert "restart deadline where there was none" in f["fix"]["description"]
    assert fix(p, "LLM001", unsafe=False) == READY_8B  # never applied by a plain --fix
    fixed = fix(p, "LLM001")
    assert fixed == READY_8B + (
        "          startupProbe:\n"
        "            httpGet:\n"
        "              path: /health\n"
        "              port: 8000\n"
        "            periodSeconds: 10\n"
        "            failureThreshold: 95\n"
    )
    valid(fixed)
    assert patched(READY_8B, f) == yaml.safe_load(fixed)
    assert findings(p, "LLM001") == []


def test_readiness_only_budget_is_at_least_twice_a_long_load(tmp_path: Path) -> None:
    # 405B parameters: the estimate is over an hour; the fix allows twice that, not the estimate plus seconds
    text = READY_8B.replace("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-405B-Instruct")
    p = write(tmp_path, "d.yaml", text)
    (f,) = findings(p, "LLM001")
    m = re.search(r"about (\d+) s", f["message"])
    assert m is not None
    need = int(m.group(1))
    assert need > 3600
    start = yaml.safe_load(fix(p, "LLM001"))["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    budget = start["periodSeconds"] * start["failureThreshold"]
    assert 2 * need <= budget <= 21600 and budget < 2 * need + 10


def test_readiness_only_budget_is_capped_by_startup_max_seconds(tmp_path: Path) -> None:
    write(tmp_path, ".llmlint.yaml", "startup-max-seconds: 500\n")
    p = write(tmp_path, "d.yaml", READY_8B)
    (f,) = findings(p, "LLM001")
    assert "allowing 500 s (10 × 50)" in f["fix"]["description"]


def test_readiness_only_with_a_model_of_unknown_size_gets_no_fix_and_says_why(tmp_path: Path) -> None:
    p = write(tmp_path, "d.yaml", READY_8B.replace("meta-llama/Llama-3.1-8B-Instruct", "/models/custom"))
    (f,) = findings(p, "LLM001")
    assert f["fix"] is None
    assert f["message"].endswith("(assumed: size unknown, so no fix)"), f["message"]
    assert len(f["message"]) <= 160


LIVE_70B = (
    HEAD
    + """\
          args: ["--model=meta-llama/Llama-3.3-70B-Instruct"]
          livenessProbe:
            httpGet: {path: /health, port: 8000}
            initialDelaySeconds: 60
"""
)


def test_beside_a_liveness_probe_the_fix_is_safe_and_has_headroom(tmp_path: Path) -> None:
    # liveness kills after 90 s; the 70B model needs about 1500 s: 1.5 × 1500 = 2250 s, not 1500 s
    p = write(tmp_path, "d.yaml", LIVE_70B)
    (f,) = findings(p, "LLM001")
    assert "about 1500 s" in f["message"] and f["fix"]["safety"] == "safe"
    fixed = fix(p, "LLM001", unsafe=False)
    assert fixed == LIVE_70B + (
        "          startupProbe:\n"
        "            httpGet:\n"
        "              path: /health\n"
        "              port: 8000\n"
        "            periodSeconds: 10\n"
        "            failureThreshold: 225\n"
    )
    valid(fixed)


def test_beside_a_liveness_probe_the_authors_longer_readiness_budget_is_kept(tmp_path: Path) -> None:
    text = LIVE_70B + (
        "          readinessProbe:\n"
        "            httpGet: {path: /health, port: 8000}\n"
        "            initialDelaySeconds: 3000\n"
    )
    p = write(tmp_path, "d.yaml", text)
    start = yaml.safe_load(fix(p, "LLM001"))["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    assert start["periodSeconds"] * start["failureThreshold"] >= 3030


def test_tpu_server_gets_no_fix(tmp_path: Path) -> None:
    # vLLM on TPU compiles with XLA on top of loading: the load estimate is a floor, not a budget
    text = LIVE_70B.replace("vllm/vllm-openai:v0.10.1", "vllm/vllm-tpu:v0.10.1").replace(
        "          livenessProbe:",
        "          resources:\n            limits: {google.com/tpu: 8}\n          livenessProbe:",
    )
    p = write(tmp_path, "d.yaml", text)
    (f,) = findings(p, "LLM001")
    assert f["fix"] is None and "no fix on TPU" in f["message"]


# ---- an idle KServe runtime (a debug placeholder) is no server to probe --------------------------------

RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: vllm-debug
spec:
  supportedModelFormats:
    - name: huggingface
      autoSelect: true
  containers:
    - name: kserve-container
      image: vllm/vllm-openai
      command: [sleep]
      args: [infinity]
      readinessProbe:
        httpGet: {path: /healthz, port: 9000}
        periodSeconds: 5
      livenessProbe:
        httpGet: {path: /healthz, port: 9000}
      resources:
        limits: {nvidia.com/gpu: 1}
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama
spec:
  predictor:
    model:
      modelFormat: {name: huggingface}
      runtime: vllm-debug
      storageUri: hf://meta-llama/Llama-3.1-8B-Instruct
"""

PROBE_RULES = ("LLM001", "LLM002", "LLM014", "LLM015")


def test_idle_serving_runtime_gets_no_probe_findings(tmp_path: Path) -> None:
    p = write(tmp_path, "kserve.yaml", RUNTIME)
    _, report = scan_json("--select", "ALL", str(p))
    rules = {f["rule"] for f in report["findings"]}
    assert not rules & set(PROBE_RULES), rules
    assert "LLM008" in rules  # the runtime is still read: its untagged image is reported


def test_a_runtime_that_serves_still_gets_them(tmp_path: Path) -> None:
    p = write(
        tmp_path, "kserve.yaml", RUNTIME.replace("      command: [sleep]\n      args: [infinity]\n", "")
    )
    _, report = scan_json("--select", ",".join(PROBE_RULES), str(p))
    assert {"LLM001", "LLM014", "LLM015"} <= {f["rule"] for f in report["findings"]}


# ---- LLM003: less KV cache under an explicit context length ---------------------------------------------


def _mem(extra: str) -> str:
    return (
        HEAD
        + f'          args: ["--model=Qwen/Qwen2.5-32B-Instruct", "--gpu-memory-utilization=0.95"{extra}]\n'
    )


def test_lower_memory_utilization_with_explicit_max_model_len_is_unsafe(tmp_path: Path) -> None:
    text = _mem(', "--max-model-len=32016"')
    p = write(tmp_path, "d.yaml", text)
    (f,) = findings(p, "LLM003")
    assert f["fix"]["safety"] == "unsafe"
    assert "check that --max-model-len 32016 still fits the smaller KV cache" in f["fix"]["description"]
    assert fix(p, "LLM003", unsafe=False) == text
    assert fix(p, "LLM003") == text.replace("=0.95", "=0.90")


def test_lower_memory_utilization_without_a_context_length_stays_safe(tmp_path: Path) -> None:
    text = _mem(', "--max-num-seqs=64"')
    p = write(tmp_path, "d.yaml", text)
    (f,) = findings(p, "LLM003")
    assert f["fix"]["safety"] == "safe" and "max-model-len" not in f["fix"]["description"]
    assert fix(p, "LLM003", unsafe=False) == text.replace("=0.95", "=0.90")


# ---- LLM019: Recreate only for a replica count known to be 1 --------------------------------------------

GPU_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
{replicas}  selector:
    matchLabels: {{app: llm}}
  template:
    metadata:
      labels: {{app: llm}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct"]
          resources:
            limits: {{nvidia.com/gpu: 1}}
"""
ROLL_IN_PLACE = (
    "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 0\n      maxUnavailable: 1\n"
)
RECREATE = "  strategy:\n    type: Recreate\n"

HPA = """---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: llm}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: llm}
  minReplicas: 1
  maxReplicas: 4
  metrics:
    - type: Pods
      pods:
        metric: {name: vllm_num_requests_waiting}
        target: {type: AverageValue, averageValue: "5"}
"""
KEDA = """---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: {name: llm}
spec:
  scaleTargetRef: {name: llm}
  triggers:
    - type: prometheus
      metadata: {serverAddress: "http://prometheus:9090", query: "sum(vllm:num_requests_waiting)", threshold: "5"}
"""
AIBRIX = """---
apiVersion: autoscaling.aibrix.ai/v1alpha1
kind: PodAutoscaler
metadata: {name: llm-scaler}
spec:
  scalingStrategy: KPA
  minReplicas: 1
  maxReplicas: 4
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: llm}
"""


@pytest.mark.parametrize(
    ("replicas", "beside", "expected"),
    [
        ("  # replicas: 2\n", "", ROLL_IN_PLACE),  # the author left the count open
        ("", HPA, ROLL_IN_PLACE),
        ("", KEDA, ROLL_IN_PLACE),
        ("", AIBRIX, ROLL_IN_PLACE),
        ("  replicas: 1\n", AIBRIX, ROLL_IN_PLACE),  # the autoscaler, not the field, sets the count
        ("", "", RECREATE),  # no count, no autoscaler: one replica
        ("  replicas: 1\n", "", RECREATE),
    ],
    ids=["commented", "hpa", "keda", "aibrix", "replicas-1-autoscaled", "absent", "one"],
)
def test_recreate_only_when_the_count_is_known_to_be_one(
    tmp_path: Path, replicas: str, beside: str, expected: str
) -> None:
    deployment = GPU_DEPLOYMENT.format(replicas=replicas)
    text = deployment + beside
    p = write(tmp_path, "d.yaml", text)
    (f,) = findings(p, "LLM019")
    recreate = expected == RECREATE
    assert ("one replica" in f["fix"]["description"]) == recreate
    assert ("one replica" in f["message"]) is False
    fixed = fix(p, "LLM019")
    assert fixed == deployment + expected + beside
    valid(fixed)
    assert patched(text, f) == next(d for d in yaml.safe_load_all(fixed) if d)
    assert findings(p, "LLM019") == []


def test_autoscaler_that_allows_one_replica_keeps_it_at_one(tmp_path: Path) -> None:
    text = GPU_DEPLOYMENT.format(replicas="  replicas: 1\n") + HPA.replace("maxReplicas: 4", "maxReplicas: 1")
    (f,) = findings(write(tmp_path, "d.yaml", text), "LLM019")
    assert "Recreate" in f["fix"]["description"]


def test_autoscaler_of_another_deployment_does_not_count(tmp_path: Path) -> None:
    text = GPU_DEPLOYMENT.format(replicas="") + KEDA.replace(
        "scaleTargetRef: {name: llm}", "scaleTargetRef: {name: other}"
    )
    p = write(tmp_path, "d.yaml", text)
    (f,) = findings(p, "LLM019")
    assert "Recreate" in f["fix"]["description"]


# ---- LLM026: raising the memory request can leave the pod Pending --------------------------------------

QOS = (
    HEAD
    + """\
          args: ["--model=meta-llama/Llama-3.1-8B-Instruct"]
          resources:
            requests: {cpu: "4", memory: 16Gi}
            limits: {cpu: "4", memory: 24Gi, nvidia.com/gpu: 1}
"""
)


def test_guaranteed_memory_fix_is_unsafe(tmp_path: Path) -> None:
    p = write(tmp_path, "d.yaml", QOS)
    (f,) = findings(p, "LLM026")
    assert f["fix"]["safety"] == "unsafe" and "node" in f["fix"]["description"]
    assert fix(p, "LLM026", unsafe=False) == QOS
    assert fix(p, "LLM026") == QOS.replace("memory: 16Gi", "memory: 24Gi")


# ---- LLM013: a placeholder is no exposed token ----------------------------------------------------------


@pytest.mark.parametrize("value", ['"<secret>"', "YOUR_HF_TOKEN", "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxx"])
def test_placeholder_token_is_never_to_be_revoked(tmp_path: Path, value: str) -> None:
    text = HEAD + f"          env:\n            - name: HF_TOKEN\n              value: {value}\n"
    p = write(tmp_path, "d.yaml", text)
    (f,) = findings(p, "LLM013")
    assert "placeholder" in f["message"] and "placeholder" in f["fix"]["description"]
    assert "revoke" not in f["message"].lower() + f["fix"]["description"].lower()


def test_placeholder_in_args_is_replaced_not_revoked(tmp_path: Path) -> None:
    text = HEAD + '          args: ["--model=m", "--hf-token=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxx"]\n'
    (f,) = findings(write(tmp_path, "d.yaml", text), "LLM013")
    assert "placeholder" in f["message"] and "revoke" not in f["message"]


def test_placeholder_in_a_configmap_is_not_revoked(tmp_path: Path) -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: env}\ndata:\n  HF_TOKEN: <your-token>\n---\n"
        + HEAD
        + "          envFrom:\n            - configMapRef: {name: env}\n"
    )
    (f,) = findings(write(tmp_path, "d.yaml", text), "LLM013")
    assert "revoke" not in f["fix"]["description"] and "placeholder" in f["fix"]["description"]


def test_a_real_token_is_still_to_be_revoked(tmp_path: Path) -> None:
    token = "hf_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7"
    text = HEAD + f"          env:\n            - name: HF_TOKEN\n              value: {token}\n"
    (f,) = findings(write(tmp_path, "d.yaml", text), "LLM013")
    assert "revoke" in f["message"] and "revoke the exposed token" in f["fix"]["description"]
    assert token not in f["message"] + f["fix"]["description"]
