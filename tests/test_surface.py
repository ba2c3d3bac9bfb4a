"""Issue 14, the surface people read: the text line format, --show-source, --statistics, colour, escaping,
the JSON additions, stdin with --fix, usage errors, small wording, config discovery per path, rule names,
suppressions that name no rule, explain and rules. Real files, the real CLI (in-process and as a process)."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, SEED, cli, scan_json, subprocess_cli, write

from llmlint import catalog
from llmlint.docs import rule_page

# the seed's TGI with a short liveness probe beside its readiness probe, so that it has safe fixes
TGI = (SEED / "tgi-deployment.yaml").read_text(encoding="utf-8").replace(
    "            periodSeconds: 10\n          volumeMounts:", """            periodSeconds: 10
          livenessProbe:  # a web-app liveness probe: LLM001's startupProbe fix is safe (it only extends)
            httpGet:
              path: /health
              port: 8080
            periodSeconds: 10
          volumeMounts:""", 1
)
# PATH:LINE:COL: ID severity message
LINE = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<id>LLM\d{3}) (?P<sev>error|warning|info) (?P<msg>\S.*)$"
)
FIX = re.compile(r"^    fix \((safe|unsafe)\): \S")
ANSI = "\x1b["


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _in_a_terminal(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run ``python -m llmlint ARGS`` with stdout on a pseudo-terminal; what it printed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmlint", *args], cwd=cwd, stdout=follower, stderr=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


# ---- the text format --------------------------------------------------------------------------------


def test_one_line_per_finding_with_the_fix_indented_below(tmp_path: Path) -> None:
    write(tmp_path, "k8s/tgi.yaml", TGI)
    code, out, _ = cli("scan", "k8s", cwd=tmp_path)
    assert code == 1
    lines = out.splitlines()
    _, report = scan_json("k8s", cwd=tmp_path)
    found = [LINE.match(x) for x in lines if LINE.match(x)]
    expected = [
        (f["file"], f["line"], f["column"], f["rule"], f["severity"], f["message"])
        for f in report["findings"]
    ]
    got = [(m["path"], int(m["line"]), int(m["col"]), m["id"], m["sev"], m["msg"]) for m in found if m]
    assert got == expected
    assert got[[g[3] for g in got].index("LLM007")][:5] == ("k8s/tgi.yaml", 23, 11, "LLM007", "warning")
    # every line is a finding, its fix, the blank line or the summary: nothing else to parse around
    for i, x in enumerate(lines):
        if FIX.match(x):
            assert LINE.match(lines[i - 1]), "a fix line follows its finding"
        else:
            assert LINE.match(x) or x == "" or i == len(lines) - 1, x
    fixes = [f for f in report["findings"] if f["fix"]]
    assert sum(1 for x in lines if FIX.match(x)) == len(fixes)


def test_summary_wording(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    safety = [f["fix"]["safety"] for f in report["findings"] if f["fix"]]
    safe, unsafe = safety.count("safe"), safety.count("unsafe")
    assert safe and unsafe  # the seed's TGI Deployment has both kinds
    _, out, _ = cli("scan", "tgi.yaml", cwd=tmp_path)
    last = out.splitlines()[-1]
    assert "in 1 of 1 file, 1 object;" in last
    assert last.endswith(f"; {safe} fixable with --fix ({unsafe} more with --unsafe-fixes).")
    # --unsafe-fixes in a report (no --fix, --diff), as ruff: the unsafe fixes count as applicable
    code, out, _ = cli("scan", "tgi.yaml", "--unsafe-fixes", cwd=tmp_path)
    assert code == 1 and out.splitlines()[-1].endswith(
        f"; {safe + unsafe} fixable with --fix --unsafe-fixes."
    )
    assert (tmp_path / "tgi.yaml").read_text() == TGI
    _, out, _ = cli("scan", "tgi.yaml", "--select", "LLM007", cwd=tmp_path)
    assert out.splitlines()[-1] == (
        "1 finding (1 warning) in 1 of 1 file, 1 object; 1 fixable with --fix --unsafe-fixes."
    )
    write(tmp_path, "more/a.yaml", TGI)
    write(tmp_path, "more/b.yaml", TGI.replace("tgi-llama3-8b", "tgi-b"))
    _, out, _ = cli("scan", "more", "--select", "LLM007", "--select", "LLM001", cwd=tmp_path)
    assert out.splitlines()[-1].startswith("4 findings (2 errors, 2 warnings) in 2 of 2 files, 2 objects;")
    _, out, _ = cli("scan", "more", "--select", "LLM007", "--fail-on", "info", cwd=tmp_path)
    assert "2 findings (2 warnings)" in out.splitlines()[-1]


def test_show_source_points_a_caret_at_the_column(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    _, out, _ = cli("scan", "tgi.yaml", "--select", "LLM007", "--show-source", cwd=tmp_path)
    lines = out.splitlines()
    assert LINE.match(lines[0]) and lines[0].startswith("tgi.yaml:23:11: LLM007 warning ")
    source = TGI.splitlines()[22]
    assert lines[1] == "       |"
    assert lines[2] == f"    23 | {source}"
    assert lines[3] == "       | " + " " * 10 + "^"
    assert source[10:].startswith("image:")
    assert FIX.match(lines[4])


def test_statistics_count_per_rule(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", TGI)
    write(tmp_path, "b.yaml", TGI.replace("tgi-llama3-8b", "tgi-b"))
    _, report = scan_json(".", cwd=tmp_path)
    code, out, _ = cli("scan", ".", "--statistics", cwd=tmp_path)
    assert code == 1
    rows = [x.split("\t") for x in out.splitlines() if "\t" in x]
    counts: dict[str, int] = {}
    for f in report["findings"]:
        counts[f["rule"]] = counts.get(f["rule"], 0) + 1
    assert {r[1]: int(r[0]) for r in rows} == counts
    assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=True)
    by_rule = {r[1]: r[2] for r in rows}
    assert by_rule["LLM001"] == "[*] missing-startup-probe"  # a safe fix
    assert by_rule["LLM007"] == "[-] tgi-in-maintenance"  # only with --unsafe-fixes
    assert not any(LINE.match(x) for x in out.splitlines())
    assert "findings" in out.splitlines()[-1]


def test_manifest_control_characters_never_reach_the_output(tmp_path: Path) -> None:
    hostile = TGI.replace(
        "        - name: tgi\n",
        '        - name: "tgi\\e[2J\\nx.yaml:1:1: LLM003 error fake\\r"\n',
    )
    assert hostile != TGI
    write(tmp_path, "tgi.yaml", hostile)
    for args in (
        ("--select", "LLM026", "--fail-on", "info"),
        ("--select", "LLM026", "--show-source", "--fail-on", "info"),
    ):
        code, out, err = cli("scan", "tgi.yaml", *args, cwd=tmp_path)
        assert code == 1, err
        assert "\x1b" not in out and "\r" not in out
        lines = out.splitlines()
        assert not any(x.startswith("x.yaml") for x in lines)
        assert "\\x1b[2J\\nx.yaml" in lines[0]


def test_colour_only_on_a_terminal(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    # a pipe, even with FORCE_COLOR: plain (other tools parse it)
    proc = subprocess_cli("scan", "tgi.yaml", cwd=tmp_path, env=_env(FORCE_COLOR="1"))
    assert proc.returncode == 1 and ANSI.encode() not in proc.stdout
    assert LINE.match(proc.stdout.decode().splitlines()[0])
    # a file, even with FORCE_COLOR: plain
    proc = subprocess_cli("scan", "tgi.yaml", "-o", "report.txt", cwd=tmp_path, env=_env(FORCE_COLOR="1"))
    assert proc.returncode == 1 and proc.stdout == b""
    text = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert ANSI not in text and LINE.match(text.splitlines()[0])
    # a terminal: colour; the same words
    shown = _in_a_terminal(["scan", "tgi.yaml"], tmp_path, _env(TERM="xterm-256color"))
    assert ANSI in shown
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown).replace("\r\n", "\n")
    assert plain.splitlines()[0] == text.splitlines()[0]
    # NO_COLOR wins on a terminal too
    shown = _in_a_terminal(["scan", "tgi.yaml"], tmp_path, _env(NO_COLOR="1", TERM="xterm-256color"))
    assert ANSI not in shown and "LLM007" in shown


# ---- JSON -------------------------------------------------------------------------------------------


def test_json_url_and_summary_counts(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    write(tmp_path, "broken.yaml", "kind: [\n")
    code, report = scan_json(".", cwd=tmp_path)
    assert code == 2
    for f in report["findings"]:
        assert f["url"] == catalog.get(f["rule"]).docs_url
    s = report["summary"]
    assert s["errors"] == s["input_errors"] == len(report["errors"]) == 1
    sev = [f["severity"] for f in report["findings"]]
    assert s["by_severity"] == {k: sev.count(k) for k in ("error", "warning", "info")}
    assert sum(s["by_severity"].values()) == s["findings"]
    safety = [f["fix"]["safety"] for f in report["findings"] if f["fix"]]
    assert s["fixable"] == {"safe": safety.count("safe"), "unsafe": safety.count("unsafe")}
    assert s["fixable"]["safe"] >= 1 and s["fixable"]["unsafe"] >= 1
    assert set(report) == {"version", "findings", "errors", "warnings", "summary"}


def test_stdin_is_named_the_same_in_every_format() -> None:
    code, out, _ = cli("scan", "-", "--select", "LLM007", stdin=TGI)
    assert code == 1 and out.startswith("-:23:11: LLM007 warning ")
    _, report = scan_json("-", "--select", "LLM007", stdin=TGI)
    assert report["findings"][0]["file"] == "-"
    _, out, _ = cli("scan", "-", "--select", "LLM007", "--format", "github", stdin=TGI)
    assert out.startswith("::warning file=-,line=23,col=11,title=LLM007::")
    assert out.splitlines()[-1].startswith("llmlint: 1 finding in 1 file, 1 object")
    _, out, _ = cli("scan", "-", "--select", "LLM007", "--format", "sarif", stdin=TGI)
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "-"


# ---- stdin and --fix --------------------------------------------------------------------------------


def test_stdin_fix_writes_the_stream_to_stdout_and_the_report_to_stderr(tmp_path: Path) -> None:
    # something to fix: the fixed stream
    proc = subprocess_cli("scan", "-", "--fix", stdin=TGI.encode(), cwd=tmp_path, env=_env())
    assert proc.returncode == 1
    fixed = proc.stdout.decode()
    assert "startupProbe:" in fixed and fixed.startswith(TGI.splitlines()[0])
    assert "LLM007" in proc.stderr.decode() and "fixed 1 finding" in proc.stderr.decode()
    # nothing to fix: the same bytes, never the report
    clean = fixed.encode()
    proc = subprocess_cli("scan", "-", "--fix", "--select", "LLM001", stdin=clean, cwd=tmp_path, env=_env())
    assert proc.returncode == 0 and proc.stdout == clean
    assert "0 findings" in proc.stderr.decode()
    # unreadable input: passed through unchanged, the error on stderr, exit 2
    junk = b"kind: [\n"
    proc = subprocess_cli("scan", "-", "--fix", stdin=junk, cwd=tmp_path, env=_env())
    assert proc.returncode == 2 and proc.stdout == junk and b"error" in proc.stderr
    # --output: the report goes there, the stream still to stdout
    proc = subprocess_cli(
        "scan", "-", "--fix", "--format", "json", "-o", "r.json", stdin=TGI.encode(), cwd=tmp_path, env=_env()
    )
    assert proc.stdout.decode() == fixed
    assert json.loads((tmp_path / "r.json").read_text())["fixed"] == 1


def test_diff_of_an_absolute_path_applies_with_git(tmp_path: Path) -> None:
    target = write(tmp_path, "repo/tgi.yaml", TGI)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess_cli("scan", "--diff", str(target), cwd=elsewhere, env=_env())
    assert proc.returncode == 1
    diff = proc.stdout.decode()
    rel = str(target).lstrip("/")
    assert diff.startswith(f"--- a/{rel}\n+++ b/{rel}\n")
    (tmp_path / "p.diff").write_text(diff)
    subprocess.run(["git", "-C", "/", "apply", "--check", str(tmp_path / "p.diff")], check=True)
    subprocess.run(["git", "-C", "/", "apply", str(tmp_path / "p.diff")], check=True)
    assert "startupProbe:" in target.read_text()


# ---- usage, version, help, nothing found ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--diff", "--format", "json"), "--diff"),
        (("--fix", "--diff"), "--diff"),
        (("--statistics", "--format", "json"), "--statistics"),
        (("--select", "no-such-rule"), "no-such-rule"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    code, out, err = cli("scan", "tgi.yaml", *args, cwd=tmp_path)
    assert code == 2 and needle in err and out == ""
    assert (tmp_path / "tgi.yaml").read_text() == TGI


def test_version_and_help() -> None:
    from llmlint import __version__

    for flag in ("-V", "--version"):
        code, out, _ = cli(flag)
        assert code == 0 and out.strip() == f"llmlint, version {__version__}"
    proc = subprocess_cli("--help", env=_env(COLUMNS="80"))
    text = proc.stdout.decode()
    commands = text.split("Commands:")[1]
    assert proc.returncode == 0 and "..." not in commands and "…" not in commands
    for command in ("scan", "audit", "rules", "explain"):
        assert re.search(rf"^  {command}\s+\S", text, re.M), command


@pytest.mark.parametrize("content", [None, "README.md"])
def test_no_manifests_found_exits_0(tmp_path: Path, content: str | None) -> None:
    if content:
        write(tmp_path, content, "# hello\n")
    code, out, _ = cli("scan", ".", cwd=tmp_path)
    assert code == 0 and out.strip() == "No manifests found."
    code, out, err = cli("scan", "--format", "json", ".", cwd=tmp_path)
    assert code == 0 and json.loads(out)["summary"]["files"] == 0 and "no manifests found" in err


def test_duplicate_top_level_key_says_a_separator_is_missing(tmp_path: Path) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
    code, _, err = cli("scan", "-", stdin=cm + cm)
    assert code == 2
    assert "-:5:1:" in err and "document separator (---) is probably missing before line 5" in err


# ---- rule names, suppressions that name no rule -----------------------------------------------------


def test_rule_names_work_where_ids_do(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    _, by_id = scan_json("tgi.yaml", "--select", "LLM001,LLM007", cwd=tmp_path)
    _, by_name = scan_json("tgi.yaml", "--select", "missing-startup-probe,tgi-in-maintenance", cwd=tmp_path)
    assert by_id["findings"] == by_name["findings"] and len(by_id["findings"]) == 2
    _, ignored = scan_json("tgi.yaml", "--ignore", "tgi-in-maintenance", cwd=tmp_path)
    assert "LLM007" not in {f["rule"] for f in ignored["findings"]}
    write(tmp_path, ".llmlint.yaml", "select: [tgi-in-maintenance]\nseverity: {tgi-in-maintenance: error}\n")
    _, configured = scan_json("tgi.yaml", cwd=tmp_path)
    assert [(f["rule"], f["severity"]) for f in configured["findings"]] == [("LLM007", "error")]
    (tmp_path / ".llmlint.yaml").unlink()
    write(tmp_path, "tgi.yaml", TGI.replace("# pinned version", "# llmlint: ignore[tgi-in-maintenance]"))
    _, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert "LLM007" not in {f["rule"] for f in report["findings"]} and report["summary"]["suppressed"] == 1
    code, out, _ = cli("explain", "tgi-in-maintenance")
    assert code == 0 and out == rule_page(catalog.get("LLM007"))


def test_a_suppression_naming_no_rule_is_reported(tmp_path: Path) -> None:
    text = TGI.replace("# pinned version", "# llmlint: ignore[LLM07, LLM001]").replace(
        "  namespace: ml-serving\n",
        '  namespace: ml-serving\n  annotations:\n    llmlint.io/ignore: "LLM999,missing-startup-probe"\n',
    )
    write(tmp_path, "tgi.yaml", text)
    code, report = scan_json("tgi.yaml", cwd=tmp_path)
    assert code == 1
    warnings = {(w["file"], w["line"], w["message"]) for w in report["warnings"]}
    comment_line = text.splitlines().index(next(x for x in text.splitlines() if "ignore[LLM07" in x)) + 1
    annotation_line = text.splitlines().index('    llmlint.io/ignore: "LLM999,missing-startup-probe"') + 1
    assert warnings == {
        ("tgi.yaml", comment_line, "# llmlint: ignore[…] names no rule: LLM07"),
        (
            "tgi.yaml",
            annotation_line,
            "llmlint.io/ignore of Deployment ml-serving/tgi-llama3-8b names no rule: LLM999",
        ),
    }
    assert report["summary"]["warnings"] == 2
    # the names that are rules still work: LLM001 suppressed by name on the object
    assert "LLM001" not in {f["rule"] for f in report["findings"]}
    assert "LLM007" in {f["rule"] for f in report["findings"]}  # "LLM07" suppresses nothing
    _, _, err = cli("scan", "tgi.yaml", cwd=tmp_path)
    assert f"warning: tgi.yaml:{comment_line}:" in err and "names no rule: LLM07" in err


# ---- configuration ----------------------------------------------------------------------------------


def test_config_is_found_from_the_scanned_path(tmp_path: Path) -> None:
    write(tmp_path, "k8s/tgi.yaml", TGI)
    write(tmp_path, "k8s/.llmlint.yaml", "select: [LLM007]\n")
    _, report = scan_json("k8s", cwd=tmp_path)  # from the repository root, not k8s/
    assert {f["rule"] for f in report["findings"]} == {"LLM007"}
    _, report = scan_json("k8s/tgi.yaml", cwd=tmp_path)
    assert {f["rule"] for f in report["findings"]} == {"LLM007"}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("max-gpu-memory-utilization: 1.5\n", "max-gpu-memory-utilization"),
        ("max-gpu-memory-utilization: 0\n", "max-gpu-memory-utilization"),
        ("gpu-memory-utilization: 2\n", "gpu-memory-utilization"),
        ("max-model-len: -1\n", "max-model-len"),
    ],
)
def test_parameters_are_range_checked(tmp_path: Path, text: str, named: str) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    write(tmp_path, ".llmlint.yaml", text)
    code, _, err = cli("scan", "tgi.yaml", cwd=tmp_path)
    assert code == 2 and named in err and ".llmlint.yaml" in err


def test_a_broken_config_names_its_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    write(tmp_path, ".llmlint.yaml", "select:\n  - LLM001\n ignore: [\n")
    code, _, err = cli("scan", "tgi.yaml", cwd=tmp_path)
    assert code == 2 and "<byte string>" not in err
    assert re.search(r"\.llmlint\.yaml:3:\d+: invalid YAML", err), err


def test_pydantic_only_with_a_config(tmp_path: Path) -> None:
    write(tmp_path, "tgi.yaml", TGI)
    code = (
        "import sys; sys.argv=['llmlint','scan','tgi.yaml'];\n"
        "from llmlint.cli import main\n"
        "try:\n    main()\nexcept SystemExit: pass\n"
        "sys.stderr.write('IMPORTED:'+','.join(m for m in ('pydantic','rich') if m in sys.modules))"
    )

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=_env()
        )

    assert run().stderr.split("IMPORTED:")[1] == ""
    write(tmp_path, ".llmlint.yaml", "ignore: [LLM007]\n")
    assert run().stderr.split("IMPORTED:")[1] == "pydantic"


# ---- explain and rules ------------------------------------------------------------------------------


def test_explain_markdown_in_a_pipe_rendered_on_a_terminal(tmp_path: Path) -> None:
    page = rule_page(catalog.get("LLM003"))
    proc = subprocess_cli("explain", "LLM003", env=_env())
    assert proc.returncode == 0 and proc.stdout.decode() == page
    shown = _in_a_terminal(["explain", "LLM003"], tmp_path, _env(PAGER="cat", TERM="xterm-256color"))
    assert ANSI in shown
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert "What it does" in plain and "## What it does" not in plain and "```" not in plain
    shown = _in_a_terminal(["explain", "LLM003", "--no-pager"], tmp_path, _env(PAGER="false", TERM="xterm"))
    assert "What it does" in shown
    code, _, err = cli("explain", "LLM999")
    assert code == 2 and "LLM999" in err


def test_rules_fit_100_columns() -> None:
    code, out, _ = cli("rules")
    assert code == 0
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 100
    for r in catalog.rules().values():
        i = next(n for n, x in enumerate(lines) if x.startswith(r.id + "  "))
        assert r.name in lines[i]
        summary = []
        for x in lines[i + 1 :]:
            if not x.startswith("        "):
                break
            summary.append(x.strip())
        assert " ".join(summary) == " ".join(r.summary.split())
