"""Helm charts, rendered with Helm's own engine (helm-python-sdk): findings point at the values line or the
template line that writes them, fixes edit the values file, --values/--set change the render, subcharts,
missing dependencies, render errors, and the message when the extra is not installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, cli, scan_json, write

from llmlint.model import Fix, ObjectRef, SetValue, Target

pytest.importorskip("helm_python")

CHARTS = Path(__file__).resolve().parent / "charts"
NONE = ObjectRef(None, None, None, None)


def _chart(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(CHARTS / name, dest)
    return dest


def _one(report: dict[str, Any], rule: str) -> dict[str, Any]:
    found = [f for f in report["findings"] if f["rule"] == rule]
    assert len(found) == 1, found
    one: dict[str, Any] = found[0]
    return one


def _line(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").split("\n")[n - 1]


def test_value_from_the_values_file_points_at_its_line_and_names_the_key(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    code, report = scan_json("vllm", "--select", "LLM003", cwd=tmp_path)
    assert code == 1 and report["errors"] == []
    f = _one(report, "LLM003")
    assert (f["file"], f["line"], f["column"]) == ("vllm/values.yaml", 10, 25)
    assert "values key engine.gpuMemoryUtilization" in f["message"]
    assert f["object"]["name"] == "release-name-vllm"
    assert f["fix"]["diff"].splitlines()[2:] == [
        "@@ -7,7 +7,7 @@",
        " ",
        " engine:",
        "   model: meta-llama/Llama-3.1-8B-Instruct",
        "-  gpuMemoryUtilization: 0.97 # too high: LLM003",
        "+  gpuMemoryUtilization: 0.9 # too high: LLM003",
        "   port: 8000",
        " ",
        " gpus: 1",
    ]
    assert f["fix"]["diff"].startswith("--- a/vllm/values.yaml\n+++ b/vllm/values.yaml\n")


def test_template_born_finding_points_at_the_template_line(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    _, report = scan_json("vllm", "--select", "LLM001", cwd=tmp_path)
    f = _one(report, "LLM001")
    assert (f["file"], f["line"], f["column"]) == ("vllm/templates/deployment.yaml", 27, 11)
    assert _line(chart / "templates" / "deployment.yaml", 27) == "          readinessProbe:"


def test_templates_helpers_notes_and_schema_are_never_read_as_manifests(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    write(chart, "values.schema.json", '{"type": "object"}\n')
    _, report = scan_json("vllm", cwd=tmp_path)
    assert report["errors"] == []
    files = {f["file"] for f in report["findings"]}
    assert files <= {"vllm/values.yaml", "vllm/templates/deployment.yaml", "vllm/templates/service.yaml"}


def test_a_template_outside_any_chart_stays_an_input_error(tmp_path: Path) -> None:
    shutil.copytree(CHARTS / "vllm" / "templates", tmp_path / "loose")
    code, report = scan_json("loose", cwd=tmp_path)
    assert code == 2
    assert any("template" in e["message"].lower() for e in report["errors"])


def test_values_option_changes_the_result_and_wins_over_the_chart(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    code, report = scan_json("vllm", "--select", "LLM003", "-f", "vllm/ci/low-memory.yaml", cwd=tmp_path)
    assert code == 0 and report["findings"] == []
    write(tmp_path, "prod.yaml", "# production\nengine:\n  gpuMemoryUtilization: 0.99\n")
    code, report = scan_json("vllm", "--select", "LLM003", "--values", "prod.yaml", cwd=tmp_path)
    f = _one(report, "LLM003")
    assert (f["file"], f["line"]) == ("prod.yaml", 3)
    assert "0.99" in f["message"]


def test_set_changes_the_render_and_points_at_the_template(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    code, report = scan_json(
        "vllm", "--select", "LLM003", "--set", "engine.gpuMemoryUtilization=0.85", cwd=tmp_path
    )
    assert code == 0 and report["findings"] == []
    _, report = scan_json(
        "vllm",
        "--select",
        "LLM003",
        "--set",
        "engine.gpuMemoryUtilization=0.99",
        "--release-name",
        "prod",
        cwd=tmp_path,
    )
    f = _one(report, "LLM003")
    assert (f["file"], f["line"]) == ("vllm/templates/deployment.yaml", 22)
    assert "from --set engine.gpuMemoryUtilization" in f["message"]
    assert f["fix"] is None  # nothing in a file sets it
    assert f["object"]["name"] == "prod-vllm"


def test_fix_edits_the_values_file_and_the_render_is_clean(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    template = (chart / "templates" / "deployment.yaml").read_text(encoding="utf-8")
    before = (chart / "values.yaml").read_text(encoding="utf-8")
    code, out, err = cli("scan", "vllm", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert code == 0, err
    assert out.strip().startswith("fixed 1 finding;"), out
    after = (chart / "values.yaml").read_text(encoding="utf-8")
    assert after == before.replace("gpuMemoryUtilization: 0.97 #", "gpuMemoryUtilization: 0.9 #")
    assert (chart / "templates" / "deployment.yaml").read_text(encoding="utf-8") == template
    code, report = scan_json("vllm", "--select", "LLM003", cwd=tmp_path)
    assert code == 0 and report["findings"] == []


def test_fix_edits_the_users_values_file_before_the_charts(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    write(tmp_path, "prod.yaml", "engine:\n  gpuMemoryUtilization: 0.98  # ours\n")
    own = (chart / "values.yaml").read_text(encoding="utf-8")
    code, _, err = cli("scan", "vllm", "-f", "prod.yaml", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "prod.yaml").read_text(
        encoding="utf-8"
    ) == "engine:\n  gpuMemoryUtilization: 0.9  # ours\n"
    assert (chart / "values.yaml").read_text(encoding="utf-8") == own


def test_diff_patches_values_and_template_and_git_applies_it(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    # a liveness probe that kills the loading server: the new startupProbe is a safe fix (readiness-only,
    # it would add a restart deadline: unsafe, and only safe template diffs are printed)
    template = chart / "templates" / "deployment.yaml"
    template.write_text(template.read_text().replace("readinessProbe:", "livenessProbe:"))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    code, out, _ = cli("scan", "vllm", "--select", "LLM001,LLM003", "--diff", cwd=tmp_path)
    assert code == 1
    assert "+++ b/vllm/values.yaml" in out and "+++ b/vllm/templates/deployment.yaml" in out
    assert "+          startupProbe:\n" in out
    (tmp_path / "fix.patch").write_text(out, encoding="utf-8")
    subprocess.run(["git", "apply", "fix.patch"], cwd=tmp_path, check=True)
    code, report = scan_json("vllm", "--select", "LLM001,LLM003", cwd=tmp_path)
    assert code == 0 and report["findings"] == [] and report["errors"] == []


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_fix_never_writes_a_template_it_only_offers_as_a_diff(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    before = _tree(chart)
    _, report = scan_json("vllm", "--select", "LLM001", cwd=tmp_path)
    assert "apply the diff" in _one(report, "LLM001")["fix"]["description"]
    # readiness-only: the startupProbe fix is unsafe
    code, out, err = cli("scan", "vllm", "--select", "LLM001", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert code == 1 and "fixed" not in out and "fixable with --fix" not in out
    assert (
        "vllm/templates/deployment.yaml:27: LLM001 fix not applied: it changes a Helm template, which "
        "llmlint never writes: it is offered as a diff (--diff)"
    ) in err
    assert _tree(chart) == before  # nothing in the chart was written


def test_rendered_templates_are_never_sources_to_write(tmp_path: Path, monkeypatch: Any) -> None:
    from llmlint.engine import Settings, scan
    from llmlint.fixes.run import fix_loop, write_all
    from llmlint.helm.chart import ChartLoaded

    chart = _chart(tmp_path, "vllm")
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    result = scan(["vllm"], settings)
    charted = [ld for ld in result.loaded if isinstance(ld, ChartLoaded)]
    rendered = {ld.source.name: ld.source.path for ld in charted if ld.derived}
    values = {ld.source.name: ld.source.path for ld in charted if not ld.derived}
    assert rendered == {"vllm/templates/deployment.yaml": None, "vllm/templates/service.yaml": None}
    assert values == {"vllm/values.yaml": str(chart / "values.yaml")}
    assert all(not ld.manifest for ld in charted if not ld.derived)
    objects = {o.target.source for o in result.graph.objects}
    assert "vllm/templates/deployment.yaml" in objects and objects <= set(rendered)  # values hold none
    outcome = fix_loop(result, settings, unsafe=True, roots=["vllm"])
    assert set(outcome.fixed) == {"vllm/values.yaml"}  # the re-rendered template is no file to write
    template = (chart / "templates" / "deployment.yaml").read_bytes()
    outcome.fixed["vllm/templates/deployment.yaml"] = "kind: Broken\n"  # even if one got there
    assert write_all(outcome) == []
    assert (chart / "templates" / "deployment.yaml").read_bytes() == template
    assert "gpuMemoryUtilization: 0.9 #" in (chart / "values.yaml").read_text(encoding="utf-8")


def test_a_values_change_that_breaks_the_render_is_an_error_of_that_file_and_is_reverted(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from llmlint.engine import Settings, scan
    from llmlint.fixes.run import _judge, _reanalyse

    chart = _chart(tmp_path, "vllm")
    write(
        chart,
        "templates/guard.yaml",
        '{{- if eq (toString .Values.engine.gpuMemoryUtilization) "0.9" }}{{ fail "not 0.9" }}{{ end }}\n',
    )
    monkeypatch.chdir(tmp_path)
    settings = Settings(select=["LLM003"])
    result = scan(["vllm"], settings)
    assert result.errors == []
    [f] = result.active
    assert f.fix is None  # rendering with the fixed value fails: the fix is not offered
    text = (chart / "values.yaml").read_text(encoding="utf-8").replace("0.97 #", "0.9 #")
    after = _reanalyse(result, {"vllm/values.yaml": text}, settings)
    [e] = after.errors
    assert (
        e.file == "vllm/values.yaml"
        and e.message == "Helm could not render the chart with this values file: not 0.9"
    )
    assert after.active == []
    assert "vllm/values.yaml" in after.sources()  # the values file stays a source, with its new text
    assert after.sources()["vllm/values.yaml"].text == text
    f.fix = Fix(
        "safe",
        "set it",
        [SetValue(Target("vllm/values.yaml", 0, (), NONE), ("engine", "gpuMemoryUtilization"), 0.9)],
    )
    assert "makes the file invalid" in _judge(result, after, [f], settings)[id(f)]


def test_two_values_fixes_that_together_break_the_render_are_not_both_kept(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    tpl = chart / "templates" / "deployment.yaml"
    tpl.write_text(
        tpl.read_text(encoding="utf-8").replace(
            "              port: http\n", "              port: {{ .Values.probePort }}\n"
        ),
        encoding="utf-8",
    )
    values = chart / "values.yaml"
    values.write_text(values.read_text(encoding="utf-8") + "probePort: 8080\n", encoding="utf-8")
    write(
        chart,
        "templates/guard.yaml",
        '{{- if and (eq (toString .Values.engine.gpuMemoryUtilization) "0.9") '
        '(eq (toString .Values.probePort) "8000") }}{{ fail "not both" }}{{ end }}\n',
    )
    _, report = scan_json("vllm", "--select", "LLM003,LLM014", cwd=tmp_path)
    assert [(f["rule"], f["file"], bool(f["fix"])) for f in report["findings"]] == [
        ("LLM003", "vllm/values.yaml", True),
        ("LLM014", "vllm/values.yaml", True),
    ]  # each fix alone renders
    code, out, err = cli("scan", "vllm", "--select", "LLM003,LLM014", "--fix", cwd=tmp_path)
    assert code == 1 and out.strip().endswith(
        "fixed 1 finding; remaining: 1 finding (1 error) in 1 of 3 files, 1 object."
    ), out
    assert (
        "vllm/values.yaml:14: LLM014 fix not applied: together with the LLM003 fix, it makes the file invalid "
        "(Helm could not render the chart with this values file: not both) (reverted)"
    ) in err
    text = values.read_text(encoding="utf-8")
    assert "gpuMemoryUtilization: 0.9 #" in text and text.endswith("probePort: 8080\n")
    code, report = scan_json("vllm", "--select", "LLM003,LLM014", cwd=tmp_path)
    assert report["errors"] == [] and [f["rule"] for f in report["findings"]] == ["LLM014"]


def test_a_subcharts_own_values_file_is_fixed_and_a_users_file_before_it(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "stack")
    write(chart, "values.yaml", "engine:\n  replicas: 2\n")
    own = chart / "charts" / "engine" / "values.yaml"
    own.write_text(own.read_text(encoding="utf-8").replace("0.9\n", "0.98\n"), encoding="utf-8")
    _, report = scan_json("stack", "--select", "LLM003", cwd=tmp_path)
    f = _one(report, "LLM003")
    assert (f["file"], f["line"]) == ("stack/charts/engine/values.yaml", 3)
    assert f["fix"]["diff"].startswith("--- a/stack/charts/engine/values.yaml\n")
    write(tmp_path, "prod.yaml", "engine:\n  gpuMemoryUtilization: 0.99\n")
    code, out, err = cli("scan", "stack", "-f", "prod.yaml", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert code == 0 and out.startswith("fixed 1 finding;"), out + err
    assert (tmp_path / "prod.yaml").read_text(encoding="utf-8") == "engine:\n  gpuMemoryUtilization: 0.9\n"
    assert "gpuMemoryUtilization: 0.98\n" in own.read_text(encoding="utf-8")
    code, out, err = cli("scan", "stack", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert code == 0 and out.startswith("fixed 1 finding;"), out + err
    assert "gpuMemoryUtilization: 0.9\n" in own.read_text(encoding="utf-8")
    assert scan_json("stack", "--select", "LLM003", cwd=tmp_path)[1]["findings"] == []


def test_subchart_values_from_the_parent_and_from_its_own_file(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "stack")
    own = chart / "charts" / "engine" / "values.yaml"
    own.write_text(own.read_text(encoding="utf-8").replace("v0.6.3", "latest"), encoding="utf-8")
    code, report = scan_json("stack", "--select", "LLM003,LLM005,LLM008", cwd=tmp_path)
    assert code == 1 and report["errors"] == []
    f = _one(report, "LLM003")
    assert (f["file"], f["line"]) == (
        "stack/values.yaml",
        4,
    )  # the parent's value wins over the subchart's 0.9
    f = _one(report, "LLM008")
    assert (f["file"], f["line"]) == ("stack/charts/engine/values.yaml", 4)
    f = _one(report, "LLM005")
    assert (f["file"], f["line"]) == ("stack/charts/engine/templates/deployment.yaml", 6)
    cli("scan", "stack", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert "gpuMemoryUtilization: 0.9\n" in (chart / "values.yaml").read_text(encoding="utf-8")
    _, report = scan_json("stack", "--select", "LLM003", cwd=tmp_path)
    assert report["findings"] == []


def test_missing_dependency_is_reported_not_fetched(tmp_path: Path) -> None:
    _chart(tmp_path, "missing-dep")
    code, report = scan_json("missing-dep", cwd=tmp_path)
    assert code == 2
    [e] = report["errors"]
    assert (e["file"], e["line"]) == ("missing-dep/Chart.yaml", 5)
    assert "'redis'" in e["message"] and "not fetched" in e["message"]
    assert not (tmp_path / "missing-dep" / "charts").exists()


def test_render_error_is_one_error_naming_the_template_and_line(tmp_path: Path) -> None:
    _chart(tmp_path, "broken")
    code, report = scan_json("broken", cwd=tmp_path)
    assert code == 2
    [e] = report["errors"]
    assert (e["file"], e["line"]) == ("broken/templates/deployment.yaml", 11)
    assert e["message"] == "Helm could not render the chart: engine.model is required"


def test_suppression_on_the_values_line_and_on_the_template_line(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    values = chart / "values.yaml"
    values.write_text(
        values.read_text(encoding="utf-8").replace("# too high: LLM003", "# llmlint: ignore[LLM003]"),
        encoding="utf-8",
    )
    tpl = chart / "templates" / "deployment.yaml"
    tpl.write_text(
        tpl.read_text(encoding="utf-8").replace(
            "          readinessProbe:\n", "          readinessProbe:  # llmlint: ignore[LLM001]\n"
        ),
        encoding="utf-8",
    )
    code, report = scan_json("vllm", "--select", "LLM001,LLM003", cwd=tmp_path)
    assert code == 0 and report["findings"] == []


def test_a_file_inside_a_chart_renders_the_chart(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    _, report = scan_json(
        "vllm/values.yaml", "vllm/templates/deployment.yaml", "--select", "LLM003", cwd=tmp_path
    )
    assert [(f["file"], f["line"]) for f in report["findings"]] == [("vllm/values.yaml", 10)]


def test_show_source_quotes_the_template_and_the_values_line(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    _, out, _ = cli("scan", "vllm", "--select", "LLM001,LLM003", "--show-source", cwd=tmp_path)
    assert "    27 |           readinessProbe:\n" in out  # the template's line 27, not the render's
    assert "    10 |   gpuMemoryUtilization: 0.97 # too high: LLM003\n" in out


def test_a_chart_named_twice_and_a_values_file_also_walked_are_read_once(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    write(tmp_path, "zz.yaml", "engine:\n  gpuMemoryUtilization: 0.98\n")
    code, report = scan_json("vllm", ".", "-f", "zz.yaml", "--select", "LLM003", cwd=tmp_path)
    assert [(f["file"], f["line"]) for f in _one_list(report)] == [("zz.yaml", 2)]
    # rendered once: one Deployment; files: two templates, the chart's values and zz.yaml (once)
    assert report["summary"]["objects"] == 1 and report["summary"]["files"] == 4
    code, out, err = cli("scan", "vllm", ".", "-f", "zz.yaml", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert code == 0 and out.startswith("fixed 1 finding;"), out + err
    assert (tmp_path / "zz.yaml").read_text(encoding="utf-8") == "engine:\n  gpuMemoryUtilization: 0.9\n"
    assert "0.97" in (chart / "values.yaml").read_text(encoding="utf-8")


def test_two_charts_given_one_values_file_are_both_rendered_again_after_its_fix(tmp_path: Path) -> None:
    for name in ("a", "b"):
        shutil.copytree(CHARTS / "vllm", tmp_path / name)
        values = tmp_path / name / "values.yaml"
        values.write_text(values.read_text(encoding="utf-8").replace("0.97", "0.8"), encoding="utf-8")
    write(tmp_path, "prod.yaml", "engine:\n  gpuMemoryUtilization: 0.98\n")
    _, report = scan_json("a", "b", "-f", "prod.yaml", "--select", "LLM003", cwd=tmp_path)
    assert [f["file"] for f in report["findings"]] == ["prod.yaml", "prod.yaml"]
    code, out, err = cli("scan", "a", "b", "-f", "prod.yaml", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert code == 0 and "remaining: 0 findings" in out, out + err
    assert (tmp_path / "prod.yaml").read_text(encoding="utf-8") == "engine:\n  gpuMemoryUtilization: 0.9\n"


def _one_list(report: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = report["findings"]
    return found


def test_sarif_points_at_the_values_file(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    _, out, _ = cli("scan", "vllm", "--select", "LLM003", "--format", "sarif", cwd=tmp_path)
    result = json.loads(out)["runs"][0]["results"][0]
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "vllm/values.yaml"
    assert loc["region"]["startLine"] == 10


def _site_without_helm(tmp_path: Path) -> Path:
    """A real site-packages view without helm_python: every other installed package, linked."""
    site = Path(sysconfig.get_paths()["purelib"])
    view = tmp_path / "site"
    view.mkdir()
    for entry in site.iterdir():
        if entry.name.startswith(("helm_python", "helm-python", "_llmlint", "__editable__")):
            continue
        (view / entry.name).symlink_to(entry)
    return view


def test_without_the_extra_a_chart_is_an_input_error_that_says_how_to_install(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    view = _site_without_helm(tmp_path)
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{view}", "NO_COLOR": "1"}
    probe = subprocess.run(
        [sys.executable, "-S", "-c", "import helm_python"], env=env, capture_output=True, cwd=tmp_path
    )
    assert probe.returncode != 0  # the extra really is missing here
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "llmlint", "scan", "vllm"],
        env=env,
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "vllm/Chart.yaml" in err and "pip install 'llmlint[helm]'" in err
    assert "Traceback" not in err


def test_a_plain_scan_never_imports_helm(tmp_path: Path) -> None:
    write(
        tmp_path, "x.yaml", (ROOT / "fixtures" / "seed" / "tgi-deployment.yaml").read_text(encoding="utf-8")
    )
    code = (
        "import sys\nfrom llmlint.engine import Settings, scan\nr = scan(['x.yaml'], Settings())\n"
        "assert r.findings\nprint('helm_python' in sys.modules, 'llmlint.helm.chart' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout.decode().split() == ["False", "False"], proc.stderr.decode()


def test_a_template_fix_is_not_offered_where_the_template_does_not_write_the_lines(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    tpl = chart / "templates" / "deployment.yaml"
    text = tpl.read_text(encoding="utf-8")
    block = text[text.index("          resources:\n") :]
    tpl.write_text(
        text.replace(
            block, "          resources:\n            {{- toYaml .Values.resources | nindent 12 }}\n"
        ),
        encoding="utf-8",
    )
    values = chart / "values.yaml"
    values.write_text(
        values.read_text(encoding="utf-8") + "resources:\n  limits:\n    nvidia.com/gpu: 1\n",
        encoding="utf-8",
    )
    _, report = scan_json("vllm", "--select", "LLM001", cwd=tmp_path)
    f = _one(report, "LLM001")
    assert (f["file"], f["line"]) == ("vllm/templates/deployment.yaml", 27)
    assert f["fix"] is None  # the startupProbe would go after lines written by toYaml: no diff is offered


def test_schema_refusal_points_at_the_values_line(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "vllm")
    write(
        chart,
        "values.schema.json",
        '{"type": "object", "properties": {"engine": {"type": "object", "properties": '
        '{"gpuMemoryUtilization": {"type": "number", "maximum": 0.95}}}}}\n',
    )
    code, report = scan_json("vllm", cwd=tmp_path)
    assert code == 2
    [e] = report["errors"]
    assert (e["file"], e["line"]) == ("vllm/values.yaml", 10)
    assert "values.schema.json" in e["message"]


def test_a_missing_dependency_that_its_condition_turns_off_is_not_needed(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "missing-dep")
    meta = chart / "Chart.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "    condition: redis.enabled\n", encoding="utf-8")
    write(chart, "values.yaml", "port: 8000\nredis:\n  enabled: false\n")
    code, report = scan_json("missing-dep", cwd=tmp_path)
    assert code == 0 and report["errors"] == []
    code, report = scan_json("missing-dep", "--set", "redis.enabled=true", cwd=tmp_path)
    assert code == 2 and "'redis'" in report["errors"][0]["message"]


def test_json_patch_on_the_rendered_object_equals_the_render_after_the_values_fix(tmp_path: Path) -> None:
    import jsonpatch  # type: ignore[import-untyped]
    import yaml

    from llmlint.helm.render import render

    chart = _chart(tmp_path, "vllm")

    def deployment() -> Any:
        text = render(str(chart), {}, "release-name", "default")["vllm/templates/deployment.yaml"]
        return yaml.safe_load(text)

    _, report = scan_json("vllm", "--select", "LLM003", cwd=tmp_path)
    ops = _one(report, "LLM003")["fix"]["json_patch"]
    assert ops == [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/args/1",
            "value": "--gpu-memory-utilization=0.9",
        }
    ]
    patched = jsonpatch.apply_patch(deployment(), ops)
    cli("scan", "vllm", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert deployment() == patched


def test_a_value_written_from_two_keys_names_both_at_the_template_line(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    write(tmp_path, "edge.yaml", "image:\n  tag: latest\n")
    _, report = scan_json("vllm", "--select", "LLM008", "-f", "edge.yaml", cwd=tmp_path)
    f = _one(report, "LLM008")
    assert (f["file"], f["line"]) == ("vllm/templates/deployment.yaml", 19)
    assert f["message"].endswith("(from values keys image.repository, image.tag)")


def test_an_excluded_chart_is_not_rendered(tmp_path: Path) -> None:
    _chart(tmp_path, "broken")
    code, report = scan_json("broken", "--exclude", "broken", cwd=tmp_path)
    assert code == 0 and report["errors"] == []


def test_values_read_as_kubernetes_reads_yaml_a_date_stays_a_string(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    write(tmp_path, "prod.yaml", "engine:\n  gpuMemoryUtilization: 0.99\nreleased: 2024-01-01\n")
    code, _, err = cli("scan", "vllm", "-f", "prod.yaml", "--select", "LLM003", "--fix", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "prod.yaml").read_text(encoding="utf-8") == (
        "engine:\n  gpuMemoryUtilization: 0.9\nreleased: 2024-01-01\n"
    )


def test_github_and_junit_point_at_chart_files(tmp_path: Path) -> None:
    _chart(tmp_path, "vllm")
    _, out, _ = cli("scan", "vllm", "--select", "LLM001,LLM003", "--format", "github", cwd=tmp_path)
    assert "::error file=vllm/values.yaml,line=10,col=25,title=LLM003::" in out
    assert "::error file=vllm/templates/deployment.yaml,line=27,col=11,title=LLM001::" in out
    _, out, _ = cli("scan", "vllm", "--select", "LLM003", "--format", "junit", cwd=tmp_path)
    assert "vllm/values.yaml" in out


def test_a_kustomize_directory_is_scanned_as_its_files(tmp_path: Path) -> None:
    seed = (ROOT / "fixtures" / "seed" / "vllm-deployment.yaml").read_text(encoding="utf-8")
    write(tmp_path, "base/kustomization.yaml", "resources:\n  - vllm.yaml\n")
    write(tmp_path, "base/vllm.yaml", seed)
    code, report = scan_json("base", cwd=tmp_path)
    assert code == 1
    assert report["errors"] == []
    assert {f["file"] for f in report["findings"]} == {"base/vllm.yaml"}
