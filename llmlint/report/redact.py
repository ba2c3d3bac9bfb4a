"""What llmlint prints never carries a credential, a control character or a line break from its input.

Two passes, both on raw strings (before any format escapes them, so that ``\\n``, ``%0A`` or ``\\u001b`` in
front of a token cannot hide it):

* :func:`redact_result` masks credentials in the data of a scan or an audit (messages, descriptions,
  diffs, JSON Patch values, objects to create, errors) once, right before rendering. A fix whose patch
  would have to carry a credential to apply loses that patch (it is applied by ``--fix``, never shown);
  a patch with a masked value would not apply, or would write the mask.
* :func:`printable` escapes control characters, line breaks and bidirectional controls in one field of
  a line-oriented output (text, GitHub workflow commands, JUnit, comments of a shell script).

:func:`redact_diff` drops the hunks of a unified diff that would show a credential or a control character,
and keeps the rest appliable. Nothing here imports more than ``re`` (the one-file scan path stays fast).
"""

from __future__ import annotations

import re
from typing import Any

# Hugging Face user access tokens: ``hf_`` and 30-odd letters and digits (the placeholder in the article is
# all x's, which is masked too: a reader cannot tell a real token from a placeholder at a glance). No look-
# behind: in raw text a token may follow an escape (``"\nhf_…"`` in a YAML double-quoted scalar).
HF_TOKEN = re.compile(r"hf_[A-Za-z0-9]{8,}")
MASK = "hf_…"

# C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides and isolates, the BOM
# and lone surrogates: what a terminal, a CI log or a reader's eye would take for something else.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}
# In a diff: what may stand in a manifest's line (tab, CR of CRLF files) is kept, the rest is not shown.
_DIFF_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# What JSON (``ensure_ascii=False``) leaves raw although a terminal or a browser acts on it.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


# A line that a CI runner reads as a workflow command: GitHub's runner trims leading blanks, then looks
# for ``::`` (``::error …::``, ``::add-mask::``, ``::stop-commands::``).
_RUNNER_COMMAND = re.compile(r"^[ \t]*::", re.MULTILINE)


def runner_command(text: str) -> bool:
    """Does some line of ``text`` read as a CI workflow command once its leading blanks are trimmed?"""
    return "::" in text and _RUNNER_COMMAND.search(text) is not None


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    named = _NAMED.get(c)
    if named is not None:
        return named
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def printable(text: str) -> str:
    """``text`` with every control character, line break and bidi control shown as an escape (``\\n``)."""
    return _UNPRINTABLE.sub(_escape_char, text) if _UNPRINTABLE.search(text) else text


def json_safe(text: str) -> str:
    """A JSON document (``ensure_ascii=False``) with the characters JSON leaves raw written as ``\\uXXXX``
    (still the same JSON: those characters only occur inside strings)."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text) if _JSON_RAW.search(text) else text


class Secrets:
    """The credentials of one result: Hugging Face tokens, and the values LLM013 calls tokens."""

    def __init__(self, literals: set[str] | None = None) -> None:
        # shorter strings would mask ordinary words; longest first, so a token inside a raw literal goes too
        self.literals = sorted({s for s in literals or () if len(s) >= 8}, key=len, reverse=True)

    def found(self, text: str) -> bool:
        if "hf_" in text and HF_TOKEN.search(text):
            return True
        return any(s in text for s in self.literals)

    def mask(self, text: str) -> str:
        for s in self.literals:
            if s in text:
                text = text.replace(s, s[:3] + "…")
        return HF_TOKEN.sub(MASK, text) if "hf_" in text else text

    def mask_data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, list):
            return [self.mask_data(v) for v in value]
        if isinstance(value, dict):
            return {self.mask(k) if isinstance(k, str) else k: self.mask_data(v) for k, v in value.items()}
        return value

    def in_data(self, value: Any) -> bool:
        stack = [value]
        while stack:
            v = stack.pop()
            if isinstance(v, str):
                if self.found(v):
                    return True
            elif isinstance(v, list):
                stack.extend(v)
            elif isinstance(v, dict):
                stack.extend(v.keys())
                stack.extend(v.values())
        return False


_DEFAULT = Secrets()


def redact(text: str, secrets: Secrets | None = None) -> str:
    """``text`` with its credentials masked (a safety net on whole outputs; the data pass comes first)."""
    return (secrets or _DEFAULT).mask(text)


def secrets_of(result: Any) -> Secrets:
    literals: set[str] = set()
    for f in result.findings:
        if f.fix is not None:
            literals.update(s for s in f.fix.redact if isinstance(s, str))
    return Secrets(literals)


LEFT_OUT = "its patch would show a credential, so it is not shown"


def redact_result(result: Any, *, audit: bool = False) -> Secrets:
    """Mask the credentials of ``result`` (a ScanResult) in place, before any format renders it."""
    secrets = secrets_of(result)
    for f in result.findings:
        f.message = secrets.mask(f.message)
        if f.container:
            f.container = secrets.mask(f.container)
        fix = f.fix
        if fix is None:
            continue
        fix.description = secrets.mask(fix.description)
        left_out = False
        # (JSON escapes control characters, so only a credential costs a report its diff)
        if fix.diff and secrets.found(fix.diff):
            fix.diff, left_out = None, True
        if fix.json_patch and secrets.in_data(fix.json_patch):
            fix.json_patch, left_out = None, True
        if fix.creates and secrets.in_data(fix.creates):
            fix.creates, left_out = [], True
        if left_out:
            how = "apply it by hand" if audit else "apply it with --fix"
            fix.description += f" ({LEFT_OUT}: {how})"
    for e in result.errors:
        e.message = secrets.mask(e.message)
    return secrets


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$", re.DOTALL)


def redact_diff(diff: str, secrets: Secrets | None = None) -> tuple[str, list[str]]:
    """``diff`` without the hunks that would show a credential or a control character; (diff, notes).

    The new-file line numbers of the hunks kept after a dropped one are shifted back, so the result
    still applies (``git apply``, ``patch``) and changes only what the kept hunks change."""
    secrets = secrets or _DEFAULT
    if not (secrets.found(diff) or _DIFF_UNSAFE.search(diff) or runner_command(diff)):
        return diff, []
    out: list[str] = []
    notes: list[str] = []
    header: list[str] = []
    hunks: list[list[str]] = []
    name = "?"

    def flush() -> None:
        shift = 0
        kept: list[str] = []
        for hunk in hunks:
            m = _HUNK.match(hunk[0])
            if m is None:
                continue
            old_start, new_start = int(m.group(1)), int(m.group(3))
            old_len = int(m.group(2)) if m.group(2) is not None else 1
            new_len = int(m.group(4)) if m.group(4) is not None else 1
            body = "".join(hunk[1:])
            if secrets.found(body) or _DIFF_UNSAFE.search(body) or _context_command(hunk[1:]):
                shift += new_len - old_len
                notes.append(
                    f"the fix of {printable(name)} at line {old_start} is left out of the diff: it would "
                    "show a credential, a control character or a CI workflow command (apply it with --fix)"
                )
                continue
            new_head = f"@@ -{m.group(1)}{',' + m.group(2) if m.group(2) is not None else ''} "
            new_head += (
                f"+{new_start - shift}{',' + m.group(4) if m.group(4) is not None else ''} @@{m.group(5)}"
            )
            kept.append(new_head)
            kept.extend(hunk[1:])
        if kept:
            out.extend(header)
            out.extend(kept)

    for line in diff.splitlines(keepends=True):
        if line.startswith("--- ") and (not hunks or not _in_hunk(hunks[-1])):
            flush()
            header, hunks = [line], []
            name = line[4:].rstrip("\r\n").removeprefix("a/")
        elif line.startswith("+++ ") and len(header) == 1 and not hunks:
            header.append(line)
        elif line.startswith("@@ "):
            hunks.append([line])
        elif hunks:
            hunks[-1].append(line)
        else:
            header.append(line)
    flush()
    return "".join(out), notes


def _context_command(lines: list[str]) -> bool:
    """A context line (`` …``) whose text, its blanks trimmed, starts a workflow command (``+``/``-`` lines
    cannot: the runner trims blanks only)."""
    return any(line.startswith(" ") and line.lstrip(" \t").startswith("::") for line in lines)


def _in_hunk(hunk: list[str]) -> bool:
    """Is the hunk still expecting lines (a ``--- x`` line may be a removed ``-- x`` line)?"""
    m = _HUNK.match(hunk[0])
    if m is None:
        return False
    old_len = int(m.group(2)) if m.group(2) is not None else 1
    new_len = int(m.group(4)) if m.group(4) is not None else 1
    old = new = 0
    for line in hunk[1:]:
        tag = line[:1]
        if tag == " ":
            old += 1
            new += 1
        elif tag == "-":
            old += 1
        elif tag == "+":
            new += 1
    return old < old_len or new < new_len
