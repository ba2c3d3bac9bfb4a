"""A chart read for a scan: rendered once, its findings placed in the chart's files, its fixes moved there.

Reading (:func:`read_chart`) renders the chart with the user's values and hands the engine one source per
rendered template, named after the template file (never written: ``path`` is None), plus the values files
(the chart's own, its subcharts', the ``--values`` files) so that fixes can edit them.

Placing (:func:`relocate`, run by the engine after the rules) decides for each finding where its value is
written. The chart is rendered a second time with every scalar of the values replaced by a marker
(``zzllm7zz``); a rendered node whose marked twin holds markers, and whose real text is exactly the
marked text with each marker read back as its value, comes from those values keys: the finding points
at that key in the values file that sets it (the user's file before the chart's own) and names it.
Otherwise it points at the template line that wrote the node (:mod:`llmlint.helm.lines`). A fix whose
edited value comes from a values key becomes an edit of that key (the chart is rendered again to check
it lands); a fix that would change the template is kept only when the lines it touches are plain YAML
in the template, as a diff of the template; any other fix is dropped.

When a fix has changed a values file, :func:`refresh` (run by the engine before the graph is built)
renders the chart again from the new text, so the fix loop's rescan sees the chart as deployed.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from llmlint.helm import OPTIONS, HelmOptions
from llmlint.helm import render as engine
from llmlint.helm.lines import classify, line_map, matches
from llmlint.manifest.loader import Document, Loaded, SourceText, _Loader, iter_documents, load, read_file
from llmlint.manifest.positions import locate
from llmlint.model import (
    AddDocument,
    Finding,
    Fix,
    InputError,
    ObjectRef,
    Path,
    ReplaceInString,
    SetValue,
    Target,
)
from llmlint.sources.files import display_name

_MARK = re.compile(r"zzllm(\d+)zz")
_IGNORE = re.compile(r"#\s*llmlint:\s*ignore\[([A-Za-z0-9_,\s]+)\]")
NOT_MANIFESTS = ("NOTES.txt",)


@dataclass(eq=False)
class ValuesFile:
    name: str  # as shown
    path: str
    source: SourceText
    parsed: dict[str, Any] | None = None  # read when first needed (a chart's own file: Helm reads it)
    prefix: Path = ()  # where its keys sit in the parent chart's values (a subchart's own values.yaml)
    user: bool = False  # given with --values
    edited: bool = False  # changed by a fix: handed to Helm over the chart's own copy

    @property
    def data(self) -> dict[str, Any]:
        if self.parsed is None:
            self.parsed = _yaml_mapping(self.source.text)
        return self.parsed


@dataclass(eq=False)
class ChartLoaded(Loaded):
    """A loaded source that belongs to a chart: a rendered template (``template`` set) or a values file.

    A rendered template is *derived*: its text is Helm's output, its ``path`` is None, and the fix loop
    never edits, writes or diffs it. A values file is a real file (``path`` set) that fixes splice and
    write like any other, but it holds no objects: the engine does not build the graph from it
    (``manifest`` is False)."""

    chart: ChartSession | None = None
    template: str | None = None  # the render's key, e.g. ``vllm/templates/deployment.yaml``

    @property
    def derived(self) -> bool:
        return self.template is not None

    @property
    def manifest(self) -> bool:
        return self.template is not None

    @property
    def shown_source(self) -> SourceText:
        """The text a finding's line is in: a rendered template's lines are counted in the template file
        (``--show-source`` quotes it), a values file's in itself."""
        if self.template is None or self.chart is None:
            return self.source
        return SourceText(self.source.name, None, self.chart.template_text(self.template))

    def reload(self, src: SourceText) -> Loaded:
        """This source with the text a fix gave it (the fix loop's rescan): a values file stays one of
        its chart, which :func:`refresh` then renders again."""
        if self.template is not None or self.chart is None:
            raise ValueError(f"{src.name} is rendered by Helm: it is never edited")
        return _values_source(src, self.chart)


@dataclass(eq=False)
class Origin:
    """A values key a rendered scalar (or part of it) was written from."""

    file: ValuesFile | None  # None: --set
    key: Path  # in the file (without the subchart prefix)
    full: Path  # in the chart's values
    value: Any
    start: int  # where it lands in the rendered string
    end: int

    def label(self) -> str:
        out = ""
        for step in self.key:
            if isinstance(step, int):
                out += f"[{step}]"
            else:
                esc = str(step).replace(".", "\\.")
                out += f".{esc}" if out else esc
        return out


@dataclass(eq=False)
class ChartSession:
    chart_dir: str
    name: str  # as shown
    options: HelmOptions
    cwd: str
    values_files: list[ValuesFile] = field(default_factory=list)
    set_data: dict[str, Any] = field(default_factory=dict)
    rendered: dict[str, str] = field(default_factory=dict)
    _marked: dict[str, str] | None = None
    _marks: dict[int, tuple[Path, Any]] = field(default_factory=dict)
    _maps: dict[str, list[int]] = field(default_factory=dict)
    _templates: dict[str, str] = field(default_factory=dict)
    _chart: engine.Chart | None = None
    _own: dict[str, Any] | None = None

    # ---- reading ---------------------------------------------------------------------------------

    def file_of(self, key: str) -> str:
        """The file on disk of a render key (``<chart>/templates/x.yaml``)."""
        rest = key.split("/", 1)[1] if "/" in key else key
        return os.path.join(self.chart_dir, *rest.split("/"))

    def shown(self, key: str) -> str:
        return display_name(self.file_of(key), self.cwd)

    def user_values(self, texts: dict[str, str] | None = None) -> dict[str, Any]:
        """The values handed to Helm: the chart's own file (so that an edit of it counts), then the
        ``--values`` files, then ``--set``; the chart's defaults under them are Helm's."""
        merged: dict[str, Any] = {}
        for vf in self.values_files:
            if not (vf.user or vf.edited or (texts and vf.name in texts)):
                continue  # the chart's own values: Helm applies them
            data = vf.data
            if texts and vf.name in texts:
                data = _yaml_mapping(texts[vf.name])
            if vf.prefix:
                for step in reversed(vf.prefix):
                    data = {str(step): data}
            _merge(merged, copy.deepcopy(data))
        _merge(merged, copy.deepcopy(self.set_data))
        return merged

    def chart(self) -> engine.Chart:
        if self._chart is None:
            self._chart = engine.Chart(self.chart_dir)
        return self._chart

    def render(self, values: dict[str, Any], validate: bool = True) -> dict[str, str]:
        return self.chart().render(values, self.options.release, self.options.namespace, validate)

    def values_sources(self) -> list[ChartLoaded]:
        """Every values file of the chart (its own, its subcharts', the ``--values`` files) as a source
        of the scan, so that the fix loop splices, verifies and writes them like any file."""
        return [_values_source(vf.source, self, vf.data) for vf in self.values_files]

    # ---- where a rendered line comes from -----------------------------------------------------------

    def template_text(self, key: str) -> str:
        if key not in self._templates:
            try:
                with open(self.file_of(key), encoding="utf-8") as fh:
                    self._templates[key] = fh.read()
            except (OSError, UnicodeDecodeError):
                self._templates[key] = ""
        return self._templates[key]

    def line_of(self, key: str, rendered_line: int) -> int | None:
        """1-based template line that wrote 1-based ``rendered_line`` of ``key``'s render."""
        if key not in self._maps:
            self._maps[key] = line_map(self.template_text(key), self.rendered.get(key, ""))
        m = self._maps[key]
        if 1 <= rendered_line <= len(m) and m[rendered_line - 1]:
            return m[rendered_line - 1]
        return None

    # ---- where a rendered value comes from ----------------------------------------------------------

    def _marked_render(self) -> dict[str, str]:
        if self._marked is not None:
            return self._marked
        self._marked = {}
        full = self._defaults()
        _merge(full, self.user_values())
        for kinds in ((str, int, float), (str,)):
            self._marks = {}
            marked = self._mark(full, (), kinds)
            try:
                self._marked = self.render(marked, validate=False)  # markers are strings, not the schema's
                break
            except (engine.RenderFailed, engine.EngineMissing):
                continue  # a template computes with a number: mark strings only, then give up
        return self._marked

    def values_of(self, vf: ValuesFile) -> dict[str, Any]:
        """``vf``'s values: the chart's own file as Helm read it (JSON, fast), any other file parsed."""
        subcharts = any(v.prefix for v in self.values_files)  # Helm's copy holds their defaults too
        if not vf.user and not vf.edited and not vf.prefix and not subcharts:
            if self._own is None:
                try:
                    self._own = self.chart().default_values()
                except engine.RenderFailed:
                    self._own = vf.data
            return self._own
        return vf.data

    def _defaults(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for vf in self.values_files:
            if vf.user:
                continue
            data: Any = copy.deepcopy(self.values_of(vf))
            for step in reversed(vf.prefix):
                data = {str(step): data}
            _merge(out, data)
        return out

    def _mark(self, data: Any, path: Path, kinds: tuple[type, ...]) -> Any:
        if isinstance(data, dict):
            return {k: self._mark(v, (*path, k), kinds) for k, v in data.items()}
        if isinstance(data, list):
            return [self._mark(v, (*path, i), kinds) for i, v in enumerate(data)]
        if isinstance(data, bool) or not isinstance(data, kinds) or data == "":
            return data
        n = len(self._marks)
        self._marks[n] = (path, data)
        return f"zzllm{n}zz"

    def origins(self, key: str, doc_index: int, path: Path) -> list[Origin] | None:
        """The values keys the scalar at ``path`` of rendered document ``doc_index`` is written from
        (None: not a scalar, or not (only) from values)."""
        real = _node(self.rendered.get(key, ""), doc_index, path)
        if not isinstance(real, yaml.ScalarNode):
            return None
        marked = _node(self._marked_render().get(key, ""), doc_index, path)
        if not isinstance(marked, yaml.ScalarNode) or not _MARK.search(marked.value):
            return None
        out: list[Origin] = []
        text = ""
        pos = 0
        for m in _MARK.finditer(marked.value):
            text += marked.value[pos : m.start()]
            mark = self._marks.get(int(m.group(1)))
            if mark is None:
                return None
            full, value = mark
            shown = _go_string(value)
            file, fkey = self._source_of(full)
            if file is None and not _has(self.set_data, full):
                return None  # a default we did not read (a packaged subchart's): not known
            out.append(Origin(file, fkey, full, value, len(text), len(text) + len(shown)))
            text += shown
            pos = m.end()
        text += marked.value[pos:]
        return out if text == real.value else None

    def _source_of(self, full: Path) -> tuple[ValuesFile | None, Path]:
        if _has(self.set_data, full):
            return None, full
        for vf in reversed(self.values_files):
            n = len(vf.prefix)
            if tuple(full[:n]) == vf.prefix and _has(self.values_of(vf), full[n:]):
                return vf, tuple(full[n:])
        return None, full


# ---- reading a chart -------------------------------------------------------------------------------


def read_chart(path: str, name: str, prefilter: bool = True) -> tuple[list[Loaded], list[InputError], int]:
    """Render the chart at ``path``: its templates as sources, the errors (never an exception), and how
    many of the chart's files were read (rendered templates and values files)."""
    try:
        loaded, errors = _read_chart(path, name, prefilter)
    except Exception as exc:  # a bug here must cost the user this chart, not the scan
        if os.environ.get("LLMLINT_DEBUG"):
            raise
        where = display_name(os.path.join(path, "Chart.yaml"), os.getcwd())
        why = f"internal error reading the chart ({type(exc).__name__}: {exc})"
        return [], [InputError(where, None, why)], 0
    session = next((ld.chart for ld in loaded if isinstance(ld, ChartLoaded)), None)
    templates = sum(1 for ld in loaded if isinstance(ld, ChartLoaded) and ld.derived)
    return loaded, errors, templates + (len(session.values_files) if session is not None else 0)


def _read_chart(path: str, name: str, prefilter: bool) -> tuple[list[Loaded], list[InputError]]:
    cwd = os.getcwd()
    chart_dir = os.path.abspath(path)
    session = ChartSession(chart_dir, name, OPTIONS, cwd)
    chart_yaml = os.path.join(chart_dir, "Chart.yaml")
    errors: list[InputError] = []
    if not _renders_anything(chart_dir):
        return [], []  # Chart.yaml and values only (a library chart, a stub): nothing is deployed from it
    if not engine.available():
        why = "Helm chart: rendering it needs Helm's engine"
        try:
            engine._sdk()
        except engine.EngineMissing as exc:
            why += f": {exc}"
        return [], [InputError(display_name(chart_yaml, cwd), None, why)]
    for vf_path, prefix in _chart_values(chart_dir):
        vf = _values_file(vf_path, prefix, False, cwd, errors)
        if vf is not None:
            session.values_files.append(vf)
    for given in OPTIONS.values:
        vf = _values_file(given, (), True, cwd, errors)
        if vf is not None:
            session.values_files.append(vf)
    for expr in OPTIONS.set:
        try:
            _merge(session.set_data, engine.parse_set(expr))
        except engine.RenderFailed as exc:
            errors.append(InputError(None, None, str(exc)))
    if errors:
        return [], errors
    try:
        missing = session.chart().missing_dependencies()
    except engine.RenderFailed as exc:
        return [], [InputError(display_name(chart_yaml, cwd), exc.line, f"Helm cannot load the chart: {exc}")]
    values = _merge(session.chart().default_values(), session.user_values()) if missing else {}
    for dep in missing:
        if not _enabled(dep, values):
            continue  # its condition is false: the render is whole without it (as the release would be)
        errors.append(
            InputError(
                display_name(chart_yaml, cwd),
                _line_of_text(chart_yaml, f"name: {dep.get('name')}"),
                f"dependency {dep.get('name')!r} {dep.get('version') or ''} is missing in charts/ "
                f"(not fetched): run `helm dependency build {name}`",
            )
        )
    return _rendered(session, None, prefilter, errors)


def _renders_anything(chart_dir: str) -> bool:
    for sub in ("templates", "charts"):
        d = os.path.join(chart_dir, sub)
        if os.path.isdir(d) and any(True for _ in os.scandir(d)):
            return True
    return False


def _enabled(dep: dict[str, Any], values: dict[str, Any]) -> bool:
    """Helm's rule: the first path of the dependency's ``condition`` that holds a boolean decides."""
    for cond in str(dep.get("condition") or "").split(","):
        node: Any = values
        for step in cond.strip().split("."):
            node = node.get(step) if isinstance(node, dict) else None
        if isinstance(node, bool):
            return node
    return True


def _rendered(
    session: ChartSession, texts: dict[str, str] | None, prefilter: bool, errors: list[InputError]
) -> tuple[list[Loaded], list[InputError]]:
    for vf in session.values_files:
        if texts and vf.name in texts:
            src = SourceText(
                vf.name,
                vf.path,
                texts[vf.name],
                vf.source.bom,
                vf.source.newline,
                False,
                vf.source.raw,
                vf.source.mode,
            )
            vf.source, vf.parsed, vf.edited = src, None, True
    try:
        session.rendered = session.render(session.user_values())
    except engine.RenderFailed as exc:
        where = session.shown(exc.template) if exc.template else session.name
        at = _schema_place(session, str(exc)) if exc.template is None else None
        if at is not None:  # values.schema.json refused a value: point at the values line that sets it
            where, line, column = at
            return [], [
                *errors,
                InputError(where, line, f"values do not match values.schema.json: {exc}", column),
            ]
        return [], [
            *errors,
            InputError(where, exc.line, f"Helm could not render the chart: {exc}", exc.column),
        ]
    out: list[Loaded] = []
    seen: set[tuple[str | None, int | None, str]] = set()
    for key, text in sorted(session.rendered.items()):
        if key.endswith(NOT_MANIFESTS) or not text.strip():
            continue
        src = SourceText(session.shown(key), None, text)
        ld = _as_chart_loaded(load(src, prefilter=prefilter), session, key)
        unique = []
        for e in ld.errors:
            _relocate_error(e, session, key)
            if (e.file, e.line, e.message) not in seen:  # one template line written for many objects
                seen.add((e.file, e.line, e.message))
                unique.append(e)
        ld.errors = unique
        out.append(ld)
        errors.extend(unique)
    return out + session.values_sources(), errors


_SCHEMA_AT = re.compile(r"at '(/[^']*)'")


def _schema_place(session: ChartSession, message: str) -> tuple[str, int, int] | None:
    m = _SCHEMA_AT.search(message)
    if m is None:
        return None
    full: Path = tuple(int(p) if p.isdigit() else p for p in m.group(1).strip("/").split("/"))
    vf, key = session._source_of(full)
    if vf is None:
        return None
    doc = _values_doc(vf)
    loc = locate(doc, key) if doc is not None else None
    if loc is None or loc.depth != len(key):
        return None
    line, column = loc.line_col(use_key=False)
    return vf.name, line, column


def _as_chart_loaded(ld: Loaded, session: ChartSession, key: str | None) -> ChartLoaded:
    return ChartLoaded(ld.source, ld.documents, ld.errors, ld.deferred, chart=session, template=key)


def _values_source(src: SourceText, session: ChartSession, data: dict[str, Any] | None = None) -> ChartLoaded:
    """A values file as a source: one document, its data read as Kubernetes reads YAML (a date stays a
    string); a values file of a fix's new text is read again."""
    if data is None:
        data = _yaml_mapping(src.text)
    doc = Document(src, 0, 0, len(src.text), 0, None, data=data, parsed=True)
    return ChartLoaded(src, [doc], [], chart=session, template=None)


def _chart_values(chart_dir: str, prefix: Path = ()) -> list[tuple[str, Path]]:
    """``values.yaml`` of the chart and of every unpacked subchart under ``charts/`` (with its key)."""
    out: list[tuple[str, Path]] = []
    own = os.path.join(chart_dir, "values.yaml")
    if os.path.isfile(own):
        out.append((own, prefix))
    sub = os.path.join(chart_dir, "charts")
    if os.path.isdir(sub):
        for entry in sorted(os.listdir(sub)):
            d = os.path.join(sub, entry)
            if os.path.isfile(os.path.join(d, "Chart.yaml")):
                meta = _yaml_mapping(_read(os.path.join(d, "Chart.yaml")))
                key = _alias(chart_dir, str(meta.get("name") or entry))
                out = _chart_values(d, (*prefix, key)) + out
    return out


def _alias(chart_dir: str, name: str) -> str:
    meta = _yaml_mapping(_read(os.path.join(chart_dir, "Chart.yaml")))
    for dep in meta.get("dependencies") or []:
        if isinstance(dep, dict) and dep.get("name") == name and dep.get("alias"):
            return str(dep["alias"])
    return name


def _values_file(
    path: str, prefix: Path, user: bool, cwd: str, errors: list[InputError]
) -> ValuesFile | None:
    name = display_name(path, cwd)
    src = read_file(path, name)
    if isinstance(src, InputError):
        errors.append(src)
        return None
    if not user:
        return ValuesFile(name, path, src, None, prefix, user)  # Helm reads it; we parse it if need be
    try:
        data = yaml.load(src.text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        errors.append(InputError(name, mark.line + 1 if mark else None, f"invalid values file: {exc}"))
        return None
    if data is not None and not isinstance(data, dict):
        errors.append(InputError(name, 1, "a values file must be a mapping"))
        return None
    return ValuesFile(name, path, src, data or {}, prefix, user)


# ---- after the rules: findings and errors placed in the chart --------------------------------------


def relocate(findings: list[Finding], errors: list[InputError], loaded: list[Loaded]) -> None:
    rendered = {ld.source.name: ld for ld in loaded if isinstance(ld, ChartLoaded) and ld.template}
    for f in findings:
        ld = rendered.get(f.target.source)
        if ld is None or ld.chart is None or ld.template is None:
            if f.fix is not None and any(e.target.source in rendered for e in f.fix.edits):
                f.fix = None  # a plain file's fix that would edit a rendered object: the render is Helm's
            continue
        try:
            _place(f, ld.chart, ld.template, ld)
        except Exception:  # a bug in placing must not lose the finding: keep it, without a line or fix
            if os.environ.get("LLMLINT_DEBUG"):
                raise
            f.line, f.column, f.fix = None, None, None
    for e in errors:
        ld = rendered.get(e.file or "")
        if (
            ld is not None
            and ld.chart is not None
            and ld.template is not None
            and not getattr(e, "_helm", False)
        ):
            _relocate_error(e, ld.chart, ld.template)


def _relocate_error(e: InputError, session: ChartSession, key: str) -> None:
    if getattr(e, "_helm", False):
        return
    e._helm = True  # type: ignore[attr-defined]
    if e.line is not None:
        e.line = session.line_of(key, e.line)
        e.column = None
    e.message = f"{e.message} (in the rendered chart)"


def _place(f: Finding, session: ChartSession, key: str, ld: Loaded) -> None:
    path = (*f.target.prefix, *f.path)
    origins = session.origins(key, f.target.doc_index, path)
    hit = _origin_at(origins, f.span) if origins else None
    if hit is not None and f.fix is not None and not _edits_node(f.fix, f.target, f.path):
        hit = None  # the value only anchors the finding; what is wrong (and fixed) is in the template
    rendered_line, rendered_col = f.line, f.column
    if hit is not None and hit.file is not None:
        vf = hit.file
        doc = _values_doc(vf)
        loc = locate(doc, hit.key) if doc is not None else None
        f.file = vf.name
        if loc is not None and loc.depth == len(hit.key):
            f.line, f.column = loc.line_col(use_key=False)
        f.message = f"{f.message} (values key {hit.label()})"
        line_text = _line(vf.source.text, f.line)
    else:
        if hit is not None:
            f.message = f"{f.message} (from --set {hit.label()})"
        elif origins and len(origins) > 1:  # "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
            keys = ", ".join(o.label() if o.file else f"--set {o.label()}" for o in origins)
            f.message = f"{f.message} (from values keys {keys})"
        tline = session.line_of(key, rendered_line or 0)
        f.line = tline
        line_text = _line(session.template_text(key), tline)
        rline = _line(session.rendered.get(key, ""), rendered_line)
        if tline is None or rline is None or line_text is None:
            f.column = None
        elif line_text.rstrip() != rline.rstrip():
            action = line_text.find("{{")
            f.column = min(rendered_col or 1, action + 1) if action >= 0 else rendered_col
    if line_text is not None and not f.suppressed:
        for m in _IGNORE.finditer(line_text):
            ids = {s.strip().upper() for s in m.group(1).split(",")}
            if "ALL" in ids or f.rule in ids:
                f.suppressed = True
    if f.fix is not None:
        moved = _moved_fix(f, f.fix, session, key, hit)
        if moved is not None and (hit is None or hit.file is None):
            _point_at_edited_key(f, moved, session)
        new = moved if moved is not None else _template_fix(f.fix, session, key, ld)
        if new is not None and new.json_patch is None:
            new.json_patch = _object_patch(f, f.fix, ld)
        f.fix = new


def _object_patch(f: Finding, fix: Fix, ld: Loaded) -> list[dict[str, Any]] | None:
    """RFC 6902 operations against the rendered object: what the chart renders once the fix is in."""
    from llmlint.fixes.patch import EditError, json_patch

    doc = next((d for d in ld.documents if d.index == f.target.doc_index), None)
    obj: Any = doc.data if doc is not None else None
    for step in f.target.prefix:  # an object inside a List: ("items", 3)
        if isinstance(obj, dict):
            obj = obj.get(step)
        elif isinstance(obj, list) and isinstance(step, int) and 0 <= step < len(obj):
            obj = obj[step]
        else:
            obj = None
    if not isinstance(obj, dict) or any(e.target != f.target for e in fix.edits):
        return None
    try:
        return json_patch(obj, [e for e in fix.edits if not isinstance(e, AddDocument)])
    except EditError:
        return None


def _point_at_edited_key(f: Finding, fix: Fix, session: ChartSession) -> None:
    """A finding whose fix edits one values key is about that value: point at it."""
    keys = {(e.target.source, tuple(e.path)) for e in fix.edits if isinstance(e, SetValue)}
    if len(keys) != 1:
        return
    name, key = next(iter(keys))
    vf = next((v for v in session.values_files if v.name == name), None)
    doc = _values_doc(vf) if vf is not None else None
    loc = locate(doc, key) if doc is not None else None
    if vf is None or loc is None or loc.depth != len(key):
        return
    f.file = vf.name
    f.line, f.column = loc.line_col(use_key=False)
    f.message = f"{f.message} (values key {_label(key)})"
    line_text = _line(vf.source.text, f.line)
    for m in _IGNORE.finditer(line_text or ""):
        ids = {s.strip().upper() for s in m.group(1).split(",")}
        if "ALL" in ids or f.rule in ids:
            f.suppressed = True


def _edits_node(fix: Fix, target: Target, path: Path) -> bool:
    return any(
        isinstance(e, SetValue | ReplaceInString) and e.target == target and tuple(e.path) == tuple(path)
        for e in fix.edits
    )


def _origin_at(origins: list[Origin], span: tuple[int, int] | None) -> Origin | None:
    if span is None:
        return origins[0] if len(origins) == 1 else None
    for o in origins:
        if o.start < span[1] and span[0] < o.end:
            return o
    return None


def _values_doc(vf: ValuesFile) -> Document | None:
    docs = list(iter_documents(vf.source))
    return docs[0] if docs else None


def _line(text: str, line: int | None) -> str | None:
    if not line:
        return None
    lines = text.split("\n")
    return lines[line - 1] if 0 < line <= len(lines) else None


# ---- fixes ---------------------------------------------------------------------------------------


def _moved_fix(f: Finding, fix: Fix, session: ChartSession, key: str, hit: Origin | None) -> Fix | None:
    """The fix as an edit of the values file its value comes from; None when it cannot be moved there."""
    edits: list[SetValue] = []
    for e in fix.edits:
        if not isinstance(e, SetValue | ReplaceInString) or e.target.source != f.target.source:
            return None
        path = (*e.target.prefix, *e.path)
        origins = session.origins(key, e.target.doc_index, path)
        if not origins:
            return None
        if isinstance(e, SetValue):
            if len(origins) != 1 or origins[0].start != 0 or isinstance(e.value, dict | list):
                return None
            o, new_value = origins[0], e.value
            if isinstance(new_value, str):  # "0.90" in a quoted argument: the values key stays a number
                new_value = _typed_like(o.value, new_value)
            real = _node(session.rendered[key], e.target.doc_index, path)
            if not isinstance(real, yaml.ScalarNode) or o.end != len(real.value):
                return None
        else:
            o2 = next((o for o in origins if o.start <= e.start and e.end <= o.end), None)
            if o2 is None:
                return None
            o = o2
            shown = _go_string(o.value)
            new_text = shown[: e.start - o.start] + e.new + shown[e.end - o.start :]
            new_value = _typed_like(o.value, new_text)
        if o.file is None:
            return None  # from --set: nothing in a file to edit
        target = Target(o.file.name, 0, (), ObjectRef(None, None, None, None))
        edits.append(SetValue(target, o.key, new_value))
    ops = _lands(session, fix, edits, key) if edits else None
    if ops is None:
        return None
    where = ", ".join(sorted({f"{e.target.source}: {_label(e.path)}" for e in edits}))
    moved = Fix(fix.safety, f"{fix.description} ({where})", list(edits), redact=list(fix.redact))
    moved.json_patch = ops  # against the rendered object: what the chart renders once the values change
    return moved


def _label(path: Path) -> str:
    return Origin(None, path, path, None, 0, 0).label()


def _lands(session: ChartSession, fix: Fix, edits: list[SetValue], key: str) -> list[dict[str, Any]] | None:
    """Render again with the edited values: does every edited node now read as the fix wanted? The
    RFC 6902 operations that turn the rendered object into the new render (None: it does not land)."""
    from llmlint.fixes.patch import pointer

    by_name = {vf.name: vf for vf in session.values_files}
    texts: dict[str, Any] = {}
    for e in edits:
        vf = by_name[e.target.source]
        data = texts.setdefault(vf.name, copy.deepcopy(vf.data))
        _set(data, e.path, e.value)
    merged: dict[str, Any] = {}
    for vf in session.values_files:
        if vf.name not in texts and not (vf.user or vf.edited):
            continue  # unchanged chart values: Helm applies them
        data = texts.get(vf.name, vf.data)
        for step in reversed(vf.prefix):
            data = {str(step): data}
        _merge(merged, copy.deepcopy(data))
    _merge(merged, copy.deepcopy(session.set_data))
    try:
        again = session.render(merged)
    except engine.RenderFailed:
        return None
    ops: list[dict[str, Any]] = []
    for wanted in fix.edits:
        assert isinstance(wanted, SetValue | ReplaceInString)
        path = (*wanted.target.prefix, *wanted.path)
        node = _node(again.get(key, ""), wanted.target.doc_index, path)
        if not isinstance(node, yaml.ScalarNode):
            return None
        if isinstance(wanted, SetValue):
            want = _go_string(wanted.value)
        else:
            old = _node(session.rendered[key], wanted.target.doc_index, path)
            if not isinstance(old, yaml.ScalarNode):
                return None
            want = old.value[: wanted.start] + wanted.new + old.value[wanted.end :]
        if not _same(node.value, want):
            return None
        value = yaml.load(yaml.serialize(node), Loader=_Loader)
        ops.append({"op": "replace", "path": pointer(wanted.path), "value": value})
    return ops


_NUMBER = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def _same(a: str, b: str) -> bool:
    """Equal, reading numbers as numbers (a values file holds 0.9 where the fix wrote 0.90)."""
    pa, pb = _NUMBER.split(a), _NUMBER.split(b)
    if len(pa) != len(pb):
        return False
    return all(
        x == y or (i % 2 == 1 and float(x) == float(y)) for i, (x, y) in enumerate(zip(pa, pb, strict=True))
    )


def _template_fix(fix: Fix, session: ChartSession, key: str, ld: Loaded) -> Fix | None:
    """The fix as a diff of the template, when every line it edits is plain YAML there (and written
    once) and every insertion lands at a line the template writes as is; else None."""
    from llmlint.fixes.diff import unified
    from llmlint.fixes.patch import EditError
    from llmlint.fixes.text import Splice, splice_text, splices, verify

    if any(e.target.source != ld.source.name or isinstance(e, AddDocument) for e in fix.edits):
        return None  # a new object's names and labels are the render's, not the template's
    docs = {d.index: d for d in ld.documents}
    try:
        parts = splices(ld.source, docs, fix)
        verify(ld.source, docs, splice_text(ld.source.text, parts), fix.edits, parts)
    except EditError:
        return None
    template = session.template_text(key)
    mapper = _OffsetMap(session, key, ld.source.text, template)
    moved: list[Splice] = []
    for part in parts:
        a = mapper.offset(part.start)
        b = a if part.end == part.start else mapper.offset(part.end)
        if a is None or b is None or template[a:b] != ld.source.text[part.start : part.end]:
            return None
        if part.end > part.start and not mapper.plain_between(part.start, part.end):
            return None
        moved.append(Splice(a, b, part.text, part.depth, part.order))
    if not moved or any(session.options.release in p.text for p in moved):
        return None  # the inserted text holds rendered names: the template would lose its templating
    after = splice_text(template, moved)
    name = session.shown(key)
    return Fix(
        fix.safety,
        f"{fix.description} (in the template {name}: apply the diff)",
        [],
        diff=unified(name, template, after),
        redact=list(fix.redact),
    )


class _OffsetMap:
    """Offsets of the rendered text → offsets of the template, where the template writes the text as is."""

    def __init__(self, session: ChartSession, key: str, rendered: str, template: str) -> None:
        self.session, self.key = session, key
        self.r_lines = rendered.split("\n")
        self.t_lines = template.split("\n")
        self.r_starts = _starts(self.r_lines)
        self.t_starts = _starts(self.t_lines)
        counts: dict[int, int] = {}
        for i in range(len(self.r_lines)):
            t = session.line_of(key, i + 1) or 0
            counts[t] = counts.get(t, 0) + 1
        self.once = {t for t, n in counts.items() if n == 1 and t}

    def _line(self, off: int) -> tuple[int, int]:
        import bisect

        i = bisect.bisect_right(self.r_starts, off) - 1
        return i, off - self.r_starts[i]

    def offset(self, off: int) -> int | None:
        i, col = self._line(off)
        if col == 0 and i > 0:
            # between two lines: both written by consecutive template lines (so no if/range/end lies
            # between them), or after the template's last line that writes anything
            t = self.session.line_of(self.key, i)
            before = self._offset(i - 1, len(self.r_lines[i - 1]))
            if not t or before is None:
                return None
            rest_blank = all(not x.strip() for x in self.r_lines[i:])
            if rest_blank:
                if any(x.strip() for x in self.t_lines[t:]):
                    return None
            elif self.session.line_of(self.key, i + 1) != t + 1 or self._offset(i, 0) is None:
                return None
            return before + 1
        return self._offset(i, col)

    def _offset(self, i: int, col: int) -> int | None:
        t = self.session.line_of(self.key, i + 1)
        if not t or t not in self.once:
            return None
        r, tl = self.r_lines[i], self.t_lines[t - 1]
        if not matches(classify(tl), r):
            return None  # the template line does not write this line itself (an include, a loop)
        if r == tl:
            return self.t_starts[t - 1] + col
        action = tl.find("{{")
        if col == len(r) and action >= 0:  # the end of a one-line expression: the end of its line
            return self.t_starts[t - 1] + len(tl)
        if action >= 0 and col <= action and r[:col] == tl[:col]:
            return self.t_starts[t - 1] + col
        return None

    def plain_between(self, a: int, b: int) -> bool:
        i, _ = self._line(a)
        j, _ = self._line(b)
        base = self.session.line_of(self.key, i + 1)
        for k in range(i, j + 1):
            t = self.session.line_of(self.key, k + 1)
            if not t or not base or t != base + (k - i) or self.t_lines[t - 1] != self.r_lines[k]:
                return False
        return True


def _starts(lines: list[str]) -> list[int]:
    out, pos = [], 0
    for line in lines:
        out.append(pos)
        pos += len(line) + 1
    return out


# ---- after a fix: render again -------------------------------------------------------------------


def refresh(loaded: list[Loaded], errors: list[InputError]) -> tuple[list[Loaded], list[InputError]]:
    """Render again every chart whose values file a fix has changed (the fix loop's rescan hands the
    values file back with its new text): the chart's rendered templates, its values sources and the
    errors of its old render are replaced by the new ones. A render that fails with the new values is
    an error of the values files that changed, so the fix loop reverts the fix that did it."""
    sessions: dict[int, ChartSession] = {}
    for ld in loaded:
        if isinstance(ld, ChartLoaded) and ld.chart is not None:
            sessions.setdefault(id(ld.chart), ld.chart)
    for session in sessions.values():
        mine = {vf.name: vf for vf in session.values_files}
        texts: dict[str, str] = {}
        for ld in loaded:
            vf = mine.get(ld.source.name)
            if vf is not None and ld.source.text != vf.source.text:
                texts[vf.name] = ld.source.text
        if not texts:
            continue
        new = ChartSession(session.chart_dir, session.name, session.options, session.cwd)
        new._chart = session._chart  # the templates are the same: only values changed
        new.values_files = [copy.copy(vf) for vf in session.values_files]
        new.set_data = session.set_data
        fresh, errs = _rendered(new, texts, True, [])

        # the old render and values sources of this chart (another chart given the same --values file
        # keeps its own), and a values file the fix loop handed back as a plain source
        def ours(ld: Loaded, session: ChartSession = session, mine: dict[str, ValuesFile] = mine) -> bool:
            if isinstance(ld, ChartLoaded):
                return ld.chart is session
            return ld.source.name in mine

        old = {ld.source.name for ld in loaded if ours(ld)}
        if not fresh:  # it does not render: keep the new values text, and say which file broke it
            fresh = list[Loaded](new.values_sources())
            why = [e.message.removeprefix("Helm could not render the chart: ") for e in errs]
            errs = [
                InputError(name, None, f"Helm could not render the chart with this values file: {w}")
                for name in sorted(texts)
                for w in why
            ]
        errors = [e for e in errors if e.file not in old] + errs  # Chart.yaml's (a missing dependency) stand
        loaded = [ld for ld in loaded if not ours(ld)] + fresh
    return loaded, errors


# ---- small helpers -------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError):
        return ""


def _line_of_text(path: str, needle: str) -> int | None:
    for i, line in enumerate(_read(path).split("\n"), 1):
        if needle in line:
            return i
    return None


def _yaml_mapping(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _merge(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values files: mappings merge, everything else is replaced."""
    for k, v in other.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = v
    return into


def _has(data: Any, path: Path) -> bool:
    for step in path:
        inside = (isinstance(data, dict) and step in data) or (
            isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)
        )
        if not inside:
            return False
        data = data[step]
    return not isinstance(data, dict | list)


def _set(data: Any, path: Path, value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _go_string(value: Any) -> str:
    """A value as Go's text/template prints it (values travel as JSON: numbers are float64)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def _typed_like(old: Any, text: str) -> Any:
    if isinstance(old, int | float) and not isinstance(old, bool):
        try:
            return int(text) if isinstance(old, int) and text.lstrip("-").isdigit() else float(text)
        except ValueError:
            return text
    return text


_DOCS: dict[int, tuple[str, list[Document]]] = {}


def _node(text: str, doc_index: int, path: Path) -> yaml.Node | None:
    """The node at ``path`` of document ``doc_index`` of a rendered text (documents split as the loader
    splits them)."""
    cached = _DOCS.get(id(text))
    if cached is None or cached[0] is not text:
        if len(_DOCS) > 256:
            _DOCS.clear()
        cached = (text, list(iter_documents(SourceText("", None, text))))
        _DOCS[id(text)] = cached
    docs = cached[1]
    if not 0 <= doc_index < len(docs):
        return None
    loc = locate(docs[doc_index], path)
    if loc is None or loc.depth != len(path):
        return None
    return loc.node
