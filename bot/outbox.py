"""What one framework handler produced for one update (handlers fill it; the worker sends it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from chat.actions import Action, AnswerCallback
from chat.delivery import Perform
from chat.incoming import Incoming
from conversation.handling import Conversation

log = logging.getLogger(__name__)


@dataclass
class Outbox:
    handled: bool = False
    actions: list[Action] = field(default_factory=list)
    error: BaseException | None = None

    async def run(self, conversation: Conversation, incoming: Incoming,
                  perform: Perform) -> None:
        """Handle one update; a pressed button is answered first, before the slow part."""
        self.handled = True
        try:
            if incoming.kind == "callback" and incoming.callback_id:
                notice = await conversation.button_notice(incoming)
                try:
                    await perform(AnswerCallback(incoming.callback_id, notice))
                except Exception as exc:  # an unanswered spinner must not cost the answer
                    log.info("answerCallbackQuery failed: %s", exc)
            self.actions = await conversation.handle(incoming)
        except Exception as exc:
            self.error = exc

    def result(self) -> tuple[bool, list[Action]]:
        if self.error is not None:
            raise self.error
        return self.handled, self.actions
