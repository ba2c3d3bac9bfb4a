"""Configuration: ``.llmlint.yaml`` / ``[tool.llmlint]`` discovery, validation (exit 2 naming the key and
the file), what each key does, CLI flags over config, and ``--fail-on``/``--select``/``--ignore``/``--exclude``."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SEED, cli, scan_json, write

TGI = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")


def _findings(report: dict) -> list[tuple[str, str, int]]:  # type: ignore[type-arg]
    return sorted((f["rule"], f["file"], f["line"]) for f in report["findings"])


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    for p in SEED.iterdir():
        write(tmp_path, f"k8s/{p.name}", p.read_text(encoding="utf-8"))
    return tmp_path


def test_ignore_in_config_hides_that_rule_and_nothing_else(seed: Path) -> None:
    _, plain = scan_json("k8s", cwd=seed)
    assert "LLM007" in {f["rule"] for f in plain["findings"]}
    write(seed, ".llmlint.yaml", "ignore: [LLM007]\n")
    _, configured = scan_json("k8s", cwd=seed)
    assert _findings(configured) == [f for f in _findings(plain) if f[0] != "LLM007"]
    assert configured["summary"]["errors"] == 0


def test_pyproject_table_and_discovery_from_a_subdirectory(seed: Path) -> None:
    write(seed, "pyproject.toml", '[project]\nname = "x"\n\n[tool.llmlint]\nselect = ["LLM007"]\n')
    _, report = scan_json(".", cwd=seed / "k8s")
    assert {f["rule"] for f in report["findings"]} == {"LLM007"}
    # the nearest file wins: a .llmlint.yaml below the pyproject
    write(seed, "k8s/.llmlint.yaml", "select: [LLM001]\n")
    _, report = scan_json(".", cwd=seed / "k8s")
    assert {f["rule"] for f in report["findings"]} == {"LLM001"}


def test_explicit_config_file(seed: Path) -> None:
    write(seed, "conf/lint.yaml", "select: LLM007\nseverity: {LLM007: error}\n")
    code, report = scan_json("k8s", "--config", "conf/lint.yaml", "--fail-on", "error", cwd=seed)
    assert code == 1
    assert {(f["rule"], f["severity"]) for f in report["findings"]} == {("LLM007", "error")}
    code, _, err = cli("scan", "k8s", "--config", "conf/missing.yaml", cwd=seed)
    assert code == 2 and "conf/missing.yaml" in err


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("selct: [LLM001]\n", "selct"),
        ("fail_on: error\n", "fail_on"),
        ("fail-on: fatal\n", "fail-on"),
        ("ignore: [LLM999]\n", "LLM999"),
        ("severity: {LLM003: critical}\n", "severity.LLM003"),
        ("severity: {LLM00: info}\n", "LLM00"),
        ("exclude: {a: b}\n", "exclude"),
        ("max-gpu-memory-utilization: high\n", "max-gpu-memory-utilization"),
        ("vllm-image: 3\n", "vllm-image"),
        ("- just\n- a list\n", "mapping"),
        ("select: [LLM001\n", "invalid YAML"),
    ],
)
def test_bad_config_exits_2_naming_key_and_file(seed: Path, text: str, named: str) -> None:
    write(seed, ".llmlint.yaml", text)
    code, out, err = cli("scan", "k8s", cwd=seed)
    assert code == 2
    assert "Traceback" not in err
    assert ".llmlint.yaml" in err and named in err, err
    assert out == ""


def test_bad_pyproject_table_names_the_pyproject(seed: Path) -> None:
    write(seed, "pyproject.toml", "[tool.llmlint]\nunknown-thing = 1\n")
    code, _, err = cli("scan", "k8s", cwd=seed)
    assert code == 2 and "pyproject.toml" in err and "unknown-thing" in err


def test_rule_parameter_reaches_the_rule(seed: Path) -> None:
    write(seed, ".llmlint.yaml", "select: [LLM007]\nvllm-image: registry.example.com/vllm-openai:v0.11.1\n")
    _, report = scan_json("k8s/tgi-deployment.yaml", cwd=seed)
    (f,) = report["findings"]
    assert "registry.example.com/vllm-openai:v0.11.1" in f["fix"]["description"]


def test_cli_flags_override_config(seed: Path) -> None:
    write(seed, ".llmlint.yaml", "select: [LLM007]\nfail-on: error\n")
    code, report = scan_json("k8s", cwd=seed)
    assert code == 0 and {f["rule"] for f in report["findings"]} == {"LLM007"}  # only a warning
    code, report = scan_json("k8s", "--fail-on", "warning", cwd=seed)
    assert code == 1
    code, report = scan_json("k8s", "--select", "LLM001", cwd=seed)
    assert {f["rule"] for f in report["findings"]} == {"LLM001"}


def test_fail_on_levels(seed: Path) -> None:
    # only a warning remains
    code, report = scan_json("k8s/tgi-deployment.yaml", "--select", "LLM007", "--fail-on", "error", cwd=seed)
    assert code == 0 and [f["severity"] for f in report["findings"]] == ["warning"]
    code, _ = scan_json("k8s/tgi-deployment.yaml", "--select", "LLM007", cwd=seed)  # default: warning
    assert code == 1
    # an error remains
    code, report = scan_json("k8s/tgi-deployment.yaml", "--fail-on", "error", cwd=seed)
    assert code == 1 and "error" in {f["severity"] for f in report["findings"]}
    # severity override in config turns the warning into info: --fail-on warning passes, info fails
    write(seed, ".llmlint.yaml", "severity: {LLM007: info}\nselect: [LLM007]\n")
    assert scan_json("k8s/tgi-deployment.yaml", cwd=seed)[0] == 0
    assert scan_json("k8s/tgi-deployment.yaml", "--fail-on", "info", cwd=seed)[0] == 1


def test_select_ignore_prefixes_and_unknown_ids(seed: Path) -> None:
    _, all_ = scan_json("k8s", cwd=seed)
    _, sel = scan_json("k8s", "--select", "LLM00", "--ignore", "LLM006,LLM001", cwd=seed)
    expected = [f for f in _findings(all_) if f[0].startswith("LLM00") and f[0] not in ("LLM001", "LLM006")]
    assert _findings(sel) == expected and expected
    code, _, err = cli("scan", "k8s", "--select", "LLM9", cwd=seed)
    assert code == 2 and "LLM9" in err


def test_exclude_from_config_and_cli(seed: Path) -> None:
    write(seed, ".llmlint.yaml", "exclude: ['k8s/tgi-*']\n")
    _, report = scan_json("k8s", cwd=seed)
    assert all("tgi" not in f["file"] for f in report["findings"])
    assert report["summary"]["files"] == 5
    _, report = scan_json("k8s", "--exclude", "vllm-*.yaml", cwd=seed)
    assert report["summary"]["files"] == 3  # the CLI adds to the config's excludes
