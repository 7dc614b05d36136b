"""`rasa data validate`, strict: any warning fails, except the one Rasa gets wrong for this project.
`scripts/validate_data.py [FILE …]` validates more training files with data/.

Rasa's validator only sees responses used in stories and rules; ours also sends responses from the custom
actions (every `utter_ask_<field>`, the help and confirmation messages). A response it reports as unused
passes only if the action code names it; anything else it warns about is an error.
"""
from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# Sent by Rasa's own actions: action_default_fallback (the RulePolicy's core fallback) utters utter_default.
RASA_DEFAULT_RESPONSES = {"utter_default"}
# Rasa itself silences this one (rasa/utils/common.py): it is printed for every domain, whatever it holds.
RASA_SILENCED = ("Slot auto-fill has been removed in 3.0",)
RETRIEVAL_INTENTS = {"faq"}


def used_by_actions(name: str) -> bool:
    from assistant.policy.profile import PROFILE_FIELDS

    if name in RASA_DEFAULT_RESPONSES:
        return True
    sources = [*(ROOT / "actions").glob("*.py"), *(ROOT / "assistant" / "conversation").glob("*.py")]
    code = "\n".join(p.read_text(encoding="utf-8") for p in sources)
    if name.startswith("utter_ask_") and name[len("utter_ask_"):] in PROFILE_FIELDS and 'f"utter_ask_{' in code:
        return True
    if name.startswith("utter_ask_") and 'f"utter_ask_{name}_{also}"' in code:
        from assistant.conversation import planner
        if name[len("utter_ask_"):] in {"_".join(pair) for pair in planner.priors()["pairs"]}:
            return True  # the paired questions of assistant/conversation/priors.yml
    if name.startswith("utter_remark_") and 'f"utter_remark_{' in code:
        from assistant.understanding import cues
        return name[len("utter_remark_"):] in cues.remark_kinds()  # the remark kinds of assistant/understanding/cues.yml
    if (name == "utter_faq" or name.startswith("utter_faq/")) and 'f"utter_faq/{' in code:
        return True  # the retrieval intent's answers: action_turn utters the one the selector picked
    return f'"{name}"' in code


def main(extra: list[str] | None = None) -> int:
    """Validates data/ and the `extra` training files (the tests: a reviewed.yml written elsewhere)."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(str(ROOT / "config.yml"), str(ROOT / "domain.yml"),
                                                     [str(ROOT / "data"), *(extra or [])])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = Validator.from_importer(importer)
        ok = all([validator.verify_domain_validity(), validator.verify_nlu(ignore_warnings=True),
                  validator.verify_story_structure(ignore_warnings=False, max_history=4),
                  validator.verify_slot_mappings(), validator.verify_forms_in_stories_rules(),
                  validator.verify_actions_in_stories_rules()])
    problems = []
    for w in caught:
        text = str(w.message)
        if text.startswith(RASA_SILENCED):
            continue
        if not issubclass(w.category, UserWarning) or "DeprecationWarning" in w.category.__name__:
            continue
        dup = re.match(r"The following duplicated intents have been found across multiple domain files: (.*)", text)
        if dup and set(dup.group(1).split(", ")) <= RETRIEVAL_INTENTS:
            continue  # Rasa's importer adds the retrieval intent to the domain a second time
        unused = re.match(r"The utterance '([\w/]+)' is not used in any story or rule\.", text)
        if unused and used_by_actions(unused.group(1)):
            continue
        problems.append(text.splitlines()[0])
    for p in problems:
        print(f"  - {p}")
    if not ok or problems:
        print(f"rasa data validate: {len(problems)} problem(s)")
        return 1
    print("rasa data validate: clean (responses sent by the actions checked against actions/*.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
