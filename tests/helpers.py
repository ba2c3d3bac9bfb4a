"""Shared test helpers: the real CLI in-process, and scans of YAML text written to real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from llmlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "fixtures" / "seed"


def cli(*args: str, cwd: Path | None = None, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    """Run ``llmlint`` in-process (click's runner) in ``cwd``; returns (exit code, stdout, stderr)."""
    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        r = runner.invoke(main, list(args), input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)
    return r.exit_code, r.stdout, r.stderr


def subprocess_cli(
    *args: str, cwd: Path | None = None, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "llmlint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=env,
        timeout=120,
    )


def scan_json(*args: str, cwd: Path | None = None, stdin: str | None = None) -> tuple[int, dict[str, Any]]:
    code, out, err = cli("scan", "--format", "json", *args, cwd=cwd, stdin=stdin)
    assert "Traceback" not in out + err, err
    return code, json.loads(out)


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def rules_of(report: dict[str, Any], file: str | None = None) -> list[str]:
    return sorted(f["rule"] for f in report["findings"] if file is None or f["file"] == file)
