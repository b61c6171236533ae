"""A small Dockerfile reader: stages with their instructions (continuations joined), enough
to check targets, users, ENV names, EXPOSE, HEALTHCHECK and ENTRYPOINT form."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

_FROM = re.compile(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", re.IGNORECASE)


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str:
        found = self.all(keyword)
        assert found, f"stage {self.name} has no {keyword}"
        return found[-1]

    def env_names(self) -> set[str]:
        names: set[str] = set()
        for args in self.all("ENV"):
            names.update(item.split("=", 1)[0] for item in shlex.split(args))
        return names

    def exec_form(self, keyword: str) -> list[str]:
        """The JSON-array argument of ENTRYPOINT/CMD (raises when it is shell form)."""
        args = self.last(keyword)
        parsed = json.loads(args)
        assert isinstance(parsed, list), f"{keyword} of {self.name} is not exec form"
        return [str(a) for a in parsed]

    def healthcheck_command(self) -> list[str]:
        args = self.last("HEALTHCHECK")
        _options, _, command = args.partition("CMD")
        parsed = json.loads(command.strip())
        assert isinstance(parsed, list), "HEALTHCHECK CMD is not exec form"
        return [str(a) for a in parsed]


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or not stripped:
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


def read_stages(path: Path) -> dict[str, Stage]:
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for line in _logical_lines(path.read_text()):
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = _FROM.match(line)
            assert match, line
            stage = Stage(name=match.group(2) or match.group(1), base=match.group(1))
            stages[stage.name] = stage
        elif stage is not None:
            stage.instructions.append((keyword, args.strip()))
    return stages
