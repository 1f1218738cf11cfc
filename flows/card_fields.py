"""The customer information card (seed 003) as `maps_to` targets, and the answers each takes."""

from __future__ import annotations

import re
import unicodedata

from flows.model import QuestionType as T

_TEXTUAL = frozenset({T.TEXT, T.CHOICE})

CARD_FIELDS: dict[str, frozenset[T]] = {
    # the company
    "customer.name": frozenset({T.TEXT}),
    "customer.credit_code": frozenset({T.TEXT}),
    "customer.industry": _TEXTUAL,
    "customer.employees": frozenset({T.INTEGER, T.NUMBER}),
    "customer.revenue_band": _TEXTUAL,
    "customer.address": frozenset({T.TEXT}),
    "customer.website": frozenset({T.TEXT}),
    "customer.grade": frozenset({T.CHOICE}),
    "customer.priority": frozenset({T.CHOICE}),
    "customer.celebration": frozenset({T.DATE}),  # a yearly day: anniversary, celebration
    "customer.last_verified": frozenset({T.DATE}),  # the last quarterly check of the card
    # the person answering, or the person the rep met
    "contact.name": frozenset({T.TEXT}),
    "contact.title": frozenset({T.TEXT}),
    "contact.department": frozenset({T.TEXT}),
    "contact.phone": frozenset({T.PHONE}),
    "contact.email": frozenset({T.EMAIL}),
    "contact.messenger_id": frozenset({T.TEXT}),
    "contact.decision_role": frozenset({T.CHOICE}),
    "contact.birthday": frozenset({T.DATE}),
    # the opportunity
    "deal.need_type": frozenset({T.TEXT, T.CHOICE, T.MULTI_CHOICE}),
    "deal.need_description": frozenset({T.TEXT}),
    "deal.budget": frozenset({T.TEXT, T.CHOICE, T.NUMBER, T.INTEGER}),
    "deal.timeline": frozenset({T.TEXT, T.CHOICE, T.DATE}),
    "deal.decision_process": frozenset({T.TEXT}),
    "deal.competitors": frozenset({T.TEXT, T.MULTI_CHOICE}),
    "deal.next_step": frozenset({T.TEXT, T.CHOICE}),
    "deal.next_contact": frozenset({T.DATE}),
}

# The values a numeric field can hold (an answer outside is asked again, whatever the
# flow's own min/max say): a head count above ten million is a typo, not a company.
CARD_RANGES: dict[str, tuple[int, int]] = {
    "customer.employees": (0, 10_000_000),
}

# Values a rule's `set:` or a choice question may write into fields with a closed vocabulary.
CLOSED_VALUES: dict[str, frozenset[str]] = {
    "customer.grade": frozenset("ABCDE"),
    "customer.priority": frozenset({"high", "medium", "low"}),
    "contact.decision_role": frozenset({"decision_maker", "influencer", "user", "other"}),
}

# Fields an `on_complete` rule may `set:`.
RULE_SETTABLE = frozenset({"customer.grade", "customer.priority", "deal.next_step",
                           "customer.last_verified"})
# `set:` values that stand for a date, resolved when the rule applies
DATE_WORDS = frozenset({"today"})

# How card fields (and the completeness groups of flows.quality) are called on screen.
FIELD_LABELS: dict[str, dict[str, str]] = {
    "customer.name": {"zh": "公司名称", "en": "Company name"},
    "customer.credit_code": {"zh": "统一社会信用代码", "en": "Credit code"},
    "customer.industry": {"zh": "行业", "en": "Industry"},
    "customer.employees": {"zh": "员工人数", "en": "Employees"},
    "customer.revenue_band": {"zh": "营收规模", "en": "Revenue band"},
    "customer.size": {"zh": "规模（人数/营收）", "en": "Size (staff or revenue)"},
    "customer.address": {"zh": "地址", "en": "Address"},
    "customer.website": {"zh": "网站", "en": "Website"},
    "customer.grade": {"zh": "客户等级", "en": "Grade"},
    "customer.priority": {"zh": "优先级", "en": "Priority"},
    "customer.celebration": {"zh": "庆典日", "en": "Celebration day"},
    "customer.last_verified": {"zh": "上次核实", "en": "Last verified"},
    "contact.name": {"zh": "联系人", "en": "Contact"},
    "contact.title": {"zh": "职务", "en": "Title"},
    "contact.department": {"zh": "部门", "en": "Department"},
    "contact.phone": {"zh": "电话", "en": "Phone"},
    "contact.email": {"zh": "邮箱", "en": "Email"},
    "contact.messenger_id": {"zh": "微信/即时通讯", "en": "Messenger ID"},
    "contact.decision_role": {"zh": "决策角色", "en": "Decision role"},
    "contact.birthday": {"zh": "生日", "en": "Birthday"},
    "deal.need_type": {"zh": "需求类型", "en": "Need type"},
    "deal.need_description": {"zh": "需求描述（痛点）", "en": "Need (pain point)"},
    "deal.budget": {"zh": "预算范围", "en": "Budget"},
    "deal.timeline": {"zh": "采购时间", "en": "Timeline"},
    "deal.decision_process": {"zh": "决策流程", "en": "Decision process"},
    "deal.competitors": {"zh": "竞争对手", "en": "Competitors"},
    "deal.next_step": {"zh": "下一步", "en": "Next step"},
    "deal.next_contact": {"zh": "下次联系", "en": "Next contact"},
}

STAGE_LABELS: dict[str, dict[str, str]] = {
    "background": {"zh": "背景", "en": "Situation"},
    "pain_point": {"zh": "难点", "en": "Problem"},
    "implication": {"zh": "暗示", "en": "Implication"},
    "need_payoff": {"zh": "需求效益", "en": "Need-payoff"},
}


def field_label(field: str, lang: str) -> str:
    names = FIELD_LABELS.get(field)
    return names.get(lang, names["en"]) if names else field


def stage_label(stage: str, lang: str) -> str:
    names = STAGE_LABELS.get(stage)
    return names.get(lang, names["en"]) if names else stage


# what people call a field, besides its label and id: spreadsheet headers, /edit, the CLI
FIELD_ALIASES: dict[str, list[str]] = {
    "customer.name": ["公司名称", "客户名称", "企业名称", "单位名称", "公司", "客户", "company",
                      "companyname", "customer", "customername", "name"],
    "customer.credit_code": ["统一社会信用代码", "信用代码", "社会信用代码", "creditcode", "uscc"],
    "customer.industry": ["行业", "所属行业", "industry"],
    "customer.employees": ["员工人数", "人数", "员工数", "employees", "staff", "headcount"],
    "customer.revenue_band": ["营收规模", "年营业额", "营业额", "营收", "revenue", "revenueband"],
    "customer.address": ["地址", "公司地址", "办公地址", "address"],
    "customer.website": ["网站", "网址", "官网", "website", "web"],
    "customer.grade": ["客户等级", "等级", "级别", "grade"],
    "customer.priority": ["优先级", "priority"],
    "contact.name": ["联系人", "联系人姓名", "姓名", "contact", "contactname"],
    "contact.title": ["职务", "职位", "title", "position"],
    "contact.department": ["部门", "department"],
    "contact.phone": ["电话", "手机", "手机号", "手机号码", "联系电话", "phone", "mobile", "tel"],
    "contact.email": ["邮箱", "电子邮件", "电子邮箱", "email", "e-mail", "mail"],
    "contact.messenger_id": ["微信", "微信号", "微信号码", "wechat", "messenger", "messengerid"],
    "contact.decision_role": ["决策角色", "角色", "decisionrole", "role"],
    "contact.birthday": ["生日", "birthday"],
    "deal.need_type": ["需求类型", "needtype"],
    "deal.need_description": ["需求描述", "需求", "痛点", "need", "needdescription"],
    "deal.budget": ["预算", "预算范围", "budget"],
    "deal.timeline": ["采购时间", "采购时间表", "timeline"],
    "deal.decision_process": ["决策流程", "decisionprocess"],
    "deal.competitors": ["竞争对手", "竞品", "competitors"],
    "deal.next_step": ["下一步", "nextstep"],
    "contact.notes": ["备注", "notes", "note", "remarks"],
}


def name_key(name: str) -> str:
    """A field name or header as compared: width- and case-folded, without spaces,
    punctuation or a bracketed remark ("电话（必填）" is 电话)."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    return re.sub(r"[\s_:：*＊.·/\\-]", "", text)


def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for field in [*CARD_FIELDS, *FIELD_ALIASES]:
        for name in (field, field.split(".", 1)[1], *FIELD_LABELS.get(field, {}).values(),
                     *FIELD_ALIASES.get(field, [])):
            names.setdefault(name_key(name), field)
    return names


FIELD_NAMES = _names()


def field_named(name: str) -> str | None:
    """The card field a person means: its id (`contact.phone`, `phone`), its label in
    either language (电话, Phone) or a common alias (手机, 等级, 预算, mobile)."""
    return FIELD_NAMES.get(name_key(name))
