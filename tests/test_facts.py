"""Facts a resident states in one message -> profile fields (assistant.understanding.facts, table in assistant/understanding/facts.yml).

Every case asserts the EXACT dict: a fact missing from `expected` is one the extractor must leave out
(the assistant asks instead); the case id says why when that is the point of the case.
"""
import logging
from pathlib import Path

import pytest

from assistant.policy.profile import PROFILE_FIELDS, parse_profile
from assistant.understanding.facts import FactsError, extract_facts, fact_spans, load_table
from tests.support.fixtures import load

T, F = True, False

# tests/fixtures/openings.txt, line for line (test_openings_file_unchanged checks the copy).
OPENINGS = [
    pytest.param("你好，我想问下落户的事", {}, id="opening-greeting"),
    pytest.param("我今年28，本科毕业，在园区上班，社保交了两年多了，租的房子",
                 {"age": 28, "education": "bachelor", "employed_in_suzhou": T, "target_area": "苏州工业园区",
                  "social_insurance_months": 24, "social_insurance_active": T},
                 id="opening-graduate-sip (plain 租的房子: housing left out)"),
    pytest.param("大专学历，三十二岁，在吴中区一个厂里做了八个月，社保一直在交",
                 {"education": "associate", "age": 32, "employed_in_suzhou": T, "target_area": "吴中区",
                  "social_insurance_active": T},
                 id="opening-associate (八个月 on the job is not social insurance)"),
    pytest.param("我老公是苏州户口，家里有房，我能迁过去吗",
                 {"married": T, "spouse_suzhou_family_hukou": T, "spouse_side_owns_home": T},
                 id="opening-spouse (家里有房 is the spouse's side, not own housing)"),
    pytest.param("我媽媽55歲了，想投靠我在苏州落户，我有房子有户口",
                 {"age": 55, "sex": "female", "child_suzhou_family_hukou_with_home": T},
                 id="opening-proxy-mother-traditional"),
    pytest.param("研究生毕业，今年51岁，在相城区上班交社保",
                 {"education": "master", "age": 51, "target_area": "相城区", "employed_in_suzhou": T,
                  "social_insurance_active": T},
                 id="opening-master-51"),
    pytest.param("我高中毕业，在昆山买了套房子，90平",
                 {"education": "high_school", "target_area": "昆山市", "housing": "own", "home_area_m2": 90.0},
                 id="opening-kunshan-home"),
    pytest.param("社保交了5年零3个月，居住证办了三年半，住的是备案的租房，想落姑苏区",
                 {"social_insurance_months": 63, "residence_months": 42, "housing": "rental_registered",
                  "target_area": "姑苏区"},
                 id="opening-points (permit type and whether paying now are not said)"),
    pytest.param("我是高级工，工种在紧缺目录里，39岁，刚交了4个月社保，在张家港",
                 {"skill_level": "level3", "skill_in_shortage_catalogue": T, "age": 39,
                  "social_insurance_months": 4, "social_insurance_consecutive_months": 4,
                  "social_insurance_active": T, "target_area": "张家港市"},
                 id="opening-skilled (刚交了4个月: one unbroken run, still paying)"),
    pytest.param("hi 我是master degree，今年30，想settle在工业园区",
                 {"education": "master", "age": 30, "target_area": "苏州工业园区"},
                 id="opening-english-mixed"),
]

NO_FACTS = [
    pytest.param("你好", {}, id="none-hello"),
    pytest.param("谢谢", {}, id="none-thanks"),
    pytest.param("在吗", {}, id="none-anyone-there"),
    pytest.param("😀😀😀", {}, id="none-emoji"),
    pytest.param("hello, I want to settle in Suzhou", {}, id="none-english"),
    pytest.param("落户需要什么材料？", {}, id="none-question"),
    pytest.param("如果社保断了会怎么样", {}, id="none-hypothesis"),
    pytest.param("社保需要交满两年吗", {}, id="none-requirement-question"),
    pytest.param("有没有犯罪记录有影响吗", {}, id="none-a-not-a-question"),
    pytest.param("有没有居住证影响大吗", {}, id="none-a-not-a-permit"),
    pytest.param("工种在紧缺目录里吗", {}, id="none-asks-catalogue"),
    pytest.param("我是90后", {}, id="none-birth-decade-not-age"),
    pytest.param("社保從2020年開始交的", {}, id="none-calendar-year-not-months"),
    pytest.param("我没有资格落户吗", {}, id="none-no-qualification-question-is-not-skill-none"),
    pytest.param("坐了两年办公室", {}, id="none-desk-job-is-not-prison"),
    pytest.param("我有房租补贴", {}, id="none-rent-subsidy-is-not-a-home"),
    pytest.param("想买房，租的房子60平", {}, id="none-wish-and-rental-size"),
]

AREAS = [
    pytest.param("想落姑苏区", {"target_area": "姑苏区"}, id="area-want-gusu"),
    pytest.param("在张家港", {"target_area": "张家港市"}, id="area-zhangjiagang"),
    pytest.param("工业园区", {"target_area": "苏州工业园区"}, id="area-sip-alias"),
    pytest.param("高新区", {"target_area": "虎丘区"}, id="area-high-tech-zone-is-huqiu"),
    pytest.param("我在昆山买了套房子", {"target_area": "昆山市", "housing": "own"}, id="area-kunshan-home"),
    pytest.param("落户园区需要什么条件", {"target_area": "苏州工业园区"}, id="area-named-in-a-question"),
    pytest.param("在园区上班，想落户到昆山", {"employed_in_suzhou": T, "target_area": "昆山市"},
                 id="area-two-areas-the-settle-one-wins"),
    pytest.param("我在园区上班，老婆在昆山买了房", {"employed_in_suzhou": T, "married": T,
                                                "spouse_side_owns_home": T},
                 id="area-two-areas-no-target (ask)"),
    pytest.param("老家是常熟的，现在在园区上班", {"employed_in_suzhou": T, "target_area": "苏州工业园区"},
                 id="area-hometown-is-not-target"),
    pytest.param("我是苏州工业园区职业技术学院毕业的，在昆山上班",
                 {"suzhou_college_graduate": T, "employed_in_suzhou": T, "target_area": "昆山市"},
                 id="area-school-name-is-not-target"),
    pytest.param("在昆山的产业园区上班", {"employed_in_suzhou": T, "target_area": "昆山市"},
                 id="area-industrial-park-is-not-sip"),
    pytest.param("我是昆山人", {}, id="area-where-i-come-from-is-not-target"),
]

PERSON = [
    pytest.param("28周岁", {"age": 28}, id="age-zhousui"),
    pytest.param("我今年三十了", {"age": 30}, id="age-chinese-numeral"),
    pytest.param("女，28岁，本科", {"sex": "female", "age": 28, "education": "bachelor"}, id="sex-bare-female"),
    pytest.param("我是女的", {"sex": "female"}, id="sex-i-am-female"),
    pytest.param("我是男生，26岁，本科，刚毕业", {"sex": "male", "age": 26, "education": "bachelor"},
                 id="sex-male-student-word"),
    pytest.param("本人男，35", {"sex": "male"}, id="age-bare-number-left-out"),
    pytest.param("I am male, 40 years old, PhD", {"sex": "male", "age": 40, "education": "doctor"},
                 id="english-male-age-phd"),
    pytest.param("他28岁", {}, id="age-of-someone-else"),
    pytest.param("我２８歲，本科畢業，在園區上班，社保交了兩年",
                 {"age": 28, "education": "bachelor", "employed_in_suzhou": T, "target_area": "苏州工业园区",
                  "social_insurance_months": 24},
                 id="fullwidth-and-traditional"),
    pytest.param("我今年３５，大專，社保斷了",
                 {"age": 35, "education": "associate", "social_insurance_active": F},
                 id="fullwidth-traditional-stopped"),
    pytest.param("我28岁，本可毕业，社宝交了一年", {"age": 28, "social_insurance_months": 12},
                 id="typos (本可 is not an alias: left out; 社宝 read)"),
    pytest.param("性别女", {"sex": "female"}, id="sex-field-style"),
    pytest.param("我女朋友在园区", {}, id="sex-girlfriend-is-not-female (and not my area)"),
    pytest.param("我已婚，有一个孩子，孩子3岁", {"married": T}, id="age-of-child-is-not-mine"),
    pytest.param("我老婆是蘇州戶口，我沒有居住證",
                 {"married": T, "spouse_suzhou_family_hukou": T, "residence_permit": "none"},
                 id="traditional-spouse-and-no-permit"),
    pytest.param("我是男的，48岁，中级职称，在吴江上班十年了，社保十年",
                 {"sex": "male", "age": 48, "professional_title": "intermediate", "employed_in_suzhou": T,
                  "target_area": "吴江区", "social_insurance_months": 120}, id="several-facts-male"),
    pytest.param("I have a bachelor's degree and work in SIP",
                 {"education": "bachelor", "target_area": "苏州工业园区"}, id="english-bachelor-sip"),
]

EDUCATION = [
    pytest.param("博士", {"education": "doctor"}, id="edu-doctor"),
    pytest.param("初中毕业", {"education": "junior_high"}, id="edu-junior-high"),
    pytest.param("我是PhD，想落园区", {"education": "doctor", "target_area": "苏州工业园区"}, id="edu-english-phd"),
    pytest.param("bachelor degree，在吴江上班",
                 {"education": "bachelor", "employed_in_suzhou": T, "target_area": "吴江区"}, id="edu-english-bachelor"),
    pytest.param("大专毕业，非全日制", {"education": "associate", "full_time_degree": F}, id="edu-not-full-time"),
    pytest.param("自考本科", {"education": "bachelor", "full_time_degree": F}, id="edu-self-study"),
    pytest.param("全日制本科，有学位", {"education": "bachelor", "full_time_degree": T}, id="edu-full-time"),
    pytest.param("成人教育的大专", {"education": "associate", "full_time_degree": F}, id="edu-adult-education"),
    pytest.param("函授本科", {"education": "bachelor", "full_time_degree": F}, id="edu-correspondence"),
    pytest.param("在职研究生", {"education": "master", "full_time_degree": F}, id="edu-in-service-master"),
    pytest.param("本科学历，学士学位，统招", {"education": "bachelor", "full_time_degree": T}, id="edu-tongzhao"),
    pytest.param("研究生在读", {}, id="edu-still-studying-no-degree-yet"),
    pytest.param("本科没毕业", {}, id="edu-did-not-graduate"),
    pytest.param("英国留学硕士，做了留服认证", {"education": "master", "overseas_degree_certified": T},
                 id="edu-overseas-certified"),
    pytest.param("国外本科，还没做学历认证", {"education": "bachelor", "overseas_degree_certified": F},
                 id="edu-overseas-not-certified"),
    pytest.param("我老公本科毕业在园区上班", {"married": T}, id="edu-spouse-degree-is-not-mine"),
    pytest.param("研究生毕业", {"education": "master"}, id="edu-graduate-school-is-master"),
    pytest.param("我是硕士，不是全日制的", {"education": "master", "full_time_degree": F}, id="edu-not-full-time-de"),
    pytest.param("我是非全日制研究生，在昆山工作两年了",
                 {"education": "master", "full_time_degree": F, "employed_in_suzhou": T, "target_area": "昆山市"},
                 id="edu-part-time-master-working"),
    pytest.param("我是本科生", {"education": "bachelor"}, id="edu-benkesheng"),
]

TITLES_SKILLS = [
    pytest.param("我有中级职称", {"professional_title": "intermediate"}, id="title-intermediate"),
    pytest.param("副高", {"professional_title": "associate_senior"}, id="title-associate-senior"),
    pytest.param("高级工程师", {"professional_title": "associate_senior"}, id="title-senior-engineer-not-skill"),
    pytest.param("职称是中级", {"professional_title": "intermediate"}, id="title-is-intermediate"),
    pytest.param("没有职称", {"professional_title": "none"}, id="title-none"),
    pytest.param("我是工程师", {}, id="title-bare-engineer-is-a-job (ask)"),
    pytest.param("我是高级职称", {}, id="title-gaoji-ambiguous (ask: 副高 or 正高)"),
    pytest.param("我是技师", {"skill_level": "level2"}, id="skill-technician"),
    pytest.param("高级技师", {"skill_level": "level1"}, id="skill-senior-technician"),
    # RULES.md revision 3: 特级技师 / 首席技师 rank above 高级技师; the 技师 inside them is not level2.
    pytest.param("我是特级技师", {"skill_level": "principal"}, id="skill-principal-tejijishi (not 技师)"),
    pytest.param("我有首席技师证", {"skill_level": "principal"}, id="skill-principal-shouxijishi (not 技师)"),
    pytest.param("首席技师，今年52岁", {"skill_level": "principal", "age": 52}, id="skill-principal-with-age"),
    pytest.param("我是高级技师不是特级技师", {"skill_level": "level1"}, id="skill-level1-not-principal"),
    pytest.param("我的特级技师证书工种在紧缺目录里", {"skill_level": "principal", "skill_in_shortage_catalogue": T},
                 id="skill-principal-on-catalogue"),
    pytest.param("技能等级三级", {"skill_level": "level3"}, id="skill-level-three"),
    pytest.param("我是中级工", {"skill_level": "level4"}, id="skill-intermediate-worker"),
    pytest.param("中级电工证", {"skill_level": "level4"}, id="skill-trade-grade"),
    pytest.param("我初级职称，电工三级证", {"professional_title": "junior", "skill_level": "level3"},
                 id="title-and-skill"),
    pytest.param("英语四级", {}, id="skill-english-test-is-not-a-skill"),
    pytest.param("我的工种不在紧缺目录", {"skill_in_shortage_catalogue": F}, id="shortage-not-listed"),
    pytest.param("我是三级", {"skill_level": "level3"}, id="skill-bare-grade-about-myself"),
    pytest.param("我英语四级，是高级工", {"skill_level": "level3"}, id="skill-cet4-ignored"),
    pytest.param("技能等级没有，英语四级", {"skill_level": "none"}, id="skill-none"),
    pytest.param("我35岁，高中，技校毕业，持有高级电工证",
                 {"age": 35, "education": "high_school", "skill_level": "level3"}, id="skill-senior-electrician"),
]

WORK = [
    pytest.param("在园区上班", {"employed_in_suzhou": T, "target_area": "苏州工业园区"}, id="work-sip"),
    pytest.param("在相城区上班", {"employed_in_suzhou": T, "target_area": "相城区"}, id="work-xiangcheng"),
    pytest.param("在吴中区一个厂里做了八个月", {"employed_in_suzhou": T, "target_area": "吴中区"},
                 id="work-factory-months-are-not-insurance"),
    pytest.param("在苏州一家公司做销售", {"employed_in_suzhou": T}, id="work-suzhou-company"),
    pytest.param("没有工作", {"employed_in_suzhou": F}, id="work-none"),
    pytest.param("待业在家", {"employed_in_suzhou": F}, id="work-unemployed"),
    pytest.param("失业半年了", {"employed_in_suzhou": F}, id="work-lost-job"),
    pytest.param("想在园区找工作", {"target_area": "苏州工业园区"}, id="work-looking-is-not-working"),
    pytest.param("我不在园区上班", {"target_area": "苏州工业园区"}, id="work-negated"),
    pytest.param("在上海上班", {"employed_in_suzhou": F}, id="work-shanghai"),
    pytest.param("以前在上海上班，现在在园区上班", {"employed_in_suzhou": T, "target_area": "苏州工业园区"},
                 id="work-past-elsewhere-now-suzhou"),
    pytest.param("退休了", {"retired": T}, id="retired"),
    pytest.param("还没退休", {"retired": F}, id="not-retired"),
    pytest.param("我妈退休了", {}, id="retired-someone-else"),
    pytest.param("我是大专，今年34，在园区做了一年多，社保交了一年",
                 {"education": "associate", "age": 34, "employed_in_suzhou": T, "target_area": "苏州工业园区",
                  "social_insurance_months": 12}, id="work-did-a-year"),
    pytest.param("在苏州的医院做了手术", {}, id="work-surgery-is-not-a-job"),
    pytest.param("我在园区上班需要交社保吗", {"employed_in_suzhou": T, "target_area": "苏州工业园区"},
                 id="work-stated-insurance-asked"),
    pytest.param("我55了，刚退休", {"age": 55, "retired": T}, id="retired-just"),
    pytest.param("还有两年退休", {"retired": F}, id="retired-not-yet"),
    pytest.param("没在苏州上班", {"employed_in_suzhou": F}, id="work-not-in-suzhou"),
    pytest.param("我在苏州工作想读研", {"employed_in_suzhou": T}, id="work-wish-to-study-is-not-studying"),
]

INSURANCE = [
    pytest.param("社保一直在交", {"social_insurance_active": T}, id="si-paying"),
    pytest.param("公司给交社保", {"social_insurance_active": T}, id="si-employer-pays"),
    pytest.param("五险一金都有", {"social_insurance_active": T}, id="si-has"),
    pytest.param("社保断了", {"social_insurance_active": F}, id="si-stopped"),
    pytest.param("社保停了三个月", {"social_insurance_active": F}, id="si-gap-is-not-a-total"),
    pytest.param("社保没交", {"social_insurance_active": F}, id="si-not-paying"),
    pytest.param("从来没交过社保", {"social_insurance_months": 0, "social_insurance_active": F}, id="si-never"),
    pytest.param("社保交了5年零3个月", {"social_insurance_months": 63}, id="si-years-and-months"),
    pytest.param("已经交了两年社保", {"social_insurance_months": 24}, id="si-months-before-word"),
    pytest.param("社保交了一年半了，中间断过", {"social_insurance_months": 18, "social_insurance_active": T},
                 id="si-past-gap-still-paying"),
    pytest.param("社保快两年了", {}, id="si-nearly-two-years (under the threshold: ask)"),
    pytest.param("在现单位连续交了8个月社保",
                 {"social_insurance_consecutive_months": 8, "social_insurance_active": T},
                 id="si-consecutive-current-employer (total left out)"),
    pytest.param("社保交了三年，现单位交了一年半",
                 {"social_insurance_months": 36, "social_insurance_consecutive_months": 18,
                  "social_insurance_active": T}, id="si-total-and-current-employer"),
    pytest.param("社保连续交了两年", {"social_insurance_consecutive_months": 24}, id="si-lianxu"),
    pytest.param("我住在人才公寓，社保刚交了2个月",
                 {"housing": "public_housing", "social_insurance_months": 2,
                  "social_insurance_consecutive_months": 2, "social_insurance_active": T}, id="si-just-started"),
    pytest.param("南京交了两年社保", {"nanjing_social_insurance_months": 24}, id="si-nanjing"),
    pytest.param("社保在南京交了两年", {"nanjing_social_insurance_months": 24}, id="si-nanjing-after-word"),
    pytest.param("社保交了三年，在南京交了两年",
                 {"social_insurance_months": 36, "nanjing_social_insurance_months": 24}, id="si-suzhou-and-nanjing"),
    pytest.param("最近在上海交了半年社保", {"social_insurance_months_yrd_12m": 6}, id="si-yrd-recent"),
    pytest.param("最近半年在无锡交的社保", {"social_insurance_months_yrd_12m": 6}, id="si-yrd-recent-before"),
    pytest.param("在上海交了三年社保", {}, id="si-elsewhere-undated (not Suzhou, not known recent)"),
    pytest.param("在交社保", {"social_insurance_active": T}, id="si-paying-now"),
    pytest.param("社保停了", {"social_insurance_active": F}, id="si-halted"),
    pytest.param("社保交了３年", {"social_insurance_months": 36}, id="si-fullwidth-digit"),
    pytest.param("社保交满两年了", {"social_insurance_months": 24, "social_insurance_active": T}, id="si-full-two-years"),
    pytest.param("社保还没交满两年", {}, id="si-not-yet-two-years (a count under a threshold, not a stop)"),
    pytest.param("社保交了不到一年", {}, id="si-under-a-year (ask)"),
    pytest.param("社保交了一年多，断了两个月", {"social_insurance_months": 12, "social_insurance_active": F},
                 id="si-total-then-stopped"),
    pytest.param("我的社保是苏州的，交了两年了", {"social_insurance_months": 24, "social_insurance_active": T},
                 id="si-months-in-next-clause"),
    pytest.param("在园区工作，社保交了18个月，现单位连续12个月",
                 {"employed_in_suzhou": T, "target_area": "苏州工业园区", "social_insurance_months": 18,
                  "social_insurance_consecutive_months": 12}, id="si-total-and-consecutive"),
    pytest.param("老板给我交社保", {"social_insurance_active": T}, id="si-boss-pays"),
    pytest.param("社保一直在交，房租没交", {"social_insurance_active": T}, id="si-rent-unpaid-is-not-insurance"),
    pytest.param("社保交了一年多，后来断了", {"social_insurance_months": 12, "social_insurance_active": F},
                 id="si-later-stopped"),
    pytest.param("我今年28，之前在上海交了三年社保", {"age": 28},
                 id="si-shanghai-not-recent (今年 is about the age)"),
    pytest.param("社保连续交了两年，社保交了18个月", {},
                 id="si-contradiction (consecutive > total: both asked)"),
    pytest.param("我没有社保", {"social_insurance_active": F}, id="si-none-now (maybe a lapse: months asked)"),
    pytest.param("没交过社保", {"social_insurance_months": 0, "social_insurance_active": F}, id="si-never-guo"),
    pytest.param("在园区连续工作三年，社保交了两年",
                 {"employed_in_suzhou": T, "target_area": "苏州工业园区", "social_insurance_months": 24},
                 id="si-continuous-job-is-not-consecutive-insurance"),
    pytest.param("现单位连续12个月，社保交了两年",
                 {"social_insurance_consecutive_months": 12, "social_insurance_months": 24},
                 id="si-current-employer-lianxu"),
]

RESIDENCE_HOUSING = [
    pytest.param("没有居住证", {"residence_permit": "none"}, id="permit-none"),
    pytest.param("没办居住证", {"residence_permit": "none"}, id="permit-not-applied"),
    pytest.param("有居住证", {}, id="permit-has (where is not said: ask)"),
    pytest.param("居住证办了三年半", {"residence_months": 42}, id="permit-months-only"),
    pytest.param("我有昆山的居住证", {"residence_permit": "county", "target_area": "昆山市"}, id="permit-county-area"),
    pytest.param("园区的居住证，办了两年", {"residence_permit": "urban", "target_area": "苏州工业园区"},
                 id="permit-urban-area (duration in another clause: left out)"),
    pytest.param("市区居住证", {"residence_permit": "urban"}, id="permit-urban-word"),
    pytest.param("在苏州住了两年", {"residence_months": 24}, id="residence-lived"),
    pytest.param("来苏州三年了", {"residence_months": 36}, id="residence-came"),
    pytest.param("自己买的房子", {"housing": "own"}, id="housing-own-bought"),
    pytest.param("有房", {"housing": "own"}, id="housing-has-home"),
    pytest.param("房子是按揭买的", {"housing": "own"}, id="housing-mortgage"),
    pytest.param("想买房", {}, id="housing-wish-is-not-own"),
    pytest.param("租房备案了", {"housing": "rental_registered"}, id="housing-rental-registered"),
    pytest.param("租房没备案", {"housing": "rental_unregistered"}, id="housing-rental-unregistered"),
    pytest.param("租的房子", {}, id="housing-plain-rental (registered? ask)"),
    pytest.param("租的房子60平", {}, id="housing-rental-size-is-not-home-area"),
    pytest.param("住公司宿舍", {"housing": "collective"}, id="housing-dormitory"),
    pytest.param("公租房", {"housing": "public_housing"}, id="housing-public"),
    pytest.param("我今年45岁了，大专，想在张家港落户，在张家港有套房子100平方",
                 {"age": 45, "education": "associate", "target_area": "张家港市", "housing": "own",
                  "home_area_m2": 100.0}, id="housing-home-area"),
    pytest.param("我是本科，社保交了3年了，公司在园区，居住证有两年了，租房备案了",
                 {"education": "bachelor", "social_insurance_months": 36, "social_insurance_active": T,
                  "target_area": "苏州工业园区", "residence_months": 24, "housing": "rental_registered"},
                 id="several-facts (公司在园区 is not employment in so many words)"),
    pytest.param("有两年的居住证", {"residence_months": 24}, id="permit-years-before"),
    pytest.param("保障房", {"housing": "public_housing"}, id="housing-affordable"),
    pytest.param("我没有房子，住单位宿舍", {"housing": "collective"}, id="housing-no-home-dormitory"),
    pytest.param("在苏州住了快两年", {}, id="residence-nearly (under the threshold: ask)"),
]

SCHOOL_FAMILY = [
    pytest.param("苏州大学毕业", {"suzhou_college_graduate": T}, id="school-soochow-graduate"),
    pytest.param("在苏州读的大专", {"suzhou_college_graduate": T, "education": "associate"},
                 id="school-studied-in-suzhou"),
    pytest.param("毕业于西交利物浦", {"suzhou_college_graduate": T}, id="school-xjtlu"),
    pytest.param("在外地读的大学", {"suzhou_college_graduate": F}, id="school-elsewhere"),
    pytest.param("在苏州读研", {"studying_in_suzhou": T}, id="school-studying-now"),
    pytest.param("孩子在苏州上学", {}, id="school-child-is-not-me"),
    pytest.param("已婚", {"married": T}, id="married"),
    pytest.param("结婚了", {"married": T}, id="married-le"),
    pytest.param("未婚", {"married": F}, id="unmarried"),
    pytest.param("单身", {"married": F}, id="single"),
    pytest.param("没结婚", {"married": F}, id="not-married"),
    pytest.param("离婚了", {"married": F}, id="divorced"),
    pytest.param("我老婆是苏州户口", {"married": T, "spouse_suzhou_family_hukou": T}, id="spouse-hukou"),
    pytest.param("老公是集体户口", {"married": T, "spouse_suzhou_family_hukou": F}, id="spouse-collective-hukou"),
    pytest.param("老公是苏州人", {"married": T}, id="spouse-suzhou-native (hukou not said: ask)"),
    pytest.param("我爸妈是苏州户口有房子", {"parent_suzhou_family_hukou_with_home": T}, id="parents-hukou-home"),
    pytest.param("我爸爸65岁了，想来投靠我，我是苏州户口，也有房",
                 {"age": 65, "sex": "male", "child_suzhou_family_hukou_with_home": T}, id="proxy-father"),
    pytest.param("想给我爸在园区落户，他70了",
                 {"age": 70, "sex": "male", "target_area": "苏州工业园区"}, id="proxy-father-pronoun-age"),
    pytest.param("我爸妈60多了想投靠我", {}, id="proxy-both-parents (whose age and sex?)"),
    pytest.param("我有房有户口，能给我妈落户吗",
                 {"sex": "female", "child_suzhou_family_hukou_with_home": T}, id="proxy-mother-question"),
    pytest.param("女儿在苏州有房有户口，我想投靠她，我62了",
                 {"age": 62, "child_suzhou_family_hukou_with_home": T}, id="elderly-parent-herself"),
    pytest.param("我已经退休了，想跟女儿落户，女儿在园区有房，是苏州户口",
                 {"retired": T, "child_suzhou_family_hukou_with_home": T, "target_area": "苏州工业园区"},
                 id="retired-parent"),
    pytest.param("我80岁了，儿子有苏州户口", {"age": 80, "child_suzhou_hukou": T}, id="child-hukou-80"),
    pytest.param("孩子有苏州户口", {"child_suzhou_hukou": T}, id="child-hukou"),
    pytest.param("在苏州的学校上学", {"studying_in_suzhou": T}, id="school-at-school-in-suzhou"),
    pytest.param("我先生有苏州户口，公婆有房",
                 {"married": T, "spouse_suzhou_family_hukou": T, "spouse_side_owns_home": T}, id="spouse-in-laws-home"),
    pytest.param("我老公是苏州户口，但是他家没房",
                 {"married": T, "spouse_suzhou_family_hukou": T, "spouse_side_owns_home": F}, id="spouse-no-home"),
    pytest.param("我爱人在园区上班", {"married": T}, id="spouse-airen (her job and area are not mine)"),
    pytest.param("我今年60岁，女，想投靠女儿，女儿在吴中区有房子，苏州户口",
                 {"age": 60, "sex": "female", "child_suzhou_family_hukou_with_home": T, "target_area": "吴中区"},
                 id="elderly-mother-writes-herself"),
    pytest.param("苏州本科毕业", {"suzhou_college_graduate": T, "education": "bachelor"}, id="school-bachelor-in-suzhou"),
    pytest.param("苏大在读", {"studying_in_suzhou": T}, id="school-soochow-student"),
]

RECORD = [
    pytest.param("没有犯罪记录", {"serious_criminal_record": F, "sentence_months": 0}, id="crime-none"),
    pytest.param("判过一年有期徒刑", {"sentence_months": 12}, id="crime-sentence (serious? ask)"),
    pytest.param("拘役三个月", {"sentence_months": 3}, id="crime-detention"),
    pytest.param("被行政拘留过10天", {}, id="crime-administrative-detention-is-not-a-sentence"),
    pytest.param("被列为失信被执行人", {"dishonest_debtor": T}, id="debtor-listed"),
    pytest.param("不是失信人员", {"dishonest_debtor": F}, id="debtor-not"),
    pytest.param("我没有犯罪记录，也不是失信人员",
                 {"serious_criminal_record": F, "sentence_months": 0, "dishonest_debtor": F}, id="record-clean"),
    pytest.param("我上了失信名单", {"dishonest_debtor": T}, id="debtor-on-list"),
    pytest.param("坐了两年牢", {"sentence_months": 24}, id="crime-prison-colloquial"),
]

CASES = OPENINGS + NO_FACTS + AREAS + PERSON + EDUCATION + TITLES_SKILLS + WORK + INSURANCE \
    + RESIDENCE_HOUSING + SCHOOL_FAMILY + RECORD


@pytest.mark.parametrize("text, expected", CASES)
def test_extract_facts(text, expected):
    facts = extract_facts(text)
    assert facts == expected
    # and they are contract values: never as_of, types and values a profile accepts
    assert set(facts) <= set(PROFILE_FIELDS)
    parse_profile(facts)
    assert all(type(v) is float for k, v in facts.items() if k == "home_area_m2")


def test_openings_file_unchanged():
    assert load("openings.txt") == [p.values[0] for p in OPENINGS]


# --------------------------------------------------------------------------- spans

@pytest.mark.parametrize("text, expected", CASES)
def test_spans_agree_with_facts(text, expected):
    spans = fact_spans(text)
    assert {s["entity"]: s["value"] for s in spans} == extract_facts(text)
    for s in spans:
        assert 0 <= s["start"] < s["end"] <= len(text)
    assert [s["start"] for s in spans] == sorted(s["start"] for s in spans)


def test_span_offsets_index_the_original_text():
    text = "  我今年２８，  本科畢業，\t在園區上班，社保交了兩年多了  "
    got = {s["entity"]: text[s["start"]:s["end"]] for s in fact_spans(text)}
    assert got == {"age": "今年２８", "education": "本科畢業", "employed_in_suzhou": "在園區上班",
                   "target_area": "園區", "social_insurance_active": "社保交了兩年多了",
                   "social_insurance_months": "兩年多"}


def test_span_of_a_converted_value_is_its_group():
    text = "我高中毕业，在昆山买了套房子，90平"
    spans = {s["entity"]: text[s["start"]:s["end"]] for s in fact_spans(text)}
    assert spans["target_area"] == "昆山"
    assert spans["home_area_m2"] == "90平"
    assert spans["housing"] == "买了套房子"


# --------------------------------------------------------------------------- robustness and speed

ODD_INPUTS = [
    pytest.param("", id="empty"),
    pytest.param("   \n\t ", id="whitespace"),
    pytest.param(None, id="none"),
    pytest.param(28, id="int"),
    pytest.param("😀" * 10000, id="emoji-10k"),
    pytest.param("十" * 10000, id="numerals-10k"),
    pytest.param("社保" * 5000, id="keyword-10k"),
    pytest.param("没有" * 5000, id="negation-10k"),
    pytest.param("社保" + "，" * 9998, id="punctuation-10k"),
    pytest.param("The quick brown fox, master of none, 3 years old" * 200, id="english-10k"),
    pytest.param("\x00\ud800\uffff", id="control-and-lone-surrogate"),
    pytest.param("(((((([[[[{{{{**", id="regex-metacharacters"),
]


@pytest.mark.parametrize("text", ODD_INPUTS)
def test_never_raises(text, caplog):
    """No message breaks the extraction: fact_spans would swallow an exception and log it, so a run that
    logs nothing is a run in which nothing failed."""
    with caplog.at_level(logging.WARNING, logger="assistant.understanding.facts"):
        assert isinstance(extract_facts(text), dict)  # built on fact_spans
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def test_long_message_keeps_its_facts():
    text = "我今年28，本科毕业，在园区上班。" + "谢谢" * 5000
    assert extract_facts(text) == {"age": 28, "education": "bachelor", "employed_in_suzhou": T,
                                   "target_area": "苏州工业园区"}


# --------------------------------------------------------------------------- the table itself

def test_table_loads():
    table = load_table()
    assert len(table.rules) > 50


@pytest.mark.parametrize("rule, error", [
    ("{match: 'x', set: {as_of: '2024-01-01'}}", "unknown field 'as_of'"),
    ("{match: 'x', set: {education: phd}}", "not a contract value"),
    ("{match: 'x', set: {married: 'yes'}}", "not a contract value"),
    ("{match: 'x', set: {age: {age: g}}}", "not in every pattern"),
    ("{match: '{NOPE}', set: {}}", "unknown macro"),
    ("{match: '(', set: {}}", "bad regular expression"),
    ("{match: 'x', set: {}, in: [elsewhere]}", "unknown context"),
    ("{match: 'x', sets: {}}", "needs match and set"),
])
def test_malformed_table_is_rejected(tmp_path, rule, error):
    source = (Path(__file__).parents[1] / "assistant" / "understanding" / "facts.yml").read_text(encoding="utf-8")
    head = source[: source.index("\nrules:")]
    path = tmp_path / "facts.yml"
    path.write_text(f"{head}\nrules:\n  - {rule}\n", encoding="utf-8")
    with pytest.raises(FactsError, match=error):
        load_table(path)
