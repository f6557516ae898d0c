"""Writes Gradwalk source line by line, opening and closing `with group(...)` blocks.

Group names follow the language's rules: at most 40 characters, no commas, each used once (a
module called again later gets " (2)", " (3)", …).
"""

from __future__ import annotations

MAX_GROUP = 40


class SourceWriter:
    def __init__(self):
        self._lines: list[str] = []
        self._open: list[tuple[str, str]] = []  # (module path, group name written)
        self._used: set[str] = set()

    def comment(self, text: str) -> None:
        self._lines.append("    " * len(self._open) + "# " + text)

    def line(self, text: str) -> None:
        self._lines.append("    " * len(self._open) + text)

    def enter(self, paths: list[str]) -> None:
        """Be inside the groups `paths` (outermost first), closing and opening as needed."""
        keep = 0
        while keep < min(len(paths), len(self._open)) and self._open[keep][0] == paths[keep]:
            keep += 1
        del self._open[keep:]
        for path in paths[keep:]:
            name = self._name(path)
            self.line(f'with group("{name}"):')
            self._open.append((path, name))

    def close_groups(self) -> None:
        self._open.clear()

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"

    def _name(self, path: str) -> str:
        base = path.replace(",", " ").replace('"', "'").replace("\\", "/")
        if len(base) > MAX_GROUP - 5:
            base = "…" + base[-(MAX_GROUP - 6):]
        name, k = base, 2
        while name in self._used:
            name, k = f"{base} ({k})", k + 1
        self._used.add(name)
        return name
