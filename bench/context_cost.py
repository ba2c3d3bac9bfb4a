"""What reading a repository as context costs a pre-commit run (issue 11 §3).

Usage::

    python bench/context_cost.py [--scale 0.1 --scale 1.0] [--runs 5]

For each scale, generates the benchmark's platform repository (``bench/generate_corpus.py``: 3,000 files at
scale 1) with a ``.git`` directory, and times ``llmlint scan FILE`` on one inference manifest of it, as
pre-commit runs it — with context (the default) and with ``--no-context`` — against
``python -c "import yaml"``. Prints the medians and the ratios. Wall-clock times of a subprocess each, so
start-up is included, as a user sees it.

With context, two cases: a first run ("cold": no context index in the cache directory, as in a fresh CI
container) and a later one ("warm": the index of the previous run, as on a developer's machine). The
generated files are dated an hour back, as a checkout's are (files changed in the last seconds are not
kept in the index), and the cache directory is a temporary one.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate_corpus import generate  # noqa: E402


def _medians(
    variants: list[tuple[list[str], Callable[[], None] | None]], cwd: Path, runs: int, env: dict[str, str]
) -> list[tuple[float, float]]:
    """Median wall-clock and CPU (user + system) seconds of each command, run in turn (``before`` first,
    untimed), so that the load of a shared machine falls on all of them alike; the CPU time is the
    steadier figure on a busy machine."""
    wall: list[list[float]] = [[] for _ in variants]
    cpu: list[list[float]] = [[] for _ in variants]
    for _ in range(runs):
        for i, (argv, before) in enumerate(variants):
            if before is not None:
                before()
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            )
            wall[i].append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[i].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu, strict=True)]


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
    # as bench/run.py: an installed llmlint runs from bytecode, so must the working tree here (the first,
    # untimed run of each repository writes it), or every run would compile the modules from source
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONHASHSEED", "0")
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        env["XDG_CACHE_HOME"] = str(cache)
        ((base, base_cpu),) = _medians(
            [([sys.executable, "-c", "import yaml"], None)], Path(tmp), args.runs, env
        )
        print(f"python -c 'import yaml': {base * 1000:.0f} ms ({base_cpu * 1000:.0f} ms CPU)")
        for scale in scales:
            root = Path(tmp) / f"repo-{scale:g}"
            generate(root, scale=scale)
            (root / ".git").mkdir()
            files = sum(1 for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            named = _named_file(root).relative_to(root)
            cmd = [sys.executable, "-m", "llmlint", "scan", str(named)]
            past = time.time() - 3600
            for path in root.rglob("*"):
                os.utime(path, (past, past))

            def forget() -> None:
                for index in cache.glob("llmlint/context-*"):
                    index.unlink()

            subprocess.run(cmd, cwd=root, env=env, capture_output=True, check=False)  # (bytecode, catalog cache)
            yaml_, cold, warm, alone = _medians(
                [
                    ([sys.executable, "-c", "import yaml"], None),
                    (cmd, forget),
                    (cmd, None),
                    ([*cmd, "--no-context"], None),
                ],
                root,
                args.runs,
                env,
            )
            shutil.rmtree(root)
            for what, k in (("wall-clock", 0), ("CPU", 1)):
                y, c, w, a = yaml_[k], cold[k], warm[k], alone[k]
                print(
                    f"repository of {files} files, one named, {what}: with context {c * 1000:.0f} ms (cold), "
                    f"{w * 1000:.0f} ms (warm), --no-context {a * 1000:.0f} ms; context/alone {c / a:.2f}x cold, "
                    f"{w / a:.2f}x warm; / import yaml ({y * 1000:.0f} ms): {c / y:.2f}x cold, {w / y:.2f}x warm, "
                    f"{a / y:.2f}x alone"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
