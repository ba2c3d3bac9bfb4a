"""Trust on real manifests (issues 11, 12, 14) for the availability, storage, scheduling and security rules:
one small manifest per pattern, written for this test, with exact positions and the fixes' real effect."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml
from helpers import cli, scan_json, write

from llmlint import catalog

MINE = ("LLM005", "LLM006", "LLM009", "LLM010", "LLM012", "LLM013", "LLM017", "LLM018", "LLM019", "LLM020")
MINE += ("LLM023", "LLM024", "LLM025", "LLM026")


def findings(tmp: Path, rule: str, *files: str) -> list[dict[str, Any]]:
    _, report = scan_json("--select", rule, *files, cwd=tmp)
    assert not report["errors"], report["errors"]
    return [f for f in report["findings"] if f["rule"] == rule]


def pos(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """(line, column) of the start of the ``nth`` occurrence of ``needle``."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


def at(f: dict[str, Any]) -> tuple[int, int]:
    return f["line"], f["column"]


def deployment(name: str, body: str, *, replicas: int = 1, spec: str = "", pod: str = "") -> str:
    """A Deployment whose pod spec is ``pod`` (indented 6) followed by ``body`` (the containers list)."""
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n{spec}"
        f"  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n"
        f"    spec:\n{pod}{body}"
    )


VLLM = """      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=Qwen/Qwen2.5-7B-Instruct"]
          resources:
            limits: {cpu: "8", memory: 32Gi, nvidia.com/gpu: 1}
"""


# ---- LLM026: one finding per pod template, memory only -------------------------------------------------


def test_qos_one_finding_per_template_names_init_and_sidecar(tmp_path: Path) -> None:
    body = """      initContainers:
        - name: fetch
          image: busybox:1.36
          command: ["sh", "-c", "true"]
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=Qwen/Qwen2.5-7B-Instruct"]
          resources:
            requests: {cpu: "4", memory: 16Gi, nvidia.com/gpu: 1}
            limits: {cpu: "8", memory: 32Gi, nvidia.com/gpu: 1}
        - name: log-shipper
          image: fluent/fluent-bit:3.1
"""
    text = write(tmp_path, "d.yaml", deployment("vllm", body)).read_text()
    [f] = findings(tmp_path, "LLM026", "d.yaml")
    assert at(f) == pos(text, "memory: 16Gi")  # the server's own memory request, inside the flow mapping
    assert f["container"] == "vllm"
    assert "unset in 'log-shipper', init container 'fetch'" in f["message"]
    assert "request 16Gi < limit 32Gi in 'vllm'" in f["message"]
    assert f["message"].startswith("pods of Qwen/Qwen2.5-7B-Instruct are Burstable")
    assert f["fix"] is None  # two containers have no memory at all: only a person can size them


def test_qos_cpu_only_difference_is_not_reported(tmp_path: Path) -> None:
    body = VLLM.replace(
        'limits: {cpu: "8", memory: 32Gi',
        'requests: {cpu: "2", memory: 32Gi}\n            limits: {cpu: "8", memory: 32Gi',
    )
    write(tmp_path, "d.yaml", deployment("vllm", body))
    assert findings(tmp_path, "LLM026", "d.yaml") == []


def test_qos_fix_raises_memory_requests_only(tmp_path: Path) -> None:
    body = VLLM.replace(
        'limits: {cpu: "8", memory: 32Gi',
        'requests: {cpu: "2", memory: 8Gi}\n            limits: {cpu: "8", memory: 32Gi',
    )
    p = write(tmp_path, "d.yaml", deployment("vllm", body))
    [f] = findings(tmp_path, "LLM026", "d.yaml")
    assert f["fix"]["safety"] == "unsafe"  # the pod needs its whole memory limit free on a node to schedule
    cli("scan", "--fix", "--select", "LLM026", "d.yaml", cwd=tmp_path)
    assert 'memory: 8Gi}' in p.read_text()  # not without --unsafe-fixes
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM026", "d.yaml", cwd=tmp_path)
    assert 'requests: {cpu: "2", memory: 32Gi}' in p.read_text()  # cpu untouched
    assert findings(tmp_path, "LLM026", "d.yaml") == []


# ---- LLM023 / LLM019: platform facts ---------------------------------------------------------------------


def test_gke_accelerator_affinity_means_no_toleration_finding(tmp_path: Path) -> None:
    pod = """      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: cloud.google.com/gke-accelerator, operator: In, values: [nvidia-l4]}
"""
    write(tmp_path, "gke.yaml", deployment("vllm", VLLM, pod=pod))
    write(tmp_path, "eks.yaml", deployment("vllm2", VLLM))
    assert findings(tmp_path, "LLM023", "gke.yaml") == []
    text = (tmp_path / "eks.yaml").read_text()
    [f] = findings(tmp_path, "LLM023", "eks.yaml")
    assert at(f) == pos(text, "nvidia.com/gpu: 1")
    # opt-in: the default set does not run it
    _, report = scan_json("eks.yaml", cwd=tmp_path)
    assert "LLM023" not in {x["rule"] for x in report["findings"]}


def test_autopilot_annotation_means_no_surge_finding(tmp_path: Path) -> None:
    pod = ""
    text = deployment("vllm", VLLM, pod=pod).replace(
        "      labels: {app: vllm}\n",
        "      labels: {app: vllm}\n      annotations: {autopilot.gke.io/resource-adjustment: x}\n",
    )
    write(tmp_path, "d.yaml", text)
    assert findings(tmp_path, "LLM019", "d.yaml") == []


def test_rollout_fix_json_patch_sets_both_keys_once(tmp_path: Path) -> None:
    text = deployment("vllm", VLLM, replicas=2, spec="  strategy:\n    type: RollingUpdate\n")
    write(tmp_path, "d.yaml", text)
    [f] = findings(tmp_path, "LLM019", "d.yaml")
    ops = f["fix"]["json_patch"]
    assert len({op["path"] for op in ops}) == len(ops), ops  # no add overwrites another
    doc = yaml.safe_load(text)
    patched = jsonpatch.apply_patch(doc, ops)
    assert patched["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}


# ---- LLM012: what is a cache -----------------------------------------------------------------------------


TGI_EPHEMERAL = """      containers:
        - name: tgi
          image: ghcr.io/huggingface/text-generation-inference:3.3.4
          args: ["--model-id", "mistralai/Mistral-7B-Instruct-v0.3"]
          volumeMounts:
            - {name: data, mountPath: /data}
      volumes:
        - name: data
          ephemeral:
            volumeClaimTemplate:
              spec:
                accessModes: [ReadWriteOnce]
                resources: {requests: {storage: 100Gi}}
"""


def test_generic_ephemeral_volume_is_no_cache_and_is_converted(tmp_path: Path) -> None:
    p = write(tmp_path, "d.yaml", deployment("tgi", TGI_EPHEMERAL))
    text = p.read_text()
    [f] = findings(tmp_path, "LLM012", "d.yaml")
    assert at(f) == pos(text, "--model-id")
    assert "(an ephemeral volume, not persistent)" in f["message"] and "14 GB" in f["message"]
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM012", "d.yaml", cwd=tmp_path)
    docs = list(yaml.safe_load_all(p.read_text()))
    spec = docs[0]["spec"]["template"]["spec"]
    assert spec["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "tgi-model-cache"}}]
    assert spec["containers"][0]["volumeMounts"] == [
        {"name": "data", "mountPath": "/data"}
    ]  # no second mount
    # the author's ephemeral claim (ReadWriteOnce, 100Gi) becomes a lasting one of the same size
    assert docs[1]["kind"] == "PersistentVolumeClaim" and docs[1]["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "100Gi"}},
    }
    assert findings(tmp_path, "LLM012", "d.yaml") == []


def test_statefulset_claim_template_is_a_cache(tmp_path: Path) -> None:
    write(
        tmp_path,
        "s.yaml",
        """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: vllm}
spec:
  serviceName: vllm
  selector: {matchLabels: {app: vllm}}
  template:
    metadata: {labels: {app: vllm}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=Qwen/Qwen2.5-7B-Instruct"]
          volumeMounts: [{name: hf, mountPath: /root/.cache/huggingface}]
  volumeClaimTemplates:
    - metadata: {name: hf}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 50Gi}}}
""",
    )
    assert findings(tmp_path, "LLM012", "s.yaml") == []


def test_cache_claim_is_sized_from_the_checkpoint_not_the_4bit_weights(tmp_path: Path) -> None:
    body = """      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=meta-llama/Meta-Llama-3-70B-Instruct", "--quantization=bitsandbytes"]
"""
    write(tmp_path, "d.yaml", deployment("vllm", body))
    [f] = findings(tmp_path, "LLM012", "d.yaml")
    assert "140 GB" in f["message"]  # the 16-bit checkpoint, not the 35 GB it takes in GPU memory
    assert "200Gi" in f["fix"]["description"]  # 1.3 × 140 GB, rounded up to 50Gi


def test_a_claim_the_pod_already_has_is_mounted_not_a_new_one(tmp_path: Path) -> None:
    body = """      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=Qwen/Qwen2.5-7B-Instruct"]
      volumes:
        - name: models
          persistentVolumeClaim: {claimName: model-weights}
"""
    p = write(tmp_path, "d.yaml", deployment("vllm", body))
    [f] = findings(tmp_path, "LLM012", "d.yaml")
    assert "mount the pod's claim model-weights" in f["fix"]["description"]
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM012", "d.yaml", cwd=tmp_path)
    docs = list(yaml.safe_load_all(p.read_text()))
    assert len(docs) == 1  # no new claim
    assert docs[0]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] == [
        {"name": "models", "mountPath": "/root/.cache/huggingface"}
    ]


def test_several_pods_get_read_write_many_only_with_a_class_that_provides_it(tmp_path: Path) -> None:
    write(tmp_path, "d.yaml", deployment("vllm", VLLM, replicas=3))
    [f] = findings(tmp_path, "LLM012", "d.yaml")
    assert f["fix"] is None
    write(
        tmp_path,
        "shared.yaml",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: shared}\nspec:\n  accessModes: [ReadWriteMany]\n"
        "  storageClassName: efs-sc\n  resources: {requests: {storage: 1Ti}}\n",
    )
    [f] = findings(tmp_path, "LLM012", "d.yaml", "shared.yaml")
    assert "ReadWriteMany" in f["fix"]["description"]
    _code, out, _ = cli(
        "scan", "--diff", "--unsafe-fixes", "--select", "LLM012", "d.yaml", "shared.yaml", cwd=tmp_path
    )
    assert "storageClassName: efs-sc" in out


# ---- LLM006: variants, one surging replica, the patch's target ------------------------------------------


PVC = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: cache}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 50Gi}}\n"
MOUNTING = """      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=/models/qwen"]
          volumeMounts: [{name: cache, mountPath: /models}]
      volumes:
        - name: cache
          persistentVolumeClaim: {claimName: cache}
"""


def test_variants_in_other_files_are_not_counted_together(tmp_path: Path) -> None:
    recreate = "  strategy: {type: Recreate}\n"
    write(tmp_path, "pvc.yaml", PVC)
    for accel in ("gpu", "cpu", "hpu"):
        write(tmp_path, f"{accel}/deployment.yaml", deployment("vllm", MOUNTING, spec=recreate))
    assert findings(tmp_path, "LLM006", ".") == []
    # a genuinely different workload on the same claim is a neighbour
    write(tmp_path, "other.yaml", deployment("vllm-b", MOUNTING, spec=recreate))
    assert {f["object"]["name"] for f in findings(tmp_path, "LLM006", ".")} == {"vllm", "vllm-b"}


@pytest.mark.parametrize(
    ("spec", "pod", "fires"),
    [
        ("", "", True),  # the default RollingUpdate surges 25% → one pod
        ("  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}\n", "", False),
        ("  strategy: {type: Recreate}\n", "", False),
        ("", "      nodeSelector: {kubernetes.io/hostname: gpu-1}\n", False),
    ],
)
def test_one_surging_replica_on_a_read_write_once_claim(
    tmp_path: Path, spec: str, pod: str, fires: bool
) -> None:
    p = write(tmp_path, "d.yaml", PVC + "---\n" + deployment("vllm", MOUNTING, spec=spec, pod=pod))
    text = p.read_text()
    found = findings(tmp_path, "LLM006", "d.yaml")
    if not fires:
        assert found == []
        return
    [f] = found
    assert at(f) == pos(text, "claimName: cache", 0)
    assert "RollingUpdate of vllm starts its new pod first" in f["message"]
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM006", "d.yaml", cwd=tmp_path)
    assert list(yaml.safe_load_all(p.read_text()))[1]["spec"]["strategy"] == {"type": "Recreate"}


def test_read_write_many_patch_targets_the_claim(tmp_path: Path) -> None:
    write(tmp_path, "pvc.yaml", PVC)
    write(tmp_path, "d.yaml", deployment("vllm", MOUNTING, replicas=2))
    [f] = findings(tmp_path, "LLM006", "d.yaml", "pvc.yaml")
    assert f["fix"]["target"]["kind"] == "PersistentVolumeClaim" and f["fix"]["target"]["name"] == "cache"
    claim = yaml.safe_load(PVC)
    patched = jsonpatch.apply_patch(claim, f["fix"]["json_patch"])
    assert patched["spec"]["accessModes"] == ["ReadWriteMany"]


def test_block_storage_class_gets_no_read_write_many_fix(tmp_path: Path) -> None:
    write(tmp_path, "pvc.yaml", PVC.replace("spec:\n", "spec:\n  storageClassName: gp3\n"))
    write(tmp_path, "d.yaml", deployment("vllm", MOUNTING, replicas=2))
    [f] = findings(tmp_path, "LLM006", "d.yaml", "pvc.yaml")
    assert f["fix"] is None and "class gp3 has no ReadWriteMany" in f["message"]


# ---- LLM005: groups, names, existing budgets -------------------------------------------------------------


def test_torchrun_statefulset_is_one_server_not_replicas(tmp_path: Path) -> None:
    write(
        tmp_path,
        "s.yaml",
        """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: llama}
spec:
  replicas: 2
  serviceName: llama
  selector: {matchLabels: {app: llama}}
  template:
    metadata: {labels: {app: llama}}
    spec:
      containers:
        - name: server
          image: registry.example.com/llama:1
          command: ["torchrun", "--nnodes=2", "--nproc_per_node=1", "serve.py"]
          resources: {limits: {nvidia.com/gpu: 1}}
""",
    )
    assert findings(tmp_path, "LLM005", "s.yaml") == []


def test_pdb_name_never_collides_and_an_existing_budget_counts(tmp_path: Path) -> None:
    other = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: vllm-pdb}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n"
    write(tmp_path, "d.yaml", deployment("vllm", VLLM, replicas=2))
    write(tmp_path, "other-pdb.yaml", other)
    [f] = findings(tmp_path, "LLM005", "d.yaml", "other-pdb.yaml")
    assert f["fix"]["description"].startswith("add PodDisruptionBudget vllm-pdb-2")
    assert at(f) == pos((tmp_path / "d.yaml").read_text(), "replicas: 2")
    write(
        tmp_path, "mine-pdb.yaml", other.replace("vllm-pdb", "vllm-budget").replace("app: web", "app: vllm")
    )
    assert findings(tmp_path, "LLM005", "d.yaml", "other-pdb.yaml", "mine-pdb.yaml") == []


def test_leaderworkerset_budget_covers_the_groups(tmp_path: Path) -> None:
    write(
        tmp_path,
        "lws.yaml",
        """apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata: {name: vllm}
spec:
  replicas: 2
  leaderWorkerTemplate:
    size: 2
    leaderTemplate:
      metadata: {labels: {role: leader}}
      spec:
        containers:
          - name: leader
            image: vllm/vllm-openai:v0.10.1
            args: ["--model=Qwen/Qwen2.5-72B-Instruct", "--tensor-parallel-size=8", "--pipeline-parallel-size=2"]
            resources: {limits: {nvidia.com/gpu: 8}}
    workerTemplate:
      spec:
        containers:
          - name: worker
            image: vllm/vllm-openai:v0.10.1
            command: ["sh", "-c", "ray start --block --address=$(LWS_LEADER_ADDRESS):6379"]
            resources: {limits: {nvidia.com/gpu: 8}}
""",
    )
    [f] = findings(tmp_path, "LLM005", "lws.yaml")
    assert "2 groups of Qwen/Qwen2.5-72B-Instruct" in f["message"]
    assert "maxUnavailable: 1" in f["fix"]["description"]
    cli("scan", "--fix", "--select", "LLM005", "lws.yaml", cwd=tmp_path)
    pdb = list(yaml.safe_load_all((tmp_path / "lws.yaml").read_text()))[1]
    assert pdb["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": {"leaderworkerset.sigs.k8s.io/name": "vllm"}},
    }


# ---- LLM013: placeholders are not tokens -----------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["$HF_TOKEN", "HF_TOKEN", "YOUR_HUGGINGFACE_TOKEN_HERE", "<your-token>", "hf_xxxxxxxx"]
)
def test_placeholders_are_not_called_tokens(tmp_path: Path, value: str) -> None:
    body = f"""      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          env:
            - name: HF_TOKEN
              value: "{value}"
"""
    text = write(tmp_path, "d.yaml", deployment("vllm", body)).read_text()
    [f] = findings(tmp_path, "LLM013", "d.yaml")
    assert "placeholder" in f["message"] and "Hugging Face token in plain text" not in f["message"]
    assert value == "HF_TOKEN" or value not in f["message"]
    assert at(f) == pos(text, "value:")


def test_a_real_token_is_never_printed(tmp_path: Path) -> None:
    token = "hf_" + "Zq8Wm3Rt6Yp1Lk4Jh7Gf2Ds5Aa"
    write(
        tmp_path,
        "s.yaml",
        f"apiVersion: v1\nkind: Secret\nmetadata: {{name: hf}}\nstringData:\n  token: {token}\n",
    )
    [f] = findings(tmp_path, "LLM013", "s.yaml")
    assert (
        token not in f["message"] and token[:6] not in f["message"] and "a Hugging Face token" in f["message"]
    )


# ---- LLM024 / LLM025 / LLM010 ----------------------------------------------------------------------------


def test_hpa_that_never_scales_is_not_reported(tmp_path: Path) -> None:
    hpa = """apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: vllm}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: vllm}
  minReplicas: 2
  maxReplicas: MAX
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}}]
"""
    write(tmp_path, "d.yaml", deployment("vllm", VLLM) + "---\n" + hpa.replace("MAX", "2"))
    assert findings(tmp_path, "LLM024", "d.yaml") == []
    text = write(tmp_path, "d.yaml", deployment("vllm", VLLM) + "---\n" + hpa.replace("MAX", "4")).read_text()
    [f] = findings(tmp_path, "LLM024", "d.yaml")
    assert at(f) == pos(text, "name: cpu")


@pytest.mark.parametrize(
    ("script", "fires"),
    [
        ("huggingface-cli download Qwen/Qwen2.5-7B-Instruct --local-dir /models", False),
        ("test -f /models/m.gguf || curl -L -o /models/m.gguf https://example.com/m.gguf", True),
    ],
)
def test_download_init_container(tmp_path: Path, script: str, fires: bool) -> None:
    body = f"""      initContainers:
        - name: fetch
          image: python:3.12
          command: ["sh", "-c", "{script}"]
          volumeMounts: [{{name: models, mountPath: /models}}]
      containers:
        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server
          args: ["-m", "/models/m.gguf"]
          volumeMounts: [{{name: models, mountPath: /models}}]
      volumes:
        - name: models
          persistentVolumeClaim: {{claimName: models}}
"""
    text = write(tmp_path, "d.yaml", deployment("llama", body)).read_text()
    found = findings(tmp_path, "LLM025", "d.yaml")
    assert bool(found) is fires
    if fires:
        assert at(found[0]) == pos(text, "name: fetch")


def test_nim_parallelism_from_env(tmp_path: Path) -> None:
    body = """      containers:
        - name: nim
          image: nvcr.io/nim/meta/llama-3.1-70b-instruct:1.8.0
          env:
            - {name: NIM_TENSOR_PARALLEL_SIZE, value: "2"}
          resources: {limits: {nvidia.com/gpu: 8}}
"""
    text = write(tmp_path, "d.yaml", deployment("nim", body)).read_text()
    [f] = findings(tmp_path, "LLM010", "d.yaml")
    assert at(f) == pos(text, "{name: NIM_TENSOR_PARALLEL_SIZE")
    assert (
        "NIM_TENSOR_PARALLEL_SIZE" in f["message"] and "needs 2 GPUs but the pod has 8 GPUs" in f["message"]
    )


# ---- LLM020: a generated policy never blocks what the manifests show ----------------------------------


def test_network_policy_allows_sidecar_ports_or_is_not_offered(tmp_path: Path) -> None:
    body = (
        VLLM
        + """        - name: metrics-proxy
          image: registry.example.com/proxy:1
          ports: [{containerPort: 9090}]
"""
    )
    p = write(tmp_path, "d.yaml", deployment("vllm", body))
    [f] = findings(tmp_path, "LLM020", "d.yaml")
    assert "ingress on port 8000, 9090 only" in f["fix"]["description"]
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM020", "d.yaml", cwd=tmp_path)
    policy = list(yaml.safe_load_all(p.read_text()))[1]
    assert policy["spec"]["ingress"] == [
        {"ports": [{"protocol": "TCP", "port": 8000}, {"protocol": "TCP", "port": 9090}]}
    ]
    kv = VLLM.replace(
        'args: ["--model=Qwen/Qwen2.5-7B-Instruct"]',
        'args: ["--model=Qwen/Qwen2.5-7B-Instruct", "--kv-transfer-config=redis://kv-cache:6379"]',
    )
    write(tmp_path, "d.yaml", deployment("vllm", kv))
    [f] = findings(tmp_path, "LLM020", "d.yaml")
    assert f["fix"] is None


# ---- messages ---------------------------------------------------------------------------------------------


def test_messages_are_one_short_sentence_and_name_a_container(tmp_path: Path) -> None:
    for rule in MINE:
        for i, ex in enumerate(catalog.get(rule).bad):
            write(tmp_path, f"{rule}-{i}.yaml", ex.manifest)
            for f in findings(tmp_path, rule, f"{rule}-{i}.yaml"):
                msg = f["message"]
                assert len(msg) <= 170, (rule, i, len(msg), msg)
                assert "''" not in msg and "\n" not in msg, (rule, msg)
                assert f["container"] != "", (rule, msg)


def test_select_by_rule_name_on_the_command_line(tmp_path: Path) -> None:
    write(tmp_path, "d.yaml", deployment("vllm", VLLM))
    code, report = scan_json("--select", "gpu-toleration-missing", "d.yaml", cwd=tmp_path)
    assert code == 1 and {f["rule"] for f in report["findings"]} == {"LLM023"}
    write(tmp_path, ".llmlint.yaml", "select: [not-guaranteed-qos, gpu-toleration-missing]\n")
    _, report = scan_json("d.yaml", cwd=tmp_path)
    assert {f["rule"] for f in report["findings"]} <= {"LLM023", "LLM026"} and report["findings"]
    code, _out, err = cli("scan", "--select", "no-such-rule", "d.yaml", cwd=tmp_path)
    assert code == 2 and "unknown rule" in err


def test_qos_abstains_on_a_kserve_predictor_its_runtime_sizes(tmp_path: Path) -> None:
    write(
        tmp_path,
        "isvc.yaml",
        """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: llama}
spec:
  predictor:
    model:
      modelFormat: {name: huggingface}
      args: ["--model_id=meta-llama/Llama-3.1-8B-Instruct"]
      resources:
        limits: {nvidia.com/gpu: 1}
""",
    )
    assert findings(tmp_path, "LLM026", "isvc.yaml") == []
    text = (
        (tmp_path / "isvc.yaml")
        .read_text()
        .replace(
            "limits: {nvidia.com/gpu: 1}",
            "requests: {memory: 8Gi}\n        limits: {memory: 16Gi, nvidia.com/gpu: 1}",
        )
    )
    write(tmp_path, "isvc.yaml", text)
    [f] = findings(tmp_path, "LLM026", "isvc.yaml")
    assert "in 'kserve-container'" in f["message"] and at(f) == pos(text, "memory: 8Gi")


def test_kserve_pvc_storage_uri_is_a_persistent_model_dir(tmp_path: Path) -> None:
    isvc = """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: llama}
spec:
  predictor:
    model:
      modelFormat: {name: nvidia-nim-llama3-8b-instruct}
      storageUri: URI
      resources: {limits: {nvidia.com/gpu: 1}}
---
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {name: nim}
spec:
  supportedModelFormats: [{name: nvidia-nim-llama3-8b-instruct, autoSelect: true}]
  containers:
    - name: kserve-container
      image: nvcr.io/nim/meta/llama3-8b-instruct:1.0.0
      env:
        - {name: NIM_CACHE_PATH, value: /mnt/models/cache}
"""
    write(tmp_path, "isvc.yaml", isvc.replace("URI", "pvc://nim-pvc/"))
    assert findings(tmp_path, "LLM012", "isvc.yaml") == []


def test_offline_hub_never_downloads(tmp_path: Path) -> None:
    offline = VLLM.replace(
        "          resources:", '          env: [{name: HF_HUB_OFFLINE, value: "1"}]\n          resources:'
    )
    write(tmp_path, "d.yaml", deployment("vllm", offline))
    assert findings(tmp_path, "LLM012", "d.yaml") == []
    write(tmp_path, "d.yaml", deployment("vllm", VLLM))
    assert len(findings(tmp_path, "LLM012", "d.yaml")) == 1


def test_node_local_claims_bring_every_pod_to_their_node(tmp_path: Path) -> None:
    local = PVC.replace("spec:\n", "spec:\n  storageClassName: local-path\n")
    write(tmp_path, "d.yaml", local + "---\n" + deployment("vllm", MOUNTING, replicas=2))
    assert findings(tmp_path, "LLM006", "d.yaml") == []
    write(
        tmp_path,
        "d.yaml",
        local.replace("ReadWriteOnce", "ReadWriteOncePod") + "---\n" + deployment("vllm", MOUNTING),
    )
    assert len(findings(tmp_path, "LLM006", "d.yaml")) == 1  # one pod at a time, even on one node


def test_kserve_storage_initializer_downloads_on_every_start(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "isvc.yaml",
        """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: qwen}
spec:
  predictor:
    model:
      modelFormat: {name: huggingface}
      storageUri: hf://Qwen/Qwen2.5-7B-Instruct
      resources: {limits: {nvidia.com/gpu: 1}}
""",
    ).read_text()
    [f] = findings(tmp_path, "LLM012", "isvc.yaml")
    assert "into /mnt/models" in f["message"] and f["fix"] is None  # KServe owns the mount at /mnt/models
    assert at(f) == pos(text, "storageUri")
