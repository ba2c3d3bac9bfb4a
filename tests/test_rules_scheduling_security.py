"""LLM009, LLM010, LLM013, LLM020, LLM023, LLM026: positions, edge cases beyond the catalog examples, masked
tokens, and fixes run through the real CLI (``python -m llmlint``) and checked with ``kubernetes-validate``."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import SEED, scan_json, write

from llmlint import catalog

MINE = ("LLM009", "LLM010", "LLM013", "LLM020", "LLM023", "LLM026")
SELECT = ",".join(MINE)
TOKEN = "hf_Q7mZ2xLk9PwR4tVb8NcJ6yHd3Fs1Ga"  # a made-up token of the real shape
VALIDATE = Path(sys.executable).with_name("kubernetes-validate")
BUILTIN = ("v1", "apps/v1", "batch/v1", "policy/v1", "networking.k8s.io/v1")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [sys.executable, "-m", "llmlint", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    return r


def findings(path: Path | str, rule: str | None = None, *extra: str) -> list[dict[str, Any]]:
    _, report = scan_json("--select", rule or SELECT, *extra, str(path))
    return [f for f in report["findings"] if rule is None or f["rule"] == rule]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return lines[nth]


def deployment(
    container: str, *, name: str = "vllm", labels: str = "{app: vllm}", spec_extra: str = "", ns: str = ""
) -> str:
    ns_line = f"\n  namespace: {ns}" if ns else ""
    body = "\n".join("        " + line for line in container.strip("\n").splitlines())
    extra = "\n".join("      " + line for line in spec_extra.strip("\n").splitlines()) if spec_extra else ""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}{ns_line}\nspec:\n"
        f"  selector:\n    matchLabels: {labels}\n  template:\n    metadata:\n      labels: {labels}\n"
        f"    spec:\n{extra + chr(10) if extra else ''}      containers:\n{body}\n"
    )


# ---- positions ----------------------------------------------------------------------------------------


def test_positions_point_at_the_offending_key(tmp_path: Path) -> None:
    text = deployment(
        """
- name: vllm
  image: vllm/vllm-openai:v0.10.1
  args:
    - --model=meta-llama/Llama-3.1-8B-Instruct
    - --tensor-parallel-size=4
  resources:
    requests:
      cpu: "4"
      memory: 16Gi
      nvidia.com/gpu: 2
    limits:
      cpu: "8"
      memory: 32Gi
"""
    )
    p = write(tmp_path, "d.yaml", text)
    by_rule = {f["rule"]: f for f in findings(p)}
    assert by_rule["LLM009"]["line"] == line_of(text, "nvidia.com/gpu: 2")
    assert by_rule["LLM010"]["line"] == line_of(text, "--tensor-parallel-size=4")
    assert (
        by_rule["LLM010"]["column"] == text.splitlines()[by_rule["LLM010"]["line"] - 1].index("--tensor") + 1
    )
    assert by_rule["LLM023"]["line"] == line_of(text, "nvidia.com/gpu: 2")
    assert by_rule["LLM026"]["line"] == line_of(text, "memory: 16Gi")
    assert by_rule["LLM020"]["line"] == line_of(text, "labels: {app: vllm}")
    assert "memory request 16Gi < limit 32Gi in 'vllm'" in by_rule["LLM026"]["message"]


def test_limit_mismatch_points_at_the_limit(tmp_path: Path) -> None:
    text = deployment(
        """
- name: sglang
  image: lmsysorg/sglang:v0.5.2-cu126
  resources:
    requests:
      nvidia.com/gpu: "1"
    limits:
      nvidia.com/gpu: "2"
"""
    )
    [f] = findings(write(tmp_path, "d.yaml", text), "LLM009")
    assert f["line"] == line_of(text, 'nvidia.com/gpu: "2"')
    assert "requests nvidia.com/gpu: 1 but limits 2" in f["message"]


def test_security_positions(tmp_path: Path) -> None:
    text = (SEED / "model-config.yaml").read_text()
    p = write(tmp_path, "model-config.yaml", text)
    [f] = findings(p, "LLM013")
    assert f["line"] == line_of(text, "token: ")
    policy = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: open
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
    - to:
        - namespaceSelector: {}
        - ipBlock:
            cidr: 0.0.0.0/0
            except: [10.0.0.0/8]
"""
    p = write(
        tmp_path, "np.yaml", deployment("- name: v\n  image: vllm/vllm-openai:v0.10.1") + "---\n" + policy
    )
    [f] = findings(p, "LLM020")
    assert f["object"]["kind"] == "NetworkPolicy"
    assert f["line"] == line_of(p.read_text(), "cidr: 0.0.0.0/0")
    assert "Deployment vllm" in f["message"]


# ---- LLM009 / LLM010 edge cases -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "fires"),
    [
        ('requests: {nvidia.com/gpu: "1"}\nlimits: {nvidia.com/gpu: 1}', False),
        ("limits: {nvidia.com/gpu: 2}", False),
        ("requests: {nvidia.com/mig-1g.10gb: 1}", True),
        ("requests: {google.com/tpu: 4}\nlimits: {google.com/tpu: 8}", True),
        ("requests: {example.com/dongle: 1}", False),
        ("requests: {amd.com/gpu: 1}", True),
        ("requests: {nvidia.com/gpu: 1, cpu: 1}\nlimits: {cpu: 1}", True),
    ],
)
def test_gpu_requests_and_limits(tmp_path: Path, resources: str, fires: bool) -> None:
    body = "- name: v\n  image: vllm/vllm-openai:v0.10.1\n  resources:\n" + "\n".join(
        "    " + line for line in resources.splitlines()
    )
    assert bool(findings(write(tmp_path, "d.yaml", deployment(body)), "LLM009")) is fires


def test_gpu_request_in_an_init_container(tmp_path: Path) -> None:
    text = """apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
    - name: warm
      image: busybox:1.36
      resources:
        requests: {nvidia.com/gpu: 1}
  containers:
    - name: v
      image: vllm/vllm-openai:v0.10.1
      resources:
        limits: {nvidia.com/gpu: 1}
"""
    [f] = findings(write(tmp_path, "p.yaml", text), "LLM009")
    assert f["container"] == "warm" and "init container" in f["message"]


@pytest.mark.parametrize(
    ("container", "fires"),
    [
        # a Ray worker in the vLLM image runs no server: nothing to compare
        (
            '- name: w\n  image: vllm/vllm-openai:v0.10.1\n  command: ["sh", "-c", "ray start --address=head:6379 --block"]\n  resources: {limits: {nvidia.com/gpu: 8}}',
            False,
        ),
        # more GPUs than the pod has, but it joins a Ray cluster that may bring them
        (
            '- name: v\n  image: vllm/vllm-openai:v0.10.1\n  command: ["sh", "-c", "ray start --head && vllm serve m/Llama-3-70B -tp 8 -pp 2"]\n  resources: {limits: {nvidia.com/gpu: 8}}',
            False,
        ),
        # TP × DP
        (
            '- name: v\n  image: vllm/vllm-openai:v0.10.1\n  args: ["--model=m/Llama-3-8B", "-tp", "2", "--data-parallel-size", "2"]\n  resources: {limits: {nvidia.com/gpu: 4}}',
            False,
        ),
        (
            '- name: v\n  image: vllm/vllm-openai:v0.10.1\n  args: ["--model=m/Llama-3-8B", "-tp", "2", "--data-parallel-size", "2"]\n  resources: {limits: {nvidia.com/gpu: 2}}',
            True,
        ),
        # multi-node data parallelism: this pod runs 2 of the 4 DP ranks
        (
            '- name: v\n  image: vllm/vllm-openai:v0.10.1\n  args: ["--model=m/Llama-3-8B", "-tp", "2", "-dp", "4", "--data-parallel-size-local", "2"]\n  resources: {limits: {nvidia.com/gpu: 4}}',
            False,
        ),
        # TGI reads NUM_SHARD from the environment
        (
            '- name: t\n  image: ghcr.io/huggingface/text-generation-inference:3.3.4\n  env: [{name: NUM_SHARD, value: "4"}]\n  resources: {limits: {nvidia.com/gpu: 2}}',
            True,
        ),
        # SGLang over two pods (--nnodes 2): 16 / 2 = 8 GPUs per pod
        (
            '- name: s\n  image: lmsysorg/sglang:v0.5.2-cu126\n  command: ["python3", "-m", "sglang.launch_server", "--model-path", "m/Llama-3-405B", "--tp", "16", "--nnodes", "2"]\n  resources: {limits: {nvidia.com/gpu: 8}}',
            False,
        ),
        # no GPU requested: nothing to compare with
        ('- name: v\n  image: vllm/vllm-openai:v0.10.1\n  args: ["--model=m/Llama-3-8B", "-tp", "2"]', False),
        # Triton has no parallelism flags
        (
            "- name: t\n  image: nvcr.io/nvidia/tritonserver:25.08-py3\n  resources: {limits: {nvidia.com/gpu: 4}}",
            False,
        ),
    ],
)
def test_parallelism_cases(tmp_path: Path, container: str, fires: bool) -> None:
    assert bool(findings(write(tmp_path, "d.yaml", deployment(container)), "LLM010")) is fires


def test_parallelism_from_a_secret_is_not_judged(tmp_path: Path) -> None:
    container = """- name: v
  image: vllm/vllm-openai:v0.10.1
  args: ["--model=m/Llama-3-8B", "--tensor-parallel-size=$(TP)"]
  env:
    - name: TP
      valueFrom: {secretKeyRef: {name: tp, key: TP}}
  resources: {limits: {nvidia.com/gpu: 2}}"""
    assert not findings(write(tmp_path, "d.yaml", deployment(container)), "LLM010")


def test_kserve_predictor_parallelism(tmp_path: Path) -> None:
    text = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama
spec:
  predictor:
    model:
      modelFormat: {name: huggingface}
      args: ["--model_id=meta-llama/Llama-3.1-8B-Instruct", "--tensor_parallel_size=2"]
      resources:
        limits: {nvidia.com/gpu: "1"}
"""
    [f] = findings(write(tmp_path, "isvc.yaml", text), "LLM010")
    assert "needs 2 GPUs" in f["message"] and f["fix"]["safety"] == "unsafe"


def test_leaderworkerset_group_fix_sets_every_pod(tmp_path: Path) -> None:
    bad = catalog.get("LLM010").bad[4].manifest
    p = write(tmp_path, "lws.yaml", bad)
    [f] = findings(p, "LLM010")
    assert "16 GPUs" in f["message"] and "group of 2 pods has 8 GPUs" in f["message"]
    run("scan", "--fix", "--unsafe-fixes", "--select", "LLM010", str(p))
    doc = yaml.safe_load(p.read_text())
    lwt = doc["spec"]["leaderWorkerTemplate"]
    for t in ("leaderTemplate", "workerTemplate"):
        assert lwt[t]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert not findings(p, "LLM010")


def test_leaderworkerset_group_size_variable(tmp_path: Path) -> None:
    good = next(ex.manifest for ex in catalog.get("LLM010").good if "LWS_GROUP_SIZE" in ex.manifest)
    assert not findings(write(tmp_path, "good.yaml", good), "LLM010")
    bad = good.replace('nvidia.com/gpu: "8"', 'nvidia.com/gpu: "4"')
    [f] = findings(write(tmp_path, "bad.yaml", bad), "LLM010")
    assert "--pipeline-parallel-size 2 needs 16 GPUs" in f["message"] and f["container"] == "vllm-leader"


# ---- LLM013 ---------------------------------------------------------------------------------------------


def _token_cases() -> list[tuple[str, str]]:
    b64 = base64.b64encode(TOKEN.encode()).decode()
    return [
        (
            "env",
            deployment(
                f"- name: v\n  image: vllm/vllm-openai:v0.10.1\n  env:\n    - name: HF_TOKEN\n      value: {TOKEN}"
            ),
        ),
        (
            "stringData",
            f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: hf\nstringData:\n  token: {TOKEN}\n",
        ),
        ("data", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: hf\ndata:\n  HF_TOKEN: {b64}\n"),
        (
            "configmap",
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  HUGGINGFACEHUB_API_TOKEN: {TOKEN}\n",
        ),
        (
            "args",
            deployment(
                f'- name: dl\n  image: python:3.11-slim\n  command: ["sh", "-c", "huggingface-cli download m/x --token {TOKEN}"]',
                name="dl",
            ),
        ),
    ]


@pytest.mark.parametrize(("case", "text"), _token_cases(), ids=[c for c, _ in _token_cases()])
def test_token_is_never_printed(tmp_path: Path, case: str, text: str) -> None:
    p = write(tmp_path, "t.yaml", text)
    b64 = base64.b64encode(TOKEN.encode()).decode()
    for fmt in ("text", "json", "sarif", "github", "junit"):
        r = run("scan", "--select", "LLM013", "--format", fmt, str(p))
        out = r.stdout + r.stderr
        assert "LLM013" in out, (case, fmt)
        assert TOKEN not in out and TOKEN[3:] not in out and b64 not in out, (case, fmt)
    report = json.loads(run("scan", "--select", "LLM013", "--format", "json", str(p)).stdout)
    [f] = report["findings"]
    assert "hf_" not in f["message"] and "token" in f["message"]
    if f["fix"] is not None:  # a masked hunk would not apply: the diff is left out, with a note
        assert f["fix"]["diff"] is None and "credential" in f["fix"]["description"]


def test_placeholder_fires_and_says_so_unless_ignored(tmp_path: Path) -> None:
    shutil.copy(SEED / "model-config.yaml", tmp_path / "model-config.yaml")
    [f] = findings(tmp_path / "model-config.yaml", "LLM013")
    assert "placeholder" in f["message"] and f["fix"] is None and "hf_xxx" not in f["message"]
    write(tmp_path, ".llmlint.yaml", "ignore-placeholder-tokens: true\n")
    _, report = scan_json("--select", "LLM013", "model-config.yaml", cwd=tmp_path)
    assert not report["findings"]


def test_empty_and_referenced_values_do_not_fire(tmp_path: Path) -> None:
    container = """- name: v
  image: vllm/vllm-openai:v0.10.1
  env:
    - {name: HF_TOKEN, value: ""}
    - {name: HUGGING_FACE_HUB_TOKEN, value: $(HF_TOKEN)}
    - {name: MODEL, value: meta-llama/Llama-3.1-8B-Instruct}"""
    assert not findings(write(tmp_path, "d.yaml", deployment(container)), "LLM013")


def test_env_fix_reuses_the_secret_already_used_in_the_namespace(tmp_path: Path) -> None:
    good = deployment(
        "- name: a\n  image: vllm/vllm-openai:v0.10.1\n  env:\n    - name: HF_TOKEN\n"
        "      valueFrom: {secretKeyRef: {name: hf-credentials, key: token}}",
        name="a",
        labels="{app: a}",
        ns="ml",
    )
    bad = deployment(
        f"- name: b\n  image: lmsysorg/sglang:v0.5.2-cu126\n  env:\n    - name: HF_TOKEN\n      value: {TOKEN}",
        name="b",
        labels="{app: b}",
        ns="ml",
    )
    p = write(tmp_path, "d.yaml", good + "---\n" + bad)
    run("scan", "--fix", "--unsafe-fixes", "--select", "LLM013", str(p))
    docs = list(yaml.safe_load_all(p.read_text()))
    env = docs[1]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [
        {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-credentials", "key": "token"}}}
    ]
    assert TOKEN not in p.read_text()


def test_configmap_fix_rewrites_consumers_in_other_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        "k8s/cm.yaml",
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  MODEL_ID: m/x\n  HF_TOKEN: {TOKEN}\n",
    )
    write(
        tmp_path,
        "k8s/d.yaml",
        deployment(
            "- name: tgi\n  image: ghcr.io/huggingface/text-generation-inference:3.3.4\n  env:\n"
            "    - name: HUGGING_FACE_HUB_TOKEN\n      valueFrom: {configMapKeyRef: {name: env, key: HF_TOKEN}}\n"
            "  envFrom:\n    - configMapRef: {name: env}\n      prefix: APP_",
            name="tgi",
            labels="{app: tgi}",
        ),
    )
    run("scan", "--fix", "--unsafe-fixes", "--select", "LLM013", "k8s", cwd=tmp_path)
    cm = yaml.safe_load((tmp_path / "k8s/cm.yaml").read_text())
    assert cm["data"] == {"MODEL_ID": "m/x"}
    c = yaml.safe_load((tmp_path / "k8s/d.yaml").read_text())["spec"]["template"]["spec"]["containers"][0]
    ref = {"secretKeyRef": {"name": "hf-token", "key": "token"}}
    assert c["env"] == [
        {"name": "HUGGING_FACE_HUB_TOKEN", "valueFrom": ref},
        {"name": "APP_HF_TOKEN", "valueFrom": ref},
    ]
    assert not findings(tmp_path / "k8s", "LLM013")


# ---- LLM020 ---------------------------------------------------------------------------------------------


def test_seed_policy_covers_vllm_but_not_tgi(tmp_path: Path) -> None:
    k8s = tmp_path / "k8s"
    shutil.copytree(SEED, k8s)
    fs = findings(k8s, "LLM020")
    assert [(f["object"]["kind"], f["object"]["name"]) for f in fs] == [("Deployment", "tgi-llama3-8b")]
    assert "8080" in fs[0]["fix"]["description"]  # TGI's --port=8080, not the framework default
    # named alone, the policy in the other file is read as context; with --no-context it is not in view
    assert not findings(k8s / "vllm-deployment.yaml", "LLM020")
    assert findings(k8s / "vllm-deployment.yaml", "LLM020", "--no-context")


@pytest.mark.parametrize(
    ("policy", "fires"),
    [
        # another namespace's policy does not count
        (
            "metadata: {name: p, namespace: other}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}",
            True,
        ),
        # egress 0.0.0.0/0 except 169.254.0.0/16 covers the metadata address
        (
            "metadata: {name: p}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress:\n"
            "    - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.0.0/16]}}]",
            False,
        ),
        # a ports-only egress rule (no `to`) on TCP 80 reaches the metadata endpoint
        (
            "metadata: {name: p}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress:\n"
            "    - ports: [{port: 80}]",
            True,
        ),
        # a port range that includes 80
        (
            "metadata: {name: p}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress:\n"
            "    - to: [{ipBlock: {cidr: 169.254.0.0/16}}]\n      ports: [{port: 1, endPort: 1024}]",
            True,
        ),
        # UDP only
        (
            "metadata: {name: p}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  egress:\n"
            "    - ports: [{protocol: UDP, port: 53}]",
            False,
        ),
        # a selector that does not match
        (
            "metadata: {name: p}\nspec: {podSelector: {matchLabels: {app: other}}, policyTypes: [Ingress, Egress]}",
            True,
        ),
    ],
)
def test_network_policy_cases(tmp_path: Path, policy: str, fires: bool) -> None:
    text = (
        deployment("- name: v\n  image: vllm/vllm-openai:v0.10.1")
        + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        + policy
        + "\n"
    )
    assert bool(findings(write(tmp_path, "d.yaml", text), "LLM020")) is fires


def test_ingress_only_policy_gets_an_egress_policy(tmp_path: Path) -> None:
    bad = catalog.get("LLM020").bad[3].manifest
    p = write(tmp_path, "d.yaml", bad)
    [f] = findings(p, "LLM020")
    assert "ingress only" in f["message"]
    run("scan", "--fix", "--unsafe-fixes", "--select", "LLM020", str(p))
    [new] = [d for d in yaml.safe_load_all(p.read_text()) if d["metadata"]["name"] == "llama-network-policy"]
    assert new["kind"] == "NetworkPolicy" and new["spec"]["policyTypes"] == ["Egress"]
    assert "ingress" not in new["spec"]  # the existing ingress restriction is not widened


def test_inference_service_gets_no_generated_policy(tmp_path: Path) -> None:
    text = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama
spec:
  predictor:
    model:
      modelFormat: {name: huggingface}
      args: ["--model_id=meta-llama/Llama-3.1-8B-Instruct"]
"""
    [f] = findings(write(tmp_path, "isvc.yaml", text), "LLM020")
    assert f["fix"] is None


def test_plain_web_workloads_get_none_of_these_rules(tmp_path: Path) -> None:
    text = deployment(
        "- name: nginx\n  image: nginx:1.27\n  env: [{name: TOKEN, value: abc}]\n"
        "  resources: {requests: {cpu: 100m}, limits: {cpu: 1}}",
        name="web",
        labels="{app: web}",
    )
    assert not findings(write(tmp_path, "web.yaml", text))


# ---- LLM023 / LLM026 ------------------------------------------------------------------------------------


def test_mig_slices_need_the_gpu_toleration(tmp_path: Path) -> None:
    body = "- name: v\n  image: vllm/vllm-openai:v0.10.1\n  resources: {limits: {nvidia.com/mig-3g.40gb: 1}}"
    [f] = findings(write(tmp_path, "d.yaml", deployment(body)), "LLM023")
    assert "nvidia.com/mig-3g.40gb" in f["message"]


def test_taint_key_parameter(tmp_path: Path) -> None:
    body = "- name: v\n  image: vllm/vllm-openai:v0.10.1\n  resources: {limits: {nvidia.com/gpu: 1}}"
    write(
        tmp_path,
        "d.yaml",
        deployment(body, spec_extra="tolerations: [{key: sku, operator: Equal, value: gpu}]"),
    )
    _, report = scan_json("--select", "LLM023", "d.yaml", cwd=tmp_path)
    assert [f["rule"] for f in report["findings"]] == ["LLM023"]
    write(tmp_path, ".llmlint.yaml", "gpu-taint-key: sku\n")
    _, report = scan_json("--select", "LLM023", "d.yaml", cwd=tmp_path)
    assert not report["findings"]


def test_qos_without_any_values_has_no_fix(tmp_path: Path) -> None:
    body = "- name: o\n  image: ollama/ollama:0.12.3\n  resources: {limits: {nvidia.com/gpu: 1}}"
    [f] = findings(write(tmp_path, "d.yaml", deployment(body)), "LLM026")
    assert f["fix"] is None and "BestEffort" in f["message"]


def test_qos_ignores_gpu_batch_jobs_but_not_gpu_servers(tmp_path: Path) -> None:
    job = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: train
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: train
              image: registry.example.com/trainer:2.1.0
              resources: {limits: {nvidia.com/gpu: 1}}
"""
    assert not findings(write(tmp_path, "job.yaml", job), "LLM026")
    custom = "- name: srv\n  image: registry.example.com/my-llm-server:1.0\n  resources: {limits: {nvidia.com/gpu: 1}}"
    [f] = findings(write(tmp_path, "d.yaml", deployment(custom)), "LLM026")
    assert "BestEffort" in f["message"] and "in 'srv'" in f["message"]


def test_qos_seed_init_container(tmp_path: Path) -> None:
    # the seed's vLLM server is Guaranteed-sized; its init container sets no cpu/memory and has exited
    # before the server starts: nothing a change would fix (round 2)
    p = shutil.copy(SEED / "vllm-deployment.yaml", tmp_path / "v.yaml")
    assert findings(p, "LLM026") == []


# ---- fixes through the CLI, validated by kubernetes-validate --------------------------------------------


def _bad_examples() -> list[tuple[str, int, str]]:
    return [(r, i, ex.manifest) for r in MINE for i, ex in enumerate(catalog.get(r).bad)]


@pytest.mark.parametrize(("rule", "index", "manifest"), _bad_examples(), ids=lambda v: str(v)[:8])
def test_fix_via_cli_clears_is_idempotent_and_validates(
    tmp_path: Path, rule: str, index: int, manifest: str
) -> None:
    p = write(tmp_path, "bad.yaml", manifest)
    found = findings(p, rule)
    assert found
    if all(f["fix"] is None for f in found):
        return  # an example of what the rule cannot fix (fix availability "sometimes")
    r = run("scan", "--fix", "--unsafe-fixes", "--select", rule, str(p))
    assert "fix not applied" not in r.stdout + r.stderr, r.stderr
    fixed = p.read_text()
    assert fixed != manifest
    assert not [f for f in findings(p, rule) if f["fix"] is not None]
    run("scan", "--fix", "--unsafe-fixes", "--select", rule, str(p))
    assert p.read_text() == fixed
    # validate the documents the Kubernetes schema knows (LeaderWorkerSet, InferenceService are CRDs)
    for i, doc in enumerate(yaml.safe_load_all(fixed)):
        if not doc or doc.get("apiVersion") not in BUILTIN:
            continue
        one = write(tmp_path, f"doc{i}.yaml", yaml.safe_dump(doc))
        v = subprocess.run(
            [str(VALIDATE), "--strict", "--kubernetes-version", "1.33", str(one)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert v.returncode == 0, v.stdout + v.stderr
