"""Configuration: ``.llmlint.yaml`` (nearest from each scanned path up) or ``[tool.llmlint]``.

Keys: ``select``, ``ignore``, ``severity`` (rule ID → level), ``exclude`` (globs), ``fail-on``, and the
rule parameters the catalog declares. pydantic validates them, and is imported only when a file exists,
so a scan without configuration does not pay for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from llmlint import catalog
from llmlint.engine import Settings

CONFIG_NAMES = (".llmlint.yaml", ".llmlint.yml")


class ConfigError(Exception):
    def __init__(self, file: str, message: str) -> None:
        super().__init__(f"{file}: {message}")
        self.file = file


@dataclass
class Found:
    """A configuration file and what it holds."""

    path: str
    data: dict[str, Any]


def discover(start: str | None = None) -> str | None:
    d = os.path.abspath(start or os.getcwd())
    while True:
        for name in CONFIG_NAMES:
            p = os.path.join(d, name)
            if os.path.isfile(p):
                return p
        pp = os.path.join(d, "pyproject.toml")
        if os.path.isfile(pp):
            try:
                with open(pp, encoding="utf-8") as fh:
                    if "[tool.llmlint" in fh.read():
                        return pp
            except OSError:
                pass
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(path, f"cannot read: {exc.strerror or exc}") from exc
    if path.endswith(".toml"):
        import tomllib

        try:
            data = tomllib.loads(raw.decode("utf-8")).get("tool", {}).get("llmlint", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(path, f"invalid TOML: {exc}") from exc
    else:
        import yaml

        try:
            data = yaml.load(raw, Loader=yaml.CSafeLoader)
        except yaml.YAMLError as exc:
            raise ConfigError(_yaml_where(path, exc), f"invalid YAML: {_yaml_problem(exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, "the configuration must be a mapping")
    return data


def _yaml_where(path: str, exc: Exception) -> str:
    """``FILE:LINE:COL`` of a YAML error (PyYAML names a byte string ``<byte string>``)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return path
    return f"{path}:{mark.line + 1}:{mark.column + 1}"


def _yaml_problem(exc: Exception) -> str:
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = ", ".join(p for p in parts if p)
    return text or str(exc).splitlines()[0]


_TYPES = {"number": float, "integer": int, "string": str, "boolean": bool}


def _model() -> Any:
    from typing import Annotated, Literal

    from pydantic import BeforeValidator, ConfigDict, Field, Strict, create_model

    Level = Literal["error", "warning", "info"]
    Ids = Annotated[list[str] | None, BeforeValidator(_split)]
    fields: dict[str, Any] = {
        "select": (Ids, None),
        "ignore": (Ids, None),
        "severity": (dict[str, Level] | None, None),
        "exclude": (Ids, None),
        "fail_on": (Level | None, Field(None, alias="fail-on")),
    }
    for rule in catalog.rules().values():
        for name, spec in rule.parameters.items():
            kind = spec.get("type", "string")
            if kind == "map":
                tp: Any = dict[str, str]
            elif kind == "list":
                tp = list[str]
            elif kind in _TYPES:
                # YAML already types its scalars: `true` is no number and "0.9" no float
                tp = Annotated[_TYPES[kind], Strict()]
            else:
                tp = str
            bounds = _bounds(name, kind, spec)
            if "enum" in spec:
                tp = Literal[tuple(spec["enum"])]
            fields[name.replace("-", "_")] = (tp | None, Field(None, alias=name, **bounds))
    return create_model(
        "LlmlintConfig", __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields
    )


def _bounds(name: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Range of a numeric parameter: the catalog's ``minimum``/``maximum`` when given, else what its name
    says: a fraction of GPU memory (``…utilization``, ``…fraction``) lies in (0, 1], any other ``max-…``,
    ``min-…`` or numeric parameter (a size, a count, seconds) is not negative."""
    bounds: dict[str, Any] = {
        k: spec[key] for k, key in (("ge", "minimum"), ("le", "maximum")) if key in spec
    }
    if bounds or kind not in ("number", "integer"):
        return bounds
    if "utilization" in name or "fraction" in name:
        return {"gt": 0, "le": 1}
    return {"ge": 0}


def resolve_ids(tokens: list[str], *, exact: bool = False) -> tuple[list[str], list[str]]:
    """Rule IDs (upper-cased) for IDs, rule names, prefixes (``LLM01``) and ``ALL`` (not when ``exact``);
    and the tokens that are none of these."""
    known = catalog.rules()
    names = {r.name: r.id for r in known.values()}
    ok: list[str] = []
    bad: list[str] = []
    for raw in tokens:
        token = raw.strip()
        i = names.get(token.lower(), token.upper())
        if i in known or (not exact and (i == "ALL" or any(r.startswith(i) for r in known))):
            ok.append(i)
        else:
            bad.append(raw)
    return ok, bad


def _check_ids(path: str, key: str, ids: list[str], *, exact: bool = False) -> list[str]:
    """Rule IDs (upper-cased), from IDs or names; prefixes (``LLM01``) and ``ALL`` unless ``exact``."""
    out, bad = resolve_ids(ids, exact=exact)
    if bad:
        raise ConfigError(path, f"{key}: unknown rule {bad[0]!r} (see llmlint rules)")
    return out


def _split(value: Any) -> Any:
    """``select: LLM001,LLM003`` is taken as the list it spells."""
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return value


def _describe(err: Any, fields: list[str]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        import difflib

        near = difflib.get_close_matches(str(err["loc"][0]), fields, n=1)
        return f"{loc}: unknown key" + (f" (did you mean {near[0]!r}?)" if near else "")
    value = err.get("input")
    shown = f" (got {value!r})" if value is not None and not isinstance(value, dict | list) else ""
    return f"{loc}: {err['msg']}{shown}"


def settings_from(path: str, data: dict[str, Any]) -> Settings:
    from pydantic import ValidationError

    model = _model()
    try:
        cfg = model.model_validate(data)
    except ValidationError as exc:
        aliases = [f.alias or n for n, f in model.model_fields.items()]
        problems = [_describe(e, aliases) for e in exc.errors()]
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ConfigError(path, "; ".join(problems[:5]) + more) from None
    values = cfg.model_dump(by_alias=True)
    s = Settings()
    if values["select"] is not None:
        s.select = _check_ids(path, "select", values["select"])
    if values["ignore"] is not None:
        s.ignore = _check_ids(path, "ignore", values["ignore"])
    if values["severity"]:
        ids = _check_ids(path, "severity", list(values["severity"]), exact=True)
        s.severity = dict(zip(ids, values["severity"].values(), strict=True))
    s.exclude = values["exclude"] or []
    if values["fail-on"]:
        s.fail_on = values["fail-on"]
    skip = {"select", "ignore", "severity", "exclude", "fail-on"}
    s.params = {k: v for k, v in values.items() if k not in skip and v is not None}
    return s


def discover_for(paths: list[str], cwd: str | None = None) -> tuple[str | None, list[str]]:
    """The configuration of a scan of ``paths``: the nearest one from each path upward (stdin: the working
    directory). One configuration applies to a run; when the paths have different nearest ones, the
    first path's is used and the others are named in the returned notes."""
    cwd = cwd or os.getcwd()
    found: list[str | None] = []
    starts: set[str] = set()  # pre-commit passes many files of few directories: look up each once
    for p in paths or ["."]:
        if p == "-":
            start = cwd
        else:
            absolute = os.path.join(cwd, p)
            start = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
        if start in starts:
            continue
        starts.add(start)
        hit = discover(start)
        if hit not in found:
            found.append(hit)
    chosen = found[0]
    notes = [
        f"{other} (nearest to some paths) is not used: one configuration applies to a run, {chosen or 'none'}"
        " here; scan those paths separately to apply it"
        for other in found[1:]
        if other is not None
    ]
    return chosen, notes


def load_settings(
    explicit: str | None = None, paths: list[str] | None = None
) -> tuple[Settings, str | None, list[str]]:
    notes: list[str] = []
    if explicit:
        path: str | None = explicit
    else:
        path, notes = discover_for(paths or ["."])
    if path is None:
        return Settings(), None, notes
    if explicit and not os.path.exists(explicit):
        raise ConfigError(explicit, "no such file")
    return settings_from(path, read(path)), path, notes
