"""Personal data (assistant.stores.privacy): ID cards with the GB 11643 check digit, mobiles, bank cards with Luhn,
e-mail addresses; masks; age and sex from an ID number."""
import datetime as dt

import pytest

from assistant.stores.privacy import (
    BANK_CARD,
    EMAIL,
    ID_CARD,
    MOBILE,
    find,
    hide_masks,
    id_card_facts,
    id_check_digit,
    is_id_card,
    luhn_ok,
    mask,
    mask_value,
)

# Valid check digits (computed by GB 11643 here, not copied): one ends in X.
ID_MALE_1990 = "320583199001011232"      # 17th digit 3: male; born 1990-01-01
ID_X = "11010519491231002X"              # 17th digit 2: female; born 1949-12-31
ID_LEAP = "320583200002290013"           # born 2000-02-29; 17th digit 1: male
ID_FEMALE = "320502198511234564"         # born 1985-11-23; 17th digit 6: female
ID_WRONG_CHECK = "320583199001011234"    # the example: the check digit should be 2 (and no Luhn)


def test_the_test_numbers_are_what_they_claim():
    for number in (ID_MALE_1990, ID_X, ID_LEAP, ID_FEMALE):
        assert id_check_digit(number[:17]) == number[17]
    assert id_check_digit(ID_WRONG_CHECK[:17]) != ID_WRONG_CHECK[17]
    assert not luhn_ok(ID_WRONG_CHECK)


@pytest.mark.parametrize("number, ok", [
    (ID_MALE_1990, True), (ID_X, True), (ID_X.lower(), True), (ID_LEAP, True), (ID_FEMALE, True),
    (ID_WRONG_CHECK, False),
    ("320583199013011235", False),           # month 13, whatever the check digit
    ("020583199001011232", False),           # no region code starts with 0
    ("32058319900101123", False),            # 17 characters
    ("320583" + "2999" + "0101" + "123" + id_check_digit("32058329990101123"), False),  # born in the future
])
def test_id_card_numbers(number, ok):
    assert is_id_card(number) is ok


@pytest.mark.parametrize("digits, ok", [
    ("6222021234567890128", True), ("4111111111111111", True), ("5555555555554444", True),
    ("6222021234567890123", False), ("4111111111111112", False)])
def test_luhn(digits, ok):
    assert luhn_ok(digits) is ok


MASKS = [
    # (text, masked text, kinds found)
    (f"我身份证号{ID_MALE_1990}，手机13912345678",
     "我身份证号3205**********1232，手机139****5678", [ID_CARD, MOBILE]),
    (f"身份证{ID_X.lower()}", "身份证1101**********002X", [ID_CARD]),     # the mask writes X
    (f"身份证{ID_X}。", "身份证1101**********002X。", [ID_CARD]),
    (f"身份证号{ID_WRONG_CHECK}", "身份证号3205**********1234", [ID_CARD]),         # check digit mistyped: masked
    ("电话139 1234 5678或者139-1234-5678", "电话139****5678或者139****5678", [MOBILE, MOBILE]),
    ("编号213912345678", "编号213912345678", []),                                   # inside a longer run
    ("13912345678901", "13912345678901", []),
    ("手机12912345678", "手机12912345678", []),                                      # no 12x mobiles
    ("卡号6222021234567890128", "卡号6222***********0128", [BANK_CARD]),
    ("卡号 6222 0212 3456 7890 128 谢谢", "卡号 6222***********0128 谢谢", [BANK_CARD]),
    ("卡号4111111111111111", "卡号4111********1111", [BANK_CARD]),
    ("订单6222021234567890123", "订单6222021234567890123", []),                       # fails Luhn
    ("邮箱zhangsan.li@example.com.cn，", "邮箱z***@example.com.cn，", [EMAIL]),
    ("13912345678@163.com", "1***@163.com", [EMAIL]),                               # an address, not a mobile
    ("我今年28，社保交了24个月，2023年3月", "我今年28，社保交了24个月，2023年3月", []),
    ("全角１３９１２３４５６７８", "全角139****5678", [MOBILE]),
    (f"全角{ID_MALE_1990.translate({ord(c): ord(c) + 0xFEE0 for c in '0123456789'})}",
     "全角3205**********1232", [ID_CARD]),
    ("", "", []),
]


@pytest.mark.parametrize("text, masked, kinds", MASKS)
def test_find_and_mask(text, masked, kinds):
    assert [f.kind for f in find(text)] == kinds
    assert mask(text) == masked
    assert mask(masked) == masked, "masking twice changes nothing"


def test_mask_value_reaches_every_string_of_an_event():
    event = {"event": "user", "text": f"号码{ID_FEMALE}", "parse_data": {"text": f"号码{ID_FEMALE}",
             "entities": [{"value": "13912345678"}]}, "metadata": {"n": 13912345678, "13912345678": "x"}}
    out = mask_value(event)
    assert ID_FEMALE not in str(out) and "13912345678" not in str(out["parse_data"])
    assert out["metadata"] == {"n": 13912345678, "139****5678": "x"}   # numbers stay numbers


@pytest.mark.parametrize("number, as_of, age, sex", [
    (ID_MALE_1990, dt.date(2025, 6, 1), 35, "male"),
    (ID_MALE_1990, dt.date(2024, 12, 31), 34, "male"),     # the day before the birthday
    (ID_MALE_1990, dt.date(2025, 1, 1), 35, "male"),       # the birthday
    (ID_X, dt.date(2025, 6, 1), 75, "female"),
    (ID_LEAP, dt.date(2025, 2, 28), 24, "male"),           # born on 29 February: 25 only on 1 March
    (ID_LEAP, dt.date(2025, 3, 1), 25, "male"),
    (ID_FEMALE, dt.date(2025, 6, 1), 39, "female"),
])
def test_age_in_zhousui_and_sex_from_an_id_number(number, as_of, age, sex):
    facts = id_card_facts(number, as_of)
    assert (facts.age, facts.sex) == (age, sex)


def test_a_mistyped_check_digit_still_gives_age_and_sex_but_no_birth_date_gives_nothing():
    facts = id_card_facts(ID_WRONG_CHECK, dt.date(2025, 6, 1))
    assert facts is not None and (facts.age, facts.sex) == (35, "male")
    assert id_card_facts("320583199013011235", dt.date(2025, 6, 1)) is None   # month 13
    assert id_card_facts(ID_LEAP, dt.date(1999, 6, 1)) is None


def test_masked_numbers_are_blanked_for_reading_facts():
    text = "我身份证号3205**********1232，手机139****5678，邮箱z***@qq.com，28岁"
    hidden = hide_masks(text)
    assert len(hidden) == len(text) and "3205" not in hidden and "5678" not in hidden and "@" not in hidden
    assert hidden.endswith("28岁")
