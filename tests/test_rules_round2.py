"""Round 2 of the rules on real manifests: patterns found scanning public repositories outside the labelled
corpus, each shown by a small manifest written here and scanned (and fixed) through the real CLI.

1. /dev/shm is the pod's own: LLM004/LLM016 count this pod's GPUs (TP × PP / --nnodes, at most the pod's).
2. LLM001: a readiness-only probe whose budget covers the (estimated or assumed) load is not reported.
3. LLM026: severity info (a hardening rule), and a resource-less init container beside a Guaranteed-sized
   server is never blamed.
4. LLM012: a one-shot bare Pod (restartPolicy: Never) is never restarted: no finding.
5. Messages name a model by its id, never by a path, a claim or a URI.
6. KServe: a runtime's ``sh -c '… "$@"' --`` passes the InferenceService's args to the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from helpers import SEED, cli, scan_json, write

from llmlint import catalog
from llmlint.checks.common import model_words


def findings(path: Path, rule: str) -> list[dict[str, Any]]:
    _, report = scan_json("--select", rule, str(path))
    return [f for f in report["findings"] if f["rule"] == rule]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[nth]


# ---- 1. /dev/shm per pod ------------------------------------------------------------------------------

LWS = """\
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata:
  name: sglang
spec:
  leaderWorkerTemplate:
    size: 2
    leaderTemplate:
      spec:
        containers:
          - name: leader
            image: lmsysorg/sglang:v0.5.2-cu126
            command: ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen2.5-7B-Instruct",
                      "--tp", "TP", "--nnodes", "2", "--node-rank", "0"]
            resources:
              limits: {nvidia.com/gpu: GPUS}
MOUNT
    workerTemplate:
      spec:
        containers:
          - name: worker
            image: lmsysorg/sglang:v0.5.2-cu126
            command: ["python3", "-m", "sglang.launch_server", "--model-path", "Qwen/Qwen2.5-7B-Instruct",
                      "--tp", "TP", "--nnodes", "2", "--node-rank", "$(LWS_WORKER_INDEX)"]
            resources:
              limits: {nvidia.com/gpu: GPUS}
"""
SHM = """\
            volumeMounts:
              - {name: dshm, mountPath: /dev/shm}
        volumes:
          - name: dshm
            emptyDir: {medium: Memory}"""


def lws(tp: int, gpus: int, shm: bool) -> str:
    text = LWS.replace("TP", str(tp)).replace("GPUS", str(gpus))
    return text.replace("MOUNT\n", SHM + "\n" if shm else "")


def test_one_gpu_per_pod_of_a_multi_node_group_puts_nothing_through_its_dev_shm(tmp_path: Path) -> None:
    # --tp 2 over --nnodes 2, one GPU per pod: each pod holds one rank; ranks talk over the network
    assert findings(write(tmp_path, "a.yaml", lws(2, 1, shm=True)), "LLM016") == []
    assert findings(write(tmp_path, "b.yaml", lws(2, 1, shm=False)), "LLM004") == []


def test_two_gpus_per_pod_of_a_multi_node_group_count_two_not_the_group(tmp_path: Path) -> None:
    text = lws(4, 2, shm=True)
    p = write(tmp_path, "a.yaml", text)
    (f,) = findings(p, "LLM016")
    assert f["line"] == line_of(text, "emptyDir: {medium: Memory}")
    assert "--tp 4 (2 GPUs in this pod)" in f["message"] and len(f["message"]) <= 160
    assert f["fix"]["json_patch"][0]["value"] == "8Gi"  # sized for 2 GPUs (4 Gi each, at least 8 Gi)

    text = lws(4, 2, shm=False)
    p = write(tmp_path, "b.yaml", text)
    found = findings(p, "LLM004")
    assert [x["line"] for x in found] == [line_of(text, '"--tp", "4"'), line_of(text, '"--tp", "4"', 1)]
    assert all("(2 GPUs in this pod)" in x["message"] for x in found)
    cli("scan", "--fix", "--select", "LLM004", str(p))
    doc = yaml.safe_load(p.read_text())
    for key in ("leaderTemplate", "workerTemplate"):
        spec = doc["spec"]["leaderWorkerTemplate"][key]["spec"]
        assert spec["volumes"] == [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}]
        assert spec["containers"][0]["volumeMounts"] == [{"name": "dshm", "mountPath": "/dev/shm"}]
    assert findings(p, "LLM004") == []


def test_ray_group_without_nnodes_counts_the_pods_gpus(tmp_path: Path) -> None:
    # vLLM over a Ray cluster of two one-GPU pods: --tensor-parallel-size 2, no --nnodes flag
    text = """\
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata:
  name: vllm
spec:
  leaderWorkerTemplate:
    size: 2
    leaderTemplate:
      spec:
        containers:
          - name: leader
            image: vllm/vllm-openai:v0.10.1
            command: ["sh", "-c", "ray start --head && vllm serve Qwen/Qwen2.5-7B-Instruct --tensor-parallel-size 2"]
            resources:
              limits: {nvidia.com/gpu: 1}
    workerTemplate:
      spec:
        containers:
          - name: worker
            image: vllm/vllm-openai:v0.10.1
            command: ["sh", "-c", "ray start --address=$(LWS_LEADER_ADDRESS):6379 --block"]
            resources:
              limits: {nvidia.com/gpu: 1}
"""
    assert findings(write(tmp_path, "r.yaml", text), "LLM004") == []
    # the same server in one pod with both GPUs still needs /dev/shm
    two = text.replace("{nvidia.com/gpu: 1}", "{nvidia.com/gpu: 2}", 1)
    (f,) = findings(write(tmp_path, "two.yaml", two), "LLM004")
    assert "--tensor-parallel-size 2 with" in f["message"]


# ---- 2. LLM001: readiness-only budgets ------------------------------------------------------------------


def deployment(container: str, kind: str = "Deployment") -> str:
    body = "\n".join("        " + line for line in container.strip("\n").splitlines())
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: llm\nspec:\n"
        "  selector:\n    matchLabels: {app: llm}\n  template:\n    metadata:\n      labels: {app: llm}\n"
        f"    spec:\n      containers:\n{body}\n"
    )


def readiness_only(model: str, delay: int, period: int, failures: int) -> str:
    return deployment(
        f"- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n  args: [--model={model}]\n"
        f"  readinessProbe: {{httpGet: {{path: /health, port: 8000}}, initialDelaySeconds: {delay},"
        f" periodSeconds: {period}, failureThreshold: {failures}}}\n"
    )


@pytest.mark.parametrize(
    ("model", "delay", "period", "failures", "fires"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", 300, 10, 6, False),  # 360 s ≥ about 350 s for 8B
        ("meta-llama/Llama-3.1-8B-Instruct", 300, 10, 4, True),  # 340 s < about 350 s
        ("/models/custom", 0, 10, 30, False),  # unknown size: 300 s assumed, 300 s allowed
        ("/models/custom", 0, 10, 29, True),  # 290 s < the assumed 300 s
    ],
)
def test_readiness_only_fires_only_below_the_need(
    tmp_path: Path, model: str, delay: int, period: int, failures: int, fires: bool
) -> None:
    text = readiness_only(model, delay, period, failures)
    found = findings(write(tmp_path, "r.yaml", text), "LLM001")
    assert bool(found) == fires
    if fires:
        (f,) = found
        budget = delay + period * failures
        assert f"allowing {budget} s ({delay} + {period} × {failures})" in f["message"]
        assert f["line"] == line_of(text, "readinessProbe")
        assert len(f["message"]) <= 160 and "/models" not in f["message"]


def test_the_seed_tgi_readiness_only_still_fires() -> None:
    _, report = scan_json(str(SEED))
    (f,) = [x for x in report["findings"] if x["rule"] == "LLM001"]
    assert f["file"].endswith("tgi-deployment.yaml")
    assert "allowing 150 s (120 + 10 × 3)" in f["message"] and "350 s" in f["message"]
    rules = {x["rule"] for x in report["findings"]}
    assert {"LLM001", "LLM006", "LLM007"} <= rules


# ---- 3. LLM026: info, and only what a change would fix ---------------------------------------------------

INIT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llama
spec:
  selector:
    matchLabels: {app: llama}
  template:
    metadata:
      labels: {app: llama}
    spec:
      initContainers:
        - name: fetch-gguf
          image: curlimages/curl:8.10.1
          command: ["curl", "-fLo", "/models/model.gguf", "https://example.com/m.gguf"]
SIDECAR      containers:
        - name: llama-server
          image: ghcr.io/ggml-org/llama.cpp:server-cuda-b6000
          args: ["-m", "/models/static-a/model.gguf"]
          resources:
            requests: {cpu: "4", memory: REQ}
            limits: {memory: 8Gi, nvidia.com/gpu: 1}
"""


def qos(req: str | None, sidecar: bool = False) -> str:
    text = INIT.replace("SIDECAR", "        - {name: proxy, image: envoyproxy/envoy:v1.31.0, restartPolicy: Always}\n"
                        if sidecar else "")  # fmt: skip
    if req is None:
        return text.replace('            requests: {cpu: "4", memory: REQ}\n', "").replace(
            "limits: {memory: 8Gi, nvidia.com/gpu: 1}", "limits: {nvidia.com/gpu: 1}"
        )
    return text.replace("REQ", req)


def test_qos_is_an_info_rule_of_the_default_set(tmp_path: Path) -> None:
    rule = catalog.rules()["LLM026"]
    assert rule.severity == "info" and rule.default
    p = write(tmp_path, "q.yaml", qos("4Gi"))
    code, report = scan_json("--select", "LLM026", str(p))
    assert [f["severity"] for f in report["findings"]] == ["info"] and code == 0  # it does not fail CI


def test_resource_less_init_container_beside_a_guaranteed_server_is_not_blamed(tmp_path: Path) -> None:
    assert findings(write(tmp_path, "g.yaml", qos("8Gi")), "LLM026") == []


def test_only_the_server_is_named_when_its_fix_is_what_matters(tmp_path: Path) -> None:
    text = qos("4Gi")
    p = write(tmp_path, "b.yaml", text)
    (f,) = findings(p, "LLM026")
    assert "'llama-server'" in f["message"] and "fetch-gguf" not in f["message"]
    assert (
        "pods of model.gguf are Burstable (memory request 4Gi < limit 8Gi in 'llama-server')" in f["message"]
    )
    assert f["line"] == line_of(text, "requests: {cpu")
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM026", str(p))
    doc = yaml.safe_load(p.read_text())
    kubernetes_validate.validate(doc, "1.33", strict=True)
    assert doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] == "8Gi"
    assert findings(p, "LLM026") == []


def test_init_container_is_named_when_the_server_is_unsized_too(tmp_path: Path) -> None:
    (f,) = findings(write(tmp_path, "u.yaml", qos(None)), "LLM026")
    assert "BestEffort" in f["message"]
    assert "memory unset in 'llama-server', init container 'fetch-gguf'" in f["message"]
    assert f["fix"] is None


def test_a_native_sidecar_runs_beside_the_server_and_is_named(tmp_path: Path) -> None:
    # an unsized native sidecar (restartPolicy: Always) keeps running: it is named, and with it the init
    # container, since the running containers are not all sized
    (f,) = findings(write(tmp_path, "s.yaml", qos("8Gi", sidecar=True)), "LLM026")
    assert "memory unset in 'proxy', init container 'fetch-gguf'" in f["message"]


# ---- 4. LLM012: one-shot bare Pods -----------------------------------------------------------------------

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: vllm-smoke-test
spec:
  restartPolicy: POLICY
  containers:
    - name: vllm
      image: vllm/vllm-openai:v0.10.1
      args: ["--model=Qwen/Qwen2.5-0.5B-Instruct"]
      resources:
        limits: {nvidia.com/gpu: 1}
"""


@pytest.mark.parametrize(("policy", "fires"), [("Never", False), ("OnFailure", True), ("Always", True)])
def test_one_shot_pod_is_not_downloaded_every_start(tmp_path: Path, policy: str, fires: bool) -> None:
    text = POD.replace("POLICY", policy)
    found = findings(write(tmp_path, "p.yaml", text), "LLM012")
    assert bool(found) == fires
    if fires:
        assert found[0]["line"] == line_of(text, "--model=")


def test_a_deployment_still_downloads_every_start(tmp_path: Path) -> None:
    text = deployment(
        '- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n  args: ["--model=Qwen/Qwen2.5-7B-Instruct"]\n'
    )
    assert len(findings(write(tmp_path, "d.yaml", text), "LLM012")) == 1


# ---- 5. model names in messages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "shown"),
    [
        ("/mnt/models", ""),
        ("/models", ""),
        ("/data", ""),
        ("pvc://task-pv-claim", ""),
        ("pvc://task-pv-claim/", ""),
        ("/models/static-a/model.gguf", "model.gguf"),
        ("/mnt/models/meta-llama/Meta-Llama-3-8B-Instruct", "meta-llama/Meta-Llama-3-8B-Instruct"),
        ("/model-cache/Llama-3-8B-Instruct", "Llama-3-8B-Instruct"),
        ("s3://bucket/llama-3-8b/", "llama-3-8b"),
        ("pvc://claim/models/qwen2-7b", "qwen2-7b"),
        ("hf://meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B"),
        ("/root/.cache/huggingface/hub/models--Qwen--Qwen2-7B/snapshots/abc123", "Qwen/Qwen2-7B"),
        ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
        ("llama3.1:8b", "llama3.1:8b"),
        ("$(MODEL_ID)", ""),
    ],
)
def test_model_words(ref: str, shown: str) -> None:
    assert model_words(ref) == shown


KSERVE_PVC = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: vllm-runtime
spec:
  supportedModelFormats:
    - {name: pytorch, version: "1"}
  containers:
    - name: kserve-container
      image: vllm/vllm-openai
      command: ["python3", "-m", "vllm.entrypoints.openai.api_server"]
      args: ["--model", "MODEL", "--port", "8080"]
      readinessProbe:
        httpGet: {path: /health, port: 8080}
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
      modelFormat: {name: pytorch}
      runtime: vllm-runtime
      storageUri: pvc://task-pv-claim
"""


@pytest.mark.parametrize("model", ["/mnt/models", "/mnt/models/meta-llama/Meta-Llama-3-8B-Instruct"])
def test_messages_never_show_a_path_or_a_claim(tmp_path: Path, model: str) -> None:
    p = write(tmp_path, "k.yaml", KSERVE_PVC.replace("MODEL", model))
    _, report = scan_json("--select", "ALL", str(p))
    messages = [f["message"] for f in report["findings"]]
    assert {f["rule"] for f in report["findings"]} >= {"LLM001", "LLM008"}
    for m in messages:
        assert "pvc://" not in m and "/mnt/models" not in m, m
    (probe,) = [f["message"] for f in report["findings"] if f["rule"] == "LLM001"]
    subject = "the vLLM server" if model == "/mnt/models" else "meta-llama/Meta-Llama-3-8B-Instruct"
    assert probe.startswith(f"{subject} has a readinessProbe allowing 30 s")
    (pin,) = [f["message"] for f in report["findings"] if f["rule"] == "LLM008"]
    assert pin.startswith(
        "vllm/vllm-openai has no tag" if model == "/mnt/models" else f"vllm/vllm-openai ({subject})"
    )


# ---- 6. KServe: "$@" in a runtime's sh -c ----------------------------------------------------------------

KSERVE_SHELL = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: hf-runtime
spec:
  supportedModelFormats:
    - {name: huggingface, version: "1", autoSelect: true}
  containers:
    - name: kserve-container
      image: kserve/huggingfaceserver:v0.15.2-gpu
      command: ["sh", "-c"]
      args:
        - |
          export HF_HOME=/tmp/hf
          exec python3 -m huggingfaceserver "$@"
        - --
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
      runtime: hf-runtime
      args:
        - --model_name=llama
        - --model_id=meta-llama/Llama-3.1-8B-Instruct
        - --gpu-memory-utilization=0.95
"""


def test_runtime_shell_passes_the_inference_service_args_to_the_server(tmp_path: Path) -> None:
    p = write(tmp_path, "k.yaml", KSERVE_SHELL)
    (f,) = findings(p, "LLM003")
    assert (f["line"], f["object"]["kind"]) == (
        line_of(KSERVE_SHELL, "--gpu-memory-utilization"),
        "InferenceService",
    )
    assert "meta-llama/Llama-3.1-8B-Instruct" in f["message"]
    cli("scan", "--fix", "--select", "LLM003", str(p))
    assert "        - --gpu-memory-utilization=0.90\n" in p.read_text()
    assert p.read_text().replace("0.90", "0.95") == KSERVE_SHELL
    assert findings(p, "LLM003") == []


def test_runtime_shell_alone_knows_no_args(tmp_path: Path) -> None:
    runtime = KSERVE_SHELL.split("---\n")[0]
    p = write(tmp_path, "r.yaml", runtime)
    _, report = scan_json("--select", "ALL", str(p))
    assert not {"LLM003", "LLM012", "LLM021", "LLM022"} & {f["rule"] for f in report["findings"]}


# ---- 7. messages are one line ----------------------------------------------------------------------------


def test_a_multi_line_download_script_is_named_by_its_tool(tmp_path: Path) -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llama
spec:
  selector:
    matchLabels: {app: llama}
  template:
    metadata:
      labels: {app: llama}
    spec:
      initContainers:
        - name: model-downloader
          image: curlimages/curl:8.10.1
          command: ["sh", "-c"]
          args:
            - |
              curl -L \\
                --retry 5 \\
                -o /models/model.gguf https://example.com/model.gguf
          volumeMounts:
            - {name: models, mountPath: /models}
      containers:
        - name: llama-server
          image: ghcr.io/ggml-org/llama.cpp:server-cuda-b6000
          args: ["-m", "/models/model.gguf"]
          resources:
            limits: {memory: 8Gi, nvidia.com/gpu: 1}
          volumeMounts:
            - {name: models, mountPath: /models}
      volumes:
        - name: models
          persistentVolumeClaim: {claimName: model-storage}
"""
    (f,) = findings(write(tmp_path, "d.yaml", text), "LLM025")
    assert "downloads weights (curl) into claim model-storage" in f["message"]
    assert "\n" not in f["message"] and "\\" not in f["message"] and len(f["message"]) <= 160


# ---- catalog examples of LLM026 that give a position: exact line, column and fixed text ---------------


def _positioned(rule: str) -> list[tuple[str, int, dict[str, Any]]]:
    raw = yaml.safe_load((Path(catalog.catalog_dir()) / f"{rule}.yaml").read_text())
    return [(rule, i, ex) for i, ex in enumerate(raw["examples"]["bad"]) if "line" in ex]


@pytest.mark.parametrize(("rule", "index", "ex"), _positioned("LLM026"), ids=lambda v: str(v)[:8])
def test_positioned_example(tmp_path: Path, rule: str, index: int, ex: dict[str, Any]) -> None:
    p = write(tmp_path, "example.yaml", ex["manifest"])
    (f,) = findings(p, rule)
    assert (f["line"], f["column"]) == (ex["line"], ex["column"]), index
    assert "fetch-gguf" not in f["message"]
    cli("scan", "--fix", "--unsafe-fixes", "--select", rule, str(p))  # LLM026's fix is unsafe
    assert p.read_text() == ex.get("fixed", ex["manifest"])
    assert findings(p, rule) == []


@pytest.mark.parametrize(("script", "fires"), [('exec vllm serve "$@"', True), ("exec vllm serve", False)])
def test_a_deployments_sh_c_passes_its_args_only_through_dollar_at(
    tmp_path: Path, script: str, fires: bool
) -> None:
    text = deployment(
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n"
        f'  command: ["sh", "-c", \'{script}\', "--"]\n'
        '  args: ["Qwen/Qwen2.5-7B-Instruct", "--gpu-memory-utilization", "0.97"]\n'
    )
    p = write(tmp_path, "d.yaml", text)
    found = findings(p, "LLM003")
    assert bool(found) == fires
    if fires:
        assert found[0]["line"] == line_of(text, '"0.97"')
        cli("scan", "--fix", "--select", "LLM003", str(p))
        assert p.read_text() == text.replace('"0.97"', '"0.90"')
