"""A container's argv as the server will see it, with the origin of every character.

Kubernetes expands ``$(VAR)`` in ``command``/``args`` from the container's environment (``env`` and
``envFrom``); a shell wrapper (``sh -c "…"``) then splits its script into words and expands ``$VAR``.
Both are done here, and each character remembers which scalar of which object it came from, so a rule
can say "this value lives in ConfigMap vllm-config, key GPU_MEM" and a fix can change it there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from llmlint.graph.objects import Container, K8sObject, as_list, as_map, dig
from llmlint.model import Path

SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})

# Linux refuses to exec an argument or environment string longer than MAX_ARG_STRLEN (128 KiB), so no
# server ever sees more. Expansion stops there, which also defuses ``$(VAR)`` chains that double at each
# step (a "billion laughs" in ``env``): a reference that would go past it is kept as written.
MAX_EXPANDED = 128 * 1024


class Origin(NamedTuple):
    """A substring ``[start, end)`` of the string scalar at ``path`` of ``obj``."""

    obj: K8sObject
    path: Path
    start: int
    end: int


class Source(NamedTuple):
    obj: K8sObject
    path: Path


Owner = tuple[Source | None, int]  # where one character came from, and its offset in that scalar


@dataclass(slots=True, eq=False)
class Word:
    """One argv word."""

    text: str
    owners: list[Owner]
    anchor: Source  # the command/args item the word was read from (for positions)

    def origin(self, start: int = 0, end: int | None = None) -> Origin | None:
        """Where ``text[start:end]`` lives, if it is one verbatim run of a single scalar."""
        end = len(self.text) if end is None else end
        if start >= end:
            return None
        src, first = self.owners[start]
        if src is None:
            return None
        for i in range(start + 1, end):
            s, off = self.owners[i]
            if s is not src or off != first + (i - start):
                return None
        return Origin(src.obj, src.path, first, first + (end - start))


@dataclass(slots=True, eq=False)
class EnvVar:
    """One environment variable of a container, and where its value is written."""

    name: str
    value: str | None  # None: unknown here (Secret, fieldRef, a ConfigMap not in the scan)
    source: Source | None  # where the value is written
    item: Source  # the env entry (for positions)
    secret: bool = False
    literal: bool = False  # a ``value:`` written in the manifest


def _word(text: str, src: Source | None, anchor: Source) -> Word:
    return Word(text, [(src, i) for i in range(len(text))], anchor)


def k8s_expand(text: str, src: Source | None, env: dict[str, EnvVar], anchor: Source) -> Word:
    """Kubernetes ``$(VAR)`` expansion; ``$$`` escapes; unknown references stay as written."""
    out: list[str] = []
    owners: list[Owner] = []
    i, n = 0, len(text)
    unclosed = False  # no ")" after some "$(": none after any later one either (keeps "$($($(…" linear)
    while i < n:
        c = text[i]
        if c == "$" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                owners.append((src, i + 1))
                i += 2
                continue
            if nxt == "(" and not unclosed:
                close = text.find(")", i + 2)
                unclosed = close == -1
                if close != -1:
                    name = text[i + 2 : close]
                    var = env.get(name)
                    if (
                        var is not None
                        and var.value is not None
                        and len(owners) + len(var.value) <= MAX_EXPANDED
                    ):
                        out.append(var.value)
                        owners.extend((var.source, j) for j in range(len(var.value)))
                        i = close + 1
                        continue
        out.append(c)
        owners.append((src, i))
        i += 1
    return Word("".join(out), owners, anchor)


def resolve_env(container: Container, find_configmap: Any) -> dict[str, EnvVar]:
    """The container's environment: ``envFrom`` first, then ``env`` (which wins)."""
    env: dict[str, EnvVar] = {}
    for i, ef in enumerate(as_list(container.data.get("envFrom"))):
        if not isinstance(ef, dict):
            continue
        prefix = str(ef.get("prefix") or "")
        item = Source(*container.at("envFrom", i))
        cm_name = dig(ef, "configMapRef", "name")
        if isinstance(cm_name, str):
            cm = find_configmap(cm_name)
            if cm is not None:
                for key, value in as_map(cm.data.get("data")).items():
                    if isinstance(value, str | int | float) and not isinstance(value, bool):
                        src = Source(cm, ("data", str(key))) if isinstance(value, str) else None
                        env[prefix + str(key)] = EnvVar(prefix + str(key), str(value), src, item)
    for i, e in enumerate(container.env):
        name = e.get("name")
        if not isinstance(name, str):
            continue
        item = Source(*container.at("env", i))
        if "value" in e:
            raw = e.get("value")
            value = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
            src = Source(*container.at("env", i, "value")) if isinstance(raw, str) else None
            if "$(" in value:  # env values may refer to variables defined before them
                expanded = k8s_expand(value, src, env, item).text
                if expanded != value:
                    value, src = expanded, None
            env[name] = EnvVar(name, value, src, item, literal=True)
            continue
        vf = as_map(e.get("valueFrom"))
        if "secretKeyRef" in vf:
            env[name] = EnvVar(name, None, None, item, secret=True)
        elif "configMapKeyRef" in vf:
            ref = as_map(vf.get("configMapKeyRef"))
            cm = find_configmap(str(ref.get("name"))) if ref.get("name") else None
            key = str(ref.get("key"))
            value = dig(cm.data, "data", key) if cm is not None else None
            if cm is not None and isinstance(value, str):
                env[name] = EnvVar(name, value, Source(cm, ("data", key)), item)
            elif cm is not None and isinstance(value, int | float) and not isinstance(value, bool):
                env[name] = EnvVar(name, str(value), None, item)
            else:
                env[name] = EnvVar(name, None, None, item)
        else:
            env[name] = EnvVar(name, None, None, item)
    return env


# ---- the shell -------------------------------------------------------------------------------------

_SEPARATORS = ("&&", "||", ";", "|", "&")


def shell_words(script: Word, env: dict[str, EnvVar], params: list[Word] | None = None) -> list[list[Word]]:
    """Split a POSIX shell script into simple commands of words (quotes removed, ``$VAR`` expanded; with
    ``params``, the script's positional parameters, ``"$@"`` gives them as words of their own)."""
    s, own = script.text, script.owners
    commands: list[list[Word]] = [[]]
    cur: list[tuple[str, Owner]] = []
    have_word = False
    i, n = 0, len(s)

    def flush() -> None:
        nonlocal cur, have_word
        if have_word:
            commands[-1].append(Word("".join(c for c, _ in cur), [o for _, o in cur], script.anchor))
        cur, have_word = [], False

    def splice_params(j: int) -> int:
        """``$@`` / ``${@}`` at ``j``: the positional parameters, each a word; returns the index after it."""
        nonlocal have_word
        size = 2 if s.startswith("$@", j) else 4 if s.startswith("${@}", j) else 0
        if not size or params is None:
            return j
        if cur:
            flush()
        have_word = False
        commands[-1].extend(params)
        return j + size

    def separate() -> None:
        flush()
        if commands[-1]:
            commands.append([])

    unclosed = False  # no "}" after some "${": none after any later one either (keeps "${${${…" linear)
    expanded = 0  # characters put in by ``$VAR`` expansion, at most MAX_EXPANDED per script

    def expand_var(j: int) -> int:
        """``$NAME`` / ``${NAME}`` at ``j``; returns the index after it, or ``j`` if it is not one."""
        nonlocal have_word, unclosed, expanded
        if j + 1 >= n:
            return j
        if s[j + 1] == "{":
            close = -1 if unclosed else s.find("}", j + 2)
            if close == -1:
                unclosed = True
                return j
            name, after = s[j + 2 : close], close + 1
        else:
            k = j + 1
            while k < n and (s[k].isalnum() or s[k] == "_"):
                k += 1
            name, after = s[j + 1 : k], k
        if not name or not (name[0].isalpha() or name[0] == "_"):
            return j
        var = env.get(name)
        have_word = True
        if var is not None and var.value is not None and expanded + len(var.value) <= MAX_EXPANDED:
            expanded += len(var.value)
            cur.extend((ch, (var.source, m)) for m, ch in enumerate(var.value))
        else:
            cur.extend((s[m], own[m]) for m in range(j, after))  # unknown: keep it visible
        return after

    while i < n:
        c = s[i]
        if c == "\\" and i + 1 < n:
            if s[i + 1] == "\n":
                i += 2
                continue
            if s[i + 1] == "\r" and i + 2 < n and s[i + 2] == "\n":
                i += 3
                continue
            cur.append((s[i + 1], own[i + 1]))
            have_word = True
            i += 2
            continue
        if c == "'":
            close = s.find("'", i + 1)
            close = n if close == -1 else close
            cur.extend((s[m], own[m]) for m in range(i + 1, close))
            have_word = True
            i = close + 1
            continue
        if c == '"':
            i += 1
            have_word = True
            while i < n and s[i] != '"':
                if s[i] == "\\" and i + 1 < n and s[i + 1] in '"\\$`\n':
                    if s[i + 1] != "\n":
                        cur.append((s[i + 1], own[i + 1]))
                    i += 2
                    continue
                if s[i] == "$":
                    after = splice_params(i)
                    after = expand_var(i) if after == i else after
                    if after != i:
                        i = after
                        continue
                cur.append((s[i], own[i]))
                i += 1
            i += 1
            continue
        if c == "$":
            after = splice_params(i)
            after = expand_var(i) if after == i else after
            if after != i:
                i = after
                continue
        if c in " \t\r":
            flush()
            i += 1
            continue
        if c == "\n":
            separate()
            i += 1
            continue
        if c == "#" and not have_word:
            nl = s.find("\n", i)
            i = n if nl == -1 else nl
            continue
        if c in ";|&":
            two = s[i : i + 2]
            separate()
            i += 2 if two in _SEPARATORS else 1
            continue
        if c in "()" and not have_word:
            separate()
            i += 1
            continue
        cur.append((c, own[i]))
        have_word = True
        i += 1
    flush()
    return [cmd for cmd in commands if cmd]


def container_argv(container: Container, env: dict[str, EnvVar]) -> tuple[list[Word], list[Word], bool]:
    """(command words, args words, whether ``command`` was set), after ``$(VAR)`` expansion."""
    out: dict[str, list[Word]] = {"command": [], "args": []}
    for key in ("command", "args"):
        for i, item in enumerate(container.strings(key)):
            if item is None:
                continue
            src = Source(*container.at(key, i))
            text = item if isinstance(item, str) else str(item)
            # exec refuses a longer string (E2BIG): the server never sees past it, and neither do rules
            text = text[:MAX_EXPANDED]
            if isinstance(item, str):
                out[key].append(k8s_expand(text, src, env, src))
            else:
                out[key].append(_word(text, None, src))  # a number: YAML gives no string to edit
    return out["command"], out["args"], "command" in container.data


def basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def unwrap_shell(argv: list[Word], env: dict[str, EnvVar]) -> list[list[Word]] | None:
    """The commands of ``sh -c SCRIPT`` (also ``bash -lc``, ``/bin/sh -ec``), or None if not a shell."""
    if not argv or basename(argv[0].text) not in SHELLS:
        return None
    for i in range(1, len(argv)):
        t = argv[i].text
        if t.startswith("-") and not t.startswith("--") and "c" in t[1:]:
            if i + 1 < len(argv):
                # after the script come $0 and the positional parameters (KServe appends an
                # InferenceService's args to its runtime's: ``sh -c '… "$@"' --`` passes them on)
                return shell_words(argv[i + 1], env, argv[i + 3 :])
            return []
        if not t.startswith("-"):
            return None  # ``sh script.sh``: the script is not in the manifest
    return None
