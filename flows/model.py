"""The typed model of a flow file. `FlowFile.model_json_schema()` is the shipped JSON Schema."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

from flows.conditions import Condition

LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")]
# A plain string is the same text in every language; a mapping gives one text per language.
I18nText = str | dict[LanguageCode, str]
# Question ids are short so that buttons can carry them within Telegram's 64-byte limit.
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
ChoiceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$")]
Duration = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,3}[dwm]$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[\w:.-]{1,40}$")]


class Stage(StrEnum):
    BACKGROUND = "background"
    PAIN_POINT = "pain_point"
    IMPLICATION = "implication"
    NEED_PAYOFF = "need_payoff"


class QuestionType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    INTEGER = "integer"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    YES_NO = "yes_no"
    DATE = "date"
    PHONE = "phone"
    EMAIL = "email"
    SCALE = "scale"


CHOICE_TYPES = frozenset({QuestionType.CHOICE, QuestionType.MULTI_CHOICE})
NUMERIC_TYPES = frozenset({QuestionType.NUMBER, QuestionType.INTEGER, QuestionType.SCALE})
OTHER_CHOICE_ID = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Choice(_Strict):
    id: ChoiceId = Field(description="Stable id stored in the database; never translate it")
    label: I18nText


class Question(_Strict):
    id: QuestionId
    stage: Stage = Field(description="SPIN stage the question belongs to")
    section: str | None = Field(None, description="Free grouping, e.g. decision_process")
    type: QuestionType
    text: I18nText = Field(description="The question; `{other_id}` pipes an earlier answer")
    why: I18nText | None = Field(None, description="Why we ask, shown before the question")
    required: bool = Field(True, description="false lets the respondent /skip it")
    min: float | str | None = Field(None, description="Lowest number/scale value, or date")
    max: float | str | None = Field(None, description="Highest number/scale value, or date")
    min_length: Annotated[int, Field(ge=0, le=4000)] | None = None
    max_length: Annotated[int, Field(ge=1, le=4000)] | None = None
    pattern: str | None = Field(None, description="Regular expression a text answer must match")
    pattern_error: I18nText | None = Field(None, description="Shown when `pattern` fails")
    choices: list[Choice] | None = None
    other: bool = Field(False, description="Offer 'Other' with a free-text answer")
    min_label: I18nText | None = Field(None, description="Scale: meaning of the lowest value")
    max_label: I18nText | None = Field(None, description="Scale: meaning of the highest value")
    when: str | None = Field(None, description='Ask only if true, e.g. `budget_known == "no"`')
    maps_to: str | None = Field(None, description="Information-card field, e.g. deal.budget")
    confirm: bool = Field(False, description="Repeat the answer back and ask to confirm it")
    known: Literal["ask", "confirm", "skip", "refine"] = Field(
        "ask", description="When its `maps_to` field is already on the card: ask anyway, "
        "show the value to keep or change (confirm), do not ask (skip), or show it to keep "
        "or change only when it is vague and otherwise not ask (refine, the clean-up)")
    meaning: str | None = Field(
        None, description="What the answer means, for comparing the customer's word with the "
        "rep's record: answers to questions of the same `maps_to` and meaning are compared "
        "(default: the question id)")
    part: QuestionId | None = Field(
        None, description="The optional part this question belongs to: asked only after a "
        "yes to the question that `opens` it (a respondent who wants to say more opts in)")
    opens: QuestionId | None = Field(
        None, description="On a yes_no question: a yes opens the optional part of this name "
        "(its questions come after this one)")
    seed: list[Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[0-9]+$")]] = Field(
        default_factory=list, description="Items of the seed question bank this question "
        "carries, e.g. decision.2 (see flows/seed_banks.py)")

    _condition: Condition | None = PrivateAttr(None)

    @property
    def condition(self) -> Condition | None:
        # read straight from pydantic's private store: `self._condition` goes through
        # BaseModel.__getattr__, and the engine asks this for every question on every step
        private = self.__pydantic_private__
        return None if private is None else private.get("_condition")


class FollowUp(_Strict):
    after: Duration | None = Field(None, description="Follow up after 3d, 2w or 1m")
    on: QuestionId | None = Field(None, description="Follow up on the date a date question gave")
    note: I18nText | None = None


class Rule(_Strict):
    if_: str | None = Field(None, alias="if", description="Condition; absent means always")
    tags: list[Tag] = Field(default_factory=list)
    set: dict[str, str] = Field(default_factory=dict, description="Card fields to set")
    follow_up: FollowUp | None = None

    _condition: Condition | None = PrivateAttr(None)

    @property
    def condition(self) -> Condition | None:
        # read straight from pydantic's private store: `self._condition` goes through
        # BaseModel.__getattr__, and the engine asks this for every question on every step
        private = self.__pydantic_private__
        return None if private is None else private.get("_condition")


class Flow(_Strict):
    id: QuestionId
    title: I18nText
    description: I18nText | None = None
    audience: Literal["customer", "rep", "any"]
    version: Annotated[int, Field(ge=1)] | Annotated[str, StringConstraints(max_length=40)]
    questions: list[Question]
    on_complete: list[Rule] = Field(default_factory=list)

    _fingerprint: str = PrivateAttr("")
    _languages: tuple[str, ...] = PrivateAttr(())
    _warnings: tuple[Any, ...] = PrivateAttr(())  # FlowError: loaded, but worth a look
    _positions_cache: dict[str, int] | None = PrivateAttr(None)
    _conditions_cache: tuple[Condition | None, ...] | None = PrivateAttr(None)

    @property
    def fingerprint(self) -> str:
        """A short hash of the flow's content: interviews record it to notice edits."""
        if not self._fingerprint:
            payload = self.model_dump_json(by_alias=True).encode("utf-8")
            self._fingerprint = hashlib.sha256(payload).hexdigest()[:16]
        return self._fingerprint

    @property
    def languages(self) -> tuple[str, ...]:
        return self._languages

    def _positions(self) -> dict[str, int]:
        private = self.__pydantic_private__ or {}
        positions: dict[str, int] | None = private.get("_positions_cache")
        if positions is None or len(positions) != len(self.questions):
            positions = {q.id: i for i, q in enumerate(self.questions)}
            self._positions_cache = positions
        return positions

    def conditions(self) -> tuple[Condition | None, ...]:
        """Each question's condition, in order (the engine reads them on every step)."""
        private = self.__pydantic_private__ or {}
        found: tuple[Condition | None, ...] | None = private.get("_conditions_cache")
        if found is None or len(found) != len(self.questions):
            found = tuple(q.condition for q in self.questions)
            self._conditions_cache = found
        return found

    def question(self, question_id: str) -> Question:
        return self.questions[self._positions()[question_id]]

    def index_of(self, question_id: str) -> int:
        return self._positions()[question_id]


class FlowFile(_Strict):
    """One YAML file: the languages every text must be given in, and its flows."""

    languages: list[LanguageCode] = Field(default_factory=lambda: ["zh", "en"], min_length=1)
    flows: list[Flow]
