"""Which template line wrote each rendered line.

Literal template lines appear in the render unchanged; a line with ``{{ … }}`` actions matches a rendered
line whose literal parts agree; lines holding only control actions (``if``, ``range``, ``end``…) write
nothing. The two line lists are aligned in order (longest common subsequence, sparse: only the pairs that match), lines repeated by a
``range`` are matched to the loop body afterwards, and what an ``include``/``toYaml`` action writes is
attributed to that action's line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_ACTION = re.compile(r"\{\{.*?\}\}")
_CONTROL = re.compile(r"^-?\s*(?:if|else|end|range|with|define|block|/\*|\$[\w.]*\s*:?=)\b")


@dataclass(frozen=True)
class TemplateLine:
    text: str
    literal: bool  # no action at all: the render shows it as is
    writes: bool  # has an action that writes output (not only control)
    pattern: tuple[str, ...] | None  # the literal parts between one-line actions, in order


def classify(line: str) -> TemplateLine:
    text = line.rstrip()
    if "{{" not in text:
        return TemplateLine(text, True, False, None)
    actions = _ACTION.findall(text)
    rest = _ACTION.sub("", text).strip()
    control_only = not rest and all(_CONTROL.match(a[2:-2].strip()) for a in actions)
    if control_only or not rest or "{{" in _ACTION.sub("", text):
        # a control line, a line that is one output action (its text is not known), an action spanning lines
        return TemplateLine(text, False, not control_only, None)
    return TemplateLine(text, False, True, tuple(_ACTION.split(text)))


def matches(t: TemplateLine, r: str) -> bool:
    """Could template line ``t`` have written rendered line ``r`` (its literal parts, in order)?"""
    if t.literal:
        return bool(t.text) and t.text == r
    parts = t.pattern
    if parts is None or not r.strip() or not r.startswith(parts[0]) or not r.endswith(parts[-1]):
        return False
    pos, end = len(parts[0]), len(r) - len(parts[-1])
    for p in parts[1:-1]:
        i = r.find(p, pos, end)
        if i < 0:
            return False
        pos = i + len(p)
    return pos <= end


def _candidates(tl: list[TemplateLine], rl: list[str]) -> list[list[int]]:
    """For each rendered line, the (0-based) template lines that may have written it."""
    literal: dict[str, list[int]] = {}
    patterns: dict[str, list[int]] = {}  # by leading whitespace: a line keeps its template indentation
    for j, t in enumerate(tl):
        if t.literal and t.text:
            literal.setdefault(t.text, []).append(j)
        elif t.pattern is not None:
            patterns.setdefault(t.text[: len(t.text) - len(t.text.lstrip())], []).append(j)
    out: list[list[int]] = []
    for r in rl:
        found = list(literal.get(r, ()))
        if r.strip():
            indent = r[: len(r) - len(r.lstrip())]
            found += [j for j in patterns.get(indent, ()) if matches(tl[j], r)]
        out.append(sorted(found))
    return out


def line_map(template: str, rendered: str) -> list[int]:
    """For each rendered line (0-based index), the 1-based template line that wrote it (0: unknown)."""
    tl = [classify(x) for x in template.split("\n")]
    rl = [x.rstrip() for x in rendered.split("\n")]
    n, m = len(rl), len(tl)
    out = [0] * n
    cands = _candidates(tl, rl)
    # longest common subsequence over the candidate pairs (Hunt-Szymanski: sparse, n log n)
    thresh: list[int] = []
    links: list[tuple[int, int, object] | None] = []
    for i in range(n):
        for j in reversed(cands[i]):
            k = bisect.bisect_left(thresh, j)
            if k == len(thresh):
                thresh.append(j)
                links.append(None)
            elif j < thresh[k]:
                thresh[k] = j
            else:
                continue
            links[k] = (i, j, links[k - 1] if k else None)
    node: object = links[-1] if links else None
    while isinstance(node, tuple):
        i, j, node = node
        out[i] = j + 1
    # unmatched lines: a loop body written again, or the output of an include/toYaml action
    prev = 0
    for i in range(n):
        if out[i]:
            prev = out[i]
            continue
        if not rl[i].strip():
            continue
        nxt = next((out[k] for k in range(i + 1, n) if out[k]), m + 1)
        repeated = [j + 1 for j in cands[i] if j + 1 <= prev]
        if repeated:
            out[i] = repeated[-1]
            continue
        after = [k + 1 for k in range(prev, min(nxt, m + 1) - 1) if tl[k].writes]
        before = [k + 1 for k in range(0, prev) if tl[k].writes and tl[k].pattern is None]
        out[i] = after[0] if after else before[-1] if before else prev
    return out


def plain(template_line: str) -> bool:
    return "{{" not in template_line
