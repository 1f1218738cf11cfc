"""What the command line says to people, in Chinese and English: `--lang`, else the
INTERVIEW_LANGUAGE setting (zh by default). Errors for operators stay in English."""

from __future__ import annotations

from flows.i18n import from_catalog, normalise_language
from services import record_merge as merge_words

WORDS: dict[str, dict[str, str]] = {
    "note_saved": {"zh": "备注已保存到 {customer}。", "en": "Note saved on {customer}."},
    "next_revisit": {"zh": "下次回访：{day}", "en": "Next revisit: {day}"},
    "no_customers": {"zh": "还没有客户。", "en": "No customers yet."},
    "list_header": {"zh": "编号\t名称\t等级\t优先级\t负责人\t最近联系",
                    "en": "id\tname\tgrade\tpriority\towner\tlast contact"},
    "erased": {"zh": "已删除：{items}", "en": "Erased: {items}"},
    "erased_nothing": {"zh": "没有其他内容", "en": "nothing else"},
    "anonymous": {"zh": "；该记录已匿名化。", "en": "; the record is now anonymous."},
    "closed": {"zh": "{customer} 已关闭：不再安排回访。", "en": "{customer} is closed: no more revisits."},
    "assigned": {"zh": "{owner} 现在负责：{customers}", "en": "{owner} now owns: {customers}"},
    "imported": {"zh": "已导入。", "en": "Imported."},
    "dry_run": {"zh": "试运行：没有做任何修改。", "en": "Dry run: nothing was changed."},
    "created": {"zh": "新建客户 {n} 家", "en": "{n} new customer(s) created"},
    "would_create": {"zh": "将新建客户 {n} 家", "en": "{n} new customer(s) would be created"},
    "merged": {"zh": "合并到已有客户的行 {n} 行", "en": "{n} row(s) merged into a customer already known"},
    "would_merge": {"zh": "将合并到已有客户的行 {n} 行",
                    "en": "{n} row(s) would be merged into a customer already known"},
    "others": {"zh": "与其他销售负责的客户相同的行 {n} 行（未导入，请与负责人或主管沟通）",
               "en": "{n} row(s) match another rep's customer (not imported: ask the owner "
                     "or a manager)"},
    "kept": {"zh": "与记录不同的值 {n} 个（保留原记录）",
             "en": "{n} value(s) differ from what is on record (kept as recorded)"},
    "ignored_columns": {"zh": "未识别的列（已忽略）：{columns}",
                        "en": "columns not recognised (ignored): {columns}"},
    "removed.inbox": {"zh": "{n} 条收到的消息", "en": "{n} messages received"},
    "removed.accounts": {"zh": "{n} 个聊天账号", "en": "{n} chat accounts"},
}


def say(key: str, lang: str, **params: object) -> str:
    return from_catalog(WORDS, key, lang, **params)


def removed(kind: str, count: int, lang: str) -> str:
    """"3 answers", "3 条回答": the words a merge report uses for the same kinds of rows."""
    if kind in merge_words.TEXTS:
        return merge_words.say(kind, lang, n=count)
    return say(f"removed.{kind}", lang, n=count)


def cli_language(chosen: str | None, setting: str) -> str:
    """`--lang` when given, else the setting."""
    return normalise_language(chosen or setting)
