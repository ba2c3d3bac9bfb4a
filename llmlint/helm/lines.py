"""Which template line wrote each rendered line.

Literal template lines appear in the render unchanged; a line with ``{{ … }}`` actions matches a rendered
line whose literal parts agree; lines holding only control actions (``if``, ``range``, ``end``…) write
nothing. The two line lists are aligned in order (longest common subsequence), lines repeated by a
``range`` are matched to the loop body afterwards, and what an ``include``/``toYaml`` action writes is
attributed to that action's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ACTION = re.compile(r"\{\{.*?\}\}")
_CONTROL = re.compile(r"^-?\s*(?:if|else|end|range|with|define|block|/\*|\$[\w.]*\s*:?=)\b")
MAX_CELLS = 4_000_000  # beyond this, align greedily (a 2,000 × 2,000 line template)


@dataclass(frozen=True)
class TemplateLine:
    text: str
    literal: bool  # no action at all: the render shows it as is
    writes: bool  # has an action that writes output (not only control)
    pattern: re.Pattern[str] | None


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
    parts = _ACTION.split(text)
    body = ".*".join(re.escape(p) for p in parts)
    return TemplateLine(text, False, True, re.compile(body + r"\s*$"))


def matches(t: TemplateLine, r: str) -> bool:
    if t.literal:
        return bool(t.text) and t.text == r
    return t.pattern is not None and bool(r.strip()) and t.pattern.match(r) is not None


def line_map(template: str, rendered: str) -> list[int]:
    """For each rendered line (0-based index), the 1-based template line that wrote it (0: unknown)."""
    tl = [classify(x) for x in template.split("\n")]
    rl = [x.rstrip() for x in rendered.split("\n")]
    n, m = len(rl), len(tl)
    out = [0] * n
    if n * m <= MAX_CELLS:
        # LCS over "matches": dp[i][j] = best alignment of rl[i:], tl[j:]
        dp = [[0] * (m + 1) for _ in range(n + 1)]
        for i in range(n - 1, -1, -1):
            row, below = dp[i], dp[i + 1]
            r = rl[i]
            for j in range(m - 1, -1, -1):
                best = below[j] if below[j] > row[j + 1] else row[j + 1]
                if matches(tl[j], r) and below[j + 1] + 1 > best:
                    best = below[j + 1] + 1
                row[j] = best
        i = j = 0
        while i < n and j < m:
            if matches(tl[j], rl[i]) and dp[i][j] == dp[i + 1][j + 1] + 1:
                out[i] = j + 1
                i += 1
                j += 1
            elif dp[i + 1][j] >= dp[i][j + 1]:
                i += 1
            else:
                j += 1
    else:
        j = 0
        for i, r in enumerate(rl):
            for k in range(j, m):
                if matches(tl[k], r):
                    out[i], j = k + 1, k + 1
                    break
    # unmatched lines: a loop body written again, or the output of an include/toYaml action
    prev = 0
    for i in range(n):
        if out[i]:
            prev = out[i]
            continue
        if not rl[i].strip():
            continue
        nxt = next((out[k] for k in range(i + 1, n) if out[k]), m + 1)
        repeated = [k + 1 for k in range(m) if matches(tl[k], rl[i]) and k + 1 <= prev]
        if repeated:
            out[i] = repeated[-1]
            continue
        after = [k + 1 for k in range(prev, min(nxt, m + 1) - 1) if tl[k].writes]
        before = [k + 1 for k in range(0, prev) if tl[k].writes and tl[k].pattern is None]
        out[i] = after[0] if after else before[-1] if before else prev
    return out


def plain(template_line: str) -> bool:
    return "{{" not in template_line
