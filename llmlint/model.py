"""Plain data shared by every stage: paths, object references, edits, fixes, findings, errors.

Nothing here parses YAML, prints, or knows a rule: stages exchange these values and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

# A path into a document's data: mapping keys and list indexes, from the document root.
Path = tuple[str | int, ...]

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
Safety = Literal["safe", "unsafe"]


class ObjectRef(NamedTuple):
    api_version: str | None
    kind: str | None
    namespace: str | None
    name: str | None

    def to_json(self) -> dict[str, str | None]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    def label(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or '?'} {ns}{self.name or '?'}"


class Target(NamedTuple):
    """Where an edit lands: one document of one source, and the object's path inside it.

    ``prefix`` is non-empty for objects inside a ``kind: List`` (``("items", 3)``).
    """

    source: str
    doc_index: int
    prefix: Path
    ref: ObjectRef


# ---- edits: what a fix does, as operations on a document's data ------------------------------------


class SetValue(NamedTuple):
    """Set ``path`` (relative to the object) to ``value``, creating missing parent mappings."""

    target: Target
    path: Path
    value: Any


class ReplaceInString(NamedTuple):
    """Replace ``value[start:end]`` of the string at ``path`` with ``new``."""

    target: Target
    path: Path
    start: int
    end: int
    old: str
    new: str


class AppendItem(NamedTuple):
    """Append ``value`` to the list at ``path`` (created when missing)."""

    target: Target
    path: Path
    value: Any


class RemoveItem(NamedTuple):
    """Remove the list item (last step an index) or the mapping key (last step a key) at ``path``."""

    target: Target
    path: Path


class AddDocument(NamedTuple):
    """Add a new object as a document right after ``target``'s document."""

    target: Target
    value: dict[str, Any]


Edit = SetValue | ReplaceInString | AppendItem | RemoveItem | AddDocument


@dataclass(eq=False)
class Fix:
    """A fix: edit operations with a safety and a description (and, once rendered, its patches)."""

    safety: Safety
    description: str
    edits: list[Edit]
    # Filled by the fixer for reporting: the unified diff of this fix alone, and RFC 6902 operations.
    diff: str | None = None
    json_patch: list[dict[str, Any]] | None = None
    patch_target: ObjectRef | None = None
    creates: list[dict[str, Any]] = field(default_factory=list)
    # Credentials the edits remove (LLM013): reports show them masked in ``diff`` (``--diff`` and ``--fix``
    # still use the real text).
    redact: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Finding:
    """One finding of one rule, on an object, at a path (positioned by the engine)."""

    rule: str
    message: str
    target: Target
    path: Path
    container: str | None = None
    fix: Fix | None = None
    # A substring of the string at ``path`` that the finding is about (e.g. a flag inside ``sh -c``).
    span: tuple[int, int] | None = None
    # Filled by the engine.
    name: str = ""
    severity: Severity = "warning"
    file: str | None = None
    line: int | None = None
    column: int | None = None
    suppressed: bool = False

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.rule)


@dataclass
class InputError:
    """Input that could not be read or parsed, with its file and line."""

    file: str | None
    line: int | None
    message: str
    column: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}

    def one_line(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"
