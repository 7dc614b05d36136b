"""Personal data in a message: find and mask ID-card, mobile, bank-card numbers and e-mail addresses.

ID numbers are sensitive personal information under the PIPL: the channels mask a message here before it
reaches NLU or the tracker store, and the tracker store masks again as a backstop. A mask keeps a little,
so that staff can tell two numbers apart without being able to use them:

    320583199001011234 -> 3205**********1234      13912345678 -> 139****5678
    6222021234567890128 -> 6222***********0128    zhangsan@qq.com -> z***@qq.com

Numbers are found however they are written: full-width or other digits ("１３９…"), spaces or hyphens inside
("139 1234 5678"), an ID's X in either case; first-generation 15-digit ID numbers too. Pure functions, no
Rasa; none raises on any string (a message reaches them before anything else looks at it).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

ID_CARD, MOBILE, BANK_CARD, EMAIL = "id_card", "mobile", "bank_card", "email"
# The message metadata in which a channel hands an ID number's age and sex to the actions (never the number).
ID_CARD_METADATA = "id_card"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_MAX_DIGITS = 19               # the longest number looked for (a bank card)
_ASCII_DIGITS = re.compile(r"[0-9]+")

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}")
# A group of digits as people write them: a run of digits (or of digits and the stars of a mask, which is no
# number), with an ID number's final X when no letter or digit follows it (or that X alone, "…123 X"). Groups
# joined by one to three spaces or hyphens ("139 1234 5678", "6222-0212-3456-7890", "139 - 1234") may make one
# number; a number is made of whole groups, so a number inside a longer run of digits ("编号213912345678") is
# no match.
_GROUP = re.compile(r"[0-9*]+(?:[Xx](?![0-9A-Za-z]))?|(?<![0-9A-Za-z*])[Xx](?![0-9A-Za-z])")
_SEPARATOR = re.compile(r"[ -]{1,3}")
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


class _FoldTable(dict):
    """str.translate table, filled as characters are met: full-width ASCII (０-９, ｘ, ＠ …) as ASCII, every
    other decimal digit (Arabic-Indic, Devanagari …) as its ASCII digit, spaces (ideographic, no-break …) as a
    space and dashes (‐ – — − …) as a hyphen. Each character stays one character, so offsets hold."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        remember = len(self) < 8192   # a flood of distinct characters must not grow the table without end
        if 0xFF01 <= code <= 0xFF5E:
            folded = code - 0xFEE0
        elif unicodedata.category(char) == "Nd":
            folded = ord(str(unicodedata.decimal(char)))
        elif char.isspace():   # no-break, ideographic, line and paragraph separators …
            folded = ord(" ")
        elif unicodedata.category(char) == "Pd" or char == "\u2212":
            folded = ord("-")
        else:
            folded = code
        if remember:
            self[code] = folded
        return folded


_FOLD = _FoldTable({code: 32 if chr(code).isspace() else code for code in range(128)})


def _fold(text: str) -> str:
    """`text` with digits, letters, spaces and dashes as ASCII ones, character for character (see _FoldTable)."""
    return text.translate(_FOLD)


def _is_digits(text: str, length: int) -> bool:
    """`text` is exactly `length` ASCII digits (str.isdigit would take "²" or "٣", which int() may refuse)."""
    return len(text) == length and _ASCII_DIGITS.fullmatch(text) is not None


def id_check_digit(first17: str) -> str:
    """The GB 11643 check digit of the first 17 digits of an ID number ("" when they are not 17 digits)."""
    if not _is_digits(first17, 17):
        return ""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _date(year: str, month: str, day: str, today: dt.date | None) -> dt.date | None:
    if not (_ASCII_DIGITS.fullmatch(year) and _ASCII_DIGITS.fullmatch(month) and _ASCII_DIGITS.fullmatch(day)):
        return None
    try:
        born = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return born if _EARLIEST_BIRTH <= born <= (today or dt.date.today()) else None


def birth_date(number: str, today: dt.date | None = None) -> dt.date | None:
    """The birth date of an 18-character ID number (or of a 15-digit one of the first generation, born 19YY),
    or None when it is not a plausible one."""
    if len(number) == 15:
        return _date("19" + number[6:8], number[8:10], number[10:12], today)
    if len(number) != 18:
        return None
    return _date(number[6:10], number[10:12], number[12:14], today)


def is_id_card(number: str, today: dt.date | None = None) -> bool:
    """18 characters, the right check digit and a real birth date: a resident identity card number."""
    return (looks_like_id(number, today) and id_check_digit(number[:17]) == number[17].upper())


def looks_like_id(number: str, today: dt.date | None = None) -> bool:
    """The shape of an ID number with a real birth date, whatever its check digit: a resident who mistypes
    the last digit has still given an ID number, which is masked (and read) all the same."""
    return (len(number) == 18 and _is_digits(number[:17], 17) and number[0] != "0"
            and (number[17] in "0123456789Xx") and birth_date(number, today) is not None)


def looks_like_old_id(number: str, today: dt.date | None = None) -> bool:
    """A first-generation ID number: 15 digits, the birth date (19YYMMDD) real. Masked, never read: such
    cards are no longer valid, and 15 digits with a date-like middle are too common to take an age from."""
    return _is_digits(number, 15) and number[0] != "0" and birth_date(number, today) is not None


def luhn_ok(digits: str) -> bool:
    """The Luhn check of bank-card numbers (False for anything but ASCII digits)."""
    if not _ASCII_DIGITS.fullmatch(digits):
        return False
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


def _kind(digits: str, today: dt.date | None) -> tuple[str, int] | None:
    """What a run of digits (an ID's X last) is, and how many leading digits are not part of it; None: nothing.

    An 18-digit number with a real birth date is an ID even with a wrong check digit (a typo), unless it then
    passes as a bank card; a 16–19-digit number is a bank card only when it passes the Luhn check."""
    n = len(digits)
    if n == 18 and (is_id_card(digits, today) or (looks_like_id(digits, today) and not luhn_ok(digits))):
        return ID_CARD, 0
    if 16 <= n <= _MAX_DIGITS and luhn_ok(digits):
        return BANK_CARD, 0
    if n == 15 and looks_like_old_id(digits, today):
        return ID_CARD, 0
    if n == 11 and re.fullmatch(r"1[3-9][0-9]{9}", digits):
        return MOBILE, 0
    if n == 13 and re.fullmatch(r"861[3-9][0-9]{9}", digits):   # +8613912345678: the country code stays
        return MOBILE, 2
    return None


def _chains(folded: str, taken: list[tuple[int, int]]) -> list[list[re.Match]]:
    """The digit groups of `folded` outside `taken`, in chains of groups joined by separators; a mask's group
    (stars) and an ID's final X end a chain."""
    chains: list[list[re.Match]] = []
    previous: re.Match | None = None
    for group in _GROUP.finditer(folded):
        if "*" in group.group() or any(s < group.end() and group.start() < e for s, e in taken):
            previous = None
            continue
        joined = (previous is not None and previous.group()[-1] not in "Xx"
                  and _SEPARATOR.fullmatch(folded, previous.end(), group.start()) is not None)
        if joined:
            chains[-1].append(group)
        else:
            chains.append([group])
        previous = group
    return chains


def _numbers(chain: list[re.Match], today: dt.date | None) -> list[Finding]:
    """The numbers of one chain: from each group on, the longest run of whole groups that is one."""
    found: list[Finding] = []
    i = 0
    while i < len(chain):
        best: tuple[int, str, tuple[str, int]] | None = None
        digits = ""
        for j in range(i, len(chain)):
            digits += chain[j].group().upper()
            if len(digits) > _MAX_DIGITS:
                break
            what = _kind(digits, today)
            if what is not None:
                best = (j, digits, what)
        if best is None:
            i += 1
            continue
        last, number, (kind, skip) = best
        value = number[skip:]
        found.append(Finding(kind, _offset(chain[i:last + 1], skip), chain[last].end(), value, _mask(kind, value)))
        i = last + 1
    return found


def _offset(groups: list[re.Match], skip: int) -> int:
    """Where a number starts when its first `skip` digits (a country code) are left out."""
    for group in groups:
        if skip < len(group.group()):
            return group.start() + skip
        skip -= len(group.group())
    return groups[-1].end()


def find(text: str, today: dt.date | None = None) -> list[Finding]:
    """Every ID-card, bank-card and mobile number and e-mail address in `text`, in order of position.

    E-mail first ("13912345678@163.com" is an address); then numbers, written with full-width or other
    digits, with spaces or hyphens inside, an ID's X in either case (see `_kind`). Never raises."""
    if not isinstance(text, str) or not text:
        return []
    folded = _fold(text)
    taken = [Finding(EMAIL, m.start(), m.end(), m.group(), _mask(EMAIL, m.group())) for m in _EMAIL.finditer(folded)]
    spans = [(f.start, f.end) for f in taken]
    for chain in _chains(folded, spans):
        taken += _numbers(chain, today)
    return sorted(taken, key=lambda f: f.start)


def mask(text: str, findings: list[Finding] | None = None) -> str:
    """`text` with every finding (by default: everything `find` finds) replaced by its mask."""
    out, last = [], 0
    for f in findings if findings is not None else find(text):
        out += [text[last:f.start], f.masked]
        last = f.end
    out.append(text[last:])
    return "".join(out)


# What every finding needs: an "@" (full-width too), or eleven digits (any script) with at most three other
# characters between each two. A string without it holds nothing to mask, and `find` is not called for it.
_MAY_HOLD = re.compile(r"[@＠]|(?:\d\D{0,3}){10}\d")


def mask_value(value: Any) -> Any:
    """`mask` applied to every string inside a JSON value (dict keys included): the tracker store's backstop."""
    if isinstance(value, str):
        return mask(value) if _MAY_HOLD.search(value) else value
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
