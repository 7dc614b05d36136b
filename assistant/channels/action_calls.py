"""A cost of Rasa's action calls cut where Rasa repeats work on every call (`make bench`, part profile).

Rasa 3.6 checks each action server response with `jsonschema.validate(response, schema)`: that call first checks
the schema itself against its metaschema and builds a new validator, every time. In the profile of a turn under
load that was 28 % of the Rasa server's CPU. Here the schema is checked once and its validator kept: every
response is still validated against the same schema, with the same validator class and the same error.
"""
from __future__ import annotations

import functools
from typing import Any

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once."""
    error: ValidationError | None = best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (". Failed to validate Action server response from API, make sure your response from "
                          f"the Action endpoint is valid. For more information about the format visit "
                          f"{DOCS_BASE_URL}/custom-actions")
        raise error
    return True


def install() -> None:
    """Once per process, before the first action call (the channels call it when Rasa creates them)."""
    RemoteAction._validate_action_result = _validate_action_result
