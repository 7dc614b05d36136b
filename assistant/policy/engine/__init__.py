"""The settlement engine: profile -> assessment, one module per channel (docs/rules.md), pure functions over
the rule data of assistant/policy/. `logic` holds the three-valued logic they share."""
from assistant.policy.engine.assess import QUESTION_ORDER, RECOMMENDATION_ORDER, assess

__all__ = ["assess", "QUESTION_ORDER", "RECOMMENDATION_ORDER"]
