"""Regular expressions compiled on first use.

Compiling a pattern costs tens of microseconds, and most of a scan's patterns serve one rule or one
framework: compiled at import, they would add milliseconds to every pre-commit run for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


class LazyRe:
    __slots__ = ("_flags", "_pattern", "_rx")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern, self._flags = pattern, flags
        self._rx: re.Pattern[str] | None = None

    @property
    def rx(self) -> re.Pattern[str]:
        if self._rx is None:
            self._rx = re.compile(self._pattern, self._flags)
        return self._rx

    @property
    def pattern(self) -> str:
        return self._pattern

    def search(self, string: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return self.rx.search(string, pos, len(string) if endpos is None else endpos)

    def match(self, string: str) -> re.Match[str] | None:
        return self.rx.match(string)

    def fullmatch(self, string: str) -> re.Match[str] | None:
        return self.rx.fullmatch(string)

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        return self.rx.finditer(string)

    def findall(self, string: str) -> list[str]:
        return self.rx.findall(string)

    def sub(self, repl: str, string: str) -> str:
        return self.rx.sub(repl, string)
