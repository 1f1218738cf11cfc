"""The same conversations through aiogram and python-telegram-bot, over real HTTP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from interview_bot.app import open_app
from storage import accounts
from storage.models import Consent, Customer, Interview
from tests import scripts
from tests.bot.harness import ADMIN, CUSTOMER, REP, BotUnderTest
from tests.scripts import script, shipped

# pre_meeting after the first question, typed: employees, business, name, title, role (1 =
# decision maker), phone skipped, problems, detail, hours, impact, decision people, time,
# other vendors no, gain, timeline within a month, reason, budget yes, range 3 + confirm, focus
FULL = script(shipped()["pre_meeting"], scripts.PRE_MEETING)
REST = FULL[2:]  # after the industry and the head count
REST_TO_PROBLEMS = FULL[:FULL.index("1,4")]  # up to the multi-choice of problems
# post_call up to the timeline: first visit, Zhang San, decision maker (confirmed), the
# situation only, notes, need type, approval steps and budget skipped, within a month
DEBRIEF_TO_TIMELINE = ["1", "Zhang San", "1", "yes", "1", "/skip", "/skip", "/skip", "/skip",
                       "1"]


async def invite_link(bot: BotUnderTest, customer: str = "Acme") -> str:
    await bot.add_staff(REP, "rep", "Wang Fang")
    reply = await bot.say(REP, f"/invite {customer}")
    if "Create it?" in reply:
        reply = await bot.tap(REP, "new:1")
    match = re.search(r"https://t\.me/\w+\?start=([\w-]+)", reply)
    assert match, reply
    return match.group(1)


async def test_customer_invite_consent_and_questionnaire(bot: BotUnderTest) -> None:
    token = await invite_link(bot)
    assert len(token) >= 22  # at least 128 random bits, base64url

    consent = await bot.say(CUSTOMER, f"/start {token}")
    assert "Wang Fang invites you" in consent and "Who sees your answers" in consent
    first = await bot.tap(CUSTOMER, "I agree, start")
    assert "Which industry is your company mainly in?" in first
    assert [label for label, _ in bot.api.last_buttons(CUSTOMER)][:2] == [
        "Manufacturing", "Retail and consumer goods"]

    second = await bot.tap(CUSTOMER, "Manufacturing")
    assert "Roughly how many people work at your company?" in second
    methods = [c.method for c in bot.api.calls]
    last_answer = len(methods) - 1 - methods[::-1].index("answerCallbackQuery")
    assert "sendMessage" in methods[last_answer:]  # the spinner is answered before the reply
    edits = bot.api.calls_of("editMessageText")
    assert edits and edits[-1].params["text"].endswith("✓ Manufacturing")

    wrong = await bot.say(CUSTOMER, "lots")
    assert "⚠️ Please enter a whole number between 1 and 1,000,000." in wrong
    await bot.say(CUSTOMER, "250")
    back = await bot.say(CUSTOMER, "/back")
    assert "Roughly how many people" in back and "(250)" in back
    await bot.say(CUSTOMER, "300")
    for answer in REST[:-1]:
        await bot.say(CUSTOMER, answer)
    before = len(bot.api.texts(REP))
    done = await bot.say(CUSTOMER, REST[-1])
    assert done.startswith("Thank you! The questionnaire is complete")
    await bot.api.wait_for(lambda: len(bot.api.texts(REP)) > before)
    assert bot.api.texts(REP)[-1].startswith("Acme completed “Before our meeting”")

    async with open_app(bot.settings) as app, app.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Acme"))
        assert customer is not None and customer.employees == 300
        assert customer.priority == "high" and customer.owner_id is not None
        consents = (await session.scalars(select(Consent))).all()
        assert [c.decision for c in consents] == ["accepted"]
        interview = await session.scalar(select(Interview))
        assert interview is not None and interview.status == "completed"


async def test_declining_consent_stores_nothing_but_the_refusal(bot: BotUnderTest) -> None:
    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    reply = await bot.tap(CUSTOMER, "No, thanks")
    assert reply.startswith("Understood: nothing will be stored.")
    async with open_app(bot.settings) as app, app.sessions() as session:
        assert [c.decision for c in (await session.scalars(select(Consent))).all()] == [
            "declined"]
        assert (await session.scalars(select(Interview))).all() == []
    assert await bot.answers() == []


@pytest.mark.wall_clock
async def test_withdrawing_consent_stops_questions_reminders_and_storing(
        bot: BotUnderTest) -> None:
    from storage import reminders
    from storage.models import Reminder

    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    await bot.tap(CUSTOMER, "I agree, start")
    await bot.tap(CUSTOMER, "Manufacturing")
    async with open_app(bot.settings) as app, app.sessions.begin() as session:
        await reminders.schedule(session, kind="invite_nudge", dedupe_key="nudge:test",
                                 due_at=bot.clock().replace(year=2030), now=bot.clock(),
                                 recipient_chat=CUSTOMER)
    assert (await bot.say(CUSTOMER, "/forget")).startswith("Consent withdrawn.")
    reply = await bot.say(CUSTOMER, "250")  # typed after withdrawing: not an answer
    assert reply.startswith("Hello! This bot serves invited customers")
    assert [a.question_id for a in await bot.answers()] == ["industry"]
    async with open_app(bot.settings) as app, app.sessions() as session:
        decisions = (await session.scalars(select(Consent.decision).order_by(Consent.id))).all()
        assert decisions == ["accepted", "withdrawn"]
        assert (await session.scalars(select(Interview.status))).all() == ["cancelled"]
        assert (await session.scalars(select(Reminder.status).where(
            Reminder.recipient_chat == CUSTOMER))).all() == ["cancelled"]


async def test_links_that_are_bad_or_someone_elses_reveal_nothing(bot: BotUnderTest) -> None:
    token = await invite_link(bot, "Secret Customer Ltd")
    await bot.say(CUSTOMER, f"/start {token}")  # the customer opens it first: it is theirs now
    for text in (f"/start {token}", "/start " + "x" * 43, f"/start {token[:-2]}"):
        reply = await bot.say(CUSTOMER + 1, text)
        assert reply.startswith("This link is not valid or has expired.")
        assert "Secret" not in reply


async def test_rep_debrief_creates_an_unknown_customer_on_request(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    offer = await bot.say(REP, "/debrief Newco Ltd")
    assert offer == "There is no customer “Newco Ltd”. Create it?"
    first = await bot.tap(REP, "new:1")
    assert "What kind of contact was this?" in first
    for answer in DEBRIEF_TO_TIMELINE:
        await bot.say(REP, answer)
    confirm = await bot.tap(REP, "Yes")  # the timeline is repeated back for confirmation
    assert "Which competitors" in confirm
    for answer in ["/skip", "1", "2", "/skip", "in 7 days"]:
        await bot.say(REP, answer)
    await bot.skip_rest(REP, await bot.tap(REP, "Yes"), "Debrief saved.")
    async with open_app(bot.settings) as app, app.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Newco Ltd"))
        assert customer is not None and customer.priority == "medium"
        assert customer.next_step == "send_proposal"


async def test_a_button_of_a_question_left_behind_changes_nothing_and_says_so(
        bot: BotUnderTest) -> None:
    """Issue 17 (1), in Telegram: an input carries the question it was given at (a button
    its question's index and the flow's fingerprint); one for a question the interview has
    left is refused with "moved on", and the current question is shown again."""
    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    await bot.tap(CUSTOMER, "I agree, start")
    old_message = bot.api.last_message_id(CUSTOMER)
    old_buttons = bot.api.last_buttons(CUSTOMER)
    await bot.say(CUSTOMER, "2")  # answered by typing; the buttons above are now stale
    stored = len(await bot.answers())
    bot.api.push_tap(CUSTOMER, old_message, old_buttons[0][1])
    await bot.api.wait_for(lambda: any(
        "This interview moved on in another window" in str(c.params.get("text"))
        and "how many people" in str(c.params.get("text"))
        for c in bot.api.calls_of("sendMessage")))
    assert len(await bot.answers()) == stored
    industry = [a for a in await bot.answers() if a.question_id == "industry"]
    assert [a.value for a in industry] == ["retail"]


async def test_commands_check_the_role(bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    assert await bot.say(REP, "/adduser 1234 admin Mallory") == "Only admins may use /adduser."
    assert (await bot.say(CUSTOMER, "/customers")).startswith("Hello! This bot serves")
    assert (await bot.say(CUSTOMER, "/debrief Acme")).startswith("Hello! This bot serves")
    added = await bot.say(ADMIN, "/adduser 7002 manager Li Na")
    assert added == "Added Li Na (manager)."
    assert (await bot.say(7002, "/customers")) == "You have no customers yet."


@pytest.mark.wall_clock
async def test_revoked_and_expired_links_are_refused(bot: BotUnderTest) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from storage import invites
    from storage.models import Invite

    revoked = await invite_link(bot, "Acme")
    async with open_app(bot.settings) as app, app.sessions.begin() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Acme"))
        assert customer is not None
        assert await invites.revoke_open(session, customer.id, bot.clock()) == 1
    expired = await invite_link(bot, "Acme")
    async with open_app(bot.settings) as app, app.sessions.begin() as session:
        await session.execute(update(Invite).where(Invite.revoked_at.is_(None))
                              .values(expires_at=bot.clock() - timedelta(seconds=1)))
    for token in (revoked, expired):
        reply = await bot.say(CUSTOMER, f"/start {token}")
        assert reply.startswith("This link is not valid or has expired.")


async def test_multi_choice_buttons_toggle_and_done(bot: BotUnderTest) -> None:
    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    await bot.tap(CUSTOMER, "I agree, start")
    for answer in REST_TO_PROBLEMS:
        prompt = await bot.say(CUSTOMER, answer)
    assert "Which problems come up most often" in prompt
    for label in ("☐ Costs are too high", "☐ Too much manual work"):
        data = next(d for text, d in bot.api.last_buttons(CUSTOMER) if text == label)
        before = len(bot.api.calls_of("editMessageText"))
        bot.api.push_tap(CUSTOMER, bot.api.last_message_id(CUSTOMER), data)
        await bot.api.wait_for(
            lambda edits=before: len(bot.api.calls_of("editMessageText")) > edits)
    markup = bot.api.calls_of("editMessageText")[-1].params["reply_markup"]
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert "☑ Costs are too high" in labels and "☑ Too much manual work" in labels
    done = next(b["callback_data"] for row in markup["inline_keyboard"] for b in row
                if b["text"] == "Done ✓")
    before = len(bot.api.texts(CUSTOMER))
    bot.api.push_tap(CUSTOMER, bot.api.last_message_id(CUSTOMER), done)
    await bot.api.wait_for(lambda: len(bot.api.texts(CUSTOMER)) > before)
    assert "Which one troubles you most?" in bot.api.texts(CUSTOMER)[-1]
    problems = [a for a in await bot.answers() if a.question_id == "current_problems"]
    assert [a.value for a in problems] == [["high_cost", "manual_work"]]


async def test_same_named_customers_get_buttons_and_card_shows_the_record(
        bot: BotUnderTest) -> None:
    await bot.add_staff(REP, "rep", "Wang Fang")
    async with open_app(bot.settings) as app, app.sessions.begin() as session:
        from storage import customers

        rep = await accounts_user(session)
        for _ in range(2):
            twin = await customers.create(session, "Twin Co", bot.clock(), owner_id=rep)
            twin.industry = "retail"
    pick = await bot.say(REP, "/card twin co")
    assert pick == "Several customers match “twin co”; pick one:"
    card = await bot.tap(REP, bot.api.last_buttons(REP)[1][0])
    assert card.startswith("🗂 Twin Co (#2)") and "Industry: Retail and consumer goods" in card


async def accounts_user(session) -> int:  # type: ignore[no-untyped-def]

    user = await accounts.user_at(session, REP)
    assert user is not None
    return int(user.id)


async def test_a_customer_corrects_an_answer_in_chat_and_the_rep_is_told(
        bot: BotUnderTest) -> None:
    """Issue 26: the customer's copy in chat (nothing skipped listed), then /correct within
    24 hours: the numbered answers, one changed, the card follows, the rep is told."""
    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    await bot.tap(CUSTOMER, "I agree, start")
    short = script(shipped()["pre_meeting"], {**scripts.PRE_MEETING, "say_more": "no",
                                              "meeting_focus": "/skip"})
    for answer in short[:-1]:
        await bot.say(CUSTOMER, answer)
    done = await bot.say(CUSTOMER, short[-1])
    assert "Manual entry" in done and "(skipped)" not in done
    assert done.endswith("To correct an answer, send /correct within 24 hours.")
    listing = await bot.say(CUSTOMER, "/correct")
    number = next(line.split(".")[0] for line in listing.splitlines()
                  if "Which one troubles you most?" in line)
    wrong = await bot.say(CUSTOMER, "/correct 99 something")
    assert "a number from 1 to" in wrong
    before = len(bot.api.texts(REP))
    fixed = await bot.say(CUSTOMER, f"/correct {number} Manual entry and double checks")
    assert "was: Manual entry\nnow: Manual entry and double checks" in fixed
    await bot.api.wait_for(lambda: any("corrected an answer" in t
                                       for t in bot.api.texts(REP)[before:]))
    told = next(t for t in bot.api.texts(REP)[before:] if "corrected an answer" in t)
    assert "was: Manual entry\n  now: Manual entry and double checks" in told
    async with open_app(bot.settings) as app, app.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Acme"))
        assert customer is not None
        assert customer.need_description == "Manual entry and double checks"


async def test_a_phone_question_offers_to_share_the_number(bot: BotUnderTest) -> None:
    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    await bot.tap(CUSTOMER, "I agree, start")
    # the short part, then "yes" to say more: the phone is asked in the second part
    for answer in FULL:
        prompt = await bot.say(CUSTOMER, answer)
        if "Could you leave a phone number?" in prompt:
            break
    assert "Could you leave a phone number?" in prompt
    markup = bot.api.sent(CUSTOMER)[-1].params["reply_markup"]
    assert markup["keyboard"][0][0]["request_contact"] is True
    before = len(bot.api.texts(CUSTOMER))
    bot.api.push_contact(CUSTOMER, "+86 138 0013 8000")
    await bot.api.wait_for(lambda: len(bot.api.texts(CUSTOMER)) > before)
    assert "An email address" in bot.api.texts(CUSTOMER)[-1]
    phone = [a.value for a in await bot.answers() if a.question_id == "phone"]
    assert phone == ["+8613800138000"]


async def test_a_photo_at_a_question_is_asked_for_in_words_and_a_group_is_not_read(
        bot: BotUnderTest) -> None:
    token = await invite_link(bot)
    await bot.say(CUSTOMER, f"/start {token}")
    await bot.tap(CUSTOMER, "I agree, start")
    await bot.tap(CUSTOMER, "Manufacturing")
    photo = {"message": {"message_id": 90, "date": 1_790_000_000,
                         "chat": {"id": CUSTOMER, "type": "private"},
                         "from": {"id": CUSTOMER, "is_bot": False, "first_name": "C",
                                  "language_code": "en"},
                         "photo": [{"file_id": "x", "file_unique_id": "y", "width": 9,
                                    "height": 9}]}}
    bot.api.push(photo)
    await bot.api.wait_for(lambda: "Only text can be read here" in bot.api.texts(CUSTOMER)[-1])
    group = {"message": {"message_id": 91, "date": 1_790_000_000, "text": "250",
                         "chat": {"id": -100, "type": "group", "title": "Sales"},
                         "from": {"id": CUSTOMER, "is_bot": False, "first_name": "C"}}}
    bot.api.push(group)
    # the next private answer is still the head count: neither the photo nor the group
    # message answered it
    reply = await bot.say(CUSTOMER, "250")
    assert "How should we address you?" in reply
    assert bot.api.texts(-100) == []
    async with open_app(bot.settings) as app, app.sessions() as session:
        customer = await session.scalar(select(Customer).where(Customer.name == "Acme"))
        assert customer is not None and customer.employees == 250
