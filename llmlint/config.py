"""Configuration: ``.llmlint.yaml`` (nearest from the working directory up) or ``[tool.llmlint]``.

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
            raise ConfigError(path, f"invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, "the configuration must be a mapping")
    return data


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
            bounds = {k: spec[key] for k, key in (("ge", "minimum"), ("le", "maximum")) if key in spec}
            if "enum" in spec:
                tp = Literal[tuple(spec["enum"])]
            fields[name.replace("-", "_")] = (tp | None, Field(None, alias=name, **bounds))
    return create_model(
        "LlmlintConfig", __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields
    )


def _check_ids(path: str, key: str, ids: list[str], *, exact: bool = False) -> list[str]:
    """Rule IDs (upper-cased); prefixes (``LLM01``) and ``ALL`` unless ``exact``."""
    known = catalog.rules()
    out = []
    for raw in ids:
        i = raw.strip().upper()
        if i in known or (not exact and (i == "ALL" or catalog.resolve(i))):  # ID, prefix or rule name
            out.append(i)
            continue
        raise ConfigError(path, f"{key}: unknown rule {raw!r} (see llmlint rules)")
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


def load_settings(explicit: str | None = None) -> tuple[Settings, str | None]:
    path = explicit or discover()
    if path is None:
        return Settings(), None
    if explicit and not os.path.exists(explicit):
        raise ConfigError(explicit, "no such file")
    return settings_from(path, read(path)), path
