"""The llmlint benchmark: scan a generated platform repository and compare with parsing it.

Usage::

    python bench/run.py [--scale 1] [--keep DIR] [--repeat 3] [--one-repeat 15] [--json FILE]

It generates the corpus at ``--scale`` and at twice that (bench/generate_corpus.py), then measures,
in one run on this machine, each figure the median of fresh subprocesses:

* ``T_load``  -- a Python process that reads every ``*.yaml``/``*.yml``/``*.json`` file of the corpus and
  loads every document (``yaml.load_all(text, Loader=yaml.CSafeLoader)``; ``json.loads`` for JSON);
* ``T_scan``  -- ``llmlint scan --format json CORPUS``; ``T_scan2`` the same on the 2x corpus;
* ``T_one``   -- ``llmlint scan FILE`` on one LLM manifest, against ``T_import``: ``python -c "import yaml"``;
* ``T_file`` / ``T_file2`` -- ``llmlint scan --format json`` on ONE file of ``--per-file`` vLLM Deployments
  (each with findings and fixes) and on one of twice as many: the cost per document must not grow with
  the file (positions, suppressions and fixes are found without counting from the file's start);
* peak memory -- the maximum resident set size of the 1x scan (``os.wait4`` rusage of each timed run, and
  one extra untimed run that polls /proc and sums the RSS of the scan's whole process tree).

and prints the ratios with their targets (DESIGN.md section 6) and PASS/FAIL. Exit status: 0 when every
target passes, 1 when one fails, 2 when llmlint could not be run at all. Timings are never asserted by
tests; this script is the only place they are judged.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from generate_corpus import CorpusStats, generate, iter_corpus_files  # noqa: E402

TARGET_SCAN_VS_LOAD = 0.5
TARGET_TWICE = 2.3
TARGET_ONE_VS_IMPORT = 2.5
TARGET_PEAK_MB = 500.0

# One vLLM Deployment with findings and fixes (LLM001, LLM003, LLM012...), repeated in one file.
PER_FILE_DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vllm-{i}
  namespace: ml
spec:
  replicas: 2
  selector:
    matchLabels: {{app: vllm-{i}}}
  template:
    metadata:
      labels: {{app: vllm-{i}}}
    spec:
      containers:
        - name: vllm
          image: vllm/vllm-openai:v0.10.1
          args:
            - --model=meta-llama/Llama-3.1-8B-Instruct
            - --gpu-memory-utilization=0.97  # llmlint: ignore[LLM022]
          ports:
            - containerPort: 8000
          readinessProbe:
            httpGet: {{path: /health, port: 8000}}
          resources:
            limits: {{nvidia.com/gpu: "1"}}
"""


def write_per_file(path: Path, documents: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(documents):
            fh.write("---\n" + PER_FILE_DOC.format(i=i))


LOAD_SCRIPT = r"""
import json, os, sys
import yaml
if not getattr(yaml, "__with_libyaml__", False):
    sys.exit("PyYAML was built without libyaml: the baseline would be the slow pure-Python loader")
loader = yaml.CSafeLoader
n = 0
for dirpath, dirnames, filenames in os.walk(sys.argv[1]):
    for name in filenames:
        path = os.path.join(dirpath, name)
        if name.endswith((".yaml", ".yml")):
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for doc in yaml.load_all(text, Loader=loader):
                n += doc is not None
        elif name.endswith(".json"):
            with open(path, encoding="utf-8") as fh:
                json.loads(fh.read())
            n += 1
print(n)
"""


@dataclass
class Run:
    seconds: float
    maxrss_mb: float
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Series:
    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def maxrss_mb(self) -> float:
        return max(r.maxrss_mb for r in self.runs)


def timed(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` in a fresh process; wall time and that child's max RSS (os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            maxrss_mb=usage.ru_maxrss / 1024.0,  # kilobytes on Linux
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over ``root`` and its descendants (Linux /proc)."""
    total = 0
    stack = [root]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def polled_peak_mb(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Peak RSS of the whole process tree of one (untimed) run, polling /proc every 10 ms."""
    if not Path("/proc/self/status").exists():
        return 0.0
    peak = 0
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.01)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    proc.wait()
    done.set()
    t.join()
    return peak / 1024.0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    try:
        import yaml

        pyyaml = (
            f"PyYAML {yaml.__version__}{' (libyaml)' if getattr(yaml, '__with_libyaml__', False) else ''}"
        )
    except ImportError:
        pyyaml = "PyYAML missing"
    return (
        f"{cpu}, {cores} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()} ({sys.executable}), {pyyaml}"
    )


def subprocess_env() -> dict[str, str]:
    """The environment for llmlint: the working tree first on sys.path, no prefilter override."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("LLMLINT_NO_PREFILTER", None)
    # An installed llmlint always runs from compiled bytecode (pip writes it); so must the working tree
    # here, or every run would compile ~40 modules from source (PYTHONDONTWRITEBYTECODE is set in some
    # sandboxes and CI images). The warm-up run writes the __pycache__ directories (git ignores them).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def llmlint_command(env: dict[str, str], cwd: Path) -> list[str] | None:
    """``python -m llmlint`` when it starts, else the ``llmlint`` console script next to the interpreter.

    ``LLMLINT_BENCH_CMD`` (a shell-quoted command) overrides both, e.g. to compare two installs.
    """
    if override := os.environ.get("LLMLINT_BENCH_CMD"):
        return shlex.split(override)
    candidates = [[sys.executable, "-m", "llmlint"]]
    script = Path(sys.executable).with_name("llmlint")
    if script.exists():
        candidates.append([str(script)])
    elif found := shutil.which("llmlint"):
        candidates.append([found])
    for cmd in candidates:
        try:
            r = subprocess.run(
                [*cmd, "--version"], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return cmd
        print(
            f"note: {' '.join(cmd)} --version exited {r.returncode}: {r.stderr.strip()[-400:]}",
            file=sys.stderr,
        )
    return None


def pick_one_file(corpus: Path) -> Path:
    """The first vLLM Deployment of the LLM stacks (a typical pre-commit target)."""
    llm = corpus / "llm"
    for d in sorted(llm.iterdir()):
        if d.name.startswith("vllm-") and (d / "deployment.yaml").exists():
            return d / "deployment.yaml"
    for d in sorted(llm.iterdir()):
        for name in ("deployment.yaml", "statefulset.yaml"):
            if (d / name).exists():
                return d / name
    return next(iter(sorted(llm.rglob("*.yaml"))))


def ensure_corpus(path: Path, scale: float, seed: int) -> CorpusStats | None:
    """Generate the corpus at ``path``; reuse it when a stamp shows the same scale, seed and generator."""
    gen_src = (BENCH_DIR / "generate_corpus.py").read_bytes()
    stamp = f"scale={scale} seed={seed} generator={hash_bytes(gen_src)}\n"
    stamp_file = path / ".bench-stamp"
    if stamp_file.exists() and stamp_file.read_text(encoding="utf-8") == stamp:
        return None
    if path.exists():
        shutil.rmtree(path)
    stats = generate(path, scale, seed)
    stamp_file.write_text(stamp, encoding="utf-8")
    return stats


def hash_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:16]


def count_corpus(path: Path) -> tuple[int, int]:
    files = 0
    size = 0
    for p in iter_corpus_files(path):
        files += 1
        size += p.stat().st_size
    return files, size


def warm(path: Path) -> None:
    for p in iter_corpus_files(path):
        p.read_bytes()


def describe_scan(run: Run) -> str:
    try:
        data = json.loads(run.stdout)
        s = data.get("summary", {})
        return (
            f"exit={run.returncode} files={s.get('files')} objects={s.get('objects')} "
            f"findings={s.get('findings')} errors={s.get('errors')}"
        )
    except (ValueError, AttributeError):
        return f"exit={run.returncode} (output is not JSON: {run.stdout[:120]!r})"


def report_scan_problems(label: str, run: Run) -> bool:
    """Print input errors (exit 2) or crashes; True when the run is unusable."""
    if run.returncode in (0, 1):
        return False
    if run.returncode == 2:
        try:
            errors = json.loads(run.stdout).get("errors", [])
        except (ValueError, AttributeError):
            errors = []
        print(f"warning: {label}: llmlint reported {len(errors)} input error(s) (exit 2):", file=sys.stderr)
        for e in errors[:5]:
            print(f"  {e.get('file')}:{e.get('line')}: {e.get('message')}", file=sys.stderr)
        if not errors:
            print(run.stderr[-2000:], file=sys.stderr)
        return False
    print(f"error: {label}: llmlint exited {run.returncode}\n{run.stderr[-4000:]}", file=sys.stderr)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark llmlint scan against the PyYAML C loader.")
    ap.add_argument("--scale", type=float, default=1.0, help="corpus scale (1: 3,000 files, ~15 MB)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", metavar="DIR", help="generate the corpora into DIR and keep (and reuse) them")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions of the corpus runs (median)")
    ap.add_argument("--one-repeat", type=int, default=15, help="repetitions of the one-file runs (median)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    ap.add_argument(
        "--per-file", type=int, default=1000, help="documents in the one-big-file case (and twice as many)"
    )
    ns = ap.parse_args(argv)

    tmp: tempfile.TemporaryDirectory[str] | None = None
    if ns.keep:
        work = Path(ns.keep).resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="llmlint-bench-")
        work = Path(tmp.name)
    try:
        return _bench(ns, work)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _bench(ns: argparse.Namespace, work: Path) -> int:
    print(f"machine: {machine()}")
    c1, c2 = work / "corpus-1x", work / "corpus-2x"
    t0 = time.perf_counter()
    for path, scale in ((c1, ns.scale), (c2, 2 * ns.scale)):
        stats = ensure_corpus(path, scale, ns.seed)
        if stats is not None:
            print(
                f"generated {path.name} (scale {scale:g}): {stats.files} files, {stats.documents} documents, "
                f"{stats.bytes / 1e6:.1f} MB"
            )
        else:
            print(f"reusing {path}")
    print(f"corpora ready in {time.perf_counter() - t0:.1f} s")
    files1, bytes1 = count_corpus(c1)
    files2, bytes2 = count_corpus(c2)

    env = subprocess_env()
    cwd = work  # no .llmlint.yaml / pyproject.toml here: defaults apply
    cmd = llmlint_command(env, cwd)
    if cmd is None:
        print(
            "error: llmlint cannot be started (python -m llmlint / llmlint console script)", file=sys.stderr
        )
        return 2
    print(f"llmlint: {' '.join(cmd)}")
    one = pick_one_file(c1)

    warm(c1)
    warm(c2)
    load1, scan1, scan2 = Series("T_load"), Series("T_scan"), Series("T_scan2")
    scan_cmd = [*cmd, "scan", "--format", "json"]
    # one untimed warm-up of each command (bytecode caches, page cache)
    timed([sys.executable, "-c", LOAD_SCRIPT, str(c1)], cwd)
    warmup = timed([*scan_cmd, str(c1)], cwd, env)
    if report_scan_problems("scan 1x (warm-up)", warmup):
        return 2
    for _ in range(ns.repeat):  # interleaved, so that drift of the machine hits every series alike
        r = timed([sys.executable, "-c", LOAD_SCRIPT, str(c1)], cwd)
        if r.returncode != 0:
            print(f"error: the load baseline failed:\n{r.stderr}", file=sys.stderr)
            return 2
        load1.runs.append(r)
        scan1.runs.append(timed([*scan_cmd, str(c1)], cwd, env))
        scan2.runs.append(timed([*scan_cmd, str(c2)], cwd, env))
    for label, series in (("scan 1x", scan1), ("scan 2x", scan2)):
        if any(report_scan_problems(label, r) for r in series.runs[-1:]):
            return 2
    tree_peak = polled_peak_mb([*scan_cmd, str(c1)], cwd, env)

    one_s, imp_s = Series("T_one"), Series("T_import")
    timed([*cmd, "scan", str(one)], cwd, env)
    for _ in range(ns.one_repeat):
        imp_s.runs.append(timed([sys.executable, "-c", "import yaml"], cwd))
        one_s.runs.append(timed([*cmd, "scan", str(one)], cwd, env))
    if one_s.runs[-1].returncode not in (0, 1):
        report_scan_problems("one file", one_s.runs[-1])

    big1, big2 = work / f"one-file-{ns.per_file}.yaml", work / f"one-file-{2 * ns.per_file}.yaml"
    write_per_file(big1, ns.per_file)
    write_per_file(big2, 2 * ns.per_file)
    file1, file2 = Series("T_file"), Series("T_file2")
    timed([*scan_cmd, str(big1)], cwd, env)
    for _ in range(ns.repeat):
        file1.runs.append(timed([*scan_cmd, str(big1)], cwd, env))
        file2.runs.append(timed([*scan_cmd, str(big2)], cwd, env))
    for label, series in (("one big file", file1), ("one big file 2x", file2)):
        if any(report_scan_problems(label, r) for r in series.runs[-1:]):
            return 2

    peak = max(scan1.maxrss_mb, tree_peak)
    ratios: list[tuple[str, float, str, bool]] = [
        (
            "scan / PyYAML-C load (1x)",
            scan1.median / load1.median,
            f"<= {TARGET_SCAN_VS_LOAD}",
            scan1.median / load1.median <= TARGET_SCAN_VS_LOAD,
        ),
        (
            "scan 2x / scan 1x",
            scan2.median / scan1.median,
            f"<= {TARGET_TWICE}",
            scan2.median / scan1.median <= TARGET_TWICE,
        ),
        (
            "one file / python -c 'import yaml'",
            one_s.median / imp_s.median,
            f"<= {TARGET_ONE_VS_IMPORT}",
            one_s.median / imp_s.median <= TARGET_ONE_VS_IMPORT,
        ),
        ("peak memory, 1x scan (MB)", peak, f"< {TARGET_PEAK_MB:g}", peak < TARGET_PEAK_MB),
        (
            "one file, documents x2 / x1",
            file2.median / file1.median,
            f"<= {TARGET_TWICE}",
            file2.median / file1.median <= TARGET_TWICE,
        ),
    ]

    print()
    print(
        f"corpus 1x: {files1} files, {bytes1 / 1e6:.1f} MB; corpus 2x: {files2} files, {bytes2 / 1e6:.1f} MB"
    )
    print(f"one file: {one.relative_to(c1)} ({one.stat().st_size} bytes)")
    print()
    print(f"{'measure':<12} {'median':>9}  {'min':>9}  {'max':>9}  runs  notes")
    for s, note in (
        (load1, f"{load1.runs[-1].stdout.strip()} documents, max RSS {load1.maxrss_mb:.0f} MB"),
        (scan1, describe_scan(scan1.runs[-1]) + f", max RSS {scan1.maxrss_mb:.0f} MB"),
        (scan2, describe_scan(scan2.runs[-1]) + f", max RSS {scan2.maxrss_mb:.0f} MB"),
        (one_s, f"exit={one_s.runs[-1].returncode}"),
        (imp_s, ""),
        (file1, describe_scan(file1.runs[-1]) + f", {ns.per_file} documents in one file"),
        (file2, describe_scan(file2.runs[-1]) + f", {2 * ns.per_file} documents in one file"),
    ):
        secs = [r.seconds for r in s.runs]
        print(
            f"{s.name:<12} {s.median:>8.3f}s  {min(secs):>8.3f}s  {max(secs):>8.3f}s  {len(secs):>4}  {note}"
        )
    if tree_peak:
        print(
            f"{'tree peak':<12} {tree_peak:>8.0f}MB  (untimed run, RSS summed over the scan's process tree)"
        )
    print()
    print(f"{'ratio':<38} {'value':>8}  {'target':>8}  result")
    for name, value, target, ok in ratios:
        print(f"{name:<38} {value:>8.2f}  {target:>8}  {'PASS' if ok else 'FAIL'}")

    if ns.json:
        Path(ns.json).write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "corpus": {
                        "1x": {"files": files1, "bytes": bytes1},
                        "2x": {"files": files2, "bytes": bytes2},
                    },
                    "seconds": {
                        s.name: [r.seconds for r in s.runs]
                        for s in (load1, scan1, scan2, one_s, imp_s, file1, file2)
                    },
                    "peak_mb": peak,
                    "ratios": [{"name": n, "value": v, "target": t, "pass": ok} for n, v, t, ok in ratios],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0 if all(ok for *_, ok in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
