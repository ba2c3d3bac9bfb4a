"""LLM001–004, 007, 008, 011, 015, 016, 022: the real-manifest patterns of issues 11, 12 and 14, each with a
small manifest written here, scanned and fixed through the real CLI; fixes checked with kubernetes-validate
and their JSON patches applied with a real RFC 6902 library."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonpatch
import kubernetes_validate
import pytest
import yaml
from helpers import SEED, cli, scan_json, write

from llmlint import catalog
from llmlint.graph.objects import Container

MINE = ("LLM001", "LLM002", "LLM003", "LLM004", "LLM007", "LLM008", "LLM011", "LLM015", "LLM016", "LLM022")
INT32_MAX = 2**31 - 1
MERGES = hasattr(Container, "at")  # the analysis merges KServe runtimes into predictors


def deployment(container: str, *, spec_extra: str = "", annotations: str = "") -> str:
    body = "\n".join("        " + line for line in container.strip("\n").splitlines())
    extra = (
        "".join("      " + line + "\n" for line in spec_extra.strip("\n").splitlines()) if spec_extra else ""
    )
    ann = f"      annotations: {annotations}\n" if annotations else ""
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: llm\nspec:\n"
        "  selector:\n    matchLabels: {app: llm}\n  template:\n    metadata:\n      labels: {app: llm}\n"
        f"{ann}    spec:\n{extra}      containers:\n{body}\n"
    )


def findings(path: Path, rule: str) -> list[dict[str, Any]]:
    _, report = scan_json("--select", rule, str(path))
    return [f for f in report["findings"] if f["rule"] == rule]


def fixed(path: Path, rule: str) -> dict[str, Any]:
    _code, out, err = cli("scan", "--fix", "--unsafe-fixes", "--select", rule, str(path))
    assert "Traceback" not in out + err, err
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for d in docs:
        if d.get("apiVersion") in ("v1", "apps/v1"):
            kubernetes_validate.validate(d, "1.33", strict=True)
    return docs[0]


def container_of(doc: dict[str, Any]) -> dict[str, Any]:
    c: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]
    return c


def probe_budget(p: dict[str, Any]) -> int:
    return int(p.get("initialDelaySeconds", 0) + p.get("periodSeconds", 10) * p.get("failureThreshold", 3))


VLLM_70B = 'image: vllm/vllm-openai:v0.10.1\nargs: ["--model=meta-llama/Llama-3.3-70B-Instruct"]'


# ---- LLM001 / LLM002: start-up budgets ---------------------------------------------------------------


def test_short_liveness_beside_a_long_readiness_fires_and_the_new_startup_probe_keeps_the_authors_budget(
    tmp_path: Path,
) -> None:
    # liveness kills after 30 s; readiness allows 600 + 10 × 60 = 1200 s, far more than the 8B model needs:
    # the new startupProbe keeps the 1200 s the author chose (a readiness-only probe that long is not reported)
    text = deployment(
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n"
        '  args: ["--model=meta-llama/Llama-3.1-8B-Instruct"]\n'
        "  readinessProbe: {httpGet: {path: /health, port: 8000}, initialDelaySeconds: 600, periodSeconds: 10,"
        " failureThreshold: 60, timeoutSeconds: 5}\n"
        "  livenessProbe: {httpGet: {path: /health, port: 8000}}\n"
    )
    p = write(tmp_path, "r.yaml", text)
    (f,) = findings(p, "LLM001")
    assert (
        f["line"] == text.splitlines().index(next(x for x in text.splitlines() if "livenessProbe" in x)) + 1
    )
    assert "livenessProbe" in f["message"] and "Llama-3.1-8B-Instruct" in f["message"]
    assert len(f["message"]) <= 160
    c = container_of(fixed(p, "LLM001"))
    start = c["startupProbe"]
    assert start["httpGet"] == {"path": "/health", "port": 8000} and start["timeoutSeconds"] == 5
    assert probe_budget(start) >= 1200


def test_liveness_that_outlasts_the_load_is_not_a_crash_loop(tmp_path: Path) -> None:
    # 600 + 5 × 60 = 900 s of liveness against an assumed 300 s: nothing kills the loading server
    text = deployment(
        "- name: triton\n  image: nvcr.io/nvidia/tritonserver:24.08-trtllm-python-py3\n"
        "  livenessProbe: {httpGet: {path: /v2/health/live, port: 8000}, initialDelaySeconds: 600,"
        " periodSeconds: 5, failureThreshold: 60}\n"
        "  readinessProbe: {httpGet: {path: /v2/health/ready, port: 8000}, initialDelaySeconds: 600,"
        " periodSeconds: 5, failureThreshold: 60}\n"
    )
    assert findings(write(tmp_path, "t.yaml", text), "LLM001") == []


def test_short_liveness_names_budget_and_need_and_the_fix_never_shortens_it(tmp_path: Path) -> None:
    # liveness 600 + 10 × 3 = 630 s, a 40B bf16 model needs about 1000 s
    text = deployment(
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n"
        '  args: ["--model=tiiuae/falcon-40b-instruct", "--dtype=bfloat16", "--tensor-parallel-size=2"]\n'
        "  resources: {limits: {nvidia.com/gpu: 2}}\n"
        "  livenessProbe: {httpGet: {path: /health, port: 8000}, initialDelaySeconds: 600, periodSeconds: 10}\n"
    )
    p = write(tmp_path, "l.yaml", text)
    (f,) = findings(p, "LLM001")
    assert "630 s" in f["message"] and "crash loop" in f["message"] and "40B" in f["message"]
    start = container_of(fixed(p, "LLM001"))["startupProbe"]
    assert probe_budget(start) >= 1000 > 630


def test_absurd_model_size_gets_no_fix_and_says_why(tmp_path: Path) -> None:
    ann = '{llmlint.io/model-params: "80000000000T"}'
    live = "  livenessProbe: {httpGet: {path: /health, port: 8000}}\n"
    start = "  startupProbe: {httpGet: {path: /health, port: 8000}, failureThreshold: 30}\n"
    c = "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n  args: [--model=org/custom]\n"
    for rule, body in (("LLM001", c + live), ("LLM002", c + start)):
        p = write(tmp_path, f"{rule}.yaml", deployment(body, annotations=ann))
        _, report = scan_json("--select", rule, str(p))
        (f,) = [x for x in report["findings"] if x["rule"] == rule]
        assert f["fix"] is None and "no fix" in f["message"], rule
        assert "more than 21600 s" in f["message"]


def test_startup_thresholds_stay_in_int32(tmp_path: Path) -> None:
    # a huge but accepted model: every threshold a fix writes is an int32
    ann = '{llmlint.io/model-params: "1000B"}'
    body = "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n  args: [--model=org/custom]\n"
    body += "  startupProbe: {httpGet: {path: /health, port: 8000}, periodSeconds: 1, failureThreshold: 3}\n"
    p = write(tmp_path, "big.yaml", deployment(body, annotations=ann))
    (f,) = findings(p, "LLM002")
    assert f["fix"] is not None
    n = container_of(fixed(p, "LLM002"))["startupProbe"]["failureThreshold"]
    assert 3 < n <= INT32_MAX


# ---- LLM003: separate items --------------------------------------------------------------------------


def test_gpu_memory_utilization_as_two_items_is_found_and_fixed_in_place(tmp_path: Path) -> None:
    text = deployment(
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n  args:\n"
        '    - "--model=google/gemma-3-27b-it"\n    - "--gpu-memory-utilization"\n    - "0.95"\n'
    )
    p = write(tmp_path, "g.yaml", text)
    (f,) = findings(p, "LLM003")
    assert f["line"] == text.splitlines().index('            - "--gpu-memory-utilization"') + 1
    assert "0.95" in f["message"] and "gemma-3-27b-it" in f["message"] and len(f["message"]) <= 160
    cli("scan", "--fix", "--select", "LLM003", str(p))
    assert p.read_text() == text.replace('- "0.95"', '- "0.90"')


# ---- LLM004 / LLM016: /dev/shm ------------------------------------------------------------------------


def test_missing_shm_fix_converts_an_unused_disk_volume_named_for_it(tmp_path: Path) -> None:
    text = deployment(
        "- name: vllm\n  "
        + VLLM_70B.replace("\n", "\n  ").replace('"]', '", "--tensor-parallel-size=4"]')
        + "\n"
        "  resources: {limits: {nvidia.com/gpu: 4}}\n",
        spec_extra="volumes:\n  - name: dshm\n    emptyDir: {}",
    )
    p = write(tmp_path, "s.yaml", text)
    (f,) = findings(p, "LLM004")
    assert "--tensor-parallel-size 4" in f["message"] and len(f["message"]) <= 160
    spec = fixed(p, "LLM004")["spec"]["template"]["spec"]
    assert [v["name"] for v in spec["volumes"]] == ["dshm"]
    assert spec["volumes"][0]["emptyDir"]["medium"] == "Memory"
    assert spec["containers"][0]["volumeMounts"] == [{"name": "dshm", "mountPath": "/dev/shm"}]


def test_missing_shm_fix_never_reuses_a_name_in_use(tmp_path: Path) -> None:
    text = deployment(
        "- name: vllm\n  "
        + VLLM_70B.replace("\n", "\n  ").replace('"]', '", "--tensor-parallel-size=2"]')
        + "\n"
        "  resources: {limits: {nvidia.com/gpu: 2}}\n"
        "- name: sidecar\n  image: busybox:1.36\n  volumeMounts: [{name: dshm, mountPath: /scratch}]\n",
        spec_extra="volumes:\n  - name: dshm\n    emptyDir: {medium: Memory}",
    )
    p = write(tmp_path, "n.yaml", text)
    spec = fixed(p, "LLM004")["spec"]["template"]["spec"]
    names = [v["name"] for v in spec["volumes"]]
    assert names == ["dshm", "dshm-2"] and len(set(names)) == len(names)
    mounts = spec["containers"][0]["volumeMounts"]
    assert mounts == [{"name": "dshm-2", "mountPath": "/dev/shm"}]


def test_tpu_pods_get_no_shm_findings(tmp_path: Path) -> None:
    tpu = (
        "- name: vllm\n  image: vllm/vllm-tpu:v0.10.1\n"
        '  args: ["--model=meta-llama/Llama-3.1-70B", "--tensor-parallel-size=8"]\n'
        "  resources: {limits: {google.com/tpu: 8}}\n"
    )
    assert findings(write(tmp_path, "a.yaml", deployment(tpu)), "LLM004") == []
    mounted = tpu + "  volumeMounts: [{name: dshm, mountPath: /dev/shm}]\n"
    p = write(
        tmp_path,
        "b.yaml",
        deployment(mounted, spec_extra="volumes: [{name: dshm, emptyDir: {medium: Memory}}]"),
    )
    assert findings(p, "LLM016") == []


def test_shm_size_limit_matters_only_with_parallel_traffic(tmp_path: Path) -> None:
    def pod(gpus: int) -> str:
        return deployment(
            "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n"
            f'  args: ["--model=google/gemma-2-9b-it", "--tensor-parallel-size={gpus}"]\n'
            f"  resources: {{limits: {{nvidia.com/gpu: {gpus}}}}}\n"
            "  volumeMounts: [{name: dshm, mountPath: /dev/shm}]\n",
            spec_extra="volumes: [{name: dshm, emptyDir: {medium: Memory}}]",
        )

    assert findings(write(tmp_path, "one.yaml", pod(1)), "LLM016") == []
    p = write(tmp_path, "two.yaml", pod(2))
    (f,) = findings(p, "LLM016")
    assert "sizeLimit" in f["message"] and "gemma-2-9b-it" in f["message"] and len(f["message"]) <= 160
    vol = fixed(p, "LLM016")["spec"]["template"]["spec"]["volumes"][0]
    assert vol["emptyDir"] == {"medium": "Memory", "sizeLimit": "8Gi"}


def test_shm_from_a_claim_is_reported_without_a_fix(tmp_path: Path) -> None:
    text = deployment(
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n"
        '  args: ["--model=google/gemma-2-9b-it", "--tensor-parallel-size=2"]\n'
        "  volumeMounts: [{name: shm, mountPath: /dev/shm}]\n",
        spec_extra="volumes: [{name: shm, persistentVolumeClaim: {claimName: scratch}}]",
    )
    (f,) = findings(write(tmp_path, "pvc.yaml", text), "LLM016")
    assert f["fix"] is None and "persistentVolumeClaim" in f["message"]


INFERENCE_SERVICE = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {name: llama}
spec:
  predictor:
    model:
      modelFormat: {name: custom-llm}
      runtime: custom-llm-runtime
      storageUri: pvc://models/
      resources:
        limits: {nvidia.com/gpu: "2"}
"""
RUNTIME = """\
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: custom-llm-runtime}
spec:
  supportedModelFormats: [{name: custom-llm, autoSelect: true}]
  containers:
    - name: kserve-container
      image: vllm/vllm-openai:v0.10.1
      args: ["--model=/mnt/models", "--tensor-parallel-size=2"]
      volumeMounts: [{name: dshm, mountPath: /dev/shm}]
  volumes:
    - name: dshm
      emptyDir: {medium: Memory, sizeLimit: 16Gi}
"""


def test_predictor_of_an_unscanned_runtime_gets_no_shm_finding(tmp_path: Path) -> None:
    assert findings(write(tmp_path, "isvc.yaml", INFERENCE_SERVICE), "LLM004") == []


@pytest.mark.skipif(not MERGES, reason="needs the analysis' KServe runtime merge")
def test_runtime_shm_counts_for_the_predictor(tmp_path: Path) -> None:
    write(tmp_path, "isvc.yaml", INFERENCE_SERVICE)
    write(tmp_path, "runtime.yaml", RUNTIME)
    _, report = scan_json("--select", "LLM004,LLM016", str(tmp_path))
    assert report["findings"] == []


@pytest.mark.skipif(not MERGES, reason="needs the analysis' KServe runtime merge")
def test_a_runtime_fact_is_reported_once(tmp_path: Path) -> None:
    write(tmp_path, "isvc.yaml", INFERENCE_SERVICE)
    write(tmp_path, "runtime.yaml", RUNTIME.replace("v0.10.1", "latest"))
    found = findings(tmp_path, "LLM008")
    assert len(found) == 1 and found[0]["file"].endswith("runtime.yaml")


# ---- LLM011 / LLM022 -----------------------------------------------------------------------------------


@pytest.mark.skipif(not MERGES, reason="needs the analysis' model facts (FP8 checkpoints)")
def test_fp8_deepseek_fits_sixteen_h100s(tmp_path: Path) -> None:
    text = deployment(
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n"
        '  args: ["--model=deepseek-ai/DeepSeek-R1", "--tensor-parallel-size=16"]\n'
        "  resources: {limits: {nvidia.com/gpu: 16}}\n",
        spec_extra="nodeSelector: {cloud.google.com/gke-accelerator: nvidia-h100-80gb}",
    )
    assert findings(write(tmp_path, "ds.yaml", text), "LLM011") == []


def test_max_model_len_is_opt_in() -> None:
    assert catalog.rules()["LLM022"].bad  # still documented and tested by its examples
    raw = yaml.safe_load((Path(catalog.catalog_dir()) / "LLM022.yaml").read_text())
    assert raw["default"] is False


# ---- LLM007: the TGI → vLLM migration ----------------------------------------------------------------


def tgi(
    env: str = "", *, image: str = "ghcr.io/huggingface/text-generation-inference:2.4.0", extra: str = ""
) -> str:
    body = f"- name: tgi\n  image: {image}\n  resources: {{limits: {{nvidia.com/gpu: 2}}}}\n"
    if env:
        body += "  env:\n" + "".join(
            f"    - {{name: {k}, value: {v!r}}}\n" for k, v in json.loads(env).items()
        )
    return deployment(body + extra)


def migrate(tmp_path: Path, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    p = write(tmp_path, "tgi.yaml", text)
    (f,) = findings(p, "LLM007")
    assert len(f["message"]) <= 200
    return f, fixed(p, "LLM007")


def test_env_configured_tgi_keeps_references_and_maps_quantize(tmp_path: Path) -> None:
    env = json.dumps(
        {"MODEL_ID": "tiiuae/falcon-40b-instruct", "NUM_SHARD": "2", "PORT": "8080", "QUANTIZE": "bitsandbytes-nf4",
         "MAX_INPUT_LENGTH": "1024", "MAX_TOTAL_TOKENS": "2048"}
    )  # fmt: skip
    text = tgi(env)
    f, doc = migrate(tmp_path, text)
    assert f["fix"]["safety"] == "unsafe"
    c = container_of(doc)
    assert c["image"].startswith("vllm/vllm-openai:")
    assert c["command"] == ["python3", "-m", "vllm.entrypoints.openai.api_server"]
    assert sorted(c["args"]) == sorted(
        ["--model=$(MODEL_ID)", "--tensor-parallel-size=$(NUM_SHARD)", "--quantization=$(QUANTIZE)",
         "--max-model-len=$(MAX_TOTAL_TOKENS)", "--port=$(PORT)"]
    )  # fmt: skip
    env_of = {e["name"]: e.get("value") for e in c["env"]}
    assert env_of["QUANTIZE"] == "bitsandbytes"  # vLLM's 4-bit NF4 in-flight quantisation
    assert env_of["MODEL_ID"] == "tiiuae/falcon-40b-instruct"
    # the JSON patch of the fix gives the same object as the text fix
    original = yaml.safe_load(text)
    patched = jsonpatch.apply_patch(copy.deepcopy(original), f["fix"]["json_patch"])
    assert patched == doc


def test_quantize_without_a_vllm_equivalent_is_not_migrated(tmp_path: Path) -> None:
    f, _ = migrate(
        tmp_path, tgi(json.dumps({"MODEL_ID": "mistralai/Mistral-7B-v0.1", "QUANTIZE": "bitsandbytes"}))
    )
    assert f["fix"] is None and "bitsandbytes" in f["message"]


def test_t5_is_not_migrated(tmp_path: Path) -> None:
    f, _ = migrate(tmp_path, tgi(json.dumps({"MODEL_ID": "google/flan-t5-xl"})))
    assert f["fix"] is None and "T5" in f["message"] and "encoder-decoder" in f["message"]


def test_non_root_pods_are_not_migrated(tmp_path: Path) -> None:
    text = tgi(
        json.dumps({"MODEL_ID": "mistralai/Mistral-7B-v0.1"}),
        extra="  securityContext: {runAsNonRoot: true}\n",
    )
    f, _ = migrate(tmp_path, text)
    assert f["fix"] is None and "root" in f["message"]


def test_vertex_style_port_env_is_kept(tmp_path: Path) -> None:
    image = "us-docker.pkg.dev/deeplearning-platform-release/gcr.io/huggingface-text-generation-inference-cu124.2-3.ubuntu2204.py311"
    text = tgi(
        json.dumps({"AIP_HTTP_PORT": "8000", "MODEL_ID": "google/gemma-2-27b-it", "NUM_SHARD": "2"}),
        image=image,
    )
    _, doc = migrate(tmp_path, text)
    assert "--port=$(AIP_HTTP_PORT)" in container_of(doc)["args"]


def test_args_keep_their_references_and_unsharded_tgi_keeps_its_gpus(tmp_path: Path) -> None:
    text = tgi(
        json.dumps({"MODEL_ID": "meta-llama/Llama-3.1-8B-Instruct"}),
        extra='  args: ["--model-id=$(MODEL_ID)", "--port", "8080", "--max-input-tokens=4096"]\n'
        "  volumeMounts: [{name: data, mountPath: /data}]\n",
    ).replace(
        "      containers:",
        "      volumes: [{name: data, persistentVolumeClaim: {claimName: hf}}]\n      containers:",
    )
    f, doc = migrate(tmp_path, text)
    c = container_of(doc)
    assert c["args"] == ["--model=$(MODEL_ID)", "--port", "8080", "--tensor-parallel-size=2"]
    # vLLM keeps using the cache volume, in the layout TGI wrote there (HF_HUB_CACHE is the hub cache itself)
    assert {"name": "HF_HUB_CACHE", "value": "/data"} in c["env"]
    assert "--max-input-tokens" in f["fix"]["description"]


def test_lora_adapters_block_the_migration(tmp_path: Path) -> None:
    f, _ = migrate(
        tmp_path, tgi(json.dumps({"MODEL_ID": "mistralai/Mistral-7B-v0.1", "LORA_ADAPTERS": "org/a"}))
    )
    assert f["fix"] is None and "LoRA" in f["message"]


# ---- LLM008 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "fires"),
    [
        ("vllm/vllm-openai", True),
        ("vllm/vllm-openai:latest", True),
        ("vllm/vllm-openai:nightly", True),
        ("nvcr.io/nim/meta/llama-3.1-8b-instruct", True),  # a model's version is not the server's
        (
            "us-docker.pkg.dev/deeplearning-platform-release/gcr.io/huggingface-text-generation-inference-cu124.2-3.ubuntu2204.py311",
            False,
        ),
        ("vllm/vllm-openai:v0.10.1", False),
        ("vllm/vllm-openai@sha256:" + "a" * 64, False),
    ],
)
def test_unpinned_images(tmp_path: Path, image: str, fires: bool) -> None:
    text = deployment(f"- name: s\n  image: {image}\n  args: [--model=meta-llama/Llama-3.1-8B-Instruct]\n")
    found = findings(write(tmp_path, "i.yaml", text), "LLM008")
    assert bool(found) is fires
    assert all(len(f["message"]) <= 200 for f in found)


# ---- messages and recall --------------------------------------------------------------------------------


def test_seed_anti_patterns_still_found_with_short_messages() -> None:
    _, report = scan_json("--select", ",".join(MINE), str(SEED))
    rules = {f["rule"] for f in report["findings"]}
    assert {"LLM001", "LLM007"} <= rules
    for f in report["findings"]:
        assert len(f["message"]) <= 200, f["message"]
        assert "''" not in f["message"] and "llm-nim" not in f["message"]


def test_catalog_bad_examples_messages_are_one_short_sentence(tmp_path: Path) -> None:
    for rid in MINE:
        for i, ex in enumerate(catalog.rules()[rid].bad):
            p = write(tmp_path, f"{rid}-{i}.yaml", ex.manifest)
            for f in findings(p, rid):
                assert len(f["message"]) <= 200 and "\n" not in f["message"], (rid, i, f["message"])


# ---- the catalog examples of these rules: exact positions, exact fixed text, declared availability ----


def _raw(rule: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((Path(catalog.catalog_dir()) / f"{rule}.yaml").read_text())
    return data


BAD = [(r, i, ex) for r in MINE for i, ex in enumerate(_raw(r)["examples"]["bad"])]


@pytest.mark.parametrize(("rule", "index", "ex"), BAD, ids=lambda v: str(v)[:8])
def test_bad_example_position_and_fixed_text(
    tmp_path: Path, rule: str, index: int, ex: dict[str, Any]
) -> None:
    p = write(tmp_path, "example.yaml", ex["manifest"])
    found = findings(p, rule)
    assert (found[0]["line"], found[0]["column"]) == (ex["line"], ex["column"]), (rule, index)
    cli("scan", "--fix", "--unsafe-fixes", "--select", rule, str(p))
    assert p.read_text() == ex.get("fixed", ex["manifest"]), (rule, index)


@pytest.mark.parametrize("rule", MINE)
def test_declared_fix_availability_matches_the_examples(tmp_path: Path, rule: str) -> None:
    raw = _raw(rule)
    has_fix = []
    for i, ex in enumerate(raw["examples"]["bad"]):
        has_fix += [
            f["fix"] is not None for f in findings(write(tmp_path, f"{i}.yaml", ex["manifest"]), rule)
        ]
    availability = raw["fix"]["availability"]
    if availability == "always":
        assert all(has_fix)
    elif availability == "none":
        assert not any(has_fix)
    else:
        assert (any(has_fix) and not all(has_fix)) or raw["fix"].get("availability_note"), rule


def _services_are_read() -> bool:
    from llmlint.engine import Settings, analyse
    from llmlint.manifest.loader import SourceText, decode, load

    text = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: x}}\n"
    text += "---\n" + deployment("- name: s\n  image: vllm/vllm-openai:v0.10.1\n")
    src = decode("probe.yaml", text.encode())
    assert isinstance(src, SourceText)
    graph = analyse([load(src)], Settings(select=["LLM007"])).graph
    return bool(graph.of_kind("Service"))


def test_tgi_without_any_port_fact_is_not_migrated(tmp_path: Path) -> None:
    image = "us-docker.pkg.dev/deeplearning-platform-release/gcr.io/huggingface-text-generation-inference-cu124.2-3.ubuntu2204.py311"
    f, _ = migrate(tmp_path, tgi(json.dumps({"MODEL_ID": "google/gemma-2-9b-it"}), image=image))
    assert f["fix"] is None and "port" in f["message"]


@pytest.mark.skipif(not _services_are_read(), reason="the prefilter does not parse Services yet")
def test_port_of_an_image_without_a_known_default_comes_from_the_service(tmp_path: Path) -> None:
    image = "us-docker.pkg.dev/deeplearning-platform-release/gcr.io/huggingface-text-generation-inference-cu124.2-3.ubuntu2204.py311"
    service = "---\napiVersion: v1\nkind: Service\nmetadata: {name: llm}\nspec:\n  selector: {app: llm}\n"
    service += "  ports: [{port: 80, targetPort: 8000}]\n"
    text = tgi(json.dumps({"MODEL_ID": "google/gemma-2-9b-it", "NUM_SHARD": "2"}), image=image) + service
    _, doc = migrate(tmp_path, text)
    assert "--port=8000" in container_of(doc)["args"]


def test_ollama_loads_models_on_demand_so_no_startup_finding(tmp_path: Path) -> None:
    text = deployment(
        "- name: ollama\n  image: ollama/ollama:0.6.5\n  resources: {limits: {nvidia.com/gpu: 1}}\n"
        "  livenessProbe: {httpGet: {path: /, port: 11434}}\n"
    )
    p = write(tmp_path, "o.yaml", text)
    assert findings(p, "LLM001") == []
    vllm = deployment(
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n  args: [--model=meta-llama/Llama-3.1-8B-Instruct]\n"
        "  livenessProbe: {httpGet: {path: /health, port: 8000}}\n"
    )
    assert len(findings(write(tmp_path, "v.yaml", vllm), "LLM001")) == 1


@pytest.mark.parametrize(
    ("image", "kind", "path", "fires"),
    [
        ("vllm/vllm-openai:v0.10.1", "livenessProbe", "/v1/models", False),  # served: the probe works
        ("vllm/vllm-openai:v0.10.1", "readinessProbe", "/metrics", False),
        ("vllm/vllm-openai:v0.10.1", "livenessProbe", "/healthz", True),  # 404
        ("nvcr.io/nvidia/tritonserver:24.08-py3", "readinessProbe", "/v2/health/live", True),  # before ready
        ("nvcr.io/nvidia/tritonserver:24.08-py3", "livenessProbe", "/v2/health/ready", False),
    ],
)
def test_probe_paths_that_work_are_not_reported(
    tmp_path: Path, image: str, kind: str, path: str, fires: bool
) -> None:
    text = deployment(
        f"- name: s\n  image: {image}\n  args: [--model=meta-llama/Llama-3.1-8B-Instruct]\n"
        f"  startupProbe: {{httpGet: {{path: /health, port: 8000}}, failureThreshold: 100}}\n"
        f"  {kind}: {{httpGet: {{path: {path}, port: 8000}}}}\n"
    ).replace(
        "path: /health, port: 8000}, failureThreshold",
        "path: /v2/health/ready, port: 8000}, failureThreshold"
        if "triton" in image
        else "path: /health, port: 8000}, failureThreshold",
    )
    found = [f for f in findings(write(tmp_path, "p.yaml", text), "LLM015") if kind in f["message"]]
    assert bool(found) is fires
    assert all(len(f["message"]) <= 170 for f in found)


def test_tgi_builds_for_other_hardware_are_not_migrated_to_the_cuda_image(tmp_path: Path) -> None:
    env = json.dumps({"MODEL_ID": "mistralai/Mistral-7B-v0.1"})
    f, _ = migrate(tmp_path, tgi(env, image="ghcr.io/huggingface/text-generation-inference:2.4.0-rocm"))
    assert f["fix"] is None and "rocm" in f["message"]
    cpu = deployment(
        "- name: tgi\n  image: ghcr.io/huggingface/text-generation-inference:2.4.0\n"
        "  env: [{name: MODEL_ID, value: mistralai/Mistral-7B-v0.1}]\n"
    )
    f, _ = migrate(tmp_path, cpu)
    assert f["fix"] is None and "NVIDIA GPU" in f["message"]


def test_host_ipc_pods_use_the_nodes_shared_memory(tmp_path: Path) -> None:
    body = (
        "- name: vllm\n  image: vllm/vllm-openai:v0.10.1\n"
        '  args: ["--model=meta-llama/Llama-3.1-70B-Instruct", "--tensor-parallel-size=4"]\n'
        "  resources: {limits: {nvidia.com/gpu: 4}}\n"
    )
    assert findings(write(tmp_path, "ipc.yaml", deployment(body, spec_extra="hostIPC: true")), "LLM004") == []
    assert len(findings(write(tmp_path, "no-ipc.yaml", deployment(body)), "LLM004")) == 1
