"""Issue #2: the scan engine on the article's manifests and on the cases the issue names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SEED, cli, rules_of, scan_json, subprocess_cli, write

VLLM = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: vllm}}
  template:
    metadata:
      labels: {{app: vllm}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args:
            - --model={model}
{extra_args}
          startupProbe:
            httpGet: {{path: /health, port: 8000}}
            initialDelaySeconds: 0
            periodSeconds: 10
            failureThreshold: {failures}
"""


def vllm(
    model: str = "meta-llama/Llama-3.1-8B-Instruct",
    failures: int = 60,
    replicas: int = 1,
    extra_args: str = "",
) -> str:
    return VLLM.format(model=model, failures=failures, replicas=replicas, extra_args=extra_args)


def test_seed_headline_findings() -> None:
    code, report = scan_json(str(SEED), cwd=SEED.parent.parent)
    assert code == 1
    by_file: dict[str, list[str]] = {}
    for f in report["findings"]:
        by_file.setdefault(Path(f["file"]).name, []).append(f["rule"])
    tgi = by_file["tgi-deployment.yaml"]
    assert "LLM007" in tgi and "LLM001" in tgi
    vllm_rules = by_file["vllm-deployment.yaml"]
    assert "LLM006" in vllm_rules
    for absent in ("LLM001", "LLM002", "LLM003", "LLM005"):
        assert absent not in vllm_rules
    assert report["errors"] == []
    assert report["summary"]["files"] == 6


def test_seed_positions_point_at_the_offending_node() -> None:
    _, report = scan_json(str(SEED), cwd=SEED.parent.parent)
    lines = (SEED / "tgi-deployment.yaml").read_text().splitlines()
    for f in report["findings"]:
        if f["file"].endswith("tgi-deployment.yaml") and f["rule"] == "LLM007":
            assert "image: ghcr.io/huggingface/text-generation-inference" in lines[f["line"] - 1]
            assert lines[f["line"] - 1].index("image") + 1 == f["column"]
        if f["file"].endswith("tgi-deployment.yaml") and f["rule"] == "LLM001":
            assert lines[f["line"] - 1].strip() == "readinessProbe:"
    vlines = (SEED / "vllm-deployment.yaml").read_text().splitlines()
    (llm006,) = [
        f for f in report["findings"] if f["rule"] == "LLM006" and f["file"].endswith("vllm-deployment.yaml")
    ]
    assert "claimName: model-cache-pvc" in vlines[llm006["line"] - 1]
    assert "required anti-affinity spreads its 2 pods over nodes" in llm006["message"]
    assert "class gp3 has no ReadWriteMany" in llm006["message"]


def test_json_contract_shape() -> None:
    _, report = scan_json(str(SEED / "tgi-deployment.yaml"))
    assert report["version"] == 1
    assert set(report["summary"]) >= {"files", "objects", "findings", "errors"}
    f = report["findings"][0]
    assert set(f) >= {
        "rule",
        "name",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "object",
        "container",
        "fix",
    }
    assert f["object"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "ml-serving",
        "name": "tgi-llama3-8b",
    }
    fixes = [x["fix"] for x in report["findings"] if x["fix"]]
    assert fixes and all({"safety", "description", "diff", "json_patch"} <= set(x) for x in fixes)


@pytest.mark.parametrize(
    ("model", "failures", "fires"),
    [
        ("meta-llama/Llama-3.1-70B-Instruct", 36, True),  # 360 s for 70B
        ("meta-llama/Llama-3.1-8B-Instruct", 60, False),  # 600 s for 8B
        ("Qwen/Qwen2.5-72B-Instruct-AWQ", 70, False),  # 4-bit: 36 GB of weights, ~680 s
        ("meta-llama/Llama-3.1-405B-Instruct-FP8", 120, True),
    ],
)
def test_startup_budget(tmp_path: Path, model: str, failures: int, fires: bool) -> None:
    write(tmp_path, "d.yaml", vllm(model=model, failures=failures))
    _, report = scan_json(str(tmp_path))
    found = [f for f in report["findings"] if f["rule"] == "LLM002"]
    assert bool(found) is fires
    if fires and "70B" in model:
        assert "360 s" in found[0]["message"] and "1500 s" in found[0]["message"]


def test_model_params_annotation_wins(tmp_path: Path) -> None:
    text = vllm(model="/models/custom", failures=36).replace(
        "  name: vllm\n", '  name: vllm\n  annotations:\n    llmlint.io/model-params: "70B"\n', 1
    )
    write(tmp_path, "d.yaml", text)
    _, report = scan_json(str(tmp_path))
    assert "LLM002" in rules_of(report)


def test_gpu_memory_utilization_in_sh_c(tmp_path: Path) -> None:
    write(
        tmp_path,
        "d.yaml",
        """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: v}
spec:
  selector: {matchLabels: {app: v}}
  template:
    metadata: {labels: {app: v}}
    spec:
      containers:
        - name: v
          image: registry.local/mirror/vllm/vllm-openai@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
          command: ["sh", "-c", "pip list && vllm serve meta-llama/Llama-3.1-8B --gpu-memory-utilization 0.97 --port 8000"]
""",
    )
    _, report = scan_json(str(tmp_path))
    (f,) = [f for f in report["findings"] if f["rule"] == "LLM003"]
    assert f["line"] == 12
    line = (tmp_path / "d.yaml").read_text().splitlines()[11]
    assert line[f["column"] - 1 :].startswith("--gpu-memory-utilization 0.97")


def test_gpu_memory_utilization_through_configmaps(tmp_path: Path) -> None:
    cm = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  GPU_MEM: "0.98"
  GPU_MEM_OK: "0.94"
---
"""
    dep = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: %s}
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec:
      containers:
        - name: v
          image: vllm/vllm-openai:v0.10.1
          args: ["--model=m-8B", "--gpu-memory-utilization=$(GPU_MEM)"]
          %s
"""
    via_env_from = dep % ("a", "a", "a", "envFrom: [{configMapRef: {name: cfg}}]")
    via_key_ref = dep % (
        "b",
        "b",
        "b",
        "env: [{name: GPU_MEM, valueFrom: {configMapKeyRef: {name: cfg, key: GPU_MEM_OK}}}]",
    )
    write(tmp_path, "cm.yaml", cm.rstrip("-\n") + "\n")
    write(tmp_path, "a.yaml", via_env_from)
    write(tmp_path, "b.yaml", via_key_ref)
    _, report = scan_json(str(tmp_path))
    hits = [f for f in report["findings"] if f["rule"] == "LLM003"]
    assert [f["object"]["name"] for f in hits] == ["a"]
    assert "ConfigMap cfg" in hits[0]["message"]
    patch = hits[0]["fix"]["json_patch"]
    assert hits[0]["fix"]["target"]["kind"] == "ConfigMap"
    assert patch == [{"op": "replace", "path": "/data/GPU_MEM", "value": "0.90"}]


SHM_LESS = """\
apiVersion: {api}
kind: {kind}
metadata: {{name: big}}
spec:
{spec}
"""


def test_tp4_without_shm_on_deployment_and_lws(tmp_path: Path) -> None:
    dep = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: big}
spec:
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      containers:
        - name: v
          image: vllm/vllm-openai:v0.10.1
          args: ["--model", "meta-llama/Llama-3.1-70B", "--tensor-parallel-size", "4"]
"""
    lws = """\
apiVersion: leaderworkerset.x-k8s.io/v1
kind: LeaderWorkerSet
metadata: {name: big-lws}
spec:
  replicas: 1
  leaderWorkerTemplate:
    size: 2
    workerTemplate:
      spec:
        containers:
          - name: v
            image: vllm/vllm-openai:v0.10.1
            args: ["--model", "meta-llama/Llama-3.1-70B", "-tp", "4"]
"""
    write(tmp_path, "dep.yaml", dep)
    write(tmp_path, "lws.yaml", lws)
    _, report = scan_json(str(tmp_path))
    names = sorted(f["object"]["name"] for f in report["findings"] if f["rule"] == "LLM004")
    assert names == ["big", "big-lws"]


def test_tgi_num_shard_counts_as_tp(tmp_path: Path) -> None:
    text = (SEED / "tgi-deployment.yaml").read_text()
    text = text.replace('"--num-shard=1"', '"--num-shard=2"')
    text = text.replace("            - name: shm\n              mountPath: /dev/shm\n", "")
    write(tmp_path, "tgi.yaml", text)
    _, report = scan_json(str(tmp_path))
    (f,) = [f for f in report["findings"] if f["rule"] == "LLM004"]
    assert "--num-shard 2" in f["message"]


def test_statefulset_claim_templates_never_fire_llm006(tmp_path: Path) -> None:
    write(
        tmp_path,
        "sts.yaml",
        """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  replicas: 3
  serviceName: s
  selector: {matchLabels: {app: s}}
  template:
    metadata: {labels: {app: s}}
    spec:
      containers:
        - name: v
          image: vllm/vllm-openai:v0.10.1
          volumeMounts: [{name: cache, mountPath: /root/.cache/huggingface}]
  volumeClaimTemplates:
    - metadata: {name: cache}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 100Gi}}
""",
    )
    _, report = scan_json(str(tmp_path))
    assert "LLM006" not in rules_of(report)


def test_pdb_selector_must_match(tmp_path: Path) -> None:
    write(tmp_path, "d.yaml", vllm(replicas=2))
    pdb = """\
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: p}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: %s}}
"""
    write(tmp_path, "pdb.yaml", pdb % "other")
    _, report = scan_json(str(tmp_path))
    assert "LLM005" in rules_of(report)
    write(tmp_path, "pdb.yaml", pdb % "vllm")
    _, report = scan_json(str(tmp_path))
    assert "LLM005" not in rules_of(report)


def test_pdb_in_another_namespace_does_not_count(tmp_path: Path) -> None:
    write(tmp_path, "d.yaml", vllm(replicas=2).replace("  name: vllm\n", "  name: vllm\n  namespace: a\n", 1))
    write(
        tmp_path,
        "pdb.yaml",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: b}\n"
        "spec: {minAvailable: 1, selector: {matchLabels: {app: vllm}}}\n",
    )
    _, report = scan_json(str(tmp_path))
    assert "LLM005" in rules_of(report)


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/huggingface/text-generation-inference:3.3.4",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/huggingface/text-generation-inference:2.4.0",
        "ghcr.io/huggingface/text-generation-inference@sha256:" + "a" * 64,
        "harbor.corp:5000/ghcr-proxy/huggingface/text-generation-inference:latest@sha256:" + "b" * 64,
    ],
)
def test_tgi_image_any_registry(tmp_path: Path, image: str) -> None:
    text = (
        (SEED / "tgi-deployment.yaml")
        .read_text()
        .replace("ghcr.io/huggingface/text-generation-inference:2.4.0", image)
    )
    write(tmp_path, "tgi.yaml", text)
    _, report = scan_json(str(tmp_path))
    assert "LLM007" in rules_of(report)


def test_plain_nginx_gets_nothing(tmp_path: Path) -> None:
    write(
        tmp_path,
        "web.yaml",
        """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: nginx
          image: nginx:latest
          readinessProbe: {httpGet: {path: /, port: 80}}
          livenessProbe: {httpGet: {path: /, port: 80}}
""",
    )
    code, report = scan_json(str(tmp_path))
    assert report["findings"] == [] and code == 0


def test_exit_codes(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", vllm())
    sel = ("--select", "LLM001,LLM002,LLM003")
    assert cli("scan", *sel, str(tmp_path / "good.yaml"))[0] == 0
    write(tmp_path, "bad.yaml", vllm(extra_args="            - --gpu-memory-utilization=0.99"))
    assert cli("scan", *sel, str(tmp_path / "bad.yaml"))[0] == 1
    write(
        tmp_path,
        "broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x\nspec: {containers: [{image: vllm/vllm-openai}]}\n",
    )
    code, out, err = cli("scan", str(tmp_path))
    assert code == 2  # errors win over findings
    assert "broken.yaml:" in err and "Traceback" not in out + err
    assert "LLM003" in out  # the other files were still scanned


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("notyaml.yaml", "key: [unclosed\n  - x: {\n", "invalid YAML"),
        (
            "helm.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Values.name }}\n",
            "helm template",
        ),
        ("bin.yaml", "\x00\x01\x02binary", "binary"),
        ("scalar.yaml", "apiVersion: v1\nkind: Pod\n---\n- just\n- a list\n", "not a Kubernetes object"),
        ("notyaml2.yaml", "this: is: not: yaml\n", "invalid YAML"),
        ("nospec.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: vllm}\n", "no 'spec'"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, name: str, content: str, needle: str) -> None:
    write(tmp_path, name, content)
    write(tmp_path, "ok.yaml", vllm(extra_args="            - --gpu-memory-utilization=0.99"))
    code, report = scan_json(str(tmp_path))
    assert code == 2
    errs = [e for e in report["errors"] if e["file"].endswith(name)]
    assert errs and needle in errs[0]["message"]
    assert errs[0]["line"] or name == "bin.yaml"  # a binary file has no lines
    assert "LLM003" in rules_of(report)


def test_stdin_list_and_json(tmp_path: Path) -> None:
    items = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            json.loads(
                json.dumps(
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {"name": "j"},
                        "spec": {
                            "selector": {"matchLabels": {"a": "b"}},
                            "template": {
                                "metadata": {"labels": {"a": "b"}},
                                "spec": {
                                    "containers": [
                                        {
                                            "name": "v",
                                            "image": "vllm/vllm-openai:v0.9.0",
                                            "args": ["--model=x-8B", "--gpu-memory-utilization=0.96"],
                                        }
                                    ]
                                },
                            },
                        },
                    }
                )
            )
        ],
    }
    write(tmp_path, "list.json", json.dumps(items, indent=2))
    _, report = scan_json(str(tmp_path / "list.json"))
    (f,) = [f for f in report["findings"] if f["rule"] == "LLM003"]
    assert f["line"] and f["line"] > 1
    _code, out, _ = cli("scan", "--format", "json", "-", stdin=json.dumps(items))
    assert json.loads(out)["findings"][0]["file"] == "-"


def test_symlink_loop_and_excludes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    write(tmp_path, "a/d.yaml", vllm(extra_args="            - --gpu-memory-utilization=0.99"))
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    _, report = scan_json(str(tmp_path))
    assert rules_of(report).count("LLM003") == 1
    _, report = scan_json(".", "--exclude", "a/*", cwd=tmp_path)
    assert report["findings"] == []


def test_text_output_plain_in_a_pipe() -> None:
    proc = subprocess_cli("scan", str(SEED))
    out = proc.stdout.decode()
    assert proc.returncode == 1
    assert "\x1b[" not in out
    assert "LLM007" in out and "findings" in out.splitlines()[-1]


def test_scan_does_not_import_kubernetes_or_pydantic() -> None:
    import subprocess
    import sys

    code = (
        f"import sys; sys.argv=['llmlint','scan','--format','json',{str(SEED)!r}];\n"
        "from llmlint.cli import main\n"
        "try:\n    main()\nexcept SystemExit: pass\n"
        "bad=[m for m in ('kubernetes','pydantic','rich','ruamel') if m in sys.modules]\n"
        "sys.stderr.write('IMPORTED:'+','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "IMPORTED:" in proc.stderr
    assert proc.stderr.split("IMPORTED:")[1].strip() == ""


def test_a_crashing_rule_is_an_error_entry_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmlint import checks

    def broken(ctx: object) -> list[object]:
        raise KeyError("boom")

    checks.load_all()
    monkeypatch.setitem(checks.REGISTRY, "LLM999", broken)
    write(tmp_path, "bad.yaml", vllm(extra_args="            - --gpu-memory-utilization=0.99"))
    code, report = scan_json(str(tmp_path))
    assert code == 2
    assert any("internal error in rule LLM999" in e["message"] for e in report["errors"])
    assert "LLM003" in rules_of(report)  # the other rules still ran


def test_console_entry_turns_a_crash_into_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from llmlint import cli as cli_module

    def crash() -> None:
        raise RuntimeError("disk on fire")

    exits: list[int] = []
    monkeypatch.setattr(cli_module, "main", crash)
    monkeypatch.setattr(cli_module.os, "_exit", exits.append)
    monkeypatch.delenv("LLMLINT_DEBUG", raising=False)
    cli_module.entry()
    assert exits == [2]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: disk on fire" in err


def test_good_fixture_has_no_findings() -> None:
    code, report = scan_json(str(SEED.parent / "good"))
    assert report["errors"] == [] and report["findings"] == [], report["findings"]
    assert code == 0
