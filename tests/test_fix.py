"""Issue #3: --fix, --diff and the fix objects on the seed's manifests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import yaml
from helpers import SEED, cli, rules_of, scan_json, write


def _copy_seed(tmp: Path) -> Path:
    dst = tmp / "k8s"
    shutil.copytree(SEED, dst)
    return dst


def _validate_dir(d: Path) -> None:
    for f in sorted(d.glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            if doc:
                kubernetes_validate.validate(doc, "1.33", strict=True)


def test_fix_seed_then_rescan_is_clean(tmp_path: Path) -> None:
    k8s = _copy_seed(tmp_path)
    original = {p.name: p.read_text() for p in k8s.glob("*.yaml")}
    _, before = scan_json("k8s", cwd=tmp_path)
    fixable = {(f["rule"], f["object"]["name"]) for f in before["findings"] if f["fix"]}
    assert {("LLM001", "tgi-llama3-8b"), ("LLM007", "tgi-llama3-8b")} <= fixable
    # the seed's claim is gp3 (EBS): it cannot be ReadWriteMany, so LLM006 reports it without a fix
    assert ("LLM006", "vllm-llama3-8b") not in fixable

    _code, out, err = cli("scan", "--fix", "--unsafe-fixes", "k8s", cwd=tmp_path)
    assert "Traceback" not in out + err
    assert "fixed" in out
    _, after = scan_json("k8s", cwd=tmp_path)
    still = {(f["rule"], f["object"]["name"]) for f in after["findings"]}
    assert not (fixable & still), fixable & still

    fixed = {p.name: p.read_text() for p in k8s.glob("*.yaml")}
    # every comment survives and untouched files are byte-identical
    for name, text in original.items():
        for line in text.splitlines():
            if "#" in line and line.strip().startswith("#"):
                assert line in fixed[name].splitlines(), (name, line)
    assert fixed["vllm-service.yaml"] == original["vllm-service.yaml"]
    assert fixed["model-config.yaml"] == original["model-config.yaml"]
    _validate_dir(k8s)

    # a second --fix changes no byte
    cli("scan", "--fix", "--unsafe-fixes", "k8s", cwd=tmp_path)
    assert {p.name: p.read_text() for p in k8s.glob("*.yaml")} == fixed


def test_tgi_migration_keeps_port_and_model(tmp_path: Path) -> None:
    k8s = _copy_seed(tmp_path)
    cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM007", "k8s", cwd=tmp_path)
    doc = yaml.safe_load((k8s / "tgi-deployment.yaml").read_text())
    c = doc["spec"]["template"]["spec"]["containers"][0]
    assert c["image"].startswith("vllm/vllm-openai:v")
    assert "--model=/model-cache/Llama-3-8B-Instruct" in c["args"]
    assert "--port=8080" in c["args"]
    assert "--tensor-parallel-size=1" in c["args"] and "--max-model-len=8192" in c["args"]
    assert not any(a.startswith(("--model-id", "--num-shard", "--max-total-tokens")) for a in c["args"])
    assert c["readinessProbe"]["httpGet"]["port"] == 8080  # probes still match the kept port


def test_diff_applies_with_git_to_what_fix_writes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    _copy_seed(a)
    _copy_seed(b)
    code, diff, _err = cli("scan", "--diff", "--unsafe-fixes", "k8s", cwd=a)
    assert code == 1 and diff.startswith("--- a/k8s/")
    assert {p.name: p.read_text() for p in (a / "k8s").glob("*")} == {
        p.name: p.read_text() for p in SEED.glob("*")
    }, "--diff must write nothing"
    subprocess.run(["git", "init", "-q"], cwd=a, check=True)
    (a / "fix.patch").write_text(diff)
    subprocess.run(["git", "apply", "--check", "fix.patch"], cwd=a, check=True)
    subprocess.run(["git", "apply", "fix.patch"], cwd=a, check=True)
    cli("scan", "--fix", "--unsafe-fixes", "k8s", cwd=b)
    for p in (b / "k8s").glob("*.yaml"):
        assert (a / "k8s" / p.name).read_text() == p.read_text(), p.name


def test_each_finding_carries_its_own_patch(tmp_path: Path) -> None:
    _copy_seed(tmp_path)
    _, report = scan_json("k8s", cwd=tmp_path)
    for f in report["findings"]:
        if not f["fix"]:
            continue
        assert f["fix"]["diff"].startswith("--- a/k8s/"), f
        assert isinstance(f["fix"]["json_patch"], list)
    (f1,) = [f for f in report["findings"] if f["rule"] == "LLM001"]
    ops = f1["fix"]["json_patch"]
    assert ops[0]["op"] == "add" and ops[0]["path"] == "/spec/template/spec/containers/0/startupProbe"
    assert ops[0]["value"]["httpGet"] == {"path": "/health", "port": 8080}
    assert ops[0]["value"]["periodSeconds"] * ops[0]["value"]["failureThreshold"] >= 350


def test_fix_keeps_crlf_bom_mode_and_flow_style(tmp_path: Path) -> None:
    text = (
        "# a comment\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata: {name: v, labels: {app: v}}\n"
        "spec:\n"
        "  replicas: 2\n"
        "  selector:\n"
        "    matchLabels: {app: v}\n"
        "  template:\n"
        "    metadata:\n"
        "      labels: {app: v}\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: v\n"
        "        image: 'vllm/vllm-openai:v0.10.1'\n"
        "        args: [\"--model=meta-llama/Llama-3.1-8B-Instruct\", '--gpu-memory-utilization=0.97']\n"
        "        livenessProbe:\n"  # kills the loading server: the startupProbe fix is safe
        "          httpGet: {path: /health, port: 8000}\n"
    )
    p = tmp_path / "d.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    p.chmod(0o640)
    cli("scan", "--fix", str(p))
    raw = p.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:].decode()
    assert "\r\n" in body and "\n" not in body.replace("\r\n", "")
    assert (p.stat().st_mode & 0o777) == 0o640
    assert "metadata: {name: v, labels: {app: v}}\r\n" in body
    assert "image: 'vllm/vllm-openai:v0.10.1'\r\n" in body
    assert "'--gpu-memory-utilization=0.90'" in body
    assert "startupProbe:" in body
    _, report = scan_json(str(p))
    assert not {"LLM001", "LLM003", "LLM005"} & set(rules_of(report))
    docs = list(yaml.safe_load_all(body))
    assert [d["kind"] for d in docs] == ["Deployment", "PodDisruptionBudget"]
    for d in docs:
        kubernetes_validate.validate(d, "1.33", strict=True)


def test_fix_on_json_manifest(tmp_path: Path) -> None:
    doc = {
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
                            "args": [
                                "--model=x-8B",
                                "--tensor-parallel-size=2",
                                "--gpu-memory-utilization=0.96",
                            ],
                            "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}},
                        }
                    ]
                },
            },
        },
    }
    p = write(tmp_path, "d.json", json.dumps(doc, indent=2) + "\n")
    cli("scan", "--fix", str(p))
    fixed = json.loads(p.read_text())
    c = fixed["spec"]["template"]["spec"]["containers"][0]
    assert "--gpu-memory-utilization=0.90" in c["args"]
    assert "startupProbe" in c and c["volumeMounts"][0]["mountPath"] == "/dev/shm"
    kubernetes_validate.validate(fixed, "1.33", strict=True)


def test_fix_in_configmap_where_the_value_lives(tmp_path: Path) -> None:
    write(
        tmp_path,
        "cm.yaml",
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata:\n  GPU_MEM: "0.98" # tuned\n',
    )
    write(
        tmp_path,
        "d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: v}\nspec:\n  selector: {matchLabels: {a: b}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n        - name: v\n"
        "          image: vllm/vllm-openai:v0.10.1\n"
        "          args: [--model=m-8B, --gpu-memory-utilization=$(GPU_MEM)]\n"
        "          envFrom: [{configMapRef: {name: cfg}}]\n",
    )
    before_dep = (tmp_path / "d.yaml").read_text()
    cli("scan", "--fix", "--select", "LLM003", ".", cwd=tmp_path)
    assert (tmp_path / "cm.yaml").read_text().endswith('  GPU_MEM: "0.90" # tuned\n')
    assert (tmp_path / "d.yaml").read_text() == before_dep


def test_unwritable_file_is_an_error_and_others_are_fixed(tmp_path: Path) -> None:
    import os

    ro = tmp_path / "ro"
    ro.mkdir()
    text = (SEED / "tgi-deployment.yaml").read_text()
    write(ro, "a.yaml", text)
    write(tmp_path, "b.yaml", text)
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # running as root: permissions do not stop us; use a read-only bind
            (ro / "a.yaml").chmod(0o444)
            os.chmod(ro, 0o555)
        # the seed's readiness-only startupProbe fix adds a restart deadline: unsafe
        code, _out, err = cli("scan", "--fix", "--unsafe-fixes", "--select", "LLM001", ".", cwd=tmp_path)
    finally:
        ro.chmod(0o755)
    assert "startupProbe" in (tmp_path / "b.yaml").read_text()
    if "cannot write" in err:
        assert code == 2


def test_written_values_must_mean_the_same_to_yaml_1_1_and_1_2() -> None:
    """A fix that writes ``on`` where it means true reads right to PyYAML but not to a YAML 1.2 reader
    (Helm, Argo CD): the second reading rejects it before anything is written."""
    import pytest

    from llmlint.fixes.patch import EditError
    from llmlint.fixes.text import Splice, verify
    from llmlint.manifest.loader import decode, load
    from llmlint.model import ObjectRef, SetValue, Target

    src = decode("x.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nflag: false\n")
    assert not isinstance(src, Exception)
    docs = {d.index: d for d in load(src, prefilter=False).documents}
    edit = SetValue(Target("x.yaml", 0, (), ObjectRef("v1", "ConfigMap", None, "c")), ("flag",), True)
    at = src.text.index("false")
    part = Splice(at, at + len("false"), "on")
    new = src.text[:at] + "on" + src.text[at + 5 :]
    verify(src, docs, new, [edit], [part])  # PyYAML alone accepts it
    with pytest.raises(EditError, match=r"YAML 1\.1 and 1\.2 readers disagree"):
        verify(src, docs, new, [edit], [part], second_reader=True)
    good = src.text[:at] + "true" + src.text[at + 5 :]
    verify(src, docs, good, [edit], [Splice(at, at + 5, "true")], second_reader=True)
