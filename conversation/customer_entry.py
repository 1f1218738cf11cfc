"""Customers arrive through an invite link, see who asks and why, and consent first."""

from __future__ import annotations

from chat.actions import Button, Send
from conversation.context import Ctx
from conversation.interview_replies import after_turn, mark_pressed
from conversation.texts import CONSENT_VERSION, consent_notice, say
from flows.i18n import pick
from services import questionnaire_journey as journey
from storage import consents, invites
from storage.models import Invite


async def open_invite(ctx: Ctx, token: str) -> None:
    """`/start <token>`: a clear refusal for any bad token, revealing nothing about anyone."""
    invite = await journey.open_in_chat(ctx.session, token, ctx.incoming.user_id,
                                        ctx.respondent, ctx.now)
    if invite is None:
        ctx.actions.append(Send(ctx.chat_id, say("invalid_link", ctx.lang)))
        return
    if await journey.finished(ctx.session, invite) is not None:
        ctx.actions.append(Send(ctx.chat_id, say("already_done", ctx.lang)))
        return
    decision = await consents.latest(ctx.session, ctx.incoming.user_id, invite.customer_id,
                                     CONSENT_VERSION)
    if decision == "accepted":
        await _begin(ctx, invite)
        return
    await _notice(ctx, invite, changed=decision == "outdated")


async def _notice(ctx: Ctx, invite: Invite, changed: bool) -> None:
    """The consent notice with Agree / Decline; `changed`: it is shown again because its
    wording changed since the customer agreed (they must agree to the new one)."""
    flow = ctx.flows[invite.flow_id]
    text = consent_notice(ctx.lang, await journey.inviter_name(ctx.session, invite),
                          pick(flow.title, ctx.lang), changed)
    buttons = ((Button(say("agree", ctx.lang), f"consent:{invite.id}.y"),
                Button(say("decline", ctx.lang), f"consent:{invite.id}.n")),)
    ctx.actions.append(Send(ctx.chat_id, text, buttons))


async def ask_again(ctx: Ctx) -> bool:
    """A customer answering an interview they agreed to under an older notice: nothing is
    taken; the new notice is shown to agree to first. False when that is not the case."""
    if ctx.user is not None:
        return False
    found = await invites.answered_by(ctx.session, ctx.respondent.key, ctx.incoming.user_id)
    if found is None or not invites.usable_by(found, ctx.incoming.user_id, ctx.now):
        return False
    decision = await consents.latest(ctx.session, ctx.incoming.user_id, found.customer_id,
                                     CONSENT_VERSION)
    if decision != "outdated":
        return False
    await _notice(ctx, found, changed=True)
    return True


async def answer_consent(ctx: Ctx, argument: str) -> bool:
    """A press on Agree/Decline; False when the button is not this person's to press."""
    invite_id, _, choice = argument.partition(".")
    invite = await invites.get(ctx.session, int(invite_id)) if invite_id.isdecimal() else None
    if (invite is None or choice not in ("y", "n")
            or invite.telegram_id != ctx.incoming.user_id
            or not invites.usable_by(invite, ctx.incoming.user_id, ctx.now)):
        return False
    accepted = choice == "y"
    await journey.decide_consent(ctx.session, invite, ctx.respondent, agreed=accepted,
                                 now=ctx.now, telegram_id=ctx.incoming.user_id,
                                 version=CONSENT_VERSION)
    mark_pressed(ctx, say("agree" if accepted else "decline", ctx.lang))
    if accepted:
        await _begin(ctx, invite)
    else:
        ctx.actions.append(Send(ctx.chat_id, say("declined", ctx.lang)))
    return True


async def forget(ctx: Ctx) -> None:
    """`/forget`: withdraw consent; unfinished interviews stop, nothing more is asked."""
    await journey.withdraw_consent(ctx.session, ctx.incoming.user_id, ctx.respondent,
                                   now=ctx.now, version=CONSENT_VERSION)
    ctx.actions.append(Send(ctx.chat_id, say("forgotten", ctx.lang)))


async def _begin(ctx: Ctx, invite: Invite) -> None:
    await after_turn(ctx, await journey.begin(ctx.interviews, ctx.session, invite,
                                              ctx.respondent, ctx.lang))

