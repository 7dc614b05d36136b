"""The cue words of assistant/understanding/cues.yml, compiled once: what tells a question, a yes, a remark, a command.

`Text` (assistant/understanding/parsing.py) is a message normalised once; `cue(name)` is a compiled cue and
`has(name, text)` looks for it where cues.yml says. Nothing else in the conversation keeps word lists.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assistant.understanding.parsing import Text

CUES_FILE = Path(__file__).with_name("cues.yml")


@functools.cache
def _data() -> dict[str, Any]:
    return yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))


def words(name: str) -> Any:
    """A top-level table of cues.yml (affirmative, negative, none_topics, channel_words, place_words)."""
    return _data()[name]


def _alternative(word: Any) -> str:
    word = str(word)
    return word[3:] if word.startswith("re:") else re.escape(word.lower())


@dataclass(frozen=True)
class Cue:
    name: str
    pattern: re.Pattern[str]
    form: str        # "bare" or "normal": the form of the message the pattern reads

    def find(self, text: Text) -> re.Match[str] | None:
        return self.pattern.search(text.bare if self.form == "bare" else text.lower)


@functools.cache
def cue(name: str) -> Cue:
    spec = _data()["cues"][name]
    body = "|".join(_alternative(w) for w in spec["words"])
    match = spec.get("match", "anywhere")
    pattern = {"whole": f"^(?:{body})$", "start": f"^(?:{body})", "anywhere": f"(?:{body})"}[match]
    return Cue(name, re.compile(pattern), spec.get("form", "bare"))


def without_opener(text: str) -> str:
    """"对了，居住证怎么办理？" -> "居住证怎么办理？": what a message says after its opener ("对了", "等一下", "请问"),
    read by the classifiers and the retriever; the text itself when nothing follows the opener ("等一下")."""
    rest = cue("opener").pattern.sub("", text, count=1)
    return rest if rest.strip(" ，,。.、:：") else text


def remark_kinds() -> list[str]:
    """The remark cues in the order cues.yml checks them ("remark_wait" -> "wait")."""
    return [name[len("remark_"):] for name in _data()["cues"] if name.startswith("remark_")]


def has(name: str, text: Text | str) -> bool:
    """The cue is in the text (a `Text`; a plain string is a part of a normal text, a clause or a word)."""
    return cue(name).find(text if isinstance(text, Text) else Text.normalised(text)) is not None


def remark(text: Text) -> str | None:
    """The kind of remark a message is, if any ("好麻烦啊" -> "complaint")."""
    return next((kind for kind in remark_kinds() if has(f"remark_{kind}", text)), None)


def answer_word(bare: str) -> bool | None:
    """True for an affirmative word, False for a negative one, else None (the whole reply is the word)."""
    if bare in _word_set("affirmative"):
        return True
    if bare in _word_set("negative"):
        return False
    return None


def accepts(text: Text) -> bool:
    """Yes to an offer: an affirmative answer or an accepting word ("好的", "来吧")."""
    return answer_word(text.core) is True or answer_word(text.bare) is True or has("accept", text) \
        or has("accept", Text.normalised(text.core))


@functools.cache
def _word_set(name: str) -> frozenset[str]:
    return frozenset(str(w).lower() for w in _data()[name])
