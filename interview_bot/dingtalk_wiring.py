"""DingTalk in the bot process: the OpenAPI client (its token fetched at start, so wrong
credentials say so at once) and the Stream connection that brings messages into the inbox."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from chat.clock import Clock
from interview_bot.app import App
from interview_bot.settings import Settings

if TYPE_CHECKING:
    from bot.dingtalk_client import DingTalkClient

log = logging.getLogger(__name__)


async def start_dingtalk(settings: Settings, app: App, clock: Clock) -> DingTalkClient:
    from bot.channels import add_reader
    from bot.dingtalk_client import DingTalkClient
    from bot.dingtalk_protocol import CHANNEL, incoming_of

    ds = settings.dingtalk
    assert ds.client_secret is not None
    add_reader(CHANNEL, incoming_of)  # the inbox reads what the stream stores
    client = DingTalkClient(ds.client_id, ds.client_secret.get_secret_value(), ds.robot,
                            ds.openapi_endpoint, ds.oapi_endpoint, app.sessions, clock)
    try:
        await client.start()
    except Exception as exc:
        await client.close()
        raise ValueError(f"DingTalk at {ds.openapi_endpoint} did not give the robot a token "
                         f"({exc}): check DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET (the "
                         "app's Credentials page) and DINGTALK_OPENAPI_ENDPOINT") from exc
    return client


async def serve_dingtalk(settings: Settings, app: App, clock: Clock,
                         wake: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    """The Stream connection (outbound: no public address); returns what stops it."""
    from bot.dingtalk_stream import DingTalkIntake, StreamConnection

    ds = settings.dingtalk
    assert ds.client_secret is not None
    connection = StreamConnection(DingTalkIntake(app.sessions, clock, wake), ds.client_id,
                                  ds.client_secret.get_secret_value(), ds.openapi_endpoint)
    connection.start()
    log.info("DingTalk: stream connection through %s", ds.openapi_endpoint)
    return connection.stop
