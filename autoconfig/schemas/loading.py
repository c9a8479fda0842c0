"""One way to read marshmallow's errors, for the config file, the JSON API and the page.

marshmallow reports problems as a nested dict; `problems` walks it once into typed
`Problem`s (a path of keys and indexes, and a sentence), so no caller re-parses a string.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, ValidationError

from ..errors import InvalidInput

# marshmallow's stock sentences, in the words our messages use
_PLAIN = {"Unknown field.": "unknown key", "Missing data for required field.": "is required"}


@dataclass(frozen=True)
class Problem:
    """One invalid value: where it is (`("provider", 0, "server", 2, "port")`) and what is wrong."""

    path: tuple[str | int, ...]
    text: str

    @property
    def where(self) -> str:
        """The path as people read it: `provider[0].server[2].port`, `(top)` for the whole body."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out or "(top)"

    @property
    def field(self) -> str | None:
        """The top-level field at fault (what the API's error names), None for the whole body."""
        return self.path[0] if self.path and isinstance(self.path[0], str) else None

    def __str__(self) -> str:
        return f"{self.where}: {self.text}"


def problems(messages: Any, path: tuple[str | int, ...] = ()) -> list[Problem]:
    """Every problem in marshmallow's `ValidationError.messages`, in its order."""
    found: list[Problem] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            found.extend(problems(value, path if key == "_schema" else (*path, key)))
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, (Mapping, list)):
                found.extend(problems(item, path))
            else:
                text = _PLAIN.get(str(item), str(item))
                found.append(Problem(path, text[:1].lower() + text[1:]))
    else:
        found.append(Problem(path, str(messages)))
    return found


def flatten_errors(messages: Any) -> list[str]:
    """Lines like `provider[0].server[2].port: must be …`, one per problem."""
    return [str(problem) for problem in problems(messages)]


class InvalidBody(InvalidInput):
    """Input a schema refused: a 400 that names the first problem; `problems` holds them all."""

    def __init__(self, found: list[Problem]) -> None:
        first = found[0] if found else Problem((), "is not valid")
        super().__init__(str(first), field=first.field)
        self.problems = tuple(found)


def load(schema: Schema, data: Any) -> Any:
    """`schema.load(data)`, or InvalidBody (a 400 naming the field at fault).

    marshmallow's messages never repeat the values sent, so a password cannot leak here.
    """
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise InvalidBody(problems(exc.messages)) from None
