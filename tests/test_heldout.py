"""The held-out sets of real questions and remarks (tests/fixtures/heldout/) stay out of the training data,
carry valid labels and sources, and keep their split and share of out-of-scope items. No model, no server."""
from __future__ import annotations

import collections

from tests.support import heldout as h

QUESTIONS, REMARKS = h.questions(), h.remarks()
EXAMPLES = h.training_examples()


def test_no_heldout_text_is_a_training_example() -> None:
    leaked = h.leaks([i["text"] for i in QUESTIONS + REMARKS], EXAMPLES)
    assert not leaked, "held-out texts in the training data (remove them from data/nlu): " + "; ".join(
        f"{t!r} = {e!r} in {f}" for t, e, f in leaked)


def test_the_leak_rule_catches_exact_and_near_duplicates() -> None:
    """The check above can fail: a planted item, verbatim and with its punctuation and spacing changed."""
    text = QUESTIONS[0]["text"]
    planted = {**EXAMPLES, text: "data/nlu/planted.yml"}
    assert h.leaks([text], planted) == [(text, text, "data/nlu/planted.yml")]
    variant = "  " + text.replace("?", "").replace("?", "") + "？！ "
    assert h.leaks([variant], {text + "。": "x.yml"}) == [(variant, text + "。", "x.yml")]
    assert h.leaks(["居住证 怎么 挂失"], {"居住证怎么挂失": "x.yml"})            # spaces
    assert not h.leaks(["居住证怎么补办"], {"居住证怎么挂失": "x.yml"})            # a different question


def test_texts_are_distinct_even_without_punctuation() -> None:
    for items in (QUESTIONS, REMARKS):
        counts = collections.Counter(h.bare(i["text"]) for i in items)
        assert not [t for t, n in counts.items() if n > 1]


def test_labels_exist_and_sources_are_given() -> None:
    topics = h.faq_topics()
    assert topics, "no faq/<topic> intents found in data/nlu"
    for item in QUESTIONS:
        assert item["topic"] in topics | {h.OUT_OF_SCOPE, h.PLACE}, item
        assert (item["topic"] == h.PLACE) == bool(item.get("place")), f"place and its key go together: {item}"
        assert item.get("place", h.PLACES[0]) in h.PLACES, f"place is one of Suzhou's ten areas: {item}"
        assert str(item.get("source", "")).startswith("http"), item
        assert set(item) <= {"text", "topic", "source", "place", "split"}, item
    for item in REMARKS:
        assert item["kind"] in h.REMARK_KINDS, item
        assert str(item.get("source", "")).startswith("http"), item


def test_out_of_scope_share_and_both_splits() -> None:
    share = sum(i["topic"] == h.OUT_OF_SCOPE for i in QUESTIONS) / len(QUESTIONS)
    assert 0.15 <= share <= 0.25, f"out-of-scope share {share:.0%} (keep 15-25 %)"
    assert {i["split"] for i in QUESTIONS} == {"dev", "test"}
    assert h.split("居住证怎么挂失") == h.split("居住证怎么挂失")


def test_sizes_reach_the_issue_targets() -> None:
    assert len(QUESTIONS) >= h.QUESTION_TARGET and len({i["text"] for i in REMARKS}) >= h.REMARK_TARGET
