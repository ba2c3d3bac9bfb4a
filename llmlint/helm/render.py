"""The one module that talks to a Helm engine: today Helm's Go SDK in-process (``helm-python-sdk``).

Another engine (a ``helm`` binary, a service) can replace it by providing the same four functions:
:class:`Chart` (load once; ``render`` often; ``missing_dependencies``), :func:`parse_set` and
:func:`available`. Nothing here
contacts a cluster or the network: ``lookup`` returns nothing and dependencies are never fetched.
"""

from __future__ import annotations

import os
import re
from typing import Any

INSTALL_HINT = "pip install 'llmlint[helm]'"

# "template: vllm/templates/deployment.yaml:12:18: executing ..." / "parse error at (x.yaml:7): ..."
_AT = re.compile(r"(?:^|template: |\()([^\s:()]+\.(?:ya?ml|tpl|txt|json)):(\d+)(?::(\d+))?")


class EngineMissing(Exception):
    """No Helm engine is installed (the ``helm`` extra)."""


class RenderFailed(Exception):
    """Helm could not render the chart; ``template``/``line``/``column`` say where, when Helm does."""

    def __init__(self, message: str, template: str | None, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.template, self.line, self.column = template, line, column


def _sdk() -> Any:
    if os.environ.get("LLMLINT_HELM_ENGINE", "sdk") == "none":  # lets a user turn chart rendering off
        raise EngineMissing(INSTALL_HINT)
    try:
        import helm_python
    except ImportError as exc:
        raise EngineMissing(INSTALL_HINT) from exc
    except Exception as exc:  # the native library would not load (wrong platform, libc)
        raise EngineMissing(f"{INSTALL_HINT} (helm-python-sdk would not load: {exc})") from exc
    return helm_python


def available() -> bool:
    try:
        _sdk()
    except EngineMissing:
        return False
    return True


def _failure(exc: Exception) -> RenderFailed:
    text = " ".join(str(getattr(exc, "detail", None) or exc).split())
    m = _AT.search(text)
    if m is None:
        return RenderFailed(text, None, None, None)
    # the place goes to the error's file and line; the message keeps what went wrong
    rest = text[: m.start()] + text[m.end() :]
    rest = re.sub(r"^\s*(?:template:|(?:execution|parse) error at)?\s*\)?:?\s*", "", rest)
    rest = re.sub(r'^executing "[^"]*" at ', "", rest).strip()
    return RenderFailed(rest or text, m.group(1), int(m.group(2)), int(m.group(3)) if m.group(3) else None)


class Chart:
    """A chart loaded once, rendered as often as asked (the fixes' checks render it again)."""

    def __init__(self, chart_dir: str) -> None:
        self._h = _sdk()
        self.chart_dir = chart_dir
        try:
            self._chart = self._h.Chart.load(chart_dir)
        except self._h.HelmError as exc:
            raise _failure(exc) from exc

    def render(
        self, values: dict[str, Any], release: str, namespace: str, validate: bool = True
    ) -> dict[str, str]:
        """Render as ``helm template`` does: template name (``chart/templates/x.yaml``,
        ``chart/charts/sub/templates/y.yaml``) → rendered text. ``values`` are the user's (the chart's own
        defaults are applied by Helm); they are checked against ``values.schema.json``."""
        try:
            if validate:
                self._chart.validate_schema(values)
            out: dict[str, str] = self._chart.render(
                values, name=release, namespace=namespace, is_install=True
            )
            return out
        except self._h.HelmError as exc:
            raise _failure(exc) from exc

    def missing_dependencies(self) -> list[dict[str, Any]]:
        """Dependencies ``Chart.yaml`` declares that ``charts/`` does not hold (never fetched)."""
        try:
            declared = self._chart.metadata.get("dependencies") or []
            loaded = {d.get("name") for d in self._chart.dependencies}
        except self._h.HelmError as exc:
            raise _failure(exc) from exc
        return [d for d in declared if isinstance(d, dict) and d.get("name") not in loaded]

    def default_values(self) -> dict[str, Any]:
        """The chart's own values (``values.yaml``), as Helm read them."""
        try:
            out: dict[str, Any] = self._chart.values
            return out
        except self._h.HelmError as exc:
            raise _failure(exc) from exc

    def close(self) -> None:
        self._chart.close()


def render(chart_dir: str, values: dict[str, Any], release: str, namespace: str) -> dict[str, str]:
    """Load and render once (see :meth:`Chart.render`)."""
    chart = Chart(chart_dir)
    try:
        return chart.render(values, release, namespace)
    finally:
        chart.close()


def parse_set(expression: str) -> dict[str, Any]:
    """A ``--set`` expression as Helm reads it (``a.b=1,c={x,y}``)."""
    h = _sdk()
    try:
        out: dict[str, Any] = h.parse_set_string(expression)
        return out
    except h.HelmError as exc:
        raise RenderFailed(f"--set {expression}: {exc}", None, None, None) from exc
