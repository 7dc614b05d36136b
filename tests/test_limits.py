"""Input limits (assistant.limits): cleaning, message length, sender ids, body size."""
import pytest

from assistant.limits import (
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    body_too_large,
    clean_text,
    clean_value,
    too_long,
    valid_sender,
)

CLEAN = [
    ("我今年28岁", "我今年28岁"),
    ("第一行\n第二行\t第三列\r\n", "第一行 第二行 第三列"),
    ("毕业\r\n在园区   上班", "毕业 在园区 上班"),
    ("本\x00科\x07毕\x1b业\x7f", "本科毕业"),
    ("C1\x85控制\x9b字符", "C1 控制字符"),                  # NEL is a line break; CSI is dropped
    ("零\u200b宽\u200c字\u200d符\u2060\ufeff", "零宽字符"),
    ("双向\u202e覆盖\u2066隔离\u2069", "双向覆盖隔离"),
    ("孤立\ud800代理\udfff", "孤立代理"),
    ("  两端空白\u3000", "两端空白"),
    ("全角２８岁，emoji👍保留", "全角２８岁，emoji👍保留"),     # full width is NLU's job, not dropped here
    ("\u2028\u2029", ""),
    ("", ""),
]


@pytest.mark.parametrize("text, expected", CLEAN)
def test_clean_text(text, expected):
    assert clean_text(text) == expected


def test_clean_value_cleans_every_string_of_metadata():
    assert clean_value({"a\u200b": ["x\x00y", {"k": "v\ud800"}], "n": 1, "b": None}) == \
        {"a": ["xy", {"k": "v"}], "n": 1, "b": None}


def test_length_limit_counts_characters_not_bytes():
    assert MAX_MESSAGE_CHARS == 1000
    assert not too_long("落" * 1000)
    assert too_long("落" * 1001)


SENDERS = [
    ("me", True), ("a" * 64, True), ("a" * 65, False), ("", False), (None, False), (123, False),
    ("web-3f2a9c_1.2:x@y", True), ("有中文", False), ("a b", False), ("a/b", False), ("a\n", False),
    ("../../etc", False), ("oQx7r5Jv-Aa_bc", True),
]


@pytest.mark.parametrize("sender, ok", SENDERS)
def test_sender_ids(sender, ok):
    assert valid_sender(sender) is ok


@pytest.mark.parametrize("header, too_large", [
    (str(MAX_BODY_BYTES), False), (str(MAX_BODY_BYTES + 1), True), ("100000000", True), (None, False),
    ("abc", False), ("", False)])
def test_body_size_from_content_length(header, too_large):
    assert body_too_large(header) is too_large
