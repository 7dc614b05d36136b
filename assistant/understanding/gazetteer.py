"""The gazetteer of named things residents mention (areas, education, titles, skill levels, housing types),
built from the aliases in assistant/policy/terms.yml as a spaCy pipeline: blank Chinese with the jieba
segmenter and an EntityRuler. Importable without Rasa; assistant/understanding/components.py packs it into the model.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from assistant.policy.rules import rule_data

# enum name in terms.yml -> entity label (the profile field it fills)
GAZETTEER_ENUMS = {"education": "education", "professional_title": "professional_title",
                   "skill_level": "skill_level", "housing": "housing", "residence_permit": "residence_permit"}
# Words too vague to stand alone as a gazetteer match ("无", "没有" mean "none" only as an answer to a question).
_MIN_ALIAS_CHARS = 2


def patterns() -> list[dict]:
    """EntityRuler patterns: each alias as a phrase, and as a part of a single jieba token ("本科毕业")."""
    terms = rule_data().terms
    entries: list[tuple[str, str, str]] = []
    for area in terms["areas"].values():
        for alias in {area["name"], *area["aliases"]}:
            entries.append(("target_area", alias, area["name"]))
    for enum_name, label in GAZETTEER_ENUMS.items():
        for value, spec in terms["enums"][enum_name]["values"].items():
            if value == "none":
                continue
            for alias in {spec["label"], *spec.get("aliases", [])}:
                entries.append((label, alias, value))
    out: list[dict[str, Any]] = []
    # Longest aliases first, so "苏州工业园区" wins over "园区" and "高级技师" over "技师".
    for label, alias, value in sorted(entries, key=lambda e: -len(e[1])):
        if len(alias) < _MIN_ALIAS_CHARS or not re.search(r"[\u4e00-\u9fff]", alias):
            continue
        out.append({"label": label, "pattern": alias, "id": value})
        out.append({"label": label, "pattern": [{"TEXT": {"REGEX": re.escape(alias)}}], "id": value})
    return out


def build(userdict: Path | None = None):
    """A fresh spaCy pipeline: blank zh, jieba segmenter (with our user dictionary), EntityRuler."""
    import jieba
    import spacy
    from spacy.pipeline import EntityRuler

    jieba.setLogLevel(60)
    if userdict is not None and userdict.exists():
        jieba.load_userdict(str(userdict))
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True})
    assert isinstance(ruler, EntityRuler)  # add_pipe is typed to return any Pipe
    ruler.add_patterns(patterns())
    return nlp


def entities(nlp, text: str) -> list[dict]:
    """Rasa-style entities ({entity, value, start, end}) for the gazetteer matches in `text`."""
    return [{"entity": ent.label_, "value": ent.ent_id_, "start": ent.start_char, "end": ent.end_char,
             "text": ent.text} for ent in nlp(text).ents]
