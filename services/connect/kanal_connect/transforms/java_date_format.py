"""The subset of `java.text.SimpleDateFormat` that TimestampConverter and TimestampRouter
patterns use, always in UTC as Kafka configures it.

Letters: y M d D H k K h m s S a E Z X z; text in single quotes is literal (`''` is a
quote). Numeric fields pad to their letter count; a numeric field followed directly by
another numeric field must have exactly that many digits when parsing (as in "yyyyMMdd").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_LETTERS = set("yMdDHkKhmsSaEZXz")
_NUMERIC = set("yMdDHkKhmsS")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True, slots=True)
class _Token:
    letter: str  # "" for literal text
    count: int
    text: str = ""


def _tokenize(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = index + 1
            literal: list[str] = []
            while end < len(pattern):
                if pattern[end] == "'":
                    if pattern[end + 1 : end + 2] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            else:
                if end == index + 1 or pattern[end - 1 : end] != "'":
                    raise ValueError(f"Unterminated quote in pattern {pattern!r}")
            tokens.append(_Token("", 0, "".join(literal) if end > index + 1 else "'"))
            index = end + 1
        elif char.isascii() and char.isalpha():
            if char not in _LETTERS:
                raise ValueError(f"Illegal pattern character '{char}'")
            end = index
            while end < len(pattern) and pattern[end] == char:
                end += 1
            tokens.append(_Token(char, end - index))
            index = end
        else:
            tokens.append(_Token("", 0, char))
            index += 1
    return tokens


class JavaDateFormat:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._tokens = _tokenize(pattern)
        self._regex = re.compile(self._parse_regex(), re.IGNORECASE)

    def format(self, moment: dt.datetime) -> str:
        moment = moment.astimezone(dt.UTC) if moment.tzinfo else moment
        return "".join(self._format_token(token, moment) for token in self._tokens)

    @staticmethod
    def _format_token(token: _Token, moment: dt.datetime) -> str:
        letter, count = token.letter, token.count
        if not letter:
            return token.text
        if letter == "y":
            return f"{moment.year % 100:02d}" if count == 2 else f"{moment.year:0{count}d}"
        if letter == "M" and count >= 3:
            name = _MONTHS[moment.month - 1]
            return name if count >= 4 else name[:3]
        if letter == "E":
            name = _DAYS[moment.weekday()]
            return name if count >= 4 else name[:3]
        if letter == "a":
            return "AM" if moment.hour < 12 else "PM"
        if letter == "Z":
            return "+0000"
        if letter == "X":
            return "Z"
        if letter == "z":
            return "UTC"
        numbers = {
            "M": moment.month,
            "d": moment.day,
            "D": moment.timetuple().tm_yday,
            "H": moment.hour,
            "k": moment.hour or 24,
            "K": moment.hour % 12,
            "h": moment.hour % 12 or 12,
            "m": moment.minute,
            "s": moment.second,
            "S": moment.microsecond // 1000,
        }
        return f"{numbers[letter]:0{count}d}"

    def _parse_regex(self) -> str:
        parts: list[str] = []
        for position, token in enumerate(self._tokens):
            following = self._tokens[position + 1] if position + 1 < len(self._tokens) else None
            group = f"(?P<{token.letter}{position}>"
            if not token.letter:
                parts.append(re.escape(token.text))
            elif token.letter in _NUMERIC and not (token.letter == "M" and token.count >= 3):
                fixed = following is not None and following.letter in _NUMERIC
                parts.append(group + (rf"\d{{{token.count}}})" if fixed else r"[+-]?\d+)"))
            elif token.letter == "M":
                parts.append(
                    group + "|".join(m if token.count >= 4 else m[:3] for m in _MONTHS) + ")"
                )
            elif token.letter == "E":
                parts.append(group + r"[A-Za-z]+)")
            elif token.letter == "a":
                parts.append(group + "AM|PM)")
            else:
                parts.append(group + r"Z|UTC|GMT|[+-]\d{2}:?\d{2})")
        return "".join(parts)

    def parse(self, text: str) -> dt.datetime:
        """A UTC datetime; raise ValueError when `text` does not match the pattern."""
        match = self._regex.fullmatch(text)
        if match is None:
            raise ValueError(f'Unparseable date: "{text}"')
        fields = {"y": 1970, "M": 1, "d": 1, "H": 0, "m": 0, "s": 0, "S": 0}
        pm: bool | None = None
        offset = dt.timedelta(0)
        for name, raw in match.groupdict().items():
            letter = name[0]
            if letter == "M" and not raw.lstrip("+-").isdigit():
                fields["M"] = [m[:3].lower() for m in _MONTHS].index(raw[:3].lower()) + 1
            elif letter in "yMdHms":
                fields[letter] = int(raw)
                if letter == "y" and len(raw) <= 2 and self._count(name) <= 2:
                    fields["y"] += 2000 if fields["y"] < 70 else 1900
            elif letter in "kKh":
                fields["H"] = int(raw) % (24 if letter == "k" else 12)
            elif letter == "S":
                fields["S"] = int(raw)
            elif letter == "a":
                pm = raw.upper() == "PM"
            elif letter in "ZXz" and raw[0] in "+-":
                digits = raw[1:].replace(":", "")
                offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                offset = -offset if raw[0] == "-" else offset
        if pm is not None and fields["H"] < 12 and pm:
            fields["H"] += 12
        base = dt.datetime(fields["y"], fields["M"], fields["d"], tzinfo=dt.UTC)
        return (
            base
            + dt.timedelta(
                hours=fields["H"],
                minutes=fields["m"],
                seconds=fields["s"],
                milliseconds=fields["S"],
            )
            - offset
        )

    def _count(self, group_name: str) -> int:
        return self._tokens[int(group_name[1:])].count
