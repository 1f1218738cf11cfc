"""DingTalk in the bot process: the OpenAPI client (its token fetched at start, so wrong
credentials say so at once) and the Stream connection that brings messages into the inbox."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from chat.clock import Clock
from chat.delivery import DeliveryError
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
    except DeliveryError as exc:
        await client.close()
        raise ValueError(start_problem(exc, ds.openapi_endpoint)) from exc
    return client


def start_problem(exc: DeliveryError, endpoint: str) -> str:
    """Why DingTalk gave the robot no token, in one line."""
    if exc.kind == "transient" and "/" not in exc.detail.split(":")[0]:
        reason = exc.detail.removeprefix("DingTalk: ").split(":")[0]
        return (f"cannot reach DingTalk at {endpoint} ({reason}): check "
                "DINGTALK_OPENAPI_ENDPOINT and the network")
    return (f"DingTalk at {endpoint} refused DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET "
            f"({exc.detail}): copy both from the app's Credentials page in the developer "
            "console")


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
