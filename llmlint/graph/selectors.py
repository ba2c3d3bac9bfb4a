"""Kubernetes label selectors: equality maps and ``matchLabels`` / ``matchExpressions``."""

from __future__ import annotations

from typing import Any


def matches(selector: Any, labels: dict[str, str]) -> bool:
    """Whether a ``LabelSelector`` selects ``labels``. An empty selector selects everything; a
    malformed one selects nothing."""
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    exprs = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(exprs, list):
        return False
    for k, v in match_labels.items():
        if labels.get(str(k)) != str(v):
            return False
    for e in exprs:
        if not isinstance(e, dict):
            return False
        key, op = str(e.get("key")), e.get("operator")
        values = [str(v) for v in (e.get("values") or [])]
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def map_matches(selector: Any, labels: dict[str, str]) -> bool:
    """A Service-style selector (a plain map); empty or missing selects nothing."""
    if not isinstance(selector, dict) or not selector:
        return False
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())
