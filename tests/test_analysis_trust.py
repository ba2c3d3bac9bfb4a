"""Issue 11 (analysis): know or abstain, variants, context for file lists, KServe runtimes, platform facts.

Every manifest here is written for the pattern it tests (none is a copy of a real-world file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from helpers import scan_json, write

from llmlint.checks import Context
from llmlint.engine import Settings, scan
from llmlint.graph.index import Graph
from llmlint.manifest.loader import SourceText, iter_documents, load
from llmlint.manifest.prefilter import PARSE, decide
from llmlint.serving.server import Server


def deployment(container: str, *, name: str = "s", replicas: int = 1, volumes: str = "") -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: {replicas}\n"
        f"  selector: {{matchLabels: {{app: {name}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n"
        "      containers:\n" + container + volumes
    )


def servers(*paths: Path, context: bool = True) -> tuple[Graph, list[Server]]:
    result = scan([str(p) for p in paths], Settings(), context=context)
    assert result.errors == []
    return result.graph, Context(result.graph).servers


def only_server(path: Path) -> Server:
    _, found = servers(path)
    assert len(found) == 1
    return found[0]


def findings(*args: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    _, report = scan_json("--select", "ALL", *args, cwd=cwd)
    assert report["errors"] == []
    return list(report["findings"])


def of(fs: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [f for f in fs if f["rule"] == rule]


# ---- ports: an unresolved $(PORT) is unknown, a named port resolves through ports[].name -------------

LLAMACPP_PORT_VAR = """\
        - name: llama
          image: ghcr.io/ggml-org/llama.cpp:server
          args: ["--model", "/models/m.gguf", "--port", "$(PORT)"]
          envFrom: [{configMapRef: {name: llama-config}}]
          ports: [{name: http, containerPort: 8000}]
          readinessProbe: {httpGet: {path: /health, port: http}}
"""


def test_unresolved_port_variable_is_unknown_and_llm014_abstains(tmp_path: Path) -> None:
    p = write(tmp_path, "d.yaml", deployment(LLAMACPP_PORT_VAR))
    s = only_server(p)
    assert s.framework is not None and s.framework.key == "llamacpp"
    assert s.value("port") == "$(PORT)"
    assert s.port() is None  # not the llama.cpp default 8080
    assert of(findings(str(p), "--no-context"), "LLM014") == []


def test_port_resolved_from_a_configmap_in_context(tmp_path: Path) -> None:
    p = write(tmp_path, "d.yaml", deployment(LLAMACPP_PORT_VAR))
    write(
        tmp_path,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: llama-config}\ndata: {PORT: '8000'}\n",
    )
    s = only_server(p)
    assert s.port() == 8000
    assert of(findings(str(p)), "LLM014") == []  # probe port 'http' is containerPort 8000


def test_named_probe_port_that_is_not_the_server_port(tmp_path: Path) -> None:
    text = deployment(
        "        - name: vllm\n          image: vllm/vllm-openai:v0.8.5\n"
        '          args: ["--model", "Qwen/Qwen2.5-7B-Instruct"]\n'
        "          ports: [{name: metrics, containerPort: 9090}]\n"
        "          readinessProbe: {httpGet: {path: /health, port: metrics}}\n"
    )
    p = write(tmp_path, "d.yaml", text)
    (f,) = of(findings(str(p)), "LLM014")
    assert (f["line"], f["column"]) == (15, 53)  # the port key of the probe
    assert f["message"] == (
        "readinessProbe checks the named port 'metrics' is 9090, but Qwen/Qwen2.5-7B-Instruct (vLLM) listens "
        "on 8000: the probe never succeeds"
    )
    assert f["fix"]["safety"] == "safe"


@pytest.mark.parametrize(
    ("env", "port"),
    [("OLLAMA_HOST: 0.0.0.0", 11434), ("OLLAMA_HOST: 0.0.0.0:8080", 8080), ("OLLAMA_HOST: $(HOSTVAR)", None)],
)
def test_port_from_environment(tmp_path: Path, env: str, port: int | None) -> None:
    name, value = env.split(": ")
    text = deployment(
        f"        - name: ollama\n          image: ollama/ollama:0.5.7\n"
        f"          env: [{{name: {name}, value: '{value}'}}]\n"
    )
    assert only_server(write(tmp_path, "d.yaml", text)).port() == port


# ---- only the server's own argv is the server's ------------------------------------------------------


def test_wrapper_script_flags_are_not_vllm_flags(tmp_path: Path) -> None:
    text = deployment(
        "        - name: worker\n          image: vllm/vllm-openai:v0.8.5\n"
        '          command: ["sh", "-c", "bash /scripts/multi-node-serving.sh worker --ray_address=$(LEADER)"]\n'
        "          resources: {limits: {nvidia.com/gpu: 8}}\n"
    )
    p = write(tmp_path, "d.yaml", text)
    s = only_server(p)
    assert s.framework is not None and s.framework.key == "vllm"
    assert (s.argv_known, s.flags, s.port()) == (False, [], None)
    assert of(findings(str(p)), "LLM021") == []


def test_python_dash_m_belongs_to_python(tmp_path: Path) -> None:
    text = deployment(
        "        - name: grpc\n          image: vllm/vllm-openai:v0.8.5\n"
        '          command: ["python3", "-u", "-m", "vllm.entrypoints.grpc_server"]\n'
        '          args: ["--model", "Qwen/Qwen2.5-7B-Instruct", "--tensor-parallel-size", "1"]\n'
    )
    p = write(tmp_path, "d.yaml", text)
    s = only_server(p)
    assert [f.name for f in s.flags] == ["--model", "--tensor-parallel-size"]
    assert s.argv_known is True
    assert of(findings(str(p)), "LLM021") == []


def test_a_script_known_to_forward_to_vllm(tmp_path: Path) -> None:
    text = deployment(
        "        - name: preset\n          image: example.azurecr.io/falcon-40b-instruct:0.1\n"
        "          command: [/bin/sh, -c]\n"
        "          args: ['python3 /workspace/vllm/inference_api.py --kaito-config-file /c.yaml --dtype bfloat16"
        " --tensor-parallel-size 2']\n"
        "          resources: {limits: {nvidia.com/gpu: 2}}\n"
        "          livenessProbe: {httpGet: {path: /health, port: 5000}, initialDelaySeconds: 600}\n"
    )
    p = write(tmp_path, "d.yaml", text)
    s = only_server(p)
    assert s.framework is not None and s.framework.key == "vllm"
    assert ([f.name for f in s.flags], s.tp, s.port()) == (["--dtype", "--tensor-parallel-size"], 2, 5000)
    fs = findings(str(p))
    assert of(fs, "LLM014") == [] and of(fs, "LLM021") == []
    assert len(of(fs, "LLM001")) == 1


# ---- versions: only release tags are versions ---------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("v0.6.1", "v0.6.1"),
        ("0.6.3.post1", "0.6.3.post1"),
        ("v0.6.1-cu124", "v0.6.1-cu124"),
        ("v0.6.1-edb07092-20250118", None),
        ("v0.6.7", None),  # no such release
        ("latest", None),
        ("nightly-2025", None),
    ],
)
def test_version_is_a_release_tag_or_none(tmp_path: Path, tag: str, version: str | None) -> None:
    text = deployment(
        f"        - name: v\n          image: example/vllm-openai:{tag}\n          args: [--model, m]\n"
    )
    assert only_server(write(tmp_path, "d.yaml", text)).version == version


def test_custom_build_is_judged_against_every_release(tmp_path: Path) -> None:
    # --disable-log-requests was removed from later releases but 0.6.1 took it; --no-such-flag no release takes
    text = deployment(
        "        - name: v\n          image: example/vllm-openai:v0.6.1-edb07092-20250118\n"
        '          args: ["--model", "m", "--disable-log-requests", "--no-such-flag"]\n'
    )
    p = write(tmp_path, "d.yaml", text)
    fs = of(findings(str(p)), "LLM021")
    assert [f["message"].split(":")[0] for f in fs] == [
        "no vLLM release accepts --no-such-flag (tag 'v0.6.1-edb07092-20250118' is no release)"
    ]
    assert (fs[0]["line"], fs[0]["column"]) == (13, 61)


# ---- containers that run no server ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        '["sleep", "infinity"]',
        '["tail", "-f", "/dev/null"]',
        '["sh", "-c", "pip install genai-perf; while true; do sleep 30; done"]',
        '["/bin/bash"]',
        '["huggingface-cli", "download", "meta-llama/Llama-3.1-8B"]',
        '["sh", "-c", "hf download Qwen/Qwen2.5-7B --local-dir /models"]',
        '["sh", "-c", "trap : TERM INT; sleep infinity & wait"]',
        '["genai-perf", "profile", "-m", "llama", "--url", "http://llm:8000"]',
        '["vllm", "bench", "serve", "--model", "m", "--base-url", "http://llm:8000"]',
        '["python3", "-c", "from huggingface_hub import snapshot_download; snapshot_download(\'m\')"]',
    ],
)
def test_idle_and_download_containers_are_not_servers(tmp_path: Path, command: str) -> None:
    text = deployment(
        f"        - name: c\n          image: nvcr.io/nvidia/tritonserver:24.08-py3-sdk\n          command: {command}\n"
    )
    p = write(tmp_path, "d.yaml", text)
    _, found = servers(p)
    assert found == []
    assert findings(str(p)) == []


def test_nim_download_to_cache_job_is_not_a_server(tmp_path: Path) -> None:
    text = (
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: dl}\nspec:\n  template:\n    spec:\n"
        "      restartPolicy: Never\n      containers:\n"
        "        - name: dl\n          image: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.1.0\n"
        '          args: ["download-to-cache", "--profile", "abc"]\n'
    )
    _, found = servers(write(tmp_path, "j.yaml", text))
    assert found == []


def test_idle_container_holding_gpus_is_a_gpu_container_without_framework(tmp_path: Path) -> None:
    text = deployment(
        "        - name: bench\n          image: vllm/vllm-openai:v0.8.5\n"
        '          command: ["sleep", "infinity"]\n          resources: {limits: {nvidia.com/gpu: 1}}\n'
    )
    s = only_server(write(tmp_path, "d.yaml", text))
    assert (s.framework, s.activity) == (None, "idle")


# ---- variants --------------------------------------------------------------------------------------------


def test_variants_are_the_same_object_in_other_files(tmp_path: Path) -> None:
    a = write(
        tmp_path,
        "h100/d.yaml",
        deployment("        - {name: c, image: vllm/vllm-openai:v0.8.5}\n", name="llm"),
    )
    b = write(
        tmp_path, "l4/d.yaml", deployment("        - {name: c, image: vllm/vllm-openai:v0.8.5}\n", name="llm")
    )
    c = write(
        tmp_path, "other.yaml", deployment("        - {name: c, image: vllm/vllm-openai:v0.8.5}\n", name="x")
    )
    g, _ = servers(a, b, c)
    da, _db, dc = (g.get("Deployment", "", n) for n in ("llm", "llm", "x"))
    assert da is not None and dc is not None
    (other,) = g.variants(da)
    assert other.target.source.endswith("l4/d.yaml")
    assert g.variants(dc) == []
    assert not g.coexist(da, other) and g.coexist(da, dc)


# ---- context for file lists ------------------------------------------------------------------------------

PDB = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: s}}\n"
TGI_RUNTIME = (
    "apiVersion: serving.kserve.io/v1alpha1\nkind: ServingRuntime\nmetadata: {name: tgi}\nspec:\n"
    "  containers:\n    - name: kserve-container\n      image: ghcr.io/huggingface/text-generation-inference:2.0.4\n"
)
VLLM2 = "        - name: v\n          image: vllm/vllm-openai:v0.8.5\n          args: [--model, Qwen/Qwen2.5-7B-Instruct]\n"


def test_context_is_read_from_the_repository_of_a_named_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    named = write(tmp_path, "apps/llm/deploy.yaml", deployment(VLLM2, replicas=2))
    write(tmp_path, "policies/pdb.yaml", PDB)
    write(tmp_path, "kserve/runtime.yaml", TGI_RUNTIME)  # LLM007 there, but it is context
    with_ctx = findings(str(named), cwd=tmp_path)
    alone = findings(str(named), "--no-context", cwd=tmp_path)
    assert of(with_ctx, "LLM005") == [] and len(of(alone, "LLM005")) == 1
    assert {f["file"] for f in with_ctx} == {"apps/llm/deploy.yaml"}
    result = scan([str(named)], Settings())
    # the PDB selects app=s; the runtime names nothing of the Deployment, so it is not read at all
    assert sorted((o.kind, o.context) for o in result.graph.objects) == [
        ("Deployment", False),
        ("PodDisruptionBudget", True),
    ]
    assert result.files == 1


def test_a_file_named_and_found_by_the_walk_is_loaded_once(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", deployment(VLLM2) + "---\n" + PDB)
    b = write(tmp_path, "b.yaml", PDB.replace("name: p", "name: q"))
    result = scan([str(a), str(b)], Settings())
    assert sorted((o.name, o.context) for o in result.graph.objects) == [
        ("p", False),
        ("q", False),
        ("s", False),
    ]
    assert [ld.source.name for ld in result.loaded].count(str(a)) == 1


def test_a_fix_that_would_edit_a_context_file_is_withdrawn(tmp_path: Path) -> None:
    text = deployment(
        "        - name: v\n          image: vllm/vllm-openai:v0.8.5\n"
        '          args: ["--model", "m", "--gpu-memory-utilization", "$(GPU_MEM)"]\n'
        "          envFrom: [{configMapRef: {name: vllm}}]\n"
    )
    write(tmp_path, "d.yaml", text)
    write(
        tmp_path,
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vllm}\ndata: {GPU_MEM: '0.98'}\n",
    )
    (f,) = of(findings("d.yaml", cwd=tmp_path), "LLM003")
    assert f["file"] == "d.yaml" and f["fix"] is None
    both = of(findings("d.yaml", "cm.yaml", cwd=tmp_path), "LLM003")
    assert both[0]["fix"] is not None  # named: the ConfigMap may be edited


# ---- KServe: runtimes are servers, and merge into the predictor ----------------------------------------

RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata: {name: vllm-rt}
spec:
  supportedModelFormats: [{name: huggingface, autoSelect: true}]
  containers:
    - name: kserve-container
      image: vllm/vllm-openai:v0.8.5
      args: ["--port", "8080"]
      ports: [{containerPort: 8080}]
      readinessProbe: {httpGet: {path: /health, port: 8000}}
      resources:
        requests: {cpu: 4, memory: 32Gi, nvidia.com/gpu: 2}
        limits: {cpu: 4, memory: 32Gi, nvidia.com/gpu: 2}
      volumeMounts: [{name: shm, mountPath: /dev/shm}]
  volumes: [{name: shm, emptyDir: {medium: Memory, sizeLimit: 8Gi}}]
"""
ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: qwen}
spec:
  predictor:
    model:
      modelFormat: {name: huggingface}
      RUNTIME_LINE
      args: ["--model", "Qwen/Qwen2.5-14B-Instruct", "--tensor-parallel-size", "2"]
"""


@pytest.mark.parametrize("runtime_line", ["runtime: vllm-rt", "storageUri: s3://models/qwen"])
def test_predictor_gets_the_runtime_container_merged(tmp_path: Path, runtime_line: str) -> None:
    rt = write(tmp_path, "runtime.yaml", RUNTIME)
    isvc = write(tmp_path, "isvc.yaml", ISVC.replace("RUNTIME_LINE", runtime_line))
    g, found = servers(isvc, rt)
    (merged,) = [s for s in found if s.obj.kind == "InferenceService"]
    c = merged.container
    assert c.name == "kserve-container"
    assert [f.name for f in merged.flags] == ["--port", "--model", "--tensor-parallel-size"]
    assert (merged.port(), merged.tp, merged.gpus) == (8080, 2, 2)
    assert c.data["resources"]["limits"]["memory"] == "32Gi"
    runtime = g.get("ServingRuntime", "", "vllm-rt")
    assert c.at("readinessProbe") == (runtime, ("spec", "containers", 0, "readinessProbe"))
    assert c.at("args", 1) == (runtime, ("spec", "containers", 0, "args", 1))
    assert c.at("args", 2) == (merged.obj, ("spec", "predictor", "model", "args", 0))
    assert c.at("startupProbe") == (merged.obj, ("spec", "predictor", "model", "startupProbe"))
    t = c.template
    assert [v["name"] for _, v in t.volumes] == ["shm"]
    assert t.at("volumes", 0) == (runtime, ("spec", "volumes", 0))
    fs = findings("isvc.yaml", "runtime.yaml", cwd=tmp_path)
    assert of(fs, "LLM004") == [] and of(fs, "LLM026") == []
    # the probe that checks 8000 is written in the runtime: one finding, at the runtime's line
    assert [(f["file"], f["line"], f["object"]["kind"]) for f in of(fs, "LLM014")] == [
        ("runtime.yaml", 11, "ServingRuntime")
    ]
    # a rule that points at the predictor's path is moved to where the runtime writes the value, and the
    # finding seen through the InferenceService (it knows the model) is the one kept
    (missing,) = of(fs, "LLM001")
    assert (missing["file"], missing["line"]) == ("runtime.yaml", 11)
    assert "(14B, 28 GB of weights)" in missing["message"]


def test_runtime_from_context_and_runtime_variant_in_the_same_directory(tmp_path: Path) -> None:
    write(tmp_path, "a/runtime.yaml", RUNTIME)
    write(tmp_path, "b/runtime.yaml", RUNTIME.replace("cpu: 4, memory: 32Gi, nvidia", "nvidia"))
    isvc = write(tmp_path, "a/isvc.yaml", ISVC.replace("RUNTIME_LINE", "runtime: vllm-rt"))
    _g, found = servers(isvc, tmp_path / "b/runtime.yaml", tmp_path / "a/runtime.yaml")
    (merged,) = [s for s in found if s.obj.kind == "InferenceService"]
    assert merged.container.merged is not None
    assert merged.container.merged.base.obj.target.source.endswith("a/runtime.yaml")


def test_serving_runtime_container_is_a_server(tmp_path: Path) -> None:
    p = write(tmp_path, "rt.yaml", TGI_RUNTIME)
    fs = findings(str(p))
    assert [(f["rule"], f["line"], f["container"]) for f in of(fs, "LLM007")] == [
        ("LLM007", 7, "kserve-container")
    ]
    s = only_server(p)
    assert s.container.template.replicas == 0 and s.container.template.role == "runtime"


def test_unnamed_predictor_container_is_kserve_container(tmp_path: Path) -> None:
    text = (
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: n}\nspec:\n"
        "  predictor:\n    model:\n      modelFormat: {name: huggingface}\n"
        "      args: [--model_id=meta-llama/Llama-3.1-8B-Instruct]\n"
    )
    s = only_server(write(tmp_path, "i.yaml", text))
    assert (s.container.name, s.display_name()) == ("kserve-container", "meta-llama/Llama-3.1-8B-Instruct")


def test_kinds_are_one_declaration() -> None:
    from llmlint import kinds
    from llmlint.graph.index import WORKLOAD_KINDS
    from llmlint.manifest import prefilter

    assert {"ServingRuntime", "ClusterServingRuntime"} <= WORKLOAD_KINDS == kinds.WORKLOAD_KINDS
    assert prefilter.ALWAYS is kinds.ALWAYS_PARSE
    src = SourceText(
        "x.yaml", None, "kind: ClusterServingRuntime\nmetadata: {name: r}\nspec:\n  containers: []\n"
    )
    (doc,) = list(iter_documents(src))
    assert decide(doc) == PARSE
    bad = SourceText(
        "y.yaml",
        None,
        "kind: ServingRuntime\nmetadata: {name: r}\nspec:\n  containers:\n    - {name: c, args: x}\n",
    )
    ld = load(bad)
    assert [(e.line, e.message) for e in ld.errors] == [
        (5, "spec.containers.0.args must be a list, not the string 'x' (the API server rejects it)")
    ]


# ---- platform and model facts -----------------------------------------------------------------------


def test_nim_settings_from_env(tmp_path: Path) -> None:
    text = deployment(
        "        - name: nim\n          image: nvcr.io/nim/nvidia/llm-nim:1.12.0\n"
        "          env:\n            - {name: NIM_MODEL_NAME, value: google/gemma-3-27b-it}\n"
        "            - {name: NIM_TENSOR_PARALLEL_SIZE, value: '2'}\n"
        "          resources: {limits: {nvidia.com/gpu: 8}}\n"
    )
    p = write(tmp_path, "d.yaml", text)
    s = only_server(p)
    assert (s.tp, s.model(), s.display_name()) == (2, "google/gemma-3-27b-it", "google/gemma-3-27b-it")
    (f,) = of(findings(str(p)), "LLM010")
    assert f["line"] == 15


def test_generic_nim_without_a_model_is_named_by_its_framework(tmp_path: Path) -> None:
    text = deployment("        - name: nim\n          image: nvcr.io/nim/nvidia/llm-nim:1.12.0\n")
    s = only_server(write(tmp_path, "d.yaml", text))
    assert (s.model(), s.display_name()) == (None, "NVIDIA NIM")


def test_custom_vllm_build_recognised_by_its_flags(tmp_path: Path) -> None:
    text = deployment(
        "        - name: v\n          image: docker.io/library/vllm-gemma4:local\n"
        '          args: ["--model", "google/gemma-3-27b-it", "--tensor-parallel-size", "2",'
        ' "--gpu-memory-utilization", "0.97"]\n'
        "          resources: {limits: {nvidia.com/gpu: 2}}\n"
    )
    p = write(tmp_path, "d.yaml", text)
    s = only_server(p)
    assert s.framework is not None and s.framework.key == "vllm"
    (f,) = of(findings(str(p)), "LLM003")
    assert (f["line"], f["column"]) == (13, 86)  # the --gpu-memory-utilization item


def test_plain_flags_are_no_vllm_signature(tmp_path: Path) -> None:
    text = deployment(
        '        - name: web\n          image: example/api:1.0\n          args: ["--port", "8000", "--host", "0.0.0.0"]\n'
    )
    _, found = servers(write(tmp_path, "d.yaml", text))
    assert found == []


@pytest.mark.parametrize(
    ("args", "weight", "download"),
    [
        (
            '["--model", "meta-llama/Meta-Llama-3-70B-Instruct", "--quantization", "bitsandbytes"]',
            35.0,
            140.0,
        ),
        ('["--model", "unsloth/llama-3-70b-bnb-4bit"]', 35.0, 35.0),
        ('["--model", "deepseek-ai/DeepSeek-R1"]', 671.0, 671.0),
        ('["--model", "mistralai/Mixtral-8x7B-Instruct-v0.1"]', 93.4, 93.4),
        ('["--model", "Qwen/Qwen2.5-72B-Instruct-AWQ"]', 36.0, 36.0),
        ('["--model", "meta-llama/Llama-3.1-8B-Instruct", "--quantization", "fp8"]', 8.0, 16.0),
    ],
)
def test_download_size_is_the_checkpoint(tmp_path: Path, args: str, weight: float, download: float) -> None:
    text = deployment(
        f"        - name: v\n          image: vllm/vllm-openai:v0.8.5\n          args: {args}\n"
    )
    s = only_server(write(tmp_path, "d.yaml", text))
    assert (s.weight_gb(), s.download_gb()) == (pytest.approx(weight), pytest.approx(download))


def test_no_heavy_import_on_the_scan_path() -> None:
    import subprocess
    import sys

    code = "import sys, llmlint.engine, llmlint.kinds, llmlint.serving.server; print('kubernetes' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}, check=True
    ).stdout
    assert out.strip() == "False"


def test_pvc_storage_uri_is_mounted_at_mnt_models(tmp_path: Path) -> None:
    text = ISVC.replace("RUNTIME_LINE", "storageUri: pvc://model-cache/qwen")
    p = write(tmp_path, "isvc.yaml", text)
    s = only_server(p)
    c, t = s.container, s.container.template
    assert c.data["volumeMounts"] == [{"name": "kserve-pvc-source", "mountPath": "/mnt/models"}]
    assert t.volume("kserve-pvc-source") == (
        0,
        {"name": "kserve-pvc-source", "persistentVolumeClaim": {"claimName": "model-cache"}},
    )
    assert c.at("volumeMounts", 0) == (s.obj, ("spec", "predictor", "model", "storageUri"))
    assert t.at("volumes", 0) == (s.obj, ("spec", "predictor", "model", "storageUri"))
    assert s.obj.data["spec"]["predictor"]["model"].get("volumeMounts") is None  # the manifest is untouched


def test_llamacpp_server_binary_is_an_entrypoint(tmp_path: Path) -> None:
    text = deployment(
        "        - name: l\n          image: ghcr.io/ggml-org/llama.cpp:server\n"
        '          command: ["/app/server", "-m", "/models/m.gguf", "--port", "9000"]\n'
    )
    s = only_server(write(tmp_path, "d.yaml", text))
    assert (s.argv_known, s.port(), s.value("model")) == (True, 9000, "/models/m.gguf")


def test_runtime_read_as_context_merges_and_its_own_lines_are_not_reported(tmp_path: Path) -> None:
    write(tmp_path, "runtime.yaml", RUNTIME)
    write(tmp_path, "isvc.yaml", ISVC.replace("RUNTIME_LINE", "runtime: vllm-rt"))
    with_ctx = findings("isvc.yaml", cwd=tmp_path)
    alone = findings("isvc.yaml", "--no-context", cwd=tmp_path)
    # with the runtime in view, /dev/shm and Guaranteed resources come from it, and what is wrong in the
    # runtime (its probe port, LLM014) is in a file that was not named
    assert {f["rule"] for f in with_ctx} & {"LLM004", "LLM014", "LLM026"} == set()
    assert {f["file"] for f in with_ctx} <= {"isvc.yaml"}
    # alone, the predictor's runtime is unknown (a partial container): /dev/shm and QoS are not judged
    assert {f["rule"] for f in alone} & {"LLM004", "LLM026"} == set()


def test_framework_named_predictor_is_a_server(tmp_path: Path) -> None:
    text = (
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: {name: hf}\nspec:\n"
        "  predictor:\n    huggingface:\n"
        "      args: [--model_id=meta-llama/Llama-3.1-8B-Instruct, --tensor_parallel_size=2]\n"
        "      resources: {limits: {nvidia.com/gpu: 2}}\n"
    )
    s = only_server(write(tmp_path, "i.yaml", text))
    assert s.framework is not None and s.framework.key == "kserve-huggingface"
    assert (s.container.name, s.tp, s.gpus, s.model()) == (
        "kserve-container",
        2,
        2,
        "meta-llama/Llama-3.1-8B-Instruct",
    )


def test_knows_tells_a_default_from_an_unknown(tmp_path: Path) -> None:
    plain = deployment(
        '        - name: v\n          image: vllm/vllm-openai:v0.8.5\n          args: ["--model", "m"]\n'
    )
    wrapped = deployment(
        '        - name: v\n          image: vllm/vllm-openai:v0.8.5\n          command: ["/start.sh", "--tp", "$(TP)"]\n'
    )
    a = only_server(write(tmp_path, "a.yaml", plain))
    b = only_server(write(tmp_path / "b", "b.yaml", wrapped))
    assert (a.knows("tp"), a.tp, b.knows("tp"), b.flags) == (True, 1, False, [])


def test_predictor_whose_runtime_is_not_in_the_scan_is_partial(tmp_path: Path) -> None:
    s = only_server(write(tmp_path, "isvc.yaml", ISVC.replace("RUNTIME_LINE", "runtime: elsewhere")))
    assert (s.container.partial, s.container.merged) == (True, None)
    write(tmp_path, "runtime.yaml", RUNTIME.replace("vllm-rt", "elsewhere"))
    s = only_server(tmp_path / "isvc.yaml")  # the runtime is read as context
    assert (s.container.partial, s.container.merged is not None) == (False, True)


def test_an_operator_workload_is_one_declaration(tmp_path: Path) -> None:
    # Argo Rollouts was added by one entry in llmlint.kinds: the prefilter, the graph and the loader know it
    text = deployment(VLLM2, replicas=2).replace(
        "apps/v1\nkind: Deployment", "argoproj.io/v1alpha1\nkind: Rollout"
    )
    p = write(tmp_path, "r.yaml", text)
    s = only_server(p)
    assert (s.obj.kind, s.container.template.replicas) == ("Rollout", 2)
    (doc,) = list(iter_documents(SourceText("r.yaml", None, text)))
    assert decide(doc) == PARSE  # the prefilter screens it like a Deployment
    assert "Rollout" in kinds_module().LONG_RUNNING_KINDS


def kinds_module() -> Any:
    from llmlint import kinds

    return kinds
