"""Kustomize trees: patches are applied to their bases (never linted as objects), images as the
kustomizations set them, and what cannot be applied with certainty is left out, not linted half-patched."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import cli, scan_json, write

from llmlint import engine
from llmlint.graph import kustomize

RULES = "LLM004,LLM008,LLM010,LLM019,LLM023,LLM026"

BASE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  replicas: 1
  selector:
    matchLabels:
      app: vllm
  template:
    metadata:
      labels:
        app: vllm
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.6.3
          args: ["--model", "Qwen/Qwen2.5-7B-Instruct", "--tensor-parallel-size", "1"]
          resources:
            requests: {cpu: "4", memory: 32Gi, nvidia.com/gpu: 1}
            limits: {cpu: "4", memory: 32Gi, nvidia.com/gpu: 1}
          volumeMounts:
            - name: shm
              mountPath: /dev/shm
      tolerations:
        - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
      volumes:
        - name: shm
          emptyDir: {medium: Memory, sizeLimit: 16Gi}
"""

TP4 = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  template:
    spec:
      containers:
        - name: vllm
          args: ["--model", "Qwen/Qwen2.5-7B-Instruct", "--tensor-parallel-size", "4"]
          resources:
            requests: {nvidia.com/gpu: 4}
            limits: {nvidia.com/gpu: 4}
"""

NO_SHM = BASE.replace(
    "          volumeMounts:\n            - name: shm\n              mountPath: /dev/shm\n", ""
).replace("      volumes:\n        - name: shm\n          emptyDir: {medium: Memory, sizeLimit: 16Gi}\n", "")
assert "shm" not in NO_SHM

OVERLAY = "resources:\n  - ../../base\npatches:\n  - path: tp4.yaml\n"


def found(report: dict[str, object]) -> list[tuple[str, int, str]]:
    return sorted((f["file"], f["line"], f["rule"]) for f in report["findings"])  # type: ignore[attr-defined]


def tree(tmp: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        write(tmp, name, text)


def test_module_and_engine_agree_on_the_file_names() -> None:
    assert frozenset(kustomize.FILES) == engine.KUSTOMIZATION_FILES


def test_a_patch_is_merged_into_its_base_and_never_linted_alone(tmp_path: Path) -> None:
    # The patch alone is "4 GPUs, no /dev/shm, no memory": as 0.1.0 read it, LLM004 and LLM026 fired on it.
    tree(
        tmp_path,
        {
            "base/deployment.yaml": BASE,
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/tp4/kustomization.yaml": OVERLAY,
            "overlays/tp4/tp4.yaml": TP4,
        },
    )
    code, report = scan_json(".", "--select", RULES, cwd=tmp_path)
    # The overlay's pods need 4 spare GPUs for a surge (the base alone needs 1): the rendering is judged.
    assert found(report) == [("base/deployment.yaml", 4, "LLM019")]
    assert "4 spare GPUs" in report["findings"][0]["message"]
    assert report["errors"] == []
    assert code == 0


def test_a_component_patches_what_includes_it(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "base/deployment.yaml": NO_SHM,
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "components/tp4/kustomization.yaml": (
                "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n  - path: tp4.yaml\n"
            ),
            "components/tp4/tp4.yaml": TP4,
            "overlays/big/kustomization.yaml": "resources:\n  - ../../base\ncomponents:\n  - ../../components/tp4\n",
        },
    )
    _, report = scan_json(".", "--select", "LLM004", cwd=tmp_path)
    assert found(report) == [("base/deployment.yaml", 18, "LLM004")]  # 4 GPUs from the component
    assert "tensor-parallel-size 4" in report["findings"][0]["message"]


def test_a_patch_that_removes_the_shm_volume_is_seen(tmp_path: Path) -> None:
    drop = TP4 + "          volumeMounts:\n            - {mountPath: /dev/shm, $patch: delete}\n"
    tree(
        tmp_path,
        {
            "base/deployment.yaml": BASE,
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/tp4/kustomization.yaml": OVERLAY,
            "overlays/tp4/tp4.yaml": drop,
        },
    )
    _, report = scan_json(".", "--select", "LLM004", cwd=tmp_path)
    assert found(report) == [("base/deployment.yaml", 18, "LLM004")]
    assert report["findings"][0]["fix"] is None  # the base's mount is there: the patch removes it


def test_a_patch_that_adds_shm_clears_the_base(tmp_path: Path) -> None:
    base = NO_SHM.replace('"1"]', '"4"]').replace("gpu: 1}", "gpu: 4}")  # 4 GPUs, no /dev/shm
    shm = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  template:
    spec:
      containers:
        - name: vllm
          volumeMounts:
            - {name: dshm, mountPath: /dev/shm}
      volumes:
        - {name: dshm, emptyDir: {medium: Memory}}
"""
    files = {"app/deployment.yaml": base}
    tree(tmp_path, files)
    _, before = scan_json(".", "--select", "LLM004", cwd=tmp_path)
    assert found(before) == [("app/deployment.yaml", 18, "LLM004")]  # the test can fail
    tree(
        tmp_path,
        {
            "app/kustomization.yaml": "resources:\n  - deployment.yaml\npatchesStrategicMerge:\n  - shm.yaml\n",
            "app/shm.yaml": shm,
        },
    )
    _, after = scan_json(".", "--select", "LLM004", cwd=tmp_path)
    assert found(after) == []


def test_a_patch_setting_resources_clears_best_effort_on_the_base(tmp_path: Path) -> None:
    base = BASE.replace(
        """          resources:
            requests: {cpu: "4", memory: 32Gi, nvidia.com/gpu: 1}
            limits: {cpu: "4", memory: 32Gi, nvidia.com/gpu: 1}
""",
        "          resources: {}\n",
    )
    patch = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm
spec:
  template:
    spec:
      containers:
        - name: vllm
          resources:
            requests: {cpu: "4", memory: 32Gi, nvidia.com/gpu: 1}
            limits: {cpu: "4", memory: 32Gi, nvidia.com/gpu: 1}
"""
    tree(tmp_path, {"base/deployment.yaml": base})
    _, before = scan_json(".", "--select", "LLM026", cwd=tmp_path)
    assert found(before) == [("base/deployment.yaml", 19, "LLM026")]
    tree(
        tmp_path,
        {
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/prod/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: res.yaml\n",
            "overlays/prod/res.yaml": patch,
        },
    )
    _, after = scan_json(".", "--select", "LLM026", cwd=tmp_path)
    assert found(after) == []


def test_a_patch_of_a_remote_base_is_not_analysed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    patch = TP4.replace("name: vllm\n", "name: vllm-remote\n", 1).replace(
        "          args:", "          image: vllm/vllm-openai:latest\n          args:"
    )
    tree(
        tmp_path,
        {
            "remote/kustomization.yaml": (
                "resources:\n  - https://github.com/example/manifests//vllm?ref=v1.0.0\n"
                "patches:\n  - path: gpus.yaml\n"
            ),
            "remote/gpus.yaml": patch,
        },
    )
    with caplog.at_level(logging.DEBUG, logger="llmlint.kustomize"):
        code, report = scan_json(".", "--select", "ALL", cwd=tmp_path)
    assert found(report) == [] and report["errors"] == [] and code == 0
    assert "the base of patch Deployment vllm-remote is remote" in caplog.text
    # Without the kustomization the same file is a whole object, linted as today.
    (tmp_path / "remote" / "kustomization.yaml").unlink()
    _, report = scan_json(".", "--select", "LLM004,LLM008", cwd=tmp_path)
    assert found(report) == [("remote/gpus.yaml", 10, "LLM008"), ("remote/gpus.yaml", 11, "LLM004")]


def test_an_images_rewrite_pins_the_image(tmp_path: Path) -> None:
    base = BASE.replace("vllm/vllm-openai:v0.6.3", "vllm/vllm-openai")
    tree(
        tmp_path,
        {"base/deployment.yaml": base, "base/kustomization.yaml": "resources:\n  - deployment.yaml\n"},
    )
    _, before = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(before) == [("base/deployment.yaml", 17, "LLM008")]
    images = "resources:\n  - ../../base\nimages:\n  - name: vllm/vllm-openai\n    newTag: v0.6.3\n"
    tree(tmp_path, {"overlays/prod/kustomization.yaml": images})
    _, after = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(after) == []
    # A rewrite of the name alone leaves the image as unpinned as it was.
    renamed = images.replace("newTag: v0.6.3", "newName: registry.example.com/vllm/vllm-openai")
    tree(tmp_path, {"overlays/prod/kustomization.yaml": renamed})
    _, report = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(report) == [("base/deployment.yaml", 17, "LLM008")]
    assert "registry.example.com/vllm/vllm-openai" in report["findings"][0]["message"]


def test_a_digest_rewrite_reaches_a_file_no_kustomization_includes(tmp_path: Path) -> None:
    base = BASE.replace("vllm/vllm-openai:v0.6.3", "vllm/vllm-openai:latest")
    digest = "sha256:" + "a" * 64
    tree(
        tmp_path,
        {
            "manifests/deployment.yaml": base,
            "release/kustomization.yaml": (
                f"resources:\n  - ../missing\nimages:\n  - name: vllm/vllm-openai\n    digest: {digest}\n"
            ),
        },
    )
    _, report = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(report) == []


REPLACEMENTS = """\
resources:
  - deployment.yaml
replacements:
  - source: {kind: ConfigMap, name: images, fieldPath: data.vllm}
    targets:
      - select: {kind: Deployment, name: vllm}
        fieldPaths:
          - spec.template.spec.containers.[name=vllm].image
"""


def test_a_placeholder_image_filled_by_replacements_is_unknown(tmp_path: Path) -> None:
    base = BASE.replace("vllm/vllm-openai:v0.6.3", "replaced-by-kustomize").replace(
        'args: ["--model"', 'command: ["vllm", "serve"'
    )
    tree(tmp_path, {"app/deployment.yaml": base})
    _, before = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(before) == [("app/deployment.yaml", 17, "LLM008")]
    tree(tmp_path, {"app/kustomization.yaml": REPLACEMENTS})
    _, after = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(after) == []


def test_a_json6902_patch_is_applied(tmp_path: Path) -> None:
    ops = """\
- op: replace
  path: /spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu
  value: 2
- op: replace
  path: /spec/template/spec/containers/0/resources/requests/nvidia.com~1gpu
  value: 2
"""
    k = (
        "resources:\n  - deployment.yaml\npatchesJson6902:\n"
        "  - target: {group: apps, version: v1, kind: Deployment, name: vllm}\n    path: gpus.yaml\n"
    )
    tree(tmp_path, {"app/deployment.yaml": BASE, "app/kustomization.yaml": k, "app/gpus.yaml": ops})
    _, report = scan_json(".", "--select", "LLM010,LLM019", cwd=tmp_path)
    # 2 GPUs for tensor parallel size 1: one idles (the base alone has 1 GPU: nothing).
    assert found(report) == [("app/deployment.yaml", 4, "LLM019"), ("app/deployment.yaml", 18, "LLM010")]
    assert report["findings"][1]["fix"] is None  # the value to change is written by the patch


@pytest.mark.parametrize(
    "entry",
    [
        # a path that does not resolve
        "patchesJson6902:\n  - target: {kind: Deployment, name: vllm}\n    patch: |-\n"
        "      - {op: replace, path: /spec/template/spec/containers/3/image, value: x}\n",
        # a target chosen by labels
        "patches:\n  - target: {kind: Deployment, labelSelector: app=vllm}\n    patch: |-\n"
        "      - {op: replace, path: /spec/replicas, value: 2}\n",
        # a directive this merge does not know
        "patches:\n  - patch: |-\n      apiVersion: apps/v1\n      kind: Deployment\n"
        "      metadata: {name: vllm}\n      spec:\n        $retainKeys: [replicas]\n",
    ],
)
def test_what_cannot_be_applied_leaves_the_object_out(
    tmp_path: Path, entry: str, caplog: pytest.LogCaptureFixture
) -> None:
    base = BASE.replace("vllm/vllm-openai:v0.6.3", "vllm/vllm-openai:latest")
    tree(
        tmp_path, {"app/deployment.yaml": base, "app/kustomization.yaml": "resources:\n  - deployment.yaml\n"}
    )
    _, before = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(before) == [("app/deployment.yaml", 17, "LLM008")]
    tree(tmp_path, {"app/kustomization.yaml": "resources:\n  - deployment.yaml\n" + entry})
    with caplog.at_level(logging.DEBUG, logger="llmlint.kustomize"):
        _, after = scan_json(".", "--select", "LLM008", cwd=tmp_path)
    assert found(after) == [] and after["errors"] == []
    assert "its facts are unknown, not analysed" in caplog.text


def test_a_directory_without_a_kustomization_is_scanned_as_its_files(tmp_path: Path) -> None:
    tree(tmp_path, {"a/deployment.yaml": BASE, "b/deployment.yaml": TP4})
    _, report = scan_json(".", "--select", "LLM004,LLM026", cwd=tmp_path)
    assert found(report) == [("b/deployment.yaml", 11, "LLM026"), ("b/deployment.yaml", 13, "LLM004")]


def test_the_rendered_stream_on_stdin_gets_the_findings(tmp_path: Path) -> None:
    # What `kubectl kustomize overlays/tp4` prints for a base without /dev/shm patched to 4 GPUs.
    rendered = NO_SHM.replace('"1"]', '"4"]').replace("gpu: 1}", "gpu: 4}")
    code, report = scan_json("-", "--select", "LLM004", cwd=tmp_path, stdin=rendered)
    assert found(report) == [("-", 18, "LLM004")]
    assert code == 1


def test_a_pre_commit_run_reads_the_kustomizations_of_the_repository(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    tree(
        tmp_path,
        {
            "base/deployment.yaml": BASE.replace("args:", "# llmlint-test\n          args:"),
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/tp4/kustomization.yaml": OVERLAY,
            "overlays/tp4/tp4.yaml": TP4,
        },
    )
    # The patch named alone is no object: nothing to report (its base is not named).
    code, report = scan_json("overlays/tp4/tp4.yaml", "--select", "ALL", cwd=tmp_path)
    assert found(report) == [] and report["errors"] == [] and code == 0
    # The base named alone is judged as the overlay renders it (4 GPUs for a surge).
    for named in (["base/deployment.yaml"], ["base/deployment.yaml", "base/kustomization.yaml"]):
        _, report = scan_json(*named, "--select", "LLM019", cwd=tmp_path)
        assert found(report) == [("base/deployment.yaml", 4, "LLM019")]
        assert "4 spare GPUs" in report["findings"][0]["message"]


def test_fix_edits_the_base_only_where_its_value_is_the_rendered_one(tmp_path: Path) -> None:
    base = NO_SHM.replace(
        "      tolerations:\n        - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}\n", ""
    )
    tree(
        tmp_path,
        {
            "base/deployment.yaml": base,
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/tp4/kustomization.yaml": OVERLAY,
            "overlays/tp4/tp4.yaml": TP4,
        },
    )
    _, report = scan_json(".", "--select", "LLM004,LLM023", cwd=tmp_path)
    assert found(report) == [("base/deployment.yaml", 18, "LLM004"), ("base/deployment.yaml", 21, "LLM023")]
    assert all(f["fix"] is not None for f in report["findings"])  # neither value is the patch's
    code, out, _ = cli("scan", ".", "--select", "LLM004,LLM023", "--fix", cwd=tmp_path)
    assert code == 0
    assert "remaining: 0 findings" in out, out
    assert (tmp_path / "overlays/tp4/tp4.yaml").read_text(encoding="utf-8") == TP4
    fixed = (tmp_path / "base/deployment.yaml").read_text(encoding="utf-8")
    assert "mountPath: /dev/shm" in fixed and "key: nvidia.com/gpu" in fixed


def test_a_patched_configmap_is_read_patched(tmp_path: Path) -> None:
    env = (
        "          env:\n            - name: TP\n"
        "              valueFrom: {configMapKeyRef: {name: vllm-config, key: tp}}\n"
    )
    base = (
        NO_SHM.replace('"--tensor-parallel-size", "1"', '"--tensor-parallel-size", "$(TP)"')
        .replace("gpu: 1}", "gpu: 4}")
        .replace("          resources:\n", env + "          resources:\n", 1)
    )
    config = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vllm-config\ndata:\n  tp: "4"\n'
    tree(
        tmp_path,
        {
            "base/deployment.yaml": base,
            "base/config.yaml": config,
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - config.yaml\n",
        },
    )
    _, before = scan_json(".", "--select", "LLM004,LLM010", cwd=tmp_path)
    assert found(before) == [("base/deployment.yaml", 18, "LLM004")]  # --tensor-parallel-size $(TP) = 4
    one = config.replace('"4"', '"1"')
    tree(
        tmp_path,
        {
            "overlays/one/kustomization.yaml": "resources:\n  - ../../base\npatches:\n  - path: tp.yaml\n",
            "overlays/one/tp.yaml": one,
        },
    )
    _, after = scan_json(".", "--select", "LLM004,LLM010", cwd=tmp_path)
    # The overlay runs tensor parallel size 1 on 4 GPUs: 3 idle (the ConfigMap is read as patched).
    assert sorted(r for _, _, r in found(after)) == ["LLM004", "LLM010"]
    assert "--tensor-parallel-size 1 needs 1 GPU" in next(
        f["message"] for f in after["findings"] if f["rule"] == "LLM010"
    )


def test_strategic_merge_as_kustomize_applies_it() -> None:
    base: dict[str, Any] = {
        "kind": "Deployment",
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "a",
                            "args": ["x", "y"],
                            "env": [{"name": "E1", "value": "1"}, {"name": "E2", "value": "2"}],
                            "volumeMounts": [{"name": "v", "mountPath": "/m"}],
                        },
                        {"name": "b", "image": "b:1"},
                    ],
                    "tolerations": [{"key": "t1"}],
                    "nodeSelector": {"a": "1", "b": "2"},
                }
            },
        },
    }
    patch = {
        "kind": "Deployment",
        "spec": {
            "replicas": None,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "a",
                            "args": ["z"],
                            "env": [{"name": "E2", "value": "two"}, {"name": "E3", "value": "3"}],
                            "volumeMounts": [{"mountPath": "/m", "$patch": "delete"}],
                        },
                        {"name": "b", "$patch": "delete"},
                    ],
                    "tolerations": [{"key": "t2"}],
                    "nodeSelector": {"$patch": "replace", "c": "3"},
                }
            },
        },
    }
    out = kustomize._smp(base, patch, True)
    assert out == {
        "kind": "Deployment",
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "a",
                            "args": ["z"],  # atomic: replaced
                            "env": [
                                {"name": "E1", "value": "1"},
                                {"name": "E2", "value": "two"},
                                {"name": "E3", "value": "3"},
                            ],
                            "volumeMounts": [],
                        }
                    ],
                    "tolerations": [{"key": "t2"}],  # no merge key: replaced
                    "nodeSelector": {"c": "3"},
                }
            }
        },
    }
    assert base["spec"]["replicas"] == 1  # the base's own data is never changed
    with pytest.raises(kustomize.Unknown):
        kustomize._smp(base, {"spec": {"$retainKeys": ["replicas"]}}, True)
    with pytest.raises(kustomize.Unknown):  # an item without its merge key
        kustomize._smp(base, {"spec": {"template": {"spec": {"containers": [{"image": "c"}]}}}}, True)


def test_json6902_operations() -> None:
    data = {"spec": {"args": ["a", "b"], "m": {"k": 1}}}
    ops = [
        {"op": "add", "path": "/spec/args/1", "value": "x"},
        {"op": "remove", "path": "/spec/args/0"},
        {"op": "add", "path": "/spec/args/-", "value": "z"},
        {"op": "replace", "path": "/spec/m/k", "value": 2},
        {"op": "add", "path": "/spec/a~1b", "value": True},
    ]
    assert kustomize._json6902(data, ops) == {"spec": {"args": ["x", "b", "z"], "m": {"k": 2}, "a/b": True}}
    for bad in (
        [{"op": "replace", "path": "/spec/nope", "value": 1}],
        [{"op": "remove", "path": "/spec/args/9"}],
        [{"op": "move", "from": "/spec/m", "path": "/spec/n"}],
    ):
        with pytest.raises(kustomize.Unknown):
            kustomize._json6902({"spec": {"args": ["a"], "m": {}}}, bad)


@pytest.mark.parametrize(
    ("image", "entry", "result"),
    [
        ("vllm/vllm-openai", {"newTag": "v0.6.3"}, "vllm/vllm-openai:v0.6.3"),
        ("vllm/vllm-openai:latest", {"digest": "sha256:ab"}, "vllm/vllm-openai@sha256:ab"),
        ("vllm/vllm-openai:v0.6.3", {"newName": "r.io/vllm"}, "r.io/vllm:v0.6.3"),
        ("localhost:5000/vllm", {"newTag": "1"}, "localhost:5000/vllm:1"),
    ],
)
def test_image_rewrites(image: str, entry: dict[str, str], result: str) -> None:
    assert kustomize._rewritten(image, {"name": kustomize._split(image)[0], **entry}) == result


def test_an_overlay_scanned_without_its_base_reports_nothing(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "base/deployment.yaml": NO_SHM,
            "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/tp4/kustomization.yaml": OVERLAY,
            "overlays/tp4/tp4.yaml": TP4,
            # an unrelated Deployment of the same name elsewhere in the scan is not the overlay's base
            "overlays/other.yaml": BASE,
        },
    )
    _, report = scan_json("overlays", "--select", "LLM004,LLM019", cwd=tmp_path)
    assert found(report) == [("overlays/other.yaml", 4, "LLM019")]
    assert "needs 1 spare GPU " in report["findings"][0]["message"]  # its own, not the patch's 4
    _, report = scan_json(".", "--select", "LLM004", cwd=tmp_path)
    assert found(report) == [("base/deployment.yaml", 18, "LLM004")]


LATEST = [("repo/app/deployment.yaml", 17, "LLM008")]


@pytest.mark.parametrize(
    ("kustomization", "expected"),
    [
        ("resources: deployment.yaml\npatches: 5\nimages: {a: b}\nreplacements: x\n", LATEST),
        ("resources:\n  - deployment.yaml\n  - ../loop\n", LATEST),  # loop/ includes app/: no root
        ("resources:\n  - deployment.yaml\npatches:\n  - path: ../../outside.yaml\n", []),
        ("resources:\n  - deployment.yaml\npatchesStrategicMerge:\n  - missing.yaml\n", []),
        ("resources:\n  - deployment.yaml\npatches:\n  - patch: '{{ not yaml'\n", []),
        ("- just\n- a list\n", LATEST),
        ("", LATEST),
    ],
)
def test_odd_kustomizations_never_crash(
    tmp_path: Path, kustomization: str, expected: list[tuple[str, int, str]]
) -> None:
    base = BASE.replace("vllm/vllm-openai:v0.6.3", "vllm/vllm-openai:latest")
    tree(
        tmp_path,
        {
            "repo/app/deployment.yaml": base,
            "repo/app/kustomization.yaml": kustomization,
            "repo/loop/kustomization.yaml": "resources:\n  - ../app\n",
            "outside.yaml": TP4,
        },
    )
    _, report = scan_json("repo", "--select", "LLM008", cwd=tmp_path)
    assert report["errors"] == []
    # A patch that cannot be read leaves its base out of the analysis; a shape without patches, as it is.
    assert found(report) == expected
