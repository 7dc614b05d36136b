"""Colloquial Chinese numbers, ages, durations and floor areas -> values (assistant.understanding.parsing)."""
import pytest

from assistant.understanding.parsing import (
    _MAX_YEARS,
    normalize,
    parse_age,
    parse_age_range,
    parse_area_m2,
    parse_months,
    parse_number,
)

NORMALIZE = [
    ("我媽媽55歲了", "我妈妈55岁了"),
    ("２８岁", "28岁"),
    ("ＡＢ１８個月", "AB18个月"),
    ("３．５年", "3.5年"),
    ("  兩年　", "两年"),
    ("社保  交了\t两年", "社保 交了 两年"),
    ("", ""),
    (None, ""),
    (28, ""),
]


@pytest.mark.parametrize("text, expected", NORMALIZE)
def test_normalize(text, expected):
    assert normalize(text) == expected


NUMBERS = [
    ("28", 28),
    ("二十八", 28),
    ("两千二", 2200),
    ("一万五", 15000),
    ("十八", 18),
    ("零", 0),
    ("3.5", 3.5),
    ("三点五", 3.5),
    ("一百二十", 120),
    ("两百", 200),
    ("九十", 90),
    ("十", 10),
    ("１８", 18),
    ("兩千", 2000),
    ("1.5万", 15000),
    ("一百零八", 108),
    ("大概二十个", 20),
    # not numbers
    ("没有", None),
    ("社保一直在交", None),
    ("好一点", None),
    ("hello", None),
    ("😀", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", NUMBERS)
def test_parse_number(text, expected):
    assert parse_number(text) == expected


MONTHS = [
    ("18个月", 18),
    ("两年", 24),
    ("三年半", 42),
    ("两年零三个月", 27),
    ("2年3个月", 27),
    ("五年多", 60),  # 多 = at least: rounded down
    ("一年半", 18),
    ("半年", 6),
    ("八个月", 8),
    ("5年零3个月", 63),
    ("一年多", 12),
    ("两年多了", 24),
    ("十个多月", 10),
    ("十几个月", 10),
    ("三十多个月", 30),
    ("六个月", 6),
    ("1.5年", 18),
    ("2.5年", 30),
    ("1年半", 18),
    ("一个半月", 1),
    ("0个月", 0),
    ("三年", 36),
    ("3年", 36),
    ("3 年", 36),
    ("三整年", 36),
    ("十年", 120),
    ("一年零两个月", 14),
    ("一年两个月", 14),
    ("半个月", 0),
    ("18月", 18),
    # "nearly" keeps the stated value
    ("快两年了", 24),
    ("将近三年", 36),
    ("差不多一年半", 18),
    # English
    ("3 years", 36),
    ("18 months", 18),
    ("1 year and 6 months", 18),
    ("2 Years", 24),
    # traditional characters and full-width digits
    ("兩年", 24),
    ("兩年零三個月", 27),
    ("１８個月", 18),
    ("５年零３個月", 63),
    # never paid
    ("没有", 0),
    ("没交过", 0),
    ("从来没交", 0),
    ("社保從來沒交過", 0),
    # not a duration
    ("28", None),  # bare number: the caller decides the unit
    ("二十八", None),
    ("3月份", None),  # March
    ("2020年开始交的", None),  # a calendar year
    ("三年级", None),
    ("第三年", None),
    ("90年代", None),
    ("社保有没有要求？", None),
    ("", None),
    ("😀😀", None),
]


@pytest.mark.parametrize("text, expected", MONTHS)
def test_parse_months(text, expected):
    assert parse_months(text) == expected


AGES = [
    ("28岁", 28),
    ("今年28", 28),
    ("二十八岁", 28),
    ("28周岁", 28),
    ("我28了", 28),
    ("我三十了", 30),
    ("51岁", 51),
    ("三十二岁", 32),
    ("55歲", 55),
    ("我媽媽55歲了", 55),
    ("２８歲", 28),
    # vague or nominal ages are no single 周岁 (see AGE_RANGES)
    ("80多岁", None),
    ("三十几岁", None),
    ("虚岁36", None),
    ("45岁多", 45),
    ("今年 28 岁", 28),
    ("年龄：35", 35),
    ("28 years old", 28),
    ("hi 我是master degree，今年30", 30),
    ("0岁", 0),
    ("120岁", 120),
    # not an age
    ("社保交了28个月", None),
    ("90平", None),
    ("5年", None),
    ("28", None),
    ("我是90后", None),
    ("150岁", None),
    ("今年2024年", None),
    ("今年交了两年社保", None),
    ("我2套房", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", AGES)
def test_parse_age(text, expected):
    assert parse_age(text) == expected


# 虚岁 is 周岁 + 1 or 2; "X多岁" on a round X is any age of that decade (docs/rules.md §0).
AGE_RANGES = [
    ("四十多岁", (40, 49)),
    ("我四十多了", (40, 49)),
    ("今年40多", (40, 49)),
    ("三十几岁", (30, 39)),
    ("80多岁", (80, 89)),
    ("虚岁36", (34, 35)),
    ("我今年虚岁46", (44, 45)),
    ("36虚岁", (34, 35)),
    ("28岁", None),
    ("45岁多", None),
    ("周岁36", None),
    ("社保交了四十多个月", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", AGE_RANGES)
def test_parse_age_range(text, expected):
    assert parse_age_range(text) == expected


AREAS = [
    ("90平", 90.0),
    ("90平米", 90.0),
    ("九十平", 90.0),
    ("90平方米", 90.0),
    ("90㎡", 90.0),
    ("89.5平方", 89.5),
    ("一百二十平", 120.0),
    ("90多平", 90.0),
    ("９０平米", 90.0),
    ("一百二十平方米的房子", 120.0),
    ("面积90", 90.0),
    ("面積是八十九點五平", 89.5),
    ("120 sqm", 120.0),
    # not a floor area
    ("90", None),
    ("平时", None),
    ("3平方公里", None),
    ("28岁", None),
    ("0平", None),
    ("", None),
]


@pytest.mark.parametrize("text, expected", AREAS)
def test_parse_area_m2(text, expected):
    assert parse_area_m2(text) == expected


ODD_INPUTS = [None, 28, 3.5, b"28\xe5\xb2\x81", ["28岁"], "\x00\uffff", "　" * 50]


@pytest.mark.parametrize("value", ODD_INPUTS)
def test_odd_input_never_raises(value):
    assert parse_number(value) is None
    assert parse_months(value) is None
    assert parse_age(value) is None
    assert parse_area_m2(value) is None


def test_a_long_message_keeps_its_first_facts():
    text = "我今年28，社保交了两年多了，" + "随便说说😀 " * 5000 + "一" * 3000
    assert parse_age(text) == 28 and parse_months(text) == 24


# The limits of durations, read from the module's own constant: where a number stops being a duration and
# becomes a calendar year, and where "N月" stops being a month of the year.
MOST_MONTHS = _MAX_YEARS * 12


@pytest.mark.parametrize("text, expected", [
    (f"{_MAX_YEARS}年", MOST_MONTHS),             # the longest duration still read in years
    (f"{_MAX_YEARS + 1}年", None),                # beyond it, a "年" number is a calendar year
    (f"{_MAX_YEARS} years", MOST_MONTHS),
    (f"{_MAX_YEARS + 1} years", None),
    (f"{MOST_MONTHS}个月", MOST_MONTHS),          # the same limit counted in months
    (f"{MOST_MONTHS + 1}个月", None),
])
def test_durations_stop_at_the_longest_plausible_one(text, expected):
    assert parse_months(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("社保交了12月", None),   # without 个, 1–12 names a month of the year (December), not a duration
    ("社保交了12个月", 12),   # with 个 it is a duration
    ("社保交了13月", 13),     # no month is called 13: a duration even without 个
])
def test_a_month_number_without_ge_is_a_month_of_the_year_up_to_twelve(text, expected):
    assert parse_months(text) == expected
