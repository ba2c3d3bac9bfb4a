"""Measure what ``llmlint scan . --fix --unsafe-fixes`` does to real repositories (issue 12).

For each source folder of the real-world corpus (default ``/work/shared/realworld/corpus``), a copy is
made in a scratch git repository in a temporary directory (never in the project; nothing of the corpus
is kept), the fixer runs there, and the result is compared with the original:

- ``api``: problems the API server would refuse or warn about that the fixes added
  (:func:`llmlint.fixes.validate.problems`: names, mountPaths, mounts, ports, env, int32 ranges);
- ``dup``: objects (kind/namespace/name) a file now holds twice that it did not before;
- ``deadline``: containers whose start-up deadline got shorter (the startupProbe budget, or without one
  the longest of the readiness and liveness budgets the author set);
- ``comments``: comment lines lost;
- ``kv``: objects newly failing ``kubernetes-validate --strict`` (Kubernetes 1.33);
- ``rerun``: files a second ``--fix`` run still changes;
- ``patch``: json_patch entries of ``--format json`` (unsafe fixes included) that apply with the
  ``jsonpatch`` library to their target and give the object the fix's own diff gives (ok/total).

It also counts what landed (``fixed``) and what the machinery refused (``refused``, by reason).

    PYTHONPATH=$PWD python tools/check_fixes.py [CORPUS] [--only SOURCE] [-v] [--root OTHER_TREE]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsonpatch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmlint.fixes.validate import deadlines, identity, problems  # noqa: E402
from llmlint.manifest.loader import SourceText, decode, load  # noqa: E402

CORPUS = Path("/work/shared/realworld/corpus")
K8S = "1.33"
_COMMENT = re.compile(r"(?:^|\s)(#.*)$")


RUN_ROOT = ROOT  # the llmlint tree that is measured (--root), the checks are always this tree's


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(RUN_ROOT)
    env["NO_COLOR"] = "1"
    return env


def llmlint(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmlint", "scan", ".", *args],
        cwd=repo,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def manifests(repo: Path) -> list[Path]:
    return sorted(
        p
        for p in repo.rglob("*")
        if p.suffix in (".yaml", ".yml", ".json") and ".git" not in p.parts and p.is_file()
    )


def objects(text: str) -> list[Any]:
    """The objects of a file, document by document (one document that does not parse costs only
    itself), ``kind: List`` items included; read with llmlint's own loader."""
    src = decode("x.yaml", text.encode("utf-8", "surrogatepass"))
    if not isinstance(src, SourceText):
        return []
    out: list[Any] = []
    for d in load(src, prefilter=False).documents:
        data = d.data
        kind = data.get("kind") if isinstance(data, dict) else None
        if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list):
            out += [i for i in data["items"] if isinstance(i, dict)]
        elif isinstance(data, dict):
            out.append(data)
    return out


def comments(text: str) -> collections.Counter[str]:
    out: collections.Counter[str] = collections.Counter()
    for line in text.splitlines():
        m = _COMMENT.search(line)
        if m and not line.lstrip().startswith(("- '", '- "')):
            out[m.group(1).strip()] += 1
    return out


def kv_failures(obj: Any) -> set[str]:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, K8S, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return set()
    except kubernetes_validate.ValidationError as exc:
        return {f"{'.'.join(map(str, exc.path))}: {exc.message}"}
    except Exception as exc:
        return {f"{type(exc).__name__}"}
    return set()


class Snapshot:
    """What the measures read from a repository's manifests."""

    def __init__(self, repo: Path) -> None:
        self.texts = {
            str(p.relative_to(repo)): p.read_text(encoding="utf-8", errors="replace") for p in manifests(repo)
        }
        self.objs = {n: objects(t) for n, t in self.texts.items()}

    def keyed(self) -> dict[tuple[str, Any, int], Any]:
        """(file, identity, occurrence) → object."""
        out: dict[tuple[str, Any, int], Any] = {}
        for name, objs in self.objs.items():
            seen: collections.Counter[Any] = collections.Counter()
            for o in objs:
                key = identity(o)
                out[(name, key, seen[key])] = o
                seen[key] += 1
        return out


def compare(before: Snapshot, after: Snapshot) -> dict[str, list[str]]:
    issues: dict[str, list[str]] = collections.defaultdict(list)
    b, a = before.keyed(), after.keyed()
    for key, obj in a.items():
        old = b.get(key)
        name = f"{key[0]}:{key[1][1] if key[1] else '?'}/{key[1][3] if key[1] else '?'}"
        for p in sorted(problems(obj) - (problems(old) if old is not None else set())):
            issues["api"].append(f"{name}: {p}")
        if old is not None:
            od, nd = deadlines(old), deadlines(obj)
            for c, t in nd.items():
                if c in od and t < od[c]:
                    issues["deadline"].append(f"{name}{c}: {od[c]:g}s -> {t:g}s")
            if old != obj or old is None:
                for fail in sorted(kv_failures(obj) - kv_failures(old)):
                    issues["kv"].append(f"{name}: {fail}")
        else:
            for fail in sorted(kv_failures(obj)):
                issues["kv"].append(f"{name} (new): {fail}")
    for name, objs in after.objs.items():
        count = collections.Counter(identity(o) for o in objs if identity(o) is not None)
        old = collections.Counter(identity(o) for o in before.objs.get(name, []) if identity(o) is not None)
        for key, n in count.items():
            if n > 1 and n > old.get(key, 0):
                issues["dup"].append(f"{name}: {key[1]} {key[3]} x{n}")
    for name, text in before.texts.items():
        lost = comments(text) - comments(after.texts.get(name, ""))
        for c, n in lost.items():
            issues["comments"].append(f"{name}: {c!r} x{n}")
    return issues


def _find(snap: Snapshot, ref: dict[str, Any], prefer: str | None) -> tuple[str, Any] | None:
    want = (ref.get("kind"), ref.get("namespace") or "", ref.get("name"))
    names = ([prefer] if prefer in snap.objs else []) + [n for n in snap.objs if n != prefer]
    for name in names:
        for o in snap.objs[name]:
            key = identity(o)
            if key is not None and (key[1], key[2], key[3]) == want:
                return name, o
    return None


def check_patches(repo: Path, report: dict[str, Any], before: Snapshot) -> tuple[int, int, list[str]]:
    """json_patch applies to its target and equals what the fix's own diff gives."""
    ok = total = 0
    bad: list[str] = []
    for f in report.get("findings", []):
        fix = f.get("fix")
        if not fix or fix.get("json_patch") is None:
            continue
        total += 1
        ref = fix.get("target") or f["object"]
        found = _find(before, ref, f.get("file"))
        label = f"{f['file']}:{f['line']} {f['rule']}"
        if found is None:
            bad.append(f"{label}: target {ref.get('kind')}/{ref.get('name')} not found")
            continue
        name, obj = found
        try:
            patched = jsonpatch.apply_patch(obj, fix["json_patch"])
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            bad.append(f"{label}: does not apply ({exc})")
            continue
        if fix.get("diff"):
            (repo / ".fix.patch").write_text(fix["diff"])
            r = subprocess.run(["git", "apply", ".fix.patch"], cwd=repo, capture_output=True, text=True)
            if r.returncode != 0:
                masked = " (a credential in it is masked)" if "…" in fix["diff"] else ""
                bad.append(
                    f"{label}: its diff does not apply{masked} ({r.stderr.strip().splitlines()[0][:100]})"
                )
                continue
            after = Snapshot(repo)
            git(repo, "checkout", "-q", "--", ".")
            found_after = _find(after, ref, name)
            if found_after is None or found_after[1] != patched:
                bad.append(f"{label}: json_patch and diff disagree")
                continue
        ok += 1
    (repo / ".fix.patch").unlink(missing_ok=True)
    return ok, total, bad


_REASONS = (
    ("API server", "the API server would refuse"),
    ("alias", "YAML anchor"),
    ("not cleared", "does not clear its own finding"),
    ("worse", "it causes"),
    ("invalid", "makes the file invalid"),
    ("duplicate object", "twice (the second"),
    ("exists", "already exists"),
    ("outside tree", "outside the scanned tree"),
    ("read-only", "read-only"),
    ("cycle", "undo each other"),
    ("not converged", "did not converge"),
)


def refused(stderr: str) -> collections.Counter[str]:
    out: collections.Counter[str] = collections.Counter()
    for line in stderr.splitlines():
        if not line.startswith("warning:"):
            continue
        for label, needle in _REASONS:
            if needle in line:
                out[label] += 1
                break
        else:
            out["other"] += 1
    return out


def run_source(src: Path, verbose: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="llmlint-check-fixes-") as tmp:
        repo = Path(tmp) / "repo"
        shutil.copytree(src, repo)
        for p in [repo, *repo.rglob("*")]:  # the corpus is read-only; the copy is the user's own checkout
            p.chmod(p.stat().st_mode | 0o200)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "-c", "user.email=x@x", "-c", "user.name=x", "commit", "-qm", "original")
        before = Snapshot(repo)
        js = llmlint(repo, "--format", "json")
        try:
            report = json.loads(js.stdout)
        except json.JSONDecodeError:
            report = {}
        p_ok, p_total, p_bad = check_patches(repo, report, before)
        first = llmlint(repo, "--fix", "--unsafe-fixes", "--format", "json")
        try:
            fixed = int(json.loads(first.stdout).get("fixed", 0))
        except (json.JSONDecodeError, ValueError, TypeError):
            fixed = -1
        after = Snapshot(repo)
        issues = compare(before, after)
        changed = [n for n in after.texts if after.texts[n] != before.texts.get(n)]
        llmlint(repo, "--fix", "--unsafe-fixes")
        again = Snapshot(repo)
        issues["rerun"] = [n for n in again.texts if again.texts[n] != after.texts.get(n)]
        issues["patch"] = p_bad
        crashed = "Traceback" in js.stderr + first.stderr
        row = {
            "source": src.name,
            "files": len(before.texts),
            "changed": len(changed),
            "fixed": fixed,
            "refused": refused(first.stderr),
            "issues": issues,
            "patch": (p_ok, p_total),
            "crash": crashed,
        }
        if verbose:
            for k, v in issues.items():
                for line in v:
                    print(f"  {src.name} {k}: {line}")
            for line in first.stderr.splitlines():
                if line.startswith("warning:"):
                    print(f"  {src.name} refused: {line[9:]}")
        return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(CORPUS))
    ap.add_argument("--only", action="append", help="source folder name (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every issue and refusal")
    ap.add_argument("--root", help="the llmlint source tree to measure (default: this one)")
    args = ap.parse_args()
    global RUN_ROOT
    if args.root:
        RUN_ROOT = Path(args.root).resolve()
    sources = sorted(p for p in Path(args.corpus).iterdir() if p.is_dir())
    if args.only:
        sources = [s for s in sources if s.name in args.only]
    cols = ("api", "dup", "deadline", "comments", "kv", "rerun")
    print(
        f"{'source':<48} {'files':>5} {'chg':>4} {'fixed':>5} {'refused':>7} "
        + " ".join(f"{c:>8}" for c in cols)
        + f" {'patch':>9}"
    )
    totals: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    for src in sources:
        row = run_source(src, args.verbose)
        counts = {c: len(row["issues"].get(c, [])) for c in cols}
        ok, total = row["patch"]
        print(
            f"{row['source'][:48]:<48} {row['files']:>5} {row['changed']:>4} {row['fixed']:>5} "
            f"{sum(row['refused'].values()):>7} "
            + " ".join(f"{counts[c]:>8}" for c in cols)
            + f" {ok:>4}/{total:<4}"
            + (" CRASH" if row["crash"] else "")
        )
        totals.update(counts)
        totals.update({"files": row["files"], "changed": row["changed"], "fixed": max(row["fixed"], 0)})
        totals.update({"patch_ok": ok, "patch_total": total, "refused": sum(row["refused"].values())})
        totals.update({"crash": int(row["crash"])})
        reasons.update(row["refused"])
    print(
        f"{'TOTAL':<48} {totals['files']:>5} {totals['changed']:>4} {totals['fixed']:>5} {totals['refused']:>7} "
        + " ".join(f"{totals[c]:>8}" for c in cols)
        + f" {totals['patch_ok']:>4}/{totals['patch_total']:<4}"
    )
    print("refused by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    bad = sum(totals[c] for c in cols) + (totals["patch_total"] - totals["patch_ok"]) + totals["crash"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
