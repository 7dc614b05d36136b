"""Conversation tests and FAQ test stories against the real action server and Rasa server (started once for
the module): every test case of tests/conversations/*.yml through assistant.tools.conversation_tests (JUnit XML in
results/conversations.xml), every phrasing of tests/stories/faq.yml checked to its own topic, the runner's
failure reports, and a real conversation exported as a test (command line and hotline console)."""
from __future__ import annotations

import re
import secrets
import time

import pytest
import requests
import yaml

from assistant.tools import conversation_cases as ct_cases
from assistant.tools import conversation_export as ct_export
from assistant.tools import conversation_tests as ct
from tests.support.servers import ROOT, servers

pytestmark = pytest.mark.servers  # real servers: `make test`, not `make unit`

CONVERSATIONS = ROOT / "tests" / "conversations"
FAQ_STORIES = ROOT / "tests" / "stories" / "faq.yml"
JUNIT = ROOT / "results" / "conversations.xml"
TOKEN = "console-" + secrets.token_hex(12)
CASES = ct.load([CONVERSATIONS])


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with servers(tmp_path_factory.mktemp("conversations"), env={"CONSOLE_TOKEN": TOKEN}) as running:
        yield running


@pytest.fixture(scope="module")
def client(srv):
    return ct.Client(srv.rasa_url)


# --- the conversation tests of tests/conversations/ ----------------------------------------------------------

@pytest.fixture(scope="module")
def results(client):
    """All conversation tests, run once (four conversations at a time), with the JUnit report."""
    start = time.perf_counter()
    done = ct.run(client, CASES, jobs=4)
    ct.write_junit(done, JUNIT)
    (ROOT / "results" / "conversations-time.txt").write_text(
        f"{len(done)} conversation tests in {time.perf_counter() - start:.1f} s\n", encoding="utf-8")
    return {(r.case.file, r.case.name): r for r in done}


def test_there_are_enough_conversation_tests():
    assert len(CASES) >= 40, f"only {len(CASES)} conversation tests in {CONVERSATIONS}"
    assert not [c for c in CASES if c.error], [f"{c.file}: {c.name}: {c.error}" for c in CASES if c.error]


def _case_ids(cases: list) -> list[str]:
    """"dialogue.yml#3": pytest escapes Chinese in ids; the failure report names the test case."""
    seen: dict = {}
    out = []
    for c in cases:
        seen[c.file] = seen.get(c.file, 0) + 1
        out.append(f"{c.file.name}#{seen[c.file]}")
    return out


@pytest.mark.servers  # real servers: `make test`, not `make unit`
@pytest.mark.parametrize("case", CASES, ids=_case_ids(CASES))
def test_conversation(results, case):
    result = results[(case.file, case.name)]
    assert result.passed, ct.report(result)


@pytest.mark.servers  # real servers: `make test`, not `make unit`
def test_the_conversation_tests_take_less_than_three_minutes(results):
    seconds = sum(r.seconds for r in results.values()) / 4   # four at a time
    assert seconds < 180, f"the conversation tests take about {seconds:.0f} s"
    assert JUNIT.is_file() and "<testsuites" in JUNIT.read_text(encoding="utf-8")


# --- one FAQ answer per phrasing of tests/stories/faq.yml --------------------------------------------------------

def _faq_stories() -> list[tuple[str, str]]:
    stories = yaml.safe_load(FAQ_STORIES.read_text(encoding="utf-8"))["stories"]
    out = []
    for story in stories:
        user, action = story["steps"]
        assert user["intent"].startswith("faq/") and action == {"action": "action_turn"}, story["story"]
        out.append((user["user"].strip(), user["intent"].split("/", 1)[1]))
    return out


FAQ = _faq_stories()


def test_every_faq_topic_has_two_test_stories_and_none_is_held_out():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    topics = {k.split("/", 1)[1] for k in domain["responses"] if k.startswith("utter_faq/")}
    counts = {t: sum(1 for _, topic in FAQ if topic == t) for t in topics}
    assert {t for t, n in counts.items() if n < 2} == set(), counts
    assert {topic for _, topic in FAQ} <= topics
    held_out = {item["q"] for item in yaml.safe_load((ROOT / "tests/fixtures/faq_heldout.yml").read_text("utf-8"))}
    assert not held_out & {q for q, _ in FAQ}


@pytest.mark.servers  # real servers: `make test`, not `make unit`
@pytest.mark.parametrize("text, topic", FAQ, ids=[f"{t}-{n}" for n, (_, t) in enumerate(FAQ)])
def test_a_faq_phrasing_gets_its_own_topic(srv, client, text, topic):
    """The ResponseSelector's first choice is the story's topic, and the assistant answers with that topic's
    response (utter_faq/<topic>) — or, when unsure, offers it first among "您是想问" — never another topic's."""
    parsed = requests.post(f"{srv.rasa_url}/model/parse", json={"text": text}, timeout=30).json()
    selected = (((parsed.get("response_selector") or {}).get("faq") or {}).get("response") or {})
    assert selected.get("intent_response_key") == f"faq/{topic}", (text, selected.get("intent_response_key"))
    sender = f"faq-story-{secrets.token_hex(6)}"
    replies = client.send(sender, text)
    responses = [ct_cases.response_name(e) for e in ct_cases.turns_of(client.tracker(sender)["events"])[-1][1]]
    # the REST channel names each reply's response as the tracker records it (what `utter` steps read)
    assert ct.Turn(text, replies).responses == list(dict.fromkeys(r for r in responses if r)), replies
    answers = [r for r in responses if r and r.startswith("utter_faq/")]
    assert answers == [f"utter_faq/{topic}"] or (
        not answers and "utter_did_you_mean" in responses
        and replies[0]["buttons"][0]["payload"] == f'/inform{{"faq_topic": "{topic}"}}'), (text, responses)


# --- the runner itself ---------------------------------------------------------------------------------------------

WRONG = """
test_cases:
  - test_case: 故意写错的预期
    steps:
      - user: 你好
      - asks: target_area
      - user: 工业园区
      - asks: retired
"""


@pytest.mark.servers  # real servers: `make test`, not `make unit`
def test_a_failure_names_the_step_the_expectation_and_the_whole_transcript(srv, tmp_path, capsys):
    path = tmp_path / "wrong.yml"
    path.write_text(WRONG, encoding="utf-8")
    junit = tmp_path / "out" / "report.xml"
    status = ct.main([str(path), "--url", srv.rasa_url, "--junit", str(junit), "-q"])
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in out and "故意写错的预期" in out and "step 4: asks: retired" in out
    assert "expected the question about 'retired'" in out
    assert "> 你好" in out and "> 工业园区" in out and "{ask: target_area" in out   # the transcript
    assert "[utter_ask_target_area]" in out                                      # with response names
    assert "0 passed, 1 failed" in out
    report = junit.read_text(encoding="utf-8")
    assert 'failures="1"' in report and "step 4: asks: retired" in report


def test_malformed_files_are_reported_not_run(tmp_path):
    bad = {
        "no_list.yml": "steps: []",
        "unknown_step.yml": "test_cases:\n  - test_case: a\n    steps:\n      - user: 你好\n      - says: 你好\n",
        "unknown_status.yml": "test_cases:\n  - test_case: b\n    steps:\n      - user: 你好\n"
                              "      - assessment: {talent: ok}\n",
        "first_step.yml": "test_cases:\n  - test_case: c\n    steps:\n      - asks: age\n",
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    cases = {c.file.name: c for c in ct.load([tmp_path])}
    assert "test_cases" in cases["no_list.yml"].error
    assert "says" in cases["unknown_step.yml"].error
    assert "unknown status" in cases["unknown_status.yml"].error
    assert "first step" in cases["first_step.yml"].error


def test_an_unreachable_assistant_is_said_in_chinese_and_english(tmp_path, capsys):
    from tests.support.servers import free_port

    status = ct.main([str(CONVERSATIONS), "--url", f"http://127.0.0.1:{free_port()}", "--junit",
                      str(tmp_path / "x.xml")])
    err = capsys.readouterr().err
    assert status == 1 and "无法连接助手" in err and "Cannot reach the assistant" in err


# --- from a real conversation to a test -----------------------------------------------------------------------------

PERSONAL = ["320583199001011234", "13912345678", "zhangsan@qq.com", "6222 0212 3456 7890"]


@pytest.mark.servers  # real servers: `make test`, not `make unit`
def test_a_real_conversation_becomes_a_test_that_passes_as_exported(srv, client, tmp_path, capsys):
    sender = f"hotline-{secrets.token_hex(6)}"
    for message in ["按2025-06-01的规则评估", "我今年27，本科毕业，全日制，在园区上班",
                    f"我手机{PERSONAL[1]}，身份证{PERSONAL[0]}，邮箱{PERSONAL[2]}，卡号{PERSONAL[3]}",
                    "积分落户要多少分", "工业园区", "没有退休"]:
        client.send(sender, message)
    assert ct.main(["export", sender, "--url", srv.rasa_url]) == 0
    exported = capsys.readouterr().out
    for number in PERSONAL:
        assert number not in exported and number.replace(" ", "") not in exported
    assert "139****5678" in exported and "z***@qq.com" in exported
    assert exported.startswith("# 由会话") and "请先核对预期结果" in exported
    test = yaml.safe_load(exported)["test_cases"][0]
    kinds = [next(iter(s)) for s in test["steps"]]
    assert str(test["steps"][0]["as_of"]) == "2025-06-01" and kinds.count("user") == 5
    assert {"utter": "utter_faq/points_line"} in test["steps"] and "asks" in kinds
    assessment = next(s["assessment"] for s in test["steps"] if "assessment" in s)
    assert assessment["talent"] == "eligible" and assessment["recommended"][0] == "talent"
    # saved as a file, it runs and passes against the same assistant
    path = tmp_path / "exported.yml"
    path.write_text(exported, encoding="utf-8")
    (result,) = ct.run(client, ct.load([path]))
    assert result.passed, ct.report(result)

    # the hotline console's "保存为测试" gives the same file
    url = f"{srv.rasa_url}/webhooks/console/conversation/{sender}/test.yml"
    r = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/yaml")
    assert re.search(r'attachment; filename="test-hotline-[0-9a-f]+\.yml"', r.headers["content-disposition"])
    assert r.text == exported
    assert requests.get(url, timeout=30).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 401
    missing = requests.get(f"{srv.rasa_url}/webhooks/console/conversation/nobody-{secrets.token_hex(4)}/test.yml",
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert missing.status_code == 404 and "没有找到会话" in missing.json()["error"]
    # the command line can go through the console too
    assert ct.main(["export", sender, "--url", srv.rasa_url, "--console-token", TOKEN]) == 0
    assert capsys.readouterr().out == exported


def test_masking_of_personal_numbers():
    assert ct_export.mask("身份证32058319900101123X") == "身份证320***********123X"
    assert ct_export.mask("电话 139 1234 5678，邮箱 li.si@example.com.cn") == "电话 139****5678，邮箱 l***@example.com.cn"
    assert ct_export.mask("社保交了24个月，今年28，2025-06-01") == "社保交了24个月，今年28，2025-06-01"
    assert ct_export.mask("卡号６２２２０２１２３４５６７８９０１２８") == "卡号622************0128"
