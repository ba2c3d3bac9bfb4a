"""Fixing: each finding's own patch (for reports), and the fix loop behind ``--fix`` / ``--diff``.

The loop applies every fix that does not overlap one already taken, verifies the result (it reads back
as intended, and the API server would accept it: :mod:`llmlint.fixes.validate`), scans again (a fix can
change what other rules see) and repeats until nothing more applies. It is honest about what it did: a
fix that does not clear its own finding or makes what it touched worse is reverted and reported, fixes
that undo each other are reported with their rule IDs, a fix spanning files lands in all or none, and
``applied`` holds only what landed.

What rules can rely on: a fix's edits name the objects they edit (``Edit.target``); the first edited
object is the one ``json_patch`` is written against (``fix.patch_target`` names it when it is not the
finding's own); a fix that edits two objects has no ``json_patch`` (one RFC 6902 patch names one
object) but its diff; a fix without edits (a Helm template's diff) is shown, never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from llmlint.engine import ScanResult, Settings, analyse
from llmlint.fixes.diff import unified
from llmlint.fixes.patch import EditError, json_patch
from llmlint.fixes.text import Taken, splice_text, splices, verify
from llmlint.fixes.validate import Known
from llmlint.manifest.loader import Document, Loaded, SourceText, load
from llmlint.model import SEVERITY_RANK, AddDocument, Finding, Fix, InputError, ObjectRef, Path, Target

MAX_ROUNDS = 8


def _sources_of(fix: Fix) -> list[str]:
    out: list[str] = []
    for e in fix.edits:
        if e.target.source not in out:
            out.append(e.target.source)
    return out


def fix_text(
    src: SourceText,
    docs: dict[int, Document],
    fix: Fix,
    second_reader: bool = False,
    known: Known | None = None,
) -> str:
    """``src`` with ``fix`` applied alone (verified)."""
    return _fixed(src, docs, fix, second_reader, known)[0]


def _fixed(
    src: SourceText,
    docs: dict[int, Document],
    fix: Fix,
    second_reader: bool = False,
    known: Known | None = None,
) -> tuple[str, tuple[int, int]]:
    """The fixed text and the region of the original it changed."""
    parts = splices(src, docs, fix)
    new = splice_text(src.text, parts)
    verify(src, docs, new, fix.edits, parts, second_reader, known)
    changed = (min(p.start for p in parts), max(p.end for p in parts)) if parts else (0, 0)
    return new, changed


def _fix_diff(src: SourceText, docs: dict[int, Document], fix: Fix, known: Known | None) -> str:
    """The verified diff of one fix in one file. Only the window of the documents the fix touches is
    spliced and read back (a file of thousands of documents with a fix in each must not be rebuilt per
    fix); JSON files and fixes whose splices leave that window are done whole."""
    parts = splices(src, docs, fix)
    mine = {e.target.doc_index for e in fix.edits if e.target.source == src.name}
    if src.is_json or not parts or not mine or any(i not in docs for i in mine):
        text, changed = _fixed(src, docs, fix, known=known)
        return unified(src.name, src.text, text, changed)
    w0 = min(docs[i].start for i in mine)
    w1 = max(docs[i].end for i in mine)
    if any(p.start < w0 or p.end > w1 for p in parts):
        text, changed = _fixed(src, docs, fix, known=known)
        return unified(src.name, src.text, text, changed)
    local = [replace(p, start=p.start - w0, end=p.end - w0) for p in parts]
    window = splice_text(src.text[w0:w1], local)
    verify(src, docs, window, fix.edits, local, False, known, base=w0)
    changed = (min(p.start for p in parts), max(p.end for p in parts))
    return unified(src.name, src.text, _Windowed(src.text, w0, w1, window), changed)


class _Windowed:
    """The edited file as :func:`unified` reads it (its length and slices) without building it: the
    original outside ``[w0, w1)``, the edited window inside."""

    def __init__(self, text: str, w0: int, w1: int, window: str) -> None:
        self.text, self.w0, self.w1, self.window = text, w0, w1, window
        self.delta = len(window) - (w1 - w0)

    def __len__(self) -> int:
        return len(self.text) + self.delta

    def __getitem__(self, key: slice) -> str:
        start, stop, _ = key.indices(len(self))
        head = self.text[start : min(stop, self.w0)] if start < self.w0 else ""
        mid_lo, mid_hi = max(start, self.w0) - self.w0, min(stop, self.w0 + len(self.window)) - self.w0
        mid = self.window[mid_lo:mid_hi] if mid_hi > mid_lo else ""
        tail_lo = max(start, self.w0 + len(self.window)) - self.delta
        tail = self.text[tail_lo : stop - self.delta] if stop - self.delta > tail_lo else ""
        return head + mid + tail


def annotate(result: ScanResult) -> None:
    """Give every fix its unified diff (file inputs) and its RFC 6902 JSON Patch.

    The patch is computed against the object the fix edits (``fix.patch_target`` names it when it is not
    the finding's own, e.g. the claim of LLM006). A fix whose text edit cannot be made (it would edit an
    aliased node, the API server would refuse the result, …) gets neither: its description says why."""
    sources, docs = result.sources(), result.documents()
    by_target = {o.target: o for o in result.graph.objects}
    known = Known.of_graph(result.graph)
    for f in result.findings:
        fix = f.fix
        if fix is None or not fix.edits:  # no edits: a fix offered as its own diff (a Helm template's)
            continue
        main: Target = next((e.target for e in fix.edits if not isinstance(e, AddDocument)), f.target)
        obj = by_target.get(main)
        preset = fix.json_patch  # set upstream against the object it renders (a Helm values fix)
        fix.json_patch = None
        edited = {e.target for e in fix.edits if not isinstance(e, AddDocument)}
        if len(edited) > 1:
            obj = None  # one RFC 6902 patch names one object: this fix is its diff (and --fix) only
        if obj is not None:
            try:
                fix.json_patch = json_patch(
                    obj.data, [e for e in fix.edits if e.target == main and not isinstance(e, AddDocument)]
                )
            except (EditError, RecursionError):
                fix.json_patch = None
        elif len(edited) == 1 and main.ref == ObjectRef(None, None, None, None):
            fix.json_patch = preset  # the edit is of a file that is no object (values): keep its patch
        fix.patch_target = main.ref if main != f.target else None
        fix.creates = [e.value for e in fix.edits if isinstance(e, AddDocument)]
        diffs: list[str] = []
        failed: str | None = None
        try:
            for name in _sources_of(fix):
                src = sources.get(name)
                if src is None or name == "cluster":
                    continue
                diffs.append(_fix_diff(src, docs[name], fix, known))
        except EditError as exc:
            diffs, failed = [], str(exc)
        except RecursionError:
            diffs, failed = [], "the document nests too deeply (through its aliases) to be fixed safely"
        if failed is not None:
            fix.json_patch = None  # the patch is the text fix's equivalent: there is none
            if "cannot be applied" not in fix.description:
                fix.description += f" (cannot be applied: {failed})"
        fix.diff = "".join(diffs) or None
        # A diff that removes a credential (LLM013) carries it: the reports leave such a diff out with a
        # note (llmlint.report.redact.redact_result), since a masked hunk would not apply.


@dataclass
class FixOutcome:
    """What the fix loop did: the final scan, the new texts, the fixes that landed and those that did not."""

    result: ScanResult
    original: dict[str, SourceText]
    fixed: dict[str, str] = field(default_factory=dict)  # source name → new text
    applied: list[Finding] = field(default_factory=list)  # the findings whose fixes are in ``fixed``
    skipped: list[str] = field(default_factory=list)  # why a fix was not applied
    roots: list[str] | None = None  # the scanned tree (``--fix``): files outside it are never written


FindingKey = tuple[str, str, ObjectRef, str | None, Path]


def _wanted_safety(f: Finding, unsafe: bool) -> bool:
    return f.fix is not None and (f.fix.safety == "safe" or unsafe)


_DIFF_ONLY = "it changes a Helm template, which llmlint never writes: it is offered as a diff (--diff)"
_RENDERED = "it edits a template rendered by Helm (only the chart's values files are written)"


def _diff_only(f: Finding, unsafe: bool) -> bool:
    """A fix offered only as its diff (a Helm template's): --fix says so and writes nothing."""
    return (
        f.fix is not None
        and not f.fix.edits
        and bool(f.fix.diff)
        and not f.suppressed
        and _wanted_safety(f, unsafe)
    )


def _wanted(f: Finding, unsafe: bool) -> bool:
    return (
        f.fix is not None
        and bool(f.fix.edits)  # a fix that is only a diff (a Helm template's) is never written
        and not f.suppressed
        and _wanted_safety(f, unsafe)
        and f.file is not None
    )


def _ident(f: Finding) -> FindingKey:
    """A finding across rounds (document indexes shift when a fix adds a document; refs do not)."""
    return (f.rule, f.target.source, f.target.ref, f.container, f.path)


def _fix_key(f: Finding) -> tuple[object, ...]:
    assert f.fix is not None
    return (*_ident(f), f.fix.description)


def _ref_key(ref: ObjectRef) -> tuple[str | None, str | None, str]:
    return (ref.kind, ref.name, ref.namespace or "")


def _touched(fix: Fix) -> set[tuple[str, tuple[str | None, str | None, str]]]:
    """(source, object) pairs a fix edits or creates."""
    out = set()
    for e in fix.edits:
        if isinstance(e, AddDocument):
            meta = e.value.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            ns = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
            out.add((e.target.source, (e.value.get("kind"), meta.get("name"), ns or "")))
        out.add((e.target.source, _ref_key(e.target.ref)))
    return out


def _rendered_from(f: Finding) -> set[tuple[str, tuple[str | None, str | None, str]]]:
    """A fix that edits a file holding no object (a Helm values file) touches the object it is for."""
    assert f.fix is not None
    none = ObjectRef(None, None, None, None)
    if any(not isinstance(e, AddDocument) and e.target.ref == none for e in f.fix.edits):
        return {(f.target.source, _ref_key(f.target.ref))}
    return set()


_CONFLICT = "conflicts with another fix of this file"  # tried again in a later round


class _Round:
    """One round's candidate fixes, spliced together per file; a fix that fails in any file leaves every
    file (a fix spanning a ConfigMap and its Deployment lands in both or neither)."""

    def __init__(self, current: ScanResult, known: Known) -> None:
        self.current, self.known = current, known
        self.sources, self.docs = current.sources(), current.documents()

    def texts(
        self, picked: list[Finding], notes: list[tuple[Finding, str]]
    ) -> tuple[list[Finding], dict[str, str]]:
        while True:
            per_file: dict[str, list[Fix]] = {}
            taken: dict[str, Taken] = {}
            kept: list[Finding] = []
            for f in picked:
                assert f.fix is not None
                try:
                    per = {n: splices(self.sources[n], self.docs[n], f.fix) for n in _sources_of(f.fix)}
                except EditError:
                    continue  # the candidate filter already reported it
                if any(n in taken and taken[n].clashes(p) for n, p in per.items()):
                    continue
                for n, p in per.items():
                    taken.setdefault(n, Taken()).add(p)
                    per_file.setdefault(n, []).append(f.fix)
                kept.append(f)
            picked = kept
            bad: dict[int, str] = {}
            out: dict[str, str] = {}
            for name, fixes in per_file.items():
                src = self.sources[name]
                try:
                    text = splice_text(src.text, taken[name].splices)
                    verify(
                        src,
                        self.docs[name],
                        text,
                        [e for fx in fixes for e in fx.edits],
                        taken[name].splices,
                        second_reader=True,
                        known=self.known,
                    )
                except EditError:
                    bad.update(self._culprits(src, fixes))
                    continue
                if text != src.text:
                    out[name] = text
            if not bad:
                return picked, out
            for f in picked:
                if id(f.fix) in bad:
                    notes.append((f, bad[id(f.fix)]))
            picked = [f for f in picked if id(f.fix) not in bad]

    def _culprits(self, src: SourceText, fixes: list[Fix]) -> dict[int, str]:
        """Apply the fixes of one file one at a time: those that fail, and why."""
        out: dict[int, str] = {}
        text = src.text
        for fx in fixes:
            probe = SourceText(src.name, src.path, text, src.bom, src.newline, src.is_json, src.raw, src.mode)
            ld = load(probe, prefilter=False)
            docs = {d.index: d for d in ld.documents}
            try:
                parts = splices(probe, docs, fx)
                new = splice_text(probe.text, parts)
                verify(probe, docs, new, fx.edits, parts, second_reader=True, known=self.known)
                text = new
            except EditError as exc:
                out[id(fx)] = str(exc)
        if not out:  # together they fail, one by one they pass: keep the first, retry the rest later
            out[id(fixes[-1])] = _CONFLICT
        return out


def _derived(result: ScanResult) -> set[str]:
    """Sources whose text is made from other files (a Helm chart's rendered templates, ``path`` None):
    never edited, written or diffed; the fix edits the files they are made from."""
    return {ld.source.name for ld in result.loaded if getattr(ld, "derived", False)}


def _reanalyse(current: ScanResult, new_texts: dict[str, str], settings: Settings) -> ScanResult:
    loaded: list[Loaded] = []
    for ld in current.loaded:
        name = ld.source.name
        if name in new_texts:
            s = ld.source
            ns = SourceText(s.name, s.path, new_texts[name], s.bom, s.newline, s.is_json, s.raw, s.mode)
            reload = getattr(ld, "reload", None)  # helm: a values file stays its chart's (rendered again)
            loaded.append(reload(ns) if reload is not None else load(ns, prefilter=settings.prefilter))
        else:
            loaded.append(ld)
    result = analyse(
        loaded, settings, errors=[e for e in current.errors if e.file not in new_texts], files=current.files
    )
    result.errors.extend(e for ld in loaded if ld.source.name in new_texts for e in ld.errors)
    return result


def _judge(
    before: ScanResult, after: ScanResult, picked: list[Finding], settings: Settings
) -> dict[int, str]:
    """The picked fixes that made things worse (by ``id`` of the finding), and how: a fix must clear its
    own finding, add no input error to a file it touched and no finding of higher severity to an object
    it touched."""
    count_after: dict[FindingKey, int] = {}
    for f in after.active:
        count_after[_ident(f)] = count_after.get(_ident(f), 0) + 1
    count_before: dict[FindingKey, int] = {}
    for f in before.active:
        count_before[_ident(f)] = count_before.get(_ident(f), 0) + 1
    fixing: dict[FindingKey, int] = {}
    for f in picked:
        fixing[_ident(f)] = fixing.get(_ident(f), 0) + 1
    old_errors = {(e.file, e.message) for e in before.errors}
    new_errors = [e for e in after.errors if (e.file, e.message) not in old_errors]
    old_findings = {(_ident(f), f.severity) for f in before.active}
    new_findings = [f for f in after.active if (_ident(f), f.severity) not in old_findings]
    bad: dict[int, str] = {}
    suspects: dict[int, str] = {}
    invalid: list[Finding] = []
    for f in picked:
        assert f.fix is not None
        k = _ident(f)
        if count_after.get(k, 0) > count_before.get(k, 0) - fixing[k]:
            bad[id(f)] = "it does not clear its own finding (reverted)"
            continue
        touched = _touched(f.fix) | _rendered_from(f)
        files = {s for s, _ in touched}
        err = next((e for e in new_errors if e.file in files), None)
        if err is not None:
            suspects[id(f)] = f"it makes the file invalid ({err.message}) (reverted)"
            invalid.append(f)
            continue
        rank = SEVERITY_RANK[f.severity]
        worse = next(
            (
                g
                for g in new_findings
                if (g.target.source, _ref_key(g.target.ref)) in touched and SEVERITY_RANK[g.severity] > rank
            ),
            None,
        )
        if worse is not None:
            suspects[id(f)] = f"it causes {worse.rule} ({worse.severity}): {worse.message} (reverted)"
    # a suspect that shares an object with another fix of the round is blamed only if it is worse alone
    shared: list[Finding] = []
    for f in picked:
        if id(f) not in suspects:
            continue
        assert f.fix is not None
        mine = _touched(f.fix)
        if any(g is not f and g.fix is not None and mine & _touched(g.fix) for g in picked):
            shared.append(f)
        else:
            bad[id(f)] = suspects[id(f)]
    if shared:
        bad.update(_isolate(before, shared, suspects, settings))
        # together they make a file invalid though none does alone (two values fixes with which a Helm
        # chart no longer renders): an invalid result is never kept; the first stays, the others revert
        together = [f for f in invalid if f in shared and id(f) not in bad]
        for f in together[1:]:
            bad[id(f)] = f"together with the {together[0].rule} fix, {suspects[id(f)]}"
    return bad


def _isolate(
    before: ScanResult, suspects: list[Finding], why: dict[int, str], settings: Settings
) -> dict[int, str]:
    """Several fixes may share the blame: try each alone on the round's starting point."""
    out: dict[int, str] = {}
    rnd = _Round(before, Known.of_graph(before.graph))
    for f in suspects:
        notes: list[tuple[Finding, str]] = []
        kept, texts = rnd.texts([f], notes)
        if not kept or not texts:
            out[id(f)] = notes[0][1] if notes else why[id(f)]
            continue
        alone = _reanalyse(before, texts, settings)
        if _worse_alone(before, alone, f):
            out[id(f)] = why[id(f)]
    return out


def _worse_alone(before: ScanResult, after: ScanResult, f: Finding) -> bool:
    assert f.fix is not None
    touched = _touched(f.fix) | _rendered_from(f)
    files = {s for s, _ in touched}
    old_errors = {(e.file, e.message) for e in before.errors}
    if any((e.file, e.message) not in old_errors and e.file in files for e in after.errors):
        return True
    old_findings = {(_ident(g), g.severity) for g in before.active}
    rank = SEVERITY_RANK[f.severity]
    return any(
        (_ident(g), g.severity) not in old_findings
        and (g.target.source, _ref_key(g.target.ref)) in touched
        and SEVERITY_RANK[g.severity] > rank
        for g in after.active
    )


def _state(result: ScanResult) -> tuple[tuple[str, int], ...]:
    return tuple(sorted((n, hash(s.text)) for n, s in result.sources().items()))


def fix_loop(
    result: ScanResult, settings: Settings, *, unsafe: bool, roots: list[str] | None = None
) -> FixOutcome:
    """Apply fixes round by round until nothing more applies.

    Each round takes every wanted fix that does not overlap one already taken, splices and verifies them
    (a fix that fails verification in any of its files is dropped from all), then scans again. A fix that
    does not clear its own finding, or that adds an input error or a finding of higher severity to what
    it touched, is reverted, reported and never tried again. A set of fixes that undo each other (the
    same texts come back) is reverted to where the cycle started and reported with its rule IDs, as is a
    loop still changing files after :data:`MAX_ROUNDS` rounds. ``roots`` (``--fix``): fixes that would
    write a file that cannot be written (outside the scanned tree, read-only) are not applied."""
    from llmlint.fixes.write import unwritable  # tempfile: only when fixing

    original = dict(result.sources())
    outcome = FixOutcome(result, original, roots=roots)
    refused: dict[str, str | None] = {}
    banned: set[tuple[object, ...]] = set()
    reported: set[tuple[object, ...]] = set()
    history: list[ScanResult] = [result]
    rounds: list[list[Finding]] = []
    seen = {_state(result): 0}
    current = result
    attempts = 0

    noted: dict[tuple[object, ...], int] = {}  # fix key → its line in outcome.skipped

    def note(key: tuple[object, ...], text: str) -> None:
        if key not in reported:
            reported.add(key)
            noted[key] = len(outcome.skipped)
            outcome.skipped.append(text)

    def candidates(cur: ScanResult) -> list[Finding]:
        sources, docs = cur.sources(), cur.documents()
        derived = _derived(cur)
        contexts = {o.target for o in cur.graph.objects if getattr(o, "context", False)}
        out: list[Finding] = []
        for f in cur.active:
            if roots is not None and _diff_only(f, unsafe):  # --fix (--diff prints that diff)
                note(_fix_key(f), f"{f.file}:{f.line}: {f.rule} fix not applied: {_DIFF_ONLY}")
                continue
            if not _wanted(f, unsafe) or _fix_key(f) in banned:
                continue
            assert f.fix is not None
            names = _sources_of(f.fix)
            if any(e.target in contexts for e in f.fix.edits):
                note(_fix_key(f), f"{f.file}:{f.line}: {f.rule} fix not applied: it edits a context object")
                continue
            if any(n in derived for n in names):  # helm's output: the fix must edit the chart's files
                note(_fix_key(f), f"{f.file}:{f.line}: {f.rule} fix not applied: {_RENDERED}")
                continue
            if roots is not None:
                for n in names:
                    if n not in refused:
                        src = original.get(n)
                        refused[n] = unwritable(src, roots) if src is not None and src.path else None
                why = next((refused[n] for n in names if refused[n]), None)
                if why:
                    note(_fix_key(f), f"{f.file}:{f.line}: {f.rule} fix not applied: {why}")
                    continue
            try:
                for n in names:
                    if n not in sources or n == "cluster":
                        raise EditError(f"{n} is not a file being fixed")
                    splices(sources[n], docs[n], f.fix)
            except EditError as exc:
                note(_fix_key(f), f"{f.file}:{f.line}: {f.rule} fix not applied: {exc}")
                continue
            out.append(f)
        return out

    while len(rounds) < MAX_ROUNDS and attempts < 4 * MAX_ROUNDS:
        attempts += 1
        wanted = candidates(current)
        if not wanted:
            break
        notes: list[tuple[Finding, str]] = []
        picked, texts = _Round(current, Known.of_graph(current.graph)).texts(wanted, notes)
        for f, why in notes:
            if why == _CONFLICT:
                continue
            banned.add(_fix_key(f))
            note(_fix_key(f), f"{f.file}:{f.line}: {f.rule} fix not applied: {why}")
        if not texts:
            for f in wanted:
                banned.add(_fix_key(f))  # nothing of them can be spliced now: do not try again
            break
        new = _reanalyse(current, texts, settings)
        bad = _judge(current, new, picked, settings)
        if bad:
            for f in picked:
                if id(f) in bad:
                    banned.add(_fix_key(f))
                    note(_fix_key(f), f"{f.file}:{f.line}: {f.rule} fix not applied: {bad[id(f)]}")
            continue  # the same round again, without them
        state = _state(new)
        if state in seen:
            start = seen[state]
            rules = sorted({f.rule for r in rounds[start:] for f in r} | {f.rule for f in picked})
            outcome.skipped.append(
                f"fixes undo each other ({', '.join(rules)}): the loop does not converge; "
                "those fixes were not applied"
            )
            current = history[start]
            del rounds[start:]
            break
        seen[state] = len(history)
        history.append(new)
        rounds.append(picked)
        current = new
    else:
        pending = sorted({f.rule for f in candidates(current)})
        if pending:
            outcome.skipped.append(
                f"fixes did not converge after {MAX_ROUNDS} rounds ({', '.join(pending)} still apply); "
                "what was fixed so far is kept"
            )
    outcome.result = current
    outcome.applied = [f for r in rounds for f in r]
    _one_line_per_finding(outcome, noted)
    final, derived = current.sources(), _derived(current)
    outcome.fixed = {  # a rendered template changes with its values: it is no file to write or diff
        n: final[n].text
        for n in original
        if n in final and n not in derived and final[n].text != original[n].text
    }
    return outcome


_NOT_APPLIED = " fix not applied: "


def _one_line_per_finding(outcome: FixOutcome, noted: dict[tuple[object, ...], int]) -> None:
    """One report line per finding: when a fix for a finding landed and a later fix for the same finding
    (a follow-up, in a later round) was not applied, the line says what landed, then why the follow-up did
    not; several notes about one finding are joined on its first line."""
    landed: dict[tuple[object, ...], Finding] = {}
    for f in outcome.applied:
        landed.setdefault(tuple(_ident(f)), f)
    first: dict[tuple[object, ...], int] = {}
    drop: set[int] = set()
    for key, i in sorted(noted.items(), key=lambda kv: kv[1]):
        ident = key[:-1]
        text = outcome.skipped[i]
        why = text.split(_NOT_APPLIED, 1)[1] if _NOT_APPLIED in text else text
        done = landed.get(ident)
        if ident in first:
            j = first[ident]
            if why not in outcome.skipped[j]:
                outcome.skipped[j] += f"; {why}"
            drop.add(i)
            continue
        first[ident] = i
        if done is not None and done.fix is not None and key != _fix_key(done):
            outcome.skipped[i] = (
                f"{done.file}:{done.line}: {done.rule} fixed ({done.fix.description}); "
                f"a follow-up{_NOT_APPLIED}{why}"
            )
    outcome.skipped[:] = [t for i, t in enumerate(outcome.skipped) if i not in drop]


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
    """Write every fixed file atomically; the files of a fix that spans several land together or not at
    all. A file that is not written takes its fixes out of ``outcome.applied`` (``fixed N`` counts what
    landed)."""
    from llmlint.fixes.write import write_group

    names = sorted(n for n in outcome.fixed if outcome.original[n].path is not None)
    group_of = {n: n for n in names}

    def find(n: str) -> str:
        while group_of[n] != n:
            n = group_of[n]
        return n

    for f in outcome.applied:
        assert f.fix is not None
        files = [n for n in _sources_of(f.fix) if n in group_of]
        for other in files[1:]:
            group_of[find(other)] = find(files[0])
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(find(n), []).append(n)
    errors: list[InputError] = []
    failed: set[str] = set()
    for members in groups.values():
        errs = write_group([(outcome.original[n], outcome.fixed[n]) for n in members], outcome.roots)
        if errs:
            errors += errs
            failed.update(members)
    if failed:
        outcome.applied = [
            f for f in outcome.applied if f.fix is not None and not failed & set(_sources_of(f.fix))
        ]
    return errors
