"""The base of the errors whose words are looked up in a messages file: the module that raises one says which
file, the error carries the message's key and what fills it. Importable by every package (no imports)."""
from __future__ import annotations

from typing import Any


class KeyedError(Exception):
    """`key` names the message, `fields` fill its {placeholders}."""

    def __init__(self, key: str, **fields: Any) -> None:
        super().__init__(key)
        self.key, self.fields = key, fields
