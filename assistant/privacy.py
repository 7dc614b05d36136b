"""Personal data in a message: find and mask ID-card, mobile, bank-card numbers and e-mail addresses.

ID numbers are sensitive personal information under the PIPL: the channels mask a message here before it
reaches NLU or the tracker store, and the tracker store masks again as a backstop. A mask keeps a little,
so that staff can tell two numbers apart without being able to use them:

    320583199001011234 -> 3205**********1234      13912345678 -> 139****5678
    6222021234567890128 -> 6222***********0128    zhangsan@qq.com -> z***@qq.com

Pure functions, no Rasa. Full-width digits are read as digits ("１３９…" is a mobile number too).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

ID_CARD, MOBILE, BANK_CARD, EMAIL = "id_card", "mobile", "bank_card", "email"
# The message metadata in which a channel hands an ID number's age and sex to the actions (never the number).
ID_CARD_METADATA = "id_card"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)

# Looked for in this order; a span taken by one kind is not looked at again. E-mail first, because
# "13912345678@163.com" is an address, not a mobile number; the ID before the bank card, because an
# 18-digit ID may pass the Luhn check too. Digits may be grouped by single spaces or hyphens as people
# write them ("139 1234 5678", "6222 0212 3456 7890"); a number inside a longer run of digits is no match.
_PATTERNS = (
    (EMAIL, re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                       r"\.[A-Za-z]{2,}")),
    (ID_CARD, re.compile(r"(?<![0-9])[1-9][0-9]{5}[ -]?[0-9]{8}[ -]?[0-9]{3}[0-9Xx](?![0-9A-Za-z])")),
    (BANK_CARD, re.compile(r"(?<![0-9])(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?|"
                           r"[0-9]{6}[ -][0-9]{10,13})(?![0-9])")),
    (MOBILE, re.compile(r"(?<![0-9])1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9])")),
)
# What a mask looks like, to keep masked numbers out of the facts a message states ("3205" is no age).
_MASKED = re.compile(r"[0-9A-Za-z]{0,4}\*{3,}[0-9Xx]{0,4}(?:@[A-Za-z0-9.-]+)?")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data in a text: its kind, where it is, its digits and its mask."""

    kind: str
    start: int
    end: int
    value: str    # the number without separators (an ID's X upper case), or the address
    masked: str


@dataclass(frozen=True)
class IdCardFacts:
    """What an ID number says about its holder that the interview needs: age in 周岁 and sex."""

    age: int
    sex: str      # "male" | "female" (the contract's values)


def _fold(text: str) -> str:
    """Full-width ASCII (０-９, ｘ, ＠ …) as ASCII and the ideographic space as a space, keeping every offset."""
    return "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else " " if c == "\u3000" else c
                   for c in text)


def id_check_digit(first17: str) -> str:
    """The GB 11643 check digit of the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def birth_date(number: str, today: dt.date | None = None) -> dt.date | None:
    """The birth date of an 18-character ID number, or None when it is not a plausible one."""
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return born if _EARLIEST_BIRTH <= born <= (today or dt.date.today()) else None


def is_id_card(number: str, today: dt.date | None = None) -> bool:
    """18 characters, the right check digit and a real birth date: a resident identity card number."""
    return (len(number) == 18 and number[:17].isdigit() and number[0] != "0"
            and id_check_digit(number[:17]) == number[17].upper() and birth_date(number, today) is not None)


def looks_like_id(number: str, today: dt.date | None = None) -> bool:
    """The shape of an ID number with a real birth date, whatever its check digit: a resident who mistypes
    the last digit has still given an ID number, which is masked (and read) all the same."""
    return (len(number) == 18 and number[:17].isdigit() and number[0] != "0"
            and (number[17].isdigit() or number[17] in "Xx") and birth_date(number, today) is not None)


def luhn_ok(digits: str) -> bool:
    """The Luhn check of bank-card numbers."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _mask(kind: str, value: str) -> str:
    if kind == EMAIL:
        local, _, domain = value.partition("@")
        return f"{local[0]}***@{domain}"
    if kind == MOBILE:
        return f"{value[:3]}****{value[-4:]}"
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"  # ID and bank card


def _accept(kind: str, value: str, today: dt.date | None) -> bool:
    if kind == ID_CARD:  # a wrong check digit that passes Luhn is a bank card's number
        return is_id_card(value, today) or (looks_like_id(value, today) and not luhn_ok(value))
    if kind == BANK_CARD:
        return 16 <= len(value) <= 19 and luhn_ok(value)
    return True


def find(text: str, today: dt.date | None = None) -> list[Finding]:
    """Every ID-card, bank-card and mobile number and e-mail address in `text`, in order of position.

    An 18-digit number with a real birth date is an ID even with a wrong check digit (a typo), unless it
    then passes as a bank card; one with no real birth date is no ID; a 16–19-digit number is a bank card
    only when it passes the Luhn check."""
    folded = _fold(text)
    taken: list[Finding] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(folded):
            if any(f.start < match.end() and match.start() < f.end for f in taken):
                continue
            value = re.sub(r"[ -]", "", match.group()) if kind != EMAIL else match.group()
            if kind == ID_CARD:
                value = value.upper()
            if _accept(kind, value, today):
                taken.append(Finding(kind, match.start(), match.end(), value, _mask(kind, value)))
    return sorted(taken, key=lambda f: f.start)


def mask(text: str, findings: list[Finding] | None = None) -> str:
    """`text` with every finding (by default: everything `find` finds) replaced by its mask."""
    out, last = [], 0
    for f in findings if findings is not None else find(text):
        out += [text[last:f.start], f.masked]
        last = f.end
    out.append(text[last:])
    return "".join(out)


def mask_value(value: Any) -> Any:
    """`mask` applied to every string inside a JSON value (dict keys included): the tracker store's backstop."""
    if isinstance(value, str):
        return mask(value) if any(c.isdigit() or c == "@" for c in value) else value
    if isinstance(value, dict):
        return {mask_value(k) if isinstance(k, str) else k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v) for v in value]
    return value


def id_card_facts(number: str, as_of: dt.date) -> IdCardFacts | None:
    """Age in 周岁 on `as_of` and sex (17th digit odd: male) of an ID number (a wrong check digit is taken
    for a typo of the last digit); None when it has no real birth date or is born after `as_of`."""
    if not looks_like_id(number):
        return None
    born = birth_date(number)
    if born is None or born > as_of:
        return None
    age = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
    return IdCardFacts(age=age, sex="male" if int(number[16]) % 2 else "female")


def hide_masks(text: str) -> str:
    """`text` with every mask blanked out (same length, so entity offsets still hold): a masked number is
    nobody's age or months of social insurance."""
    return _MASKED.sub(lambda m: " " * len(m.group()), text)
