"""Edits applied to data (the expected result of a fix) and as RFC 6902 JSON Patch operations."""

from __future__ import annotations

import copy
from typing import Any

from llmlint.model import AddDocument, AppendItem, Edit, Path, RemoveItem, ReplaceInString, SetValue


class EditError(Exception):
    pass


def unshared(data: Any) -> Any:
    """A copy of ``data`` in which no two places share an object (YAML aliases construct one object for
    every use; JSON, and the API server, have a copy at each). Editing one place of the copy changes only
    that place."""
    if isinstance(data, dict):
        return {k: unshared(v) for k, v in data.items()}
    if isinstance(data, list):
        return [unshared(v) for v in data]
    return data


def _path_key(path: Path) -> tuple[tuple[int, int, str], ...]:
    """Sort key for paths: list indexes numerically (removals go highest index first)."""
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in path)


def _walk(data: Any, path: Path) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError) as exc:
            raise EditError(f"path {'/'.join(map(str, path))} does not exist") from exc
    return data


def _set(data: Any, path: Path, value: Any) -> None:
    node = data
    for i, step in enumerate(path[:-1]):
        nxt = node.get(step) if isinstance(node, dict) else _walk(node, (step,))
        if nxt is None and isinstance(node, dict):
            nxt = {} if isinstance(path[i + 1], str) else []
            node[step] = nxt
        node = nxt
    last = path[-1]
    if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int)):
        node[last] = copy.deepcopy(value)  # type: ignore[index]
    else:
        raise EditError(f"cannot set {last!r} in a {type(node).__name__}")


def apply_to_data(docs: dict[int, Any], edits: list[Edit]) -> list[Any]:
    """Apply ``edits`` to copies of the documents; returns the new documents (AddDocument) in order.

    Removals are applied last, highest index first, so earlier indexes still mean what they meant."""
    added: list[Any] = []
    removes: list[RemoveItem] = []
    for e in edits:
        if isinstance(e, AddDocument):
            added.append(copy.deepcopy(e.value))
            continue
        if isinstance(e, RemoveItem):
            removes.append(e)
            continue
        root = docs[e.target.doc_index]
        path = (*e.target.prefix, *e.path)
        if isinstance(e, SetValue):
            _set(root, path, e.value)
        elif isinstance(e, ReplaceInString):
            s = _walk(root, path)
            if not isinstance(s, str) or s[e.start : e.end] != e.old:
                raise EditError(f"expected {e.old!r} at {'/'.join(map(str, path))}")
            _set(root, path, s[: e.start] + e.new + s[e.end :])
        elif isinstance(e, AppendItem):
            try:
                lst = _walk(root, path)
            except EditError:
                lst = None
            if lst is None:
                _set(root, path, [e.value])
            elif isinstance(lst, list):
                lst.append(copy.deepcopy(e.value))
            else:
                raise EditError(f"{'/'.join(map(str, path))} is not a list")
    for r in sorted(removes, key=lambda r: (r.target.doc_index, _path_key(r.path)), reverse=True):
        root = docs[r.target.doc_index]
        path = (*r.target.prefix, *r.path)
        parent, last = _walk(root, path[:-1]), path[-1]
        if isinstance(parent, list) and isinstance(last, int):  # noqa: SIM114 - separate for the type checker
            del parent[last]
        elif isinstance(parent, dict) and last in parent:
            del parent[last]
        else:
            raise EditError(f"cannot remove {'/'.join(map(str, path))}")
    return added


def pointer(path: Path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def json_patch(obj: Any, edits: list[Edit]) -> list[dict[str, Any]]:
    """RFC 6902 operations, against ``obj`` as given, that make the same change as ``edits``.

    Operations apply in order, so each one is computed against ``obj`` as the earlier ones left it: two
    edits under one missing parent give one ``add`` of the parent and then ``add`` operations inside it
    (never two ``add`` operations of one path, the second of which would overwrite the first), and
    appends to a list that does not exist create it once. Removals come last, highest index first, as
    :func:`apply_to_data` applies them."""
    ops: list[dict[str, Any]] = []
    removes: list[RemoveItem] = []
    work = unshared(obj)
    for e in edits:
        if isinstance(e, AddDocument):
            continue
        if isinstance(e, RemoveItem):
            removes.append(e)
            continue
        path = e.path
        if isinstance(e, ReplaceInString):
            s = _walk(work, path)
            if not isinstance(s, str) or s[e.start : e.end] != e.old:
                raise EditError(f"expected {e.old!r} at {'/'.join(map(str, path))}")
            new = s[: e.start] + e.new + s[e.end :]
            ops.append({"op": "replace", "path": pointer(path), "value": new})
            _set(work, path, new)
            continue
        value: Any = e.value
        if isinstance(e, AppendItem):
            try:
                lst = _walk(work, path)
            except EditError:
                lst = None
            if isinstance(lst, list):
                ops.append({"op": "add", "path": pointer(path) + "/-", "value": copy.deepcopy(value)})
                lst.append(copy.deepcopy(value))
                continue
            if lst is not None:
                raise EditError(f"{'/'.join(map(str, path))} is not a list")
            value = [value]
        # SetValue (or an append to a missing list): add at the first missing step, replace if it exists
        node = work
        for i, step in enumerate(path):
            exists = (isinstance(node, dict) and step in node and node[step] is not None) or (
                isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
            )
            if not exists:
                if not isinstance(node, dict):
                    raise EditError(f"cannot add {step!r} under a {type(node).__name__}")
                nested: Any = copy.deepcopy(value)
                for later in reversed(path[i + 1 :]):
                    if not isinstance(later, str):
                        raise EditError("cannot create a list index")
                    nested = {later: nested}
                ops.append({"op": "add", "path": pointer(path[: i + 1]), "value": nested})
                node[step] = copy.deepcopy(nested)
                break
            node = node[step]
        else:
            ops.append({"op": "replace", "path": pointer(path), "value": copy.deepcopy(value)})
            _set(work, path, value)
    for r in sorted(removes, key=lambda r: _path_key(r.path), reverse=True):
        ops.append({"op": "remove", "path": pointer(r.path)})
    return ops


def apply_json_patch(obj: Any, ops: list[dict[str, Any]]) -> Any:
    """A small RFC 6902 applier (add, replace, remove) — used by audit's tests and the fixer's checks."""
    doc = copy.deepcopy(obj)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        if isinstance(parent, list):
            if op["op"] == "remove":
                del parent[int(last)]
            elif last == "-":
                parent.append(op["value"])
            elif op["op"] == "add":
                parent.insert(int(last), op["value"])
            else:
                parent[int(last)] = op["value"]
        elif op["op"] == "remove":
            del parent[last]
        else:
            parent[last] = op["value"]
    return doc
