"""Helm charts: rendered with Helm's own engine, findings and fixes carried back to the chart's files.

Importing this package costs nothing: the engine (:mod:`llmlint.helm.render`) is imported only when a
chart is read. The command line fills :data:`OPTIONS` (``--values``, ``--set``, ``--release-name``,
``--namespace``) as ``helm template`` has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HelmOptions:
    values: list[str] = field(default_factory=list)  # --values/-f files, in order (later wins)
    set: list[str] = field(default_factory=list)  # --set KEY=VALUE
    release: str = "release-name"  # helm template's default
    namespace: str = "default"


OPTIONS = HelmOptions()
