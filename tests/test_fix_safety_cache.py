"""Issue 12: cache fixes that keep a working server working (LLM007's migration, LLM012, LLM006, the report).

Each manifest is written here for one pattern: a TGI image whose cache is the image's (Google's deep-learning
containers keep it at /tmp), a mixture of experts quantised with bitsandbytes, a KServe runtime that is not in
the scan, a non-root image given a new volume, alternatives of one Deployment in two files, a pod that names
one claim twice. Fixes run through the real CLI on real files; the fixed text is asserted exactly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import cli, scan_json, write

from llmlint.checks import REGISTRY, Context
from llmlint.engine import Settings, scan
from llmlint.fixes.run import fix_loop
from llmlint.model import Finding, Fix, SetValue

DLC = (
    "us-docker.pkg.dev/deeplearning-platform-release/gcr.io/"
    "huggingface-text-generation-inference-cu124.2-3.ubuntu2204.py311"
)


def _fix(tmp: Path, select: str) -> str:
    _code, out, err = cli("scan", ".", "--fix", "--unsafe-fixes", "--select", select, cwd=tmp)
    assert "Traceback" not in out + err, err
    return out + err


# ---- 1. TGI → vLLM keeps the cache where the volume is -----------------------------------------------

DLC_TGI = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
  replicas: 1
  strategy: {{type: Recreate}}
  selector:
    matchLabels: {{app: llm}}
  template:
    metadata:
      labels: {{app: llm}}
    spec:
      containers:
        - name: llm
          image: {DLC}
          resources:
            limits: {{nvidia.com/gpu: "1"}}
          env:
            - name: MODEL_ID
              value: meta-llama/Llama-3.1-8B-Instruct
            - name: PORT
              value: "8080"
          volumeMounts:
            - mountPath: /tmp  # the image's HUGGINGFACE_HUB_CACHE
              name: scratch
      volumes:
        - name: scratch
          ephemeral:
            volumeClaimTemplate:
              spec:
                accessModes: ["ReadWriteOnce"]
                resources:
                  requests:
                    storage: 50Gi
"""

DLC_TGI_FIXED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app: llm}
  template:
    metadata:
      labels: {app: llm}
    spec:
      containers:
        - name: llm
          image: vllm/vllm-openai:v0.11.0
          resources:
            limits: {nvidia.com/gpu: "1"}
          env:
            - name: MODEL_ID
              value: meta-llama/Llama-3.1-8B-Instruct
            - name: PORT
              value: "8080"
            - name: HF_HUB_CACHE
              value: /tmp
          volumeMounts:
            - mountPath: /tmp  # the image's HUGGINGFACE_HUB_CACHE
              name: scratch
          command:
            - python3
            - -m
            - vllm.entrypoints.openai.api_server
          args:
            - --model=$(MODEL_ID)
            - --port=$(PORT)
      volumes:
        - name: scratch
          persistentVolumeClaim:
            claimName: llm-model-cache
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: llm-model-cache
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 50Gi
"""


def test_migrated_dlc_tgi_keeps_its_tmp_cache_and_the_claim_is_where_vllm_writes(tmp_path: Path) -> None:
    f = write(tmp_path, "tgi.yaml", DLC_TGI)
    _fix(tmp_path, "LLM007,LLM012")
    assert f.read_text() == DLC_TGI_FIXED


STOCK_TGI = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app: chat}
  template:
    metadata:
      labels: {app: chat}
    spec:
      containers:
        - name: tgi
          image: ghcr.io/huggingface/text-generation-inference:3.3.4
          args: ["--model-id", "mistralai/Mistral-7B-Instruct-v0.3", "--port", "8080"]
          resources:
            limits: {nvidia.com/gpu: "1"}
"""

STOCK_TGI_CACHED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app: chat}
  template:
    metadata:
      labels: {app: chat}
    spec:
      containers:
        - name: tgi
          image: ghcr.io/huggingface/text-generation-inference:3.3.4
          args: ["--model-id", "mistralai/Mistral-7B-Instruct-v0.3", "--port", "8080"]
          resources:
            limits: {nvidia.com/gpu: "1"}
          env:
            - name: HUGGINGFACE_HUB_CACHE
              value: /data
          volumeMounts:
            - name: model-cache
              mountPath: /data
      volumes:
        - name: model-cache
          persistentVolumeClaim:
            claimName: chat-model-cache
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: chat-model-cache
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 50Gi
"""


def test_tgi_cache_claim_names_the_image_cache_so_a_later_migration_keeps_it(tmp_path: Path) -> None:
    f = write(tmp_path, "tgi.yaml", STOCK_TGI)
    _fix(tmp_path, "LLM012")
    assert f.read_text() == STOCK_TGI_CACHED  # TGI unchanged: the image sets the same value
    _fix(tmp_path, "LLM007,LLM012")
    text = f.read_text()
    assert "--download-dir=$(HUGGINGFACE_HUB_CACHE)" in text  # vLLM downloads onto the claim
    assert "image: vllm/vllm-openai:v0.11.0" in text and "mountPath: /data" in text


def test_stock_tgi_migrated_in_one_run_gets_its_claim_at_vllms_cache(tmp_path: Path) -> None:
    f = write(tmp_path, "tgi.yaml", STOCK_TGI)
    _fix(tmp_path, "LLM007,LLM012")
    text = f.read_text()
    assert "image: vllm/vllm-openai:v0.11.0" in text
    assert "mountPath: /root/.cache/huggingface" in text and "/data" not in text


def test_mixtral_with_bitsandbytes_is_not_migrated(tmp_path: Path) -> None:
    write(
        tmp_path,
        "m.yaml",
        DLC_TGI.replace("meta-llama/Llama-3.1-8B-Instruct", "mistralai/Mixtral-8x7B-Instruct-v0.1").replace(
            '              value: "8080"\n',
            '              value: "8080"\n            - name: QUANTIZE\n              value: bitsandbytes-nf4\n',
        ),
    )
    _, report = scan_json(".", "--select", "LLM007", "--unsafe-fixes", cwd=tmp_path)
    (f,) = report["findings"]
    assert f["fix"] is None
    assert "bitsandbytes" in f["message"] and "vllm#17199" in f["message"]


# ---- 2. LLM012 -------------------------------------------------------------------------------------------

ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: chat
spec:
  predictor:
    model:
      modelFormat:
        name: huggingface
      args:
        - --model_name=chat
        - --model_id=Qwen/Qwen2.5-7B-Instruct
      resources:
        limits: {nvidia.com/gpu: "1"}
"""


def test_kserve_runtime_not_in_the_scan_reports_with_its_assumption_and_no_fix(tmp_path: Path) -> None:
    write(tmp_path, "isvc.yaml", ISVC)
    _, report = scan_json(".", "--select", "LLM012", "--unsafe-fixes", cwd=tmp_path)
    (f,) = report["findings"]
    assert f["fix"] is None
    assert f["message"] == (
        "Qwen/Qwen2.5-7B-Instruct is downloaded again on every start, 14 GB (assumed: KServe's runtime, "
        "not in the scan, caches in the container as its huggingface runtime does)"
    )


NIM = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nim
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app: nim}
  template:
    metadata:
      labels: {app: nim}
    spec:
      containers:
        - name: nim
          image: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0
          resources:
            limits: {nvidia.com/gpu: "1"}
"""

NIM_FIXED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nim
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app: nim}
  template:
    metadata:
      labels: {app: nim}
    spec:
      containers:
        - name: nim
          image: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.0
          resources:
            limits: {nvidia.com/gpu: "1"}
          volumeMounts:
            - name: model-cache
              mountPath: /opt/nim/.cache
      securityContext:
        fsGroup: 1000
      volumes:
        - name: model-cache
          persistentVolumeClaim:
            claimName: nim-model-cache
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: nim-model-cache
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 50Gi
"""


def test_a_new_claim_for_nim_gets_the_fsgroup_its_user_writes_with(tmp_path: Path) -> None:
    f = write(tmp_path, "nim.yaml", NIM)
    _fix(tmp_path, "LLM012")
    assert f.read_text() == NIM_FIXED


def test_no_fsgroup_over_a_pod_that_mounts_another_lasting_volume(tmp_path: Path) -> None:
    shared = NIM.replace(
        '            limits: {nvidia.com/gpu: "1"}\n',
        '            limits: {nvidia.com/gpu: "1"}\n          volumeMounts: [{name: data, mountPath: /data}]\n'
        "      volumes: [{name: data, persistentVolumeClaim: {claimName: shared-lustre}}]\n",
    )
    write(tmp_path, "nim.yaml", shared)
    _, report = scan_json(".", "--select", "LLM012", "--unsafe-fixes", cwd=tmp_path)
    (f,) = report["findings"]
    assert f["fix"] is None  # a pod-wide fsGroup would re-own the shared claim's files


def test_a_pod_that_sets_its_user_gets_that_group_and_unknown_non_root_gets_no_fix(tmp_path: Path) -> None:
    vllm = STOCK_TGI.replace(
        "ghcr.io/huggingface/text-generation-inference:3.3.4", "vllm/vllm-openai:v0.11.0"
    )
    vllm = vllm.replace('["--model-id", ', '["--model", ')
    write(
        tmp_path,
        "a.yaml",
        vllm.replace(
            "    spec:\n      containers:",
            "    spec:\n      securityContext: {runAsUser: 2000, runAsGroup: 3000}\n      containers:",
        ),
    )
    _fix(tmp_path, "LLM012")
    assert (
        "securityContext: {runAsUser: 2000, runAsGroup: 3000, fsGroup: 3000}"
        in (tmp_path / "a.yaml").read_text()
    )
    write(
        tmp_path,
        "a.yaml",
        vllm.replace(
            "    spec:\n      containers:",
            "    spec:\n      securityContext: {runAsNonRoot: true}\n      containers:",
        ),
    )
    _, report = scan_json(".", "--select", "LLM012", "--unsafe-fixes", cwd=tmp_path)
    (f,) = report["findings"]
    assert f["fix"] is None


# ---- 3. Variants and the claims their fixes create ----------------------------------------------------

VARIANT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: llm
spec:
  replicas: 1
  strategy: {{type: Recreate}}
  selector:
    matchLabels: {{app: llm}}
  template:
    metadata:
      labels: {{app: llm}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.11.0
          args: ["--model={model}"]
          resources:
            limits: {{nvidia.com/gpu: "1"}}
"""

CLAIM_TAIL = """\
          volumeMounts:
            - name: model-cache
              mountPath: /root/.cache/huggingface
      volumes:
        - name: model-cache
          persistentVolumeClaim:
            claimName: llm-model-cache
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: llm-model-cache
spec:
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 50Gi
"""


def test_each_alternative_gets_its_own_claim_and_llm006_does_not_count_them_together(tmp_path: Path) -> None:
    a = write(tmp_path, "l4.yaml", VARIANT.format(model="meta-llama/Llama-3.1-8B-Instruct") + CLAIM_TAIL)
    b = write(tmp_path, "a100.yaml", VARIANT.format(model="Qwen/Qwen2.5-7B-Instruct"))
    out = _fix(tmp_path, "LLM012,LLM006")
    assert "not applied" not in out
    assert b.read_text() == VARIANT.format(model="Qwen/Qwen2.5-7B-Instruct") + CLAIM_TAIL  # its own claim
    assert a.read_text() == VARIANT.format(model="meta-llama/Llama-3.1-8B-Instruct") + CLAIM_TAIL
    _, report = scan_json(".", "--select", "LLM006", cwd=tmp_path)
    assert report["findings"] == []


def test_one_pod_naming_a_claim_in_two_volumes_is_one_pod(tmp_path: Path) -> None:
    text = VARIANT.format(model="meta-llama/Llama-3.1-8B-Instruct") + CLAIM_TAIL.replace(
        "              mountPath: /root/.cache/huggingface\n",
        "              mountPath: /root/.cache/huggingface\n            - name: old\n              mountPath: /tmp\n",
    ).replace(
        "      volumes:\n",
        "      volumes:\n        - name: old\n          persistentVolumeClaim:\n            claimName: llm-model-cache\n",
    )
    write(tmp_path, "d.yaml", text)
    _, report = scan_json(".", "--select", "LLM006", cwd=tmp_path)
    assert report["findings"] == []


# ---- the fix report: one line per finding, saying what landed -----------------------------------------


@pytest.fixture
def rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def add(rule_id: str, fn: Any) -> None:
        monkeypatch.setitem(REGISTRY, rule_id, fn)

    yield add


DEP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {state: "a"}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""


def _state_rule(rule_id: str, moves: dict[str, str]) -> Any:
    """Fires while the ``state`` annotation is a key of ``moves``; its fix sets the value."""

    def fn(ctx: Context) -> Iterable[Finding]:
        for o in ctx.graph.objects:
            state = o.annotations.get("state") if o.kind == "Deployment" else None
            if state in moves:
                path = ("metadata", "annotations", "state")
                fix = Fix("safe", f"set state {moves[state]}", [SetValue(o.target, path, moves[state])])
                yield Finding(rule_id, f"state is {state}", o.target, path, fix=fix)

    return fn


def test_a_reverted_follow_up_is_reported_with_the_fix_that_landed(tmp_path: Path, rules: Any) -> None:
    rules("LLMX01", _state_rule("LLMX01", {"a": "b", "d": "c"}))  # lands a→b; later its d→c is reverted
    rules("LLMX02", _state_rule("LLMX02", {"b": "d"}))
    rules(
        "LLMX03",
        lambda ctx: (
            Finding("LLMX03", "state c is fatal", o.target, ())
            for o in ctx.graph.objects
            if o.kind == "Deployment" and o.annotations.get("state") == "c"
        ),
    )
    write(tmp_path, "d.yaml", DEP)
    severity = {"LLMX01": "info", "LLMX02": "info", "LLMX03": "error"}
    settings = Settings(select=["LLMX"], severity=severity, prefilter=False)  # nginx: parse it all the same
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        outcome = fix_loop(scan(["."], settings), settings, unsafe=True)
    finally:
        os.chdir(old)
    assert [f.fix.description for f in outcome.applied if f.fix] == ["set state b", "set state d"], (
        outcome.skipped
    )
    (line,) = outcome.skipped
    assert line == (
        "d.yaml:5: LLMX01 fixed (set state b); a follow-up fix not applied: it causes LLMX03 (error): "
        "state c is fatal (reverted)"
    )
