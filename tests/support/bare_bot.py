"""A bare `rasa init`-style bot with this assistant's Chinese NLU pipeline, for `make bench` (part baseline): the
same config.yml pipeline (the custom components included) and the same RulePolicy, a few intents, responses only
(no custom action, no slots), built and trained in a temporary folder. Served like the assistant (the same
credentials.yml and endpoints.yml), it shows what a turn costs in Rasa itself.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.support.servers import RASA, ROOT

INTENTS = {
    "greet": ["你好", "您好", "嗨", "早上好", "在吗", "你好呀", "哈喽", "下午好"],
    "goodbye": ["再见", "拜拜", "回头见", "先这样吧", "下次再聊", "我走了"],
    "thank": ["谢谢", "多谢", "感谢", "谢谢你", "好的谢谢", "非常感谢"],
    "affirm": ["是", "是的", "对", "没错", "好的", "可以", "嗯", "对的"],
    "deny": ["不是", "没有", "不对", "不", "不用了", "没有的"],
    "inform": ["我今年28岁", "本科毕业", "在园区上班", "社保交了两年", "租的房子", "大专学历", "三年半",
               "我有房子，九十平", "居住证办了两年", "32岁"],
}
FAQ = {
    "points_line": ["积分落户要多少分", "积分落户分数线是多少", "积分要达到多少分才能落户"],
    "talent_materials": ["人才落户需要什么材料", "人才落户要准备哪些材料", "人才落户材料有哪些"],
    "home_area": ["买房落户需要多大面积", "购房落户面积要求", "买多大的房子可以落户"],
}
RESPONSES = {
    "utter_greet": "您好！我是落户咨询机器人。",
    "utter_goodbye": "再见！",
    "utter_thank": "不客气。",
    "utter_ok": "好的。",
    "utter_inform": "收到。",
    "utter_default": "抱歉，我没有理解。",
    "utter_faq/points_line": "积分落户的分值线以当年公布为准。",
    "utter_faq/talent_materials": "请准备学历证明和劳动合同。",
    "utter_faq/home_area": "购房面积要求以当地规定为准。",
}


def write(folder: Path) -> Path:
    """The bot's files in `folder`; returns the config file."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    ours = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    for component in ours["pipeline"]:
        if "dictionary_path" in component:
            component["dictionary_path"] = str(ROOT / component["dictionary_path"])
    config = folder / "config.yml"
    config.write_text(yaml.safe_dump({**ours, "assistant_id": "bare-bot"}, allow_unicode=True), encoding="utf-8")
    entities = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["entities"]
    domain = {
        "version": "3.1",
        "intents": [*INTENTS, "faq"],
        "entities": entities,
        "responses": {name: [{"text": text}] for name, text in RESPONSES.items()},
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }
    (folder / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True), encoding="utf-8")
    nlu = [{"intent": name, "examples": "".join(f"- {e}\n" for e in examples)} for name, examples in INTENTS.items()]
    nlu += [{"intent": f"faq/{topic}", "examples": "".join(f"- {e}\n" for e in examples)}
            for topic, examples in FAQ.items()]
    (folder / "data" / "nlu.yml").write_text(yaml.safe_dump({"version": "3.1", "nlu": nlu}, allow_unicode=True),
                                             encoding="utf-8")
    answer = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thank": "utter_thank", "affirm": "utter_ok",
              "deny": "utter_ok", "inform": "utter_inform", "faq": "utter_faq", "nlu_fallback": "utter_default"}
    rules = [{"rule": f"answer {intent}", "steps": [{"intent": intent}, {"action": action}]}
             for intent, action in answer.items()]
    (folder / "data" / "rules.yml").write_text(yaml.safe_dump({"version": "3.1", "rules": rules}, allow_unicode=True),
                                               encoding="utf-8")
    return config


def train(folder: Path, env: dict) -> Path:
    """Writes and trains the bot (a minute or two); returns the model."""
    config = write(folder)
    subprocess.run([RASA, "train", "--domain", "domain.yml", "--data", "data", "--config", str(config), "--out",
                    "models", "--fixed-model-name", "bare", "--quiet"], cwd=folder, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return folder / "models" / "bare.tar.gz"
