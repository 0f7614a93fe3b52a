"""Rendering template texts with ``{variable}`` placeholders, strictly."""

from __future__ import annotations

from qifu.messaging.events import RECIPIENT_VARIABLES, placeholders


class VariableError(ValueError):
    """Variables passed do not match what the template or event declares."""

    def __init__(self, message: str, missing=(), extra=()):
        super().__init__(message)
        self.missing = sorted(missing)
        self.extra = sorted(extra)


def check(declared, given: dict, *, what: str, allow_extra: bool = False) -> None:
    declared = set(declared)
    given_keys = set(given)
    missing = declared - given_keys
    extra = given_keys - declared - RECIPIENT_VARIABLES
    if missing or (extra and not allow_extra):
        parts = []
        if missing:
            parts.append(f"缺少变量 {'、'.join(sorted(missing))}")
        if extra and not allow_extra:
            parts.append(f"多余变量 {'、'.join(sorted(extra))}")
        raise VariableError(f"{what}：{'；'.join(parts)}", missing, extra if not allow_extra else ())


def stringify(variables: dict) -> dict[str, str]:
    """Template variables are text: keeps them JSON-safe and blocks attribute tricks."""
    return {str(k): "" if v is None else str(v) for k, v in variables.items()}


def render(text: str, variables: dict[str, str]) -> str:
    names = placeholders(text)
    values = {name: variables.get(name, "") for name in names}
    return text.format_map(values)
