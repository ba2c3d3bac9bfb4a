"""Which command-line flags an inference server accepts, by release.

Data: ``llmlint/data/server_flags.json``, made by ``tools/refresh_server_flags.py``
from the servers' own argument parsers (vLLM, SGLang, TGI).

Version handling: a version given as an image tag (``v0.6.3.post1``, ``0.10.1``,
``3.2.3-rocm``) is parsed tolerantly; ``None``, ``latest`` or anything
unparseable means "any listed version"; a version newer than the newest listed
is treated as the newest; a version between listed ones is treated as the
nearest listed version at or below it (older than all: the oldest).

vLLM and SGLang parse with argparse, which also accepts an unambiguous prefix
of a long option (``--tp`` for SGLang's ``--tp-size``); vLLM's parser also
accepts ``_`` for ``-`` in option names. Both are honoured by :func:`is_known`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, NamedTuple

from llmlint import data as datafiles
from llmlint.cache import cached

__all__ = [
    "FRAMEWORKS",
    "FlagSpec",
    "flag_spec",
    "is_known",
    "parse_version",
    "resolve_version",
    "suggest",
    "takes_value",
    "versions",
]

FRAMEWORKS = ("vllm", "sglang", "tgi")

_DATA = "server_flags.json"

Version = tuple[int, int, int, int, int]


class FlagSpec(NamedTuple):
    """One option string of a server, with the listed versions accepting it."""

    name: str
    since: str
    until: str | None
    value: bool
    aliases: tuple[str, ...] = ()
    alias_of: str | None = None
    deprecated: bool = False
    missing_in: tuple[str, ...] = ()


class _Specs(Mapping[str, FlagSpec]):
    """Flag specs built from the raw JSON on first access (a scan looks up a handful of ~600)."""

    def __init__(self, raw: dict[str, dict[str, Any]]) -> None:
        self._raw = raw
        self._built: dict[str, FlagSpec] = {}

    def __getitem__(self, name: str) -> FlagSpec:
        spec = self._built.get(name)
        if spec is None:
            spec = self._built[name] = _spec(name, self._raw[name])
        return spec

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw


class _Framework(NamedTuple):
    versions: tuple[str, ...]
    keys: tuple[Version, ...]
    flags: _Specs
    renamed: dict[str, str]
    abbrev: bool
    underscores: bool


_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[.-]?post(\d+))?(?:$|[-+_.]?[A-Za-z])")


def parse_version(text: str | None) -> Version | None:
    """``v0.6.3.post1`` -> (0, 6, 3, 0, 1); ``latest``/garbage -> None."""
    if not text:
        return None
    t = text.strip()
    if "@" in t:  # image digest
        return None
    m = _VERSION_RE.match(t)
    if not m:
        return None
    major, minor, patch, sub, post = m.groups()
    return (int(major), int(minor), int(patch or 0), int(sub or 0), int(post or 0))


def _spec(name: str, raw: dict[str, Any]) -> FlagSpec:
    return FlagSpec(
        name=name,
        since=str(raw["since"]),
        until=None if raw.get("until") is None else str(raw["until"]),
        value=bool(raw.get("value", True)),
        aliases=tuple(raw.get("aliases", ())),
        alias_of=raw.get("alias_of"),
        deprecated=bool(raw.get("deprecated", False)),
        missing_in=tuple(raw.get("missing_in", ())),
    )


@cache
def _load() -> dict[str, _Framework]:
    path = os.path.join(datafiles.DATA_DIR, _DATA)
    raw = cached("server-flags", [path], lambda: json.loads(datafiles.read(_DATA)))
    out: dict[str, _Framework] = {}
    for fw in FRAMEWORKS:
        sec = raw.get(fw)
        if not isinstance(sec, dict):
            continue
        vers = tuple(str(v) for v in sec.get("versions", ()))
        keys = tuple(parse_version(v) or (0, 0, 0, 0, 0) for v in vers)
        flags = _Specs(sec.get("flags", {}))
        out[fw] = _Framework(
            versions=vers,
            keys=keys,
            flags=flags,
            renamed=dict(sec.get("renamed", {})),
            abbrev=bool(sec.get("abbrev", False)),
            underscores=fw == "vllm",
        )
    return out


def _fw(framework: str) -> _Framework | None:
    return _load().get(framework.lower())


def versions(framework: str) -> list[str]:
    """The listed releases of a framework, oldest first ([] when unknown)."""
    fw = _fw(framework)
    return list(fw.versions) if fw else []


def resolve_version(framework: str, version: str | None) -> str | None:
    """The listed version whose flags apply to ``version``; None = any version."""
    fw = _fw(framework)
    key = parse_version(version)
    if fw is None or key is None or not fw.versions:
        return None
    best = 0
    for i, k in enumerate(fw.keys):
        if k <= key:
            best = i
    return fw.versions[best]


def _accepts(fw: _Framework, spec: FlagSpec, listed: str | None) -> bool:
    if listed is None:
        return True
    idx = fw.versions.index(listed)
    lo = fw.versions.index(spec.since) if spec.since in fw.versions else 0
    hi = fw.versions.index(spec.until) if spec.until in fw.versions else len(fw.versions) - 1
    return lo <= idx <= hi and listed not in spec.missing_in


def _normalise(fw: _Framework, flag: str) -> str:
    name = flag.split("=", 1)[0].strip()
    if fw.underscores and name.startswith("--"):
        name = "--" + name[2:].replace("_", "-")
    return name


def _lookup(fw: _Framework, flag: str) -> FlagSpec | None:
    name = flag.split("=", 1)[0].strip()
    spec = fw.flags.get(name)
    if spec is None:
        spec = fw.flags.get(_normalise(fw, name))
    return spec


def flag_spec(framework: str, flag: str) -> FlagSpec | None:
    """The data for one option string (``--x``, ``--x=1``, an alias such as ``-tp``)."""
    fw = _fw(framework)
    return _lookup(fw, flag) if fw else None


def _known_names(fw: _Framework, listed: str | None) -> list[str]:
    return [n for n, s in fw.flags.items() if _accepts(fw, s, listed)]


def is_known(framework: str, flag: str, version: str | None = None) -> bool | None:
    """Does the server (at that version) accept ``flag``? None: no data for the framework."""
    fw = _fw(framework)
    if fw is None:
        return None
    listed = resolve_version(framework, version)
    spec = _lookup(fw, flag)
    if spec is not None and _accepts(fw, spec, listed):
        return True
    name = _normalise(fw, flag)
    if fw.abbrev and name.startswith("--") and len(name) > 3:
        # argparse: an unambiguous prefix of exactly one long option is accepted
        matches = {
            (s.alias_of or n)
            for n, s in fw.flags.items()
            if n.startswith(name) and n.startswith("--") and _accepts(fw, s, listed)
        }
        return len(matches) == 1
    return False


def takes_value(framework: str, flag: str) -> bool | None:
    """Whether the option consumes an argument; None when unknown."""
    spec = flag_spec(framework, flag)
    return spec.value if spec else None


def suggest(framework: str, flag: str, version: str | None = None) -> str | None:
    """The replacement of a renamed flag, else the nearest accepted flag (difflib)."""
    fw = _fw(framework)
    if fw is None:
        return None
    listed = resolve_version(framework, version)
    name = _normalise(fw, flag)
    for cand in (flag.split("=", 1)[0].strip(), name):
        target = fw.renamed.get(cand)
        if target is not None:
            return target
    pool = (
        [n for n in _known_names(fw, listed) if n.startswith("--")]
        if name.startswith("--")
        else _known_names(fw, listed)
    )
    import difflib

    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.75)
    return close[0] if close else None
