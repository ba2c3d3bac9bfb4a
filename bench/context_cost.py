"""What reading a repository as context costs a pre-commit run (issue 11 §3).

Usage::

    python bench/context_cost.py [--scale 0.1 --scale 1.0] [--runs 5]

For each scale, generates the benchmark's platform repository (``bench/generate_corpus.py``: 3,000 files at
scale 1) with a ``.git`` directory, and times ``llmlint scan FILE`` on one inference manifest of it, as
pre-commit runs it — with context (the default) and with ``--no-context`` — against
``python -c "import yaml"``. Prints the medians and the ratios. Wall-clock times of a subprocess each, so
start-up is included, as a user sees it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_corpus import generate  # noqa: E402


def _median_seconds(argv: list[str], cwd: Path, runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _named_file(root: Path) -> Path:
    """One inference manifest of the corpus (what a pre-commit run names)."""
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "kind: Deployment" in text and "vllm/vllm-openai" in text:
            return path
    raise SystemExit("no vLLM Deployment in the generated corpus")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scale", type=float, action="append", help="corpus scale (repeatable; 1.0 = 3,000 files)"
    )
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    scales = args.scale or [0.1, 1.0]
    env = {**os.environ, "NO_COLOR": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    with tempfile.TemporaryDirectory() as tmp:
        base = _median_seconds([sys.executable, "-c", "import yaml"], Path(tmp), args.runs, env)
        print(f"python -c 'import yaml': {base * 1000:.0f} ms")
        for scale in scales:
            root = Path(tmp) / f"repo-{scale:g}"
            generate(root, scale=scale)
            (root / ".git").mkdir()
            files = sum(1 for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            named = _named_file(root).relative_to(root)
            cmd = [sys.executable, "-m", "llmlint", "scan", str(named)]
            with_ctx = _median_seconds(cmd, root, args.runs, env)
            alone = _median_seconds([*cmd, "--no-context"], root, args.runs, env)
            print(
                f"repository of {files} files, one named: with context {with_ctx * 1000:.0f} ms, "
                f"--no-context {alone * 1000:.0f} ms; context/alone {with_ctx / alone:.2f}x, "
                f"with context / import yaml {with_ctx / base:.2f}x, alone / import yaml {alone / base:.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
