"""The fixed words of the web pages (assistant/web/) that must agree with the rule data: the chat's header names
every channel the assistant covers, and the result card says which day's rules it applied."""
import re
from pathlib import Path

from assistant.policy.rules import CHANNEL_IDS, rule_data

WEB = Path(__file__).resolve().parents[1] / "assistant" / "web"


def test_the_chat_header_names_every_channel_of_the_rule_data():
    header = re.search(r'class="subtitle"[^>]*>([^<]*)<', (WEB / "chat.html").read_text(encoding="utf-8"))
    assert header, "no subtitle in chat.html's header"
    for cid in CHANNEL_IDS:
        name = rule_data().channels[cid].name
        short = name[:-2] if name.endswith("落户") else name   # 人才落户 -> 人才; 居住证 stays
        assert short in header.group(1), f"the header does not name {name}: {header.group(1)!r}"


def test_the_card_says_the_rules_valid_on_that_day():
    # "按 … 施行的规则" read as "the rules that took effect on that day"
    card = (WEB / "card.js").read_text(encoding="utf-8")
    assert '" 当日有效的规则' in card and "施行的规则" not in card
