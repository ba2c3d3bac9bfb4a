"""Fixing: each finding's own patch (for reports), and the fix loop behind ``--fix`` / ``--diff``.

The loop applies every fix that does not overlap one already taken, verifies the result, scans again
(a fix can change what other rules see) and repeats until nothing more applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llmlint.engine import ScanResult, Settings, analyse
from llmlint.fixes.diff import unified
from llmlint.fixes.patch import EditError, json_patch
from llmlint.fixes.text import Taken, splice_text, splices, verify
from llmlint.manifest.loader import Document, Loaded, SourceText, load
from llmlint.model import AddDocument, Finding, Fix, InputError, Target

MAX_ROUNDS = 8


def _sources_of(fix: Fix) -> list[str]:
    out: list[str] = []
    for e in fix.edits:
        if e.target.source not in out:
            out.append(e.target.source)
    return out


def fix_text(src: SourceText, docs: dict[int, Document], fix: Fix, second_reader: bool = False) -> str:
    """``src`` with ``fix`` applied alone (verified)."""
    return _fixed(src, docs, fix, second_reader)[0]


def _fixed(
    src: SourceText, docs: dict[int, Document], fix: Fix, second_reader: bool = False
) -> tuple[str, tuple[int, int]]:
    """The fixed text and the region of the original it changed."""
    parts = splices(src, docs, fix)
    new = splice_text(src.text, parts)
    verify(src, docs, new, fix.edits, parts, second_reader)
    changed = (min(p.start for p in parts), max(p.end for p in parts)) if parts else (0, 0)
    return new, changed


def annotate(result: ScanResult) -> None:
    """Give every fix its unified diff (file inputs) and its RFC 6902 JSON Patch."""
    sources, docs = result.sources(), result.documents()
    by_target = {o.target: o for o in result.graph.objects}
    for f in result.findings:
        fix = f.fix
        if fix is None or not fix.edits:  # no edits: a fix offered as its own diff (a Helm template's)
            continue
        main: Target = next((e.target for e in fix.edits if not isinstance(e, AddDocument)), f.target)
        obj = by_target.get(main)
        if obj is not None:
            try:
                fix.json_patch = json_patch(
                    obj.data, [e for e in fix.edits if e.target == main and not isinstance(e, AddDocument)]
                )
            except EditError:
                fix.json_patch = None
        fix.patch_target = main.ref if main != f.target else None
        fix.creates = [e.value for e in fix.edits if isinstance(e, AddDocument)]
        diffs: list[str] = []
        try:
            for name in _sources_of(fix):
                src = sources.get(name)
                if src is None or name == "cluster":
                    continue
                text, changed = _fixed(src, docs[name], fix)
                diffs.append(unified(name, src.text, text, changed))
        except EditError:
            diffs = []
        fix.diff = "".join(diffs) or None
        for secret in fix.redact:
            if fix.diff:
                fix.diff = fix.diff.replace(secret, secret[:3] + "…")


@dataclass
class FixOutcome:
    """What the fix loop did: the final scan, the new texts, the fixes applied and skipped."""

    result: ScanResult
    original: dict[str, SourceText]
    fixed: dict[str, str] = field(default_factory=dict)  # source name → new text
    applied: list[Finding] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why a fix was not applied


def _wanted(f: Finding, unsafe: bool) -> bool:
    return (
        f.fix is not None and not f.suppressed and (f.fix.safety == "safe" or unsafe) and f.file is not None
    )


def fix_loop(result: ScanResult, settings: Settings, *, unsafe: bool) -> FixOutcome:
    original = dict(result.sources())
    outcome = FixOutcome(result, original)
    current = result
    reported: set[tuple[str, str | None, int | None]] = set()
    for _ in range(MAX_ROUNDS):
        sources, docs = current.sources(), current.documents()
        taken: dict[str, Taken] = {}
        chosen: dict[str, list[Fix]] = {}
        picked: list[Finding] = []
        for f in current.active:
            if not _wanted(f, unsafe):
                continue
            assert f.fix is not None
            try:
                per = {n: splices(sources[n], docs[n], f.fix) for n in _sources_of(f.fix) if n in sources}
            except EditError as exc:
                key = (f.rule, f.file, f.line)
                if key not in reported:
                    reported.add(key)
                    outcome.skipped.append(f"{f.file}:{f.line}: {f.rule} fix not applied: {exc}")
                continue
            if not per or any(n in taken and taken[n].clashes(p) for n, p in per.items()):
                continue
            for n, p in per.items():
                taken.setdefault(n, Taken()).add(p)
                chosen.setdefault(n, []).append(f.fix)
            picked.append(f)
        if not picked:
            break
        new_texts: dict[str, str] = {}
        for name, fixes in chosen.items():
            src = sources[name]
            try:
                text = splice_text(src.text, taken[name].splices)
                verify(
                    src,
                    docs[name],
                    text,
                    [e for fx in fixes for e in fx.edits],
                    taken[name].splices,
                    second_reader=True,
                )
            except EditError:
                # find the culprit: apply the fixes one at a time
                text = src.text
                for fx in fixes:
                    probe = SourceText(
                        src.name, src.path, text, src.bom, src.newline, src.is_json, src.raw, src.mode
                    )
                    ld = load(probe, prefilter=False)
                    try:
                        text = fix_text(probe, {d.index: d for d in ld.documents}, fx, second_reader=True)
                    except EditError as exc:
                        outcome.skipped.append(f"{name}: fix not applied ({fx.description}): {exc}")
            if text != src.text:
                new_texts[name] = text
        if not new_texts:
            break
        outcome.applied.extend(picked)
        loaded: list[Loaded] = []
        for ld in current.loaded:
            name = ld.source.name
            if name in new_texts:
                s = ld.source
                ns = SourceText(s.name, s.path, new_texts[name], s.bom, s.newline, s.is_json, s.raw, s.mode)
                loaded.append(load(ns, prefilter=settings.prefilter))
                outcome.fixed[name] = new_texts[name]
            else:
                loaded.append(ld)
        current = analyse(
            loaded,
            settings,
            errors=[e for e in current.errors if e.file not in new_texts],
            files=current.files,
        )
        current.errors.extend(e for ld in loaded if ld.source.name in new_texts for e in ld.errors)
    outcome.result = current
    return outcome


def combined_diff(outcome: FixOutcome) -> str:
    offered = {  # fixes that are only a diff (a Helm template's): in the patch, never written by --fix
        f.fix.diff
        for f in outcome.result.active
        if f.fix and not f.fix.edits and f.fix.diff and f.fix.safety == "safe"
    }
    return "".join(
        unified(name, outcome.original[name].text, text) for name, text in sorted(outcome.fixed.items())
    ) + "".join(sorted(offered))


def write_all(outcome: FixOutcome) -> list[InputError]:
    from llmlint.fixes.write import write_atomic

    errors = []
    for name, text in sorted(outcome.fixed.items()):
        src = outcome.original[name]
        if src.path is None:
            continue
        err = write_atomic(src, text)
        if err is not None:
            errors.append(err)
    return errors
