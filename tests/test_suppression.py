"""Suppression: ``llmlint.io/ignore`` on an object and ``# llmlint: ignore[ID,…]`` on a line each hide exactly
the named rules on exactly that object or line; suppressed findings are counted, never lost."""

from __future__ import annotations

from pathlib import Path

from helpers import SEED, cli, scan_json, write

TGI = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8")
META = "  namespace: ml-serving\n"


def _two(first: str = TGI) -> str:
    """Two TGI Deployments in one file; the second (``tgi-b``) is never annotated."""
    return first + "---\n" + TGI.replace("name: tgi-llama3-8b", "name: tgi-b")


def _by_object(report: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(f["object"]["name"], f["rule"]) for f in report["findings"]}


def _baseline(tmp_path: Path) -> set[tuple[str, str]]:
    write(tmp_path, "base.yaml", _two())
    _, report = scan_json("base.yaml", cwd=tmp_path)
    found = _by_object(report)
    assert {("tgi-llama3-8b", "LLM007"), ("tgi-llama3-8b", "LLM001"), ("tgi-b", "LLM007")} <= found
    return found


def test_annotation_hides_the_named_rule_on_that_object_only(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    annotated = TGI.replace(META, META + '  annotations:\n    llmlint.io/ignore: "LLM007"\n')
    write(tmp_path, "tgi.yaml", _two(annotated))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert _by_object(report) == base - {("tgi-llama3-8b", "LLM007")}
    assert report["summary"]["suppressed"] == 1
    # the text summary says so too
    _, out, _ = cli("scan", "tgi.yaml", cwd=tmp_path)
    assert "1 suppressed" in out.splitlines()[-1]


def test_annotation_lists_and_all(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    several = TGI.replace(META, META + "  annotations:\n    llmlint.io/ignore: llm007, LLM001\n")
    write(tmp_path, "tgi.yaml", _two(several))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert _by_object(report) == base - {("tgi-llama3-8b", "LLM007"), ("tgi-llama3-8b", "LLM001")}
    everything = TGI.replace(META, META + "  annotations:\n    llmlint.io/ignore: all\n")
    write(tmp_path, "tgi.yaml", _two(everything))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert _by_object(report) == {k for k in base if k[0] != "tgi-llama3-8b"}
    assert report["summary"]["suppressed"] == sum(1 for k in base if k[0] == "tgi-llama3-8b")


def test_comment_hides_the_named_rule_on_that_line_only(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    commented = TGI.replace("# pinned version", "# llmlint: ignore[LLM007]")
    write(tmp_path, "tgi.yaml", _two(commented))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert _by_object(report) == base - {("tgi-llama3-8b", "LLM007")}
    assert report["summary"]["suppressed"] == 1


def test_comment_for_another_rule_or_on_another_line_hides_nothing(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    wrong_rule = TGI.replace("# pinned version", "# llmlint: ignore[LLM001]")
    write(tmp_path, "tgi.yaml", _two(wrong_rule))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert _by_object(report) == base  # LLM001 points at another line
    assert report["summary"]["suppressed"] == 0
    line_above = TGI.replace("        - name: tgi\n", "        - name: tgi  # llmlint: ignore[LLM007]\n")
    write(tmp_path, "tgi.yaml", _two(line_above))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert _by_object(report) == base


def test_comment_with_several_ids(tmp_path: Path) -> None:
    base = _baseline(tmp_path)
    both = TGI.replace("# pinned version", "# llmlint: ignore[LLM003, LLM007]").replace(
        "          readinessProbe:\n", "          readinessProbe:  # llmlint: ignore[LLM001]\n"
    )
    write(tmp_path, "tgi.yaml", _two(both))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert _by_object(report) == base - {("tgi-llama3-8b", "LLM007"), ("tgi-llama3-8b", "LLM001")}
    assert report["summary"]["suppressed"] == 2


def test_suppressed_findings_do_not_fail_the_run(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI.replace("# pinned version", "# llmlint: ignore[LLM007]"))
    code, report = scan_json("tgi.yaml", "--select", "LLM007", cwd=tmp_path)
    assert code == 0 and report["findings"] == [] and report["summary"]["suppressed"] == 1
