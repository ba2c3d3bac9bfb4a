#!/usr/bin/env python3
"""Regenerate ``llmlint/data/server_flags.json`` from the servers' own sources.

The command-line flags each inference server accepts are read *statically*
from its argument parser, for every release we are given:

* vLLM -- ``vllm/engine/arg_utils.py`` (``EngineArgs.add_cli_args``),
  ``vllm/entrypoints/openai/cli_args.py`` / ``vllm/entrypoints/common/cli_args.py``
  (``make_arg_parser``, ``FrontendArgs``) and ``vllm/entrypoints/cli/serve.py``.
  Explicit ``add_argument("--x", ...)`` calls are read from the AST; arguments
  declared as ``**model_kwargs["field"]`` take their kind (boolean or valued)
  from the annotation of that field in the config dataclass, the way vLLM's
  ``get_kwargs`` does; ``for key, value in kwargs.items()`` loops over a
  dataclass (``FrontendArgs``) give ``--kebab-case`` of every field.
* SGLang -- ``python/sglang/srt/server_args.py`` (``ServerArgs.add_cli_args``)
  and, for the releases that derive the parser from annotated dataclasses,
  ``python/sglang/srt/arg_groups/fields/*.py`` (``A[T, "help"]`` /
  ``A[T, Arg(...)]`` fields).
* TGI -- ``launcher/src/main.rs`` (clap ``Args`` struct).

Each source argument is one of:

* a bare git directory (e.g. one brought by the search tool's ``fetch``):
  every release tag ``vX.Y.Z`` (and ``.postN``) at or above ``--min-version``
  is read with ``git show``;
* a directory whose sub-directories are named by version and hold the unpacked
  package (``<dir>/0.6.3/vllm/...``), e.g. from ``pip download --no-deps`` +
  ``unzip``;
* wheel files (``vllm-0.6.3-....whl``), read in place.

Usage::

    python tools/refresh_server_flags.py \
        --vllm /tmp/src/vllm --sglang /tmp/src/sglang \
        --tgi /work/.mirror/huggingface+text-generation-inference/repo \
        -o llmlint/data/server_flags.json

A framework that is not given keeps its section from the existing output file.
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import ast
import datetime as _dt
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# --------------------------------------------------------------------------
# versions

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.?post(\d+))?$")


def parse_version(text: str) -> tuple[int, ...] | None:
    """``v0.6.3.post1`` -> (0, 6, 3, 0, 1); None for rc/dev or non-versions."""
    m = _VERSION_RE.match(text.strip())
    if not m:
        return None
    major, minor, patch, sub, post = m.groups()
    return (int(major), int(minor), int(patch or 0), int(sub or 0), int(post or 0))


def norm_version(text: str) -> str:
    return text[1:] if text.startswith("v") else text


# --------------------------------------------------------------------------
# source trees


class Tree(Protocol):
    version: str

    def read(self, path: str) -> str | None: ...

    def listdir(self, path: str) -> list[str]: ...


class DirTree:
    def __init__(self, root: Path, version: str) -> None:
        self.root = root
        self.version = version

    def read(self, path: str) -> str | None:
        p = self.root / path
        return p.read_text(encoding="utf-8", errors="replace") if p.is_file() else None

    def listdir(self, path: str) -> list[str]:
        p = self.root / path
        return sorted(c.name for c in p.iterdir()) if p.is_dir() else []


class GitTree:
    def __init__(self, gitdir: Path, ref: str, version: str) -> None:
        self.gitdir = gitdir
        self.ref = ref
        self.version = version

    def _git(self, *args: str) -> str | None:
        res = subprocess.run(
            ["git", f"--git-dir={self.gitdir}", *args],
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        return res.stdout if res.returncode == 0 else None

    def read(self, path: str) -> str | None:
        return self._git("show", f"{self.ref}:{path}")

    def listdir(self, path: str) -> list[str]:
        out = self._git("ls-tree", "--name-only", f"{self.ref}:{path}")
        return sorted(out.split()) if out else []


class WheelTree:
    def __init__(self, wheel: Path, version: str) -> None:
        self.zip = zipfile.ZipFile(wheel)
        self.names = set(self.zip.namelist())
        self.version = version

    def read(self, path: str) -> str | None:
        if path not in self.names:
            return None
        return self.zip.read(path).decode("utf-8", errors="replace")

    def listdir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        out = {n[len(prefix) :].split("/")[0] for n in self.names if n.startswith(prefix)}
        return sorted(out)


def _is_git_dir(p: Path) -> bool:
    return (p / "HEAD").is_file() and (p / "objects").is_dir()


def open_trees(sources: Iterable[str], min_version: str | None) -> list[Tree]:
    """Every release found in the given sources, one tree per version."""
    low = parse_version(min_version) if min_version else None
    found: dict[tuple[int, ...], Tree] = {}
    for src in sources:
        p = Path(src)
        candidates: list[tuple[str, Tree]] = []
        if p.is_file() and p.suffix == ".whl":
            ver = p.name.split("-")[1]
            candidates.append((ver, WheelTree(p, ver)))
        elif p.is_dir() and _is_git_dir(p):
            tags = subprocess.run(
                ["git", f"--git-dir={p}", "tag", "--list"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            for tag in tags:
                if parse_version(tag):
                    candidates.append((norm_version(tag), GitTree(p, tag, norm_version(tag))))
        elif p.is_dir():
            for child in sorted(p.iterdir()):
                if child.is_dir() and parse_version(child.name):
                    candidates.append((norm_version(child.name), DirTree(child, norm_version(child.name))))
                elif child.suffix == ".whl":
                    ver = child.name.split("-")[1]
                    candidates.append((ver, WheelTree(child, ver)))
        else:
            sys.exit(f"not a git dir, version dir or wheel: {src}")
        for ver, tree in candidates:
            key = parse_version(ver)
            if key is None or (low is not None and key < low):
                continue
            found.setdefault(key, tree)
    return [found[k] for k in sorted(found)]


# --------------------------------------------------------------------------
# per-version result


@dataclass
class Opt:
    name: str
    value: bool
    aliases: list[str] = field(default_factory=list)
    deprecated: bool = False


OptMap = dict[str, Opt]


def _add(opts: OptMap, names: list[str], value: bool) -> None:
    longs = [n for n in names if n.startswith("--")]
    if not names:
        return
    canon = longs[0] if longs else names[0]
    aliases = [n for n in names if n != canon]
    if canon in opts:
        known = opts[canon]
        for a in aliases:
            if a not in known.aliases:
                known.aliases.append(a)
        known.value = known.value and value
        return
    opts[canon] = Opt(canon, value, aliases)


def _mark_deprecated(opts: OptMap, names: list[str], kw: dict[str, ast.AST]) -> None:
    """``deprecated=True``, a ``Deprecated*`` action or a help text saying so."""
    dep = isinstance(kw.get("deprecated"), ast.Constant) and getattr(kw["deprecated"], "value", None) is True
    if "action" in kw and "Deprecated" in _dotted(kw["action"]):
        dep = True
    help_text = _str(kw["help"]) if "help" in kw else None
    if help_text is None and isinstance(kw.get("help"), ast.JoinedStr):
        help_text = "".join(_str(v) or "" for v in kw["help"].values)  # type: ignore[attr-defined]
    if help_text and re.match(r"\s*[\[(]?deprecated", help_text, re.I):
        dep = True
    if dep:
        for n in names:
            if n in opts:
                opts[n].deprecated = True


# --------------------------------------------------------------------------
# Python AST helpers


def _str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


_NO_VALUE_ACTIONS = {"store_true", "store_false", "store_const", "count", "help", "version"}


def _class_takes_no_value(src: str, name: str) -> bool | None:
    """Does the custom argparse Action class ``name`` (defined in src) take no value?"""
    m = re.search(rf"^class {re.escape(name)}\((.*?)\):\n(.*?)(?=^\S)", src, re.M | re.S)
    if not m:
        return None
    bases, body = m.group(1), m.group(2)
    return bool(re.search(r"nargs\s*=\s*0|StoreTrue|StoreFalse|StoreConst", bases + body))


def _action_kind(node: ast.AST | None, src: str = "") -> str | None:
    """'flag' (no value), 'bool-opt' (BooleanOptionalAction), 'value' or None."""
    if node is None:
        return None
    s = _str(node)
    if s is not None:
        return "flag" if s in _NO_VALUE_ACTIONS else "value"
    name = _dotted(node).rsplit(".", 1)[-1]
    if name == "BooleanOptionalAction":
        return "bool-opt"
    if re.search(r"StoreTrue|StoreFalse|StoreConst", name):
        return "flag"
    no_value = _class_takes_no_value(src, name) if src else None
    if no_value is not None:
        return "flag" if no_value else "value"
    if "Deprecated" in name and not re.search(r"Alias|Store", name):
        return "flag"  # e.g. SGLang's DeprecatedAction (nargs=0): retired flag
    return "value"


def _nargs_zero(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _annotation_members(node: ast.AST | None) -> list[ast.AST]:
    """Top-level members of an annotation: unions/Optional/Annotated flattened."""
    if node is None:
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return _annotation_members(ast.parse(node.value, mode="eval").body)
        except SyntaxError:
            return []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _annotation_members(node.left) + _annotation_members(node.right)
    if isinstance(node, ast.Subscript):
        head = _dotted(node.value).rsplit(".", 1)[-1]
        inner = node.slice
        elts = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
        if head in ("Optional", "Union"):
            return [m for e in elts for m in _annotation_members(e)]
        if head in ("Annotated", "A", "SkipValidation") and elts:
            return _annotation_members(elts[0])
    return [node]


def _member_name(node: ast.AST) -> str:
    if isinstance(node, ast.Subscript):
        return _dotted(node.value).rsplit(".", 1)[-1]
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return _dotted(node).rsplit(".", 1)[-1]


@dataclass
class ClassInfo:
    name: str
    bases: list[str]
    fields: dict[str, ast.AST | None]  # field name -> annotation
    is_dataclass: bool
    methods: set[str]


def index_classes(sources: Iterable[str]) -> dict[str, ClassInfo]:
    out: dict[str, ClassInfo] = {}
    for text in sources:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            fields: dict[str, ast.AST | None] = {}
            methods: set[str] = set()
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    ann = stmt.annotation
                    if _member_name(ann) in ("ClassVar", "InitVar"):
                        continue
                    fields[stmt.target.id] = ann
                elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods.add(stmt.name)
            decos = {
                _dotted(d.func if isinstance(d, ast.Call) else d).rsplit(".", 1)[-1]
                for d in node.decorator_list
            }
            info = ClassInfo(
                node.name,
                [_dotted(b).rsplit(".", 1)[-1] for b in node.bases],
                fields,
                bool(decos & {"dataclass", "config"}) or bool(fields),
                methods,
            )
            # keep the richest definition of a name (stubs / TYPE_CHECKING copies)
            if node.name not in out or len(fields) > len(out[node.name].fields):
                out[node.name] = info
    return out


def class_fields(
    classes: dict[str, ClassInfo], name: str, seen: frozenset[str] = frozenset()
) -> dict[str, ast.AST | None]:
    info = classes.get(name)
    if info is None or name in seen:
        return {}
    merged: dict[str, ast.AST | None] = {}
    for base in info.bases:
        merged.update(class_fields(classes, base, seen | {name}))
    merged.update(info.fields)
    return merged


# --------------------------------------------------------------------------
# vLLM


_VLLM_PARSER_FILES = [
    "vllm/engine/arg_utils.py",
    "vllm/entrypoints/openai/cli_args.py",
    "vllm/entrypoints/common/cli_args.py",
    "vllm/entrypoints/cli/serve.py",
]


def _walk_py(tree: Tree, root: str) -> Iterator[str]:
    for name in tree.listdir(root):
        path = f"{root}/{name}"
        if name.endswith(".py"):
            yield path
        elif "." not in name and name not in ("__pycache__",):
            yield from _walk_py(tree, path)


@dataclass
class _VllmCtx:
    tree: Tree
    classes: dict[str, ClassInfo]
    bool_str_optional: bool  # get_kwargs gives nargs="?" to bool | str | None
    enable_disable: bool  # EnableDisableAction pairs --enable-x with --disable-x
    action_src: str = ""  # where custom argparse Action classes are defined


def _field_is_bool(ctx: _VllmCtx, cls: str, fname: str) -> bool | None:
    """True: boolean flag; False: takes a value; None: field not found."""
    fields = class_fields(ctx.classes, cls)
    if fname not in fields:
        return None
    members = _annotation_members(fields[fname])
    names = {_member_name(m) for m in members}
    if any(n in ctx.classes and ctx.classes[n].is_dataclass and n not in ("bool",) for n in names):
        return False  # JSON-valued dataclass
    if "bool" in names:
        return not (ctx.bool_str_optional and names == {"bool", "str", "None"})
    return False


def _kwargs_var_class(fn: ast.AST) -> dict[str, str]:
    """``x_kwargs = get_kwargs(Cls)`` assignments within a function."""
    out: dict[str, str] = {}
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and _dotted(node.value.func).endswith("get_kwargs")
            and node.value.args
        ):
            out[node.targets[0].id] = _dotted(node.value.args[0])
    return out


_MOD_RE = re.compile(r"""(\w+)\[["'](\w+)["']\]\[["'](action|nargs|flags)["']\]\s*=\s*([^\n]+)""")
_DEL_RE = re.compile(r"""del\s+(\w+)\[["'](\w+)["']\]\s*$""", re.M)


def _kwarg_mods(text: str) -> dict[tuple[str, str], dict[str, str]]:
    mods: dict[tuple[str, str], dict[str, str]] = {}
    for var, fname, key, rhs in _MOD_RE.findall(text):
        mods.setdefault((var, fname), {})[key] = rhs.strip()
    return mods


def _mod_value(mod: dict[str, str]) -> bool | None:
    """Does a kwargs modification make the option boolean (False) or valued (True)?"""
    if "action" in mod:
        rhs = mod["action"].strip("\"'")
        return not (rhs in _NO_VALUE_ACTIONS or "BooleanOptionalAction" in rhs)
    if "nargs" in mod and mod["nargs"] == "0":
        return False
    return None


def _mod_flags(mod: dict[str, str]) -> list[str]:
    return re.findall(r"""["'](-{1,2}[\w-]+)["']""", mod.get("flags", ""))


def _emit_bool_opt(ctx: _VllmCtx, opts: OptMap, names: list[str]) -> None:
    _add(opts, names, False)
    for n in names:
        if n.startswith("--"):
            _add(opts, ["--no-" + n[2:]], False)
            if ctx.enable_disable:
                for pre, inv in (("--enable-", "--disable-"), ("--disable-", "--enable-")):
                    if n.startswith(pre):
                        _add(opts, [inv + n[len(pre) :]], False)


_IMPORT_MAP_RE = re.compile(r"from\s+(vllm\.entrypoints[\w.]*)\s+import\s+(\([^)]*\)|[^\n]*)")


def _vllm_parser_files(tree: Tree) -> list[str]:
    """The fixed list plus wherever serve.py / api_server.py import make_arg_parser from."""
    files = list(_VLLM_PARSER_FILES)
    for p in ("vllm/entrypoints/cli/serve.py", "vllm/entrypoints/openai/api_server.py"):
        for mod, names in _IMPORT_MAP_RE.findall(tree.read(p) or ""):
            if not re.search(r"\bmake_arg_parser\b", names):
                continue
            path = mod.replace(".", "/") + ".py"
            if path not in files:
                files.append(path)
    return files


def extract_vllm(tree: Tree, renames: dict[str, str] | None = None) -> OptMap:
    texts = {p: tree.read(p) for p in _vllm_parser_files(tree)}
    parser_texts = {p: t for p, t in texts.items() if t}
    if "vllm/engine/arg_utils.py" not in parser_texts:
        return {}
    cfg_sources: list[str] = list(parser_texts.values())
    roots = {"vllm/config", "vllm/entrypoints/openai", "vllm/entrypoints/common"}
    roots |= {p.rsplit("/", 1)[0] for p in parser_texts}
    for root in sorted(roots):
        for p in _walk_py(tree, root):
            t = tree.read(p)
            if t:
                cfg_sources.append(t)
    for p in ("vllm/config.py",):
        t = tree.read(p)
        if t:
            cfg_sources.append(t)
    argparse_files = ("vllm/utils/argparse_utils.py", "vllm/utils/__init__.py", "vllm/utils.py")
    argparse_src = "".join(tree.read(p) or "" for p in argparse_files)
    arg_utils = parser_texts["vllm/engine/arg_utils.py"]
    ctx = _VllmCtx(
        tree,
        index_classes(cfg_sources),
        "{bool, str, type(None)}" in arg_utils,
        "class EnableDisableAction" in argparse_src,
        argparse_src + "\n".join(parser_texts.values()),
    )
    opts: OptMap = {}
    for text in parser_texts.values():
        _vllm_file(ctx, text, opts)
    # FlexibleArgumentParser rewrites "-O3" / "-O 3" to "--optimization-level 3"
    if 'startswith("-O")' in argparse_src and "--optimization-level" in opts:
        for o in opts.values():
            if "-O" in o.aliases:
                o.aliases.remove("-O")
        opts["--optimization-level"].aliases.append("-O")
    _add(opts, ["--help", "-h"], False)
    return opts


def _vllm_file(ctx: _VllmCtx, text: str, opts: OptMap) -> None:
    module = ast.parse(text)
    mods = _kwarg_mods(text)
    deleted = set(_DEL_RE.findall(text))
    # classes whose add_cli_args is called on a parser in this file (FrontendArgs...)
    called = {
        _dotted(n.func.value)
        for n in ast.walk(module)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "add_cli_args"
    }
    fn_nodes = [n for n in ast.walk(module) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    owner: dict[int, str] = {}
    for cls in (n for n in ast.walk(module) if isinstance(n, ast.ClassDef)):
        for stmt in cls.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                owner[id(stmt)] = cls.name
    for fn in fn_nodes:
        var_cls = _kwargs_var_class(fn)
        for var, cls in list(var_cls.items()):
            if cls == "cls":
                base = owner.get(id(fn), "")
                targets = [c for c in called if c == base or base in _mro(ctx.classes, c)]
                var_cls[var] = targets[0] if targets else base
        for node in ast.walk(fn):
            if isinstance(node, ast.For) and isinstance(node.iter, ast.Call):
                _vllm_loop(ctx, node, var_cls, mods, deleted, opts, owner.get(id(fn), ""), called)
            if isinstance(node, ast.For) and isinstance(node.iter, (ast.List, ast.Tuple)):
                _literal_loop(node, opts)
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"
            ):
                continue
            names = [s for a in node.args if (s := _str(a)) and s.startswith("-")]
            if not names:
                continue
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            star = [k.value for k in node.keywords if k.arg is None]
            kind = _action_kind(kw.get("action"), ctx.action_src)
            if kind is None and _nargs_zero(kw.get("nargs")):
                kind = "flag"
            if kind is None and star:
                kind = _starred_kind(ctx, star[0], var_cls, mods)
                extra = _starred_flags(star[0], mods)
                names += [f for f in extra if f not in names]
            if kind == "bool-opt":
                _emit_bool_opt(ctx, opts, names)
            else:
                _add(opts, names, kind != "flag")
            _mark_deprecated(opts, names, kw)


def _literal_loop(loop: ast.For, opts: OptMap) -> None:
    """``for arg, type in [("--a", str), ...]: g.add_argument(arg, ...)``."""
    target = loop.target
    first = target.elts[0] if isinstance(target, ast.Tuple) and target.elts else target
    if not isinstance(first, ast.Name) or not isinstance(loop.iter, (ast.List, ast.Tuple)):
        return
    names: list[str] = []
    for elt in loop.iter.elts:
        head = elt.elts[0] if isinstance(elt, ast.Tuple) and elt.elts else elt
        s = _str(head)
        if s and s.startswith("-"):
            names.append(s)
    for node in ast.walk(loop):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_argument"
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == first.id
        ):
            kw = {k.arg: k.value for k in node.keywords if k.arg}
            kind = _action_kind(kw.get("action"))
            for n in names:
                if kind == "bool-opt":
                    _add(opts, [n], False)
                    _add(opts, ["--no-" + n[2:]], False)
                else:
                    _add(opts, [n], kind != "flag")
            return


def _mro(classes: dict[str, ClassInfo], name: str) -> list[str]:
    info = classes.get(name)
    if info is None:
        return []
    out: list[str] = []
    for b in info.bases:
        out += [b, *_mro(classes, b)]
    return out


def _subscript_key(node: ast.AST) -> tuple[str, str] | None:
    """``model_kwargs["field"]`` -> ("model_kwargs", "field"); also ``{**model_kwargs["f"], ...}``."""
    if isinstance(node, ast.Dict):
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                return _subscript_key(v)
        return None
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        key = _str(node.slice)
        if key is not None:
            return node.value.id, key
    return None


def _starred_kind(
    ctx: _VllmCtx, node: ast.AST, var_cls: dict[str, str], mods: dict[tuple[str, str], dict[str, str]]
) -> str:
    sk = _subscript_key(node)
    if sk is None:
        return "value"
    var, fname = sk
    mod = mods.get(sk, {})
    mv = _mod_value(mod)
    if mv is not None:
        if not mv:
            return "bool-opt" if "BooleanOptionalAction" in mod.get("action", "") else "flag"
        return "value"
    cls = var_cls.get(var)
    if cls is None:
        return "value"
    is_bool = _field_is_bool(ctx, cls, fname)
    return "bool-opt" if is_bool else "value"


def _starred_flags(node: ast.AST, mods: dict[tuple[str, str], dict[str, str]]) -> list[str]:
    sk = _subscript_key(node)
    return _mod_flags(mods.get(sk, {})) if sk else []


def _vllm_loop(
    ctx: _VllmCtx,
    loop: ast.For,
    var_cls: dict[str, str],
    mods: dict[tuple[str, str], dict[str, str]],
    deleted: set[tuple[str, str]],
    opts: OptMap,
    owner: str,
    called: set[str],
) -> None:
    """``for key, value in X.items(): g.add_argument(f"--{key.replace('_','-')}", **value)``."""
    it = loop.iter
    if not (
        isinstance(it, ast.Call)
        and isinstance(it.func, ast.Attribute)
        and it.func.attr == "items"
        and isinstance(it.func.value, ast.Name)
    ):
        return
    var = it.func.value.id
    has_fstring_add = any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "add_argument"
        and any(isinstance(a, ast.JoinedStr) for a in n.args)
        for n in ast.walk(loop)
    )
    if not has_fstring_add:
        return
    cls = var_cls.get(var)
    targets: list[str]
    if cls is None:
        return
    targets = [cls]
    if owner and cls == owner:
        subs = [c for c in called if c != owner and owner in _mro(ctx.classes, c)]
        targets = subs or [cls]
    for target in targets:
        for fname in class_fields(ctx.classes, target):
            if (var, fname) in deleted or fname.startswith("_"):
                continue
            names = ["--" + fname.replace("_", "-")]
            mod: dict[str, str] = {}
            for (_v, f), m in mods.items():
                if f == fname:
                    mod.update(m)
            names += [f for f in _mod_flags(mod) if f not in names]
            mv = _mod_value(mod)
            if mv is None:
                is_bool = _field_is_bool(ctx, target, fname)
                if is_bool:
                    _emit_bool_opt(ctx, opts, names)
                else:
                    _add(opts, names, True)
            elif not mv and "BooleanOptionalAction" in mod.get("action", ""):
                _emit_bool_opt(ctx, opts, names)
            else:
                _add(opts, names, mv)


# --------------------------------------------------------------------------
# SGLang


def extract_sglang(tree: Tree, renames: dict[str, str] | None = None) -> OptMap:
    base = "python/sglang/srt" if tree.read("python/sglang/srt/server_args.py") else "sglang/srt"
    text = tree.read(f"{base}/server_args.py")
    if not text:
        return {}
    opts: OptMap = {}
    if renames is None:
        renames = {}
    action_src = text + "\n" + (tree.read(f"{base}/arg_groups/argparse_actions.py") or "")
    module = ast.parse(text)
    for node in ast.walk(module):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_argument"
        ):
            continue
        names = [s for a in node.args if (s := _str(a)) and s.startswith("-")]
        if not names:
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        kind = _action_kind(kw.get("action"), action_src)
        if kind is None and _nargs_zero(kw.get("nargs")):
            kind = "flag"
        if kind == "flag" and "nargs" in kw and not _nargs_zero(kw["nargs"]) and _str(kw["action"]) is None:
            kind = "value"  # a custom (deprecation) action told to take a value
        new = _str(kw["new_flag"]) if "new_flag" in kw else None
        if new and new.startswith("-"):
            renames[names[0]] = new
        if kind == "bool-opt":
            _add(opts, names, False)
            _add(opts, ["--no-" + n[2:] for n in names if n.startswith("--")][:1], False)
        else:
            _add(opts, names, kind != "flag")
        _mark_deprecated(opts, names, kw)
    if "add_cli_args_from_dataclass" in text:
        sources = [text]
        for root in (f"{base}/arg_groups",):
            for p in _walk_py(tree, root):
                t = tree.read(p)
                if t:
                    sources.append(t)
        for src in sources:
            _sglang_annotated(src, opts)
    _add(opts, ["--help", "-h"], False)
    return opts


def _sglang_annotated(text: str, opts: OptMap) -> None:
    """Fields declared ``name: A[T, "help"]`` or ``A[T, Arg(...)]`` in a class body."""
    module = ast.parse(text)
    for cls in (n for n in ast.walk(module) if isinstance(n, ast.ClassDef)):
        for stmt in cls.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            ann = stmt.annotation
            if not (isinstance(ann, ast.Subscript) and _member_name(ann) in ("A", "Annotated")):
                continue
            elts = list(ann.slice.elts) if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            if len(elts) < 2:
                continue
            meta = next(
                (
                    e
                    for e in elts[1:]
                    if isinstance(e, ast.Call) and _dotted(e.func).rsplit(".", 1)[-1] == "Arg"
                ),
                None,
            )
            has_help = any(_str(e) is not None for e in elts[1:])
            if meta is None and not has_help:
                continue
            kw = {k.arg: k.value for k in meta.keywords if k.arg} if meta else {}
            if isinstance(kw.get("no_cli"), ast.Constant) and kw["no_cli"].value is True:
                continue
            cli = _str(kw["cli_name"]) if "cli_name" in kw else None
            name = cli or "--" + stmt.target.id.replace("_", "-")
            aliases: list[str] = []
            if isinstance(kw.get("aliases"), (ast.List, ast.Tuple)):
                aliases = [s for e in kw["aliases"].elts if (s := _str(e))]  # type: ignore[attr-defined]
            names = [name, *aliases]
            if "action" in kw and not (isinstance(kw["action"], ast.Constant) and kw["action"].value is None):
                kind = _action_kind(kw["action"])
                if kind == "bool-opt":
                    _add(opts, names, False)
                    _add(opts, ["--no-" + name[2:]], False)
                else:
                    _add(opts, names, kind != "flag")
                continue
            members = {_member_name(m) for m in _annotation_members(elts[0])} - {"None"}
            _add(opts, names, members != {"bool"})


# --------------------------------------------------------------------------
# TGI (Rust / clap)

_RS_FIELD_RE = re.compile(r"^\s*(?:pub\s+)?([a-z_][a-z0-9_]*)\s*:\s*([^,]+?),?\s*$")


def extract_tgi(tree: Tree, renames: dict[str, str] | None = None) -> OptMap:
    text = tree.read("launcher/src/main.rs")
    if not text:
        return {}
    m = re.search(r"struct\s+Args\s*\{", text)
    if not m:
        return {}
    depth, i = 1, m.end()
    while depth and i < len(text):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    body = text[m.end() : i - 1]
    opts: OptMap = {}
    attrs: list[str] = []
    buf = ""
    for raw in body.splitlines():
        line = raw.split("//")[0].rstrip() if not raw.strip().startswith("///") else ""
        if not line.strip():
            continue
        if buf or line.strip().startswith("#["):
            buf += " " + line.strip()
            if buf.count("[") <= buf.count("]"):
                attrs.append(buf.strip())
                buf = ""
            continue
        fm = _RS_FIELD_RE.match(line)
        if not fm:
            continue
        fname, ftype = fm.group(1), fm.group(2).strip()
        clap = " ".join(a for a in attrs if a.startswith(("#[clap", "#[arg")))
        attrs = []
        if not re.search(r"\blong\b", clap):
            continue  # positional or not a CLI argument
        lm = re.search(r'\blong\s*=\s*"([^"]+)"', clap)
        long = "--" + (lm.group(1) if lm else fname.replace("_", "-"))
        names = [long]
        sm = re.search(r"\bshort\s*=\s*'(.)'", clap)
        if sm:
            names.append("-" + sm.group(1))
        elif re.search(r"\bshort\b", clap):
            names.append("-" + fname[0])
        for am in re.finditer(r'\b(?:visible_)?alias\s*=\s*"([^"]+)"', clap):
            names.append("--" + am.group(1))
        # clap refuses a short used twice; keep the first owner (TGI 3.3: --port/-p, --prometheus-port)
        names = [n for n in names if n.startswith("--") or not any(n in o.aliases for o in opts.values())]
        is_flag = ftype == "bool" and not re.search(r"ArgAction::Set\b|num_args|value_parser", clap)
        if re.search(r"ArgAction::(SetTrue|SetFalse|Count)", clap):
            is_flag = True
        _add(opts, names, not is_flag)
    _add(opts, ["--help", "-h"], False)
    head = text[max(0, m.start() - 300) : m.start()]
    if re.search(r"#\[(?:clap|command)\([^\]]*\bversion\b", head):
        _add(opts, ["--version", "-V"], False)
    return opts


# --------------------------------------------------------------------------
# merge across versions


def merge(per_version: list[tuple[str, OptMap]]) -> dict[str, object]:
    """Fold per-version option maps into since/until ranges, one entry per option string.

    Canonical names carry their aliases; each alias also has an entry of its own
    (``alias_of``) so that its version range is exact.
    """
    versions = [v for v, _ in per_version]
    presence: dict[str, list[str]] = {}
    value: dict[str, bool] = {}
    aliases: dict[str, list[str]] = {}
    alias_of: dict[str, str | None] = {}
    deprecated: dict[str, bool] = {}
    for ver, opts in per_version:  # ascending: the newest version's view wins
        for name, opt in opts.items():
            for n in (name, *opt.aliases):
                if ver not in presence.setdefault(n, []):
                    presence[n].append(ver)
                value[n] = opt.value
                deprecated[n] = opt.deprecated
            alias_of[name] = None
            known = aliases.setdefault(name, [])
            for a in opt.aliases:
                if a not in known:
                    known.append(a)
                if a not in opts:
                    alias_of[a] = name
    newest = versions[-1]
    out: dict[str, dict[str, object]] = {}
    for name in sorted(presence):
        seen = presence[name]
        first, last = versions.index(seen[0]), versions.index(seen[-1])
        entry: dict[str, object] = {
            "since": seen[0],
            "until": None if seen[-1] == newest else seen[-1],
            "value": value[name],
            "aliases": [a for a in aliases.get(name, []) if a != name] if alias_of.get(name) is None else [],
        }
        if alias_of.get(name):
            entry["alias_of"] = alias_of[name]
        if deprecated.get(name):
            entry["deprecated"] = True
        missing = [v for v in versions[first : last + 1] if v not in seen]
        if missing:
            entry["missing_in"] = missing
        out[name] = entry
    return {"versions": versions, "flags": out}


# Renames established by reading the deprecation/removal notes in the sources
# (see docs/guides/refreshing-server-flags.md). Kept only when both names are in
# the extracted data and the old one stops where (or after) the new one starts.
RENAMES: dict[str, dict[str, str]] = {
    "vllm": {
        "--disable-log-requests": "--enable-log-requests",
        "--max-context-len-to-capture": "--max-seq-len-to-capture",
        "--worker-use-ray": "--distributed-executor-backend",
        "--override-pooler-config": "--pooler-config",
        "--enable-reasoning": "--reasoning-parser",
        "--cuda-graph-sizes": "--cudagraph-capture-sizes",
    },
    "sglang": {
        "--disable-disk-cache": "--disable-outlines-disk-cache",
        "--enable-flashinfer-mla": "--attention-backend",
        "--enable-flashmla": "--attention-backend",
    },
    "tgi": {},
}


def _checked_renames(fw: str, data: dict[str, object], found: dict[str, str]) -> dict[str, str]:
    """Curated renames plus those a parser declares (``new_flag=``), kept when both exist."""
    flags = data["flags"]
    assert isinstance(flags, dict)
    out: dict[str, str] = {}
    for old, new in sorted({**found, **RENAMES.get(fw, {})}.items()):
        if old in flags and new in flags:
            out[old] = new
    return out


SOURCES = {
    "vllm": "github.com/vllm-project/vllm "
    + ", ".join(_VLLM_PARSER_FILES)
    + " (+ vllm/config*.py dataclass fields); releases read from PyPI wheels",
    "sglang": "github.com/sgl-project/sglang python/sglang/srt/server_args.py"
    " (+ python/sglang/srt/arg_groups/fields/*.py); releases read from PyPI wheels",
    "tgi": "github.com/huggingface/text-generation-inference launcher/src/main.rs (clap Args), release tags",
}

EXTRACTORS = {"vllm": extract_vllm, "sglang": extract_sglang, "tgi": extract_tgi}
MIN_VERSIONS = {"vllm": "0.4.2", "sglang": "0.3.0", "tgi": "1.0.0"}


def build(fw: str, sources: list[str], min_version: str) -> dict[str, object]:
    per_version: list[tuple[str, OptMap]] = []
    found_renames: dict[str, str] = {}
    for tree in open_trees(sources, min_version):
        opts = EXTRACTORS[fw](tree, found_renames)
        if len(opts) < 5:
            print(f"{fw} {tree.version}: parser not found, skipped", file=sys.stderr)
            continue
        per_version.append((tree.version, opts))
        print(f"{fw} {tree.version}: {len(opts)} flags", file=sys.stderr)
    if not per_version:
        sys.exit(f"{fw}: no versions read")
    data = merge(per_version)
    result: dict[str, object] = {"source": SOURCES[fw], **data}
    result["renamed"] = _checked_renames(fw, data, found_renames)
    result["abbrev"] = fw in ("vllm", "sglang")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for fw in EXTRACTORS:
        ap.add_argument(
            f"--{fw}",
            nargs="+",
            default=[],
            metavar="SRC",
            help=f"{fw} sources: git dirs, version dirs or wheels",
        )
        ap.add_argument(f"--{fw}-min", default=MIN_VERSIONS[fw], help="oldest version to read")
    ap.add_argument(
        "-o",
        "--output",
        default=str(Path(__file__).resolve().parent.parent / "llmlint" / "data" / "server_flags.json"),
    )
    args = ap.parse_args(argv)
    out_path = Path(args.output)
    doc: dict[str, object] = {}
    if out_path.exists():
        doc = json.loads(out_path.read_text())
    for fw in EXTRACTORS:
        srcs = getattr(args, fw)
        if srcs:
            doc[fw] = build(fw, srcs, getattr(args, f"{fw}_min"))
    doc["_about"] = (
        "Command-line flags of LLM inference servers by release, extracted statically from each "
        "server's own argument parser by tools/refresh_server_flags.py on "
        f"{_dt.date.today().isoformat()}. Sources: "
        + "; ".join(f"{fw}: {SOURCES[fw]}" for fw in EXTRACTORS)
        + ". since/until = first/last listed version accepting the flag (until null = still "
        "accepted in the newest listed); missing_in = listed versions inside that range that "
        "lack it; value = takes an argument; abbrev = the parser (argparse) accepts unambiguous "
        "prefixes of long options; vLLM's FlexibleArgumentParser also accepts '_' for '-'."
    )
    ordered = {"_about": doc["_about"], **{k: doc[k] for k in EXTRACTORS if k in doc}}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(ordered, indent=1, sort_keys=False) + "\n")
    print(f"wrote {out_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
