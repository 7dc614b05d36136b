"""Properties of the readers every message passes through: the input limits (assistant/limits.py), the Chinese
number readers (assistant/understanding/parsing.py) and fact extraction (assistant/understanding/facts.py). Any string in, never an
exception, and what comes out is within the contract. Failures hypothesis found stay below as plain tests."""
from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant import limits
from assistant.policy.profile import convert_field
from assistant.understanding import parsing
from assistant.understanding.facts import extract_facts, fact_spans
from assistant.understanding.facts_table import FIELDS
from tests.support.strategies import characters, messages

TEXTS = st.text(characters(), max_size=200) | messages()
ANYTHING = st.none() | st.booleans() | st.integers() | st.floats() | st.text(characters(), max_size=20) | \
    st.lists(st.integers(), max_size=3) | st.binary(max_size=10)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXTS,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                                max_size=3), max_leaves=8)


# --- limits ---------------------------------------------------------------------------------------------------

@given(TEXTS)
def test_clean_text_leaves_no_invisible_character_and_is_idempotent(text):
    clean = limits.clean_text(text)
    assert not [c for c in clean if unicodedata.category(c) in ("Cc", "Cf", "Cs")]
    assert clean == clean.strip() and "  " not in clean
    assert limits.clean_text(clean) == clean
    clean.encode("utf-8")   # storable: no lone surrogate left
    assert limits.too_long(clean) == (len(clean) > limits.MAX_MESSAGE_CHARS)


@given(JSON)
def test_clean_value_takes_any_json_value_and_keeps_it_json(value):
    json.dumps(limits.clean_value(value), ensure_ascii=False).encode("utf-8")


@given(ANYTHING)
def test_sender_and_body_checks_take_anything(value):
    assert isinstance(limits.valid_sender(value), bool)
    assert isinstance(limits.body_too_large(value), bool)


@given(st.integers(0, 40))
def test_metadata_depth_is_measured_without_recursion(depth):
    value: object = "x"
    for _ in range(depth):
        value = {"a": [value]}
    assert limits.json_depth(value) == 2 * depth


# --- parsing ----------------------------------------------------------------------------------------------------

@given(TEXTS)
def test_the_number_readers_take_any_string_and_stay_in_range(text):
    assert isinstance(parsing.normalize(text), str)
    number = parsing.parse_number(text)
    assert number is None or isinstance(number, (int, float))
    months = parsing.parse_months(text)
    assert months is None or (isinstance(months, int) and months >= 0)
    age = parsing.parse_age(text)
    assert age is None or 0 <= age <= 120
    span = parsing.parse_age_range(text)
    assert span is None or 0 <= span[0] <= span[1] <= 120
    area = parsing.parse_area_m2(text)
    assert area is None or 0 < area <= 10000


@given(ANYTHING)
def test_the_number_readers_take_what_is_no_string(value):
    for reader in (parsing.parse_number, parsing.parse_months, parsing.parse_age, parsing.parse_age_range,
                   parsing.parse_area_m2):
        reader(value)


# --- fact extraction ---------------------------------------------------------------------------------------------

@given(TEXTS)
def test_facts_are_within_the_contract_and_their_spans_within_the_message(text):
    for span in fact_spans(text):
        assert 0 <= span["start"] < span["end"] <= len(text)
        name, value = span["entity"], span["value"]
        assert name in FIELDS
        if name == "age_range":
            assert 0 <= value[0] <= value[1] <= 120
        else:
            assert convert_field(name, value) == value, (name, value)
    extract_facts(text)


# --- failures found, kept as plain tests -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), "1e999", "٣٠٠٠٠", "²", b"12"])
def test_odd_content_lengths(value):
    assert isinstance(limits.body_too_large(value), bool)


@pytest.mark.parametrize("text", ["²岁", "٣个月", "我²", "３．５年", "𝟗𝟗岁", "⑫个月", "十²年", "1e400平"])
def test_odd_digits_in_numbers(text):
    parsing.parse_age(text), parsing.parse_months(text), parsing.parse_area_m2(text), parsing.parse_number(text)
    extract_facts(text)
