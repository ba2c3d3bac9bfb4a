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
            data = yaml.load(raw, Loader=yaml.CSafeLoader)  # noqa: S506
        except yaml.YAMLError as exc:
            raise ConfigError(path, f"invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(path, "the configuration must be a mapping")
    return data


_TYPES = {"number": float, "integer": int, "string": str, "boolean": bool}


def _model() -> Any:
    from typing import Literal

    from pydantic import ConfigDict, Field, create_model

    Level = Literal["error", "warning", "info"]
    fields: dict[str, Any] = {
        "select": (list[str] | None, None),
        "ignore": (list[str] | None, None),
        "severity": (dict[str, Level] | None, None),
        "exclude": (list[str] | None, None),
        "fail_on": (Level | None, Field(None, alias="fail-on")),
    }
    for rule in catalog.rules().values():
        for name, spec in rule.parameters.items():
            kind = spec.get("type", "string")
            if kind == "map":
                tp: Any = dict[str, str]
            elif kind == "list":
                tp = list[str]
            else:
                tp = _TYPES.get(kind, str)
            fields[name.replace("-", "_")] = (tp | None, Field(None, alias=name))
    return create_model(  # type: ignore[call-overload]
        "LlmlintConfig", __config__=ConfigDict(extra="forbid", populate_by_name=False), **fields
    )


def _check_ids(path: str, key: str, ids: list[str]) -> None:
    known = catalog.rules()
    for i in ids:
        if i.upper() == "ALL" or i in known or any(r.startswith(i) for r in known):
            continue
        raise ConfigError(path, f"{key}: unknown rule {i!r}")


def settings_from(path: str, data: dict[str, Any]) -> Settings:
    from pydantic import ValidationError

    try:
        cfg = _model().model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(path, f"{loc}: {msg}") from None
    values = cfg.model_dump(by_alias=True)
    s = Settings()
    if values["select"] is not None:
        _check_ids(path, "select", values["select"])
        s.select = values["select"]
    if values["ignore"] is not None:
        _check_ids(path, "ignore", values["ignore"])
        s.ignore = values["ignore"]
    if values["severity"]:
        _check_ids(path, "severity", list(values["severity"]))
        s.severity = dict(values["severity"])
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
