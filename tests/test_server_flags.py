"""The server flag, GPU and model data, and the flags module reading them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from llmlint.serving import flags

DATA = Path(__file__).resolve().parent.parent / "llmlint" / "data"


def _load(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((DATA / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("fw", flags.FRAMEWORKS)
def test_data_parses_and_versions_sorted(fw: str) -> None:
    sec = _load("server_flags.json")[fw]
    vs = flags.versions(fw)
    assert vs == sec["versions"] and len(vs) >= 3
    keys = [flags.parse_version(v) for v in vs]
    assert None not in keys
    assert keys == sorted(keys)  # type: ignore[type-var]
    for name, spec in sec["flags"].items():
        assert name.startswith("-")
        assert spec["since"] in vs
        assert spec["until"] is None or spec["until"] in vs
        assert isinstance(spec["value"], bool)
        if "alias_of" in spec:
            assert spec["alias_of"] in sec["flags"]
    for old, new in sec["renamed"].items():
        assert old in sec["flags"] and new in sec["flags"]


def test_vllm_versions_cover_the_spread() -> None:
    vs = flags.versions("vllm")
    for minor in ("0.4.", "0.5.", "0.6.", "0.7.", "0.8.", "0.9.", "0.10.", "0.11."):
        assert any(v.startswith(minor) for v in vs), minor
    assert vs[0] == "0.4.2"


@pytest.mark.parametrize("version", [None, "latest", "v0.4.2", "0.6.3.post1", "v0.8.5", "0.10.1.1", "99.0"])
def test_vllm_core_flags_in_every_version(version: str | None) -> None:
    for flag in ("--gpu-memory-utilization", "--max-model-len", "-tp", "--tensor-parallel-size",
                 "--port", "--host", "--served-model-name", "--model"):
        assert flags.is_known("vllm", flag, version), (flag, version)
    for v in flags.versions("vllm"):
        assert flags.is_known("vllm", "--gpu-memory-utilization", v)


def test_vllm_typo_is_unknown_with_suggestion() -> None:
    assert flags.is_known("vllm", "--gpu-memory-utilisation", "0.6.3") is False
    assert flags.suggest("vllm", "--gpu-memory-utilisation", "0.6.3") == "--gpu-memory-utilization"
    assert flags.is_known("vllm", "--gpu-memory-utilisation", None) is False


def test_vllm_value_and_alias() -> None:
    assert flags.takes_value("vllm", "--max-model-len") is True
    assert flags.takes_value("vllm", "--enforce-eager") is False
    assert flags.takes_value("vllm", "--trust-remote-code") is False
    spec = flags.flag_spec("vllm", "-tp")
    assert spec is not None and spec.alias_of == "--tensor-parallel-size" and spec.value
    assert "-tp" in (flags.flag_spec("vllm", "--tensor-parallel-size") or spec).aliases
    # FlexibleArgumentParser accepts underscores and --flag=value
    assert flags.is_known("vllm", "--max_model_len", "0.10.1")
    assert flags.is_known("vllm", "--max-model-len=4096", "0.10.1")


def test_vllm_removed_flags_rejected_later() -> None:
    # --swap-space: vllm/engine/arg_utils.py has it up to v0.17.1, not from v0.18.0
    assert flags.is_known("vllm", "--swap-space", "0.17.1")
    assert flags.is_known("vllm", "--swap-space", "0.18.0") is False
    assert flags.is_known("vllm", "--swap-space", "v0.20.1") is False
    # --use-v2-block-manager: removed in v0.10.0
    assert flags.is_known("vllm", "--use-v2-block-manager", "0.6.3.post1")
    assert flags.is_known("vllm", "--use-v2-block-manager", "0.10.0") is False
    # between listed versions: nearest listed at or below
    assert flags.resolve_version("vllm", "0.21.0") == "0.20.2"


def test_vllm_disable_log_requests_rename() -> None:
    assert flags.is_known("vllm", "--disable-log-requests", "0.10.0")
    assert flags.is_known("vllm", "--enable-log-requests", "0.10.0") is False
    assert flags.is_known("vllm", "--disable-log-requests", "0.20.0") is False
    assert flags.suggest("vllm", "--disable-log-requests", "0.20.0") == "--enable-log-requests"


def test_sglang_flags() -> None:
    for v in (None, "v0.3.0", "0.4.6.post1", "0.5.23", "latest"):
        assert flags.is_known("sglang", "--tp-size", v), v
        assert flags.is_known("sglang", "--tp", v), v  # argparse prefix of --tp-size
        assert flags.is_known("sglang", "--mem-fraction-static", v), v
        assert flags.is_known("sglang", "--model-path", v), v
        assert flags.is_known("sglang", "--port", v), v
    assert flags.takes_value("sglang", "--mem-fraction-static") is True
    assert flags.is_known("sglang", "--mem-fraction-statik", "0.5.23") is False
    assert flags.suggest("sglang", "--mem-fraction-statik", "0.5.23") == "--mem-fraction-static"


def test_tgi_flags() -> None:
    for v in (None, "1.4.5", "2.0.0", "2.4.0", "3.3.7", "latest"):
        assert flags.is_known("tgi", "--num-shard", v), v
        assert flags.is_known("tgi", "--model-id", v), v
    assert flags.takes_value("tgi", "--num-shard") is True
    assert flags.takes_value("tgi", "--trust-remote-code") is False
    # clap does no prefix matching
    assert flags.is_known("tgi", "--num-sh", "3.3.7") is False
    # --max-input-tokens appeared in 2.0.0
    assert flags.is_known("tgi", "--max-input-tokens", "1.4.5") is False
    assert flags.is_known("tgi", "--max-input-tokens", "2.0.0")


def test_unknown_framework_and_versions() -> None:
    assert flags.is_known("triton", "--model-repository", None) is None
    assert flags.takes_value("triton", "--x") is None
    assert flags.versions("triton") == []
    assert flags.parse_version("v0.6.3.post1") == (0, 6, 3, 0, 1)
    assert flags.parse_version("latest") is None
    assert flags.parse_version("3.2.3-rocm") == (3, 2, 3, 0, 0)
    assert flags.resolve_version("vllm", "100.0.0") == flags.versions("vllm")[-1]


def test_gpus() -> None:
    doc = _load("gpus.json")
    required = ["T4", "A10", "A10G", "L4", "L40", "L40S", "V100-16GB", "V100-32GB", "A100-40GB",
                "A100-80GB", "H100-80GB", "H100-NVL", "H200-141GB", "B200", "GH200-96GB", "MI300X",
                "RTX-4090", "RTX-A6000"]
    for g in required:
        assert doc["gpus"][g]["memory_gib"] > 0, g
    owner: dict[str, str] = {}
    for g, spec in doc["gpus"].items():
        assert spec["memory_gib"] > 0
        for alias in [g, *spec["aliases"]]:
            key = alias.lower()
            assert owner.setdefault(key, g) == g, f"{alias} maps to {owner[key]} and {g}"
    for alias in doc.get("ambiguous_aliases", {}):
        assert alias.lower() not in owner
    for label in ("NVIDIA-A100-SXM4-80GB", "Tesla-T4", "NVIDIA-L4", "nvidia-h100-mega-80gb",
                  "nvidia-h200-141gb", "a10g", "l40s", "NVIDIA-H100-80GB-HBM3", "nvidia-b200"):
        assert label.lower() in owner, label
    for it, spec in doc["instance_types"].items():
        assert spec["gpu"] in doc["gpus"], it
        assert spec["count"] >= 1
    assert doc["instance_types"]["p4d.24xlarge"] == {"gpu": "A100-40GB", "count": 8}
    assert doc["instance_types"]["g5.xlarge"] == {"gpu": "A10G", "count": 1}
    assert "nvidia.com/gpu.product" in doc["label_keys"]


def test_models() -> None:
    models = _load("models.json")["models"]
    assert models
    for m in models:
        re.compile(m["pattern"])
        assert m.get("context", 1) > 0

    def first(name: str) -> dict:  # type: ignore[type-arg]
        return next(m for m in models if re.search(m["pattern"], name))

    assert first("meta-llama/Llama-3.1-70B-Instruct")["context"] == 131072
    assert first("meta-llama/Meta-Llama-3-8B-Instruct")["context"] == 8192
    assert first("mistralai/Mixtral-8x7B-Instruct-v0.1")["params_b"] == pytest.approx(46.7)
    assert first("deepseek-ai/DeepSeek-R1")["params_b"] == 671
    assert "params_b" not in first("deepseek-ai/DeepSeek-R1-Distill-Llama-70B")
    assert first("openai/gpt-oss-120b")["params_b"] == 117
