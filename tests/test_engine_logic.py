"""The three-valued logic of assistant/policy/engine/logic.py: the truth tables, the fields an unknown hangs on,
and the words a condition's truth is reported in (docs/interfaces.md: met / not_met / unknown)."""
import pytest

from assistant.policy.engine.logic import FALSE, RANKS, TRUE, UNKNOWN, all_of, any_of, result_of, status_of, unknown
from assistant.policy.rules import rule_data


@pytest.mark.parametrize("truth, result, status", [
    (TRUE, "met", "eligible"),
    (FALSE, "not_met", "not_eligible"),
    (UNKNOWN, "unknown", "undetermined"),
])
def test_a_truth_is_reported_as_met_not_met_or_unknown(truth, result, status):
    assert result_of(truth) == result
    assert status_of(truth) == status


def test_all_of_is_false_on_any_false_else_unknown_on_any_unknown_else_true():
    assert all_of(TRUE, TRUE) == TRUE
    assert all_of(TRUE, unknown("age"), FALSE) == FALSE
    both = all_of(unknown("age"), TRUE, unknown("education"))
    assert both.value is None
    assert both.needs == {"age", "education"} and both.path == {"age", "education"}


def test_any_of_is_true_on_any_true_else_unknown_with_the_shortest_path_else_false():
    assert any_of(FALSE, FALSE) == FALSE
    assert any_of(FALSE, unknown("age"), TRUE) == TRUE
    either = any_of(all_of(unknown("age"), unknown("education")), unknown("housing"))
    assert either.value is None
    assert either.needs == {"age", "education", "housing"}
    assert either.path == {"housing"}   # answering one field can settle it


def test_the_ranks_are_the_ordered_enumerations_of_the_terms():
    """"At least" compares in the order of terms.yml (principal above level1 since RULES.md revision 3)."""
    enums = rule_data().terms["enums"]
    for name, ranks in RANKS.items():
        assert enums[name]["ordered"] and list(ranks) == list(enums[name]["values"]), name
    assert RANKS["skill_level"]["principal"] > RANKS["skill_level"]["level1"]

