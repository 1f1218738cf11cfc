"""Who may use the read API: tokens an admin makes for a member of staff (they read what
that person may see), listed and revoked, each step audited; and the check of a token on
each call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import accounts, api_tokens, audit
from storage.models import ApiToken, User

MAX_DAYS = 366


class ApiError(Exception):
    """A call refused: the HTTP status, a stable code, and what was wrong."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class TokenError(ValueError):
    """A token request the admin can fix; the message says what is expected."""


@dataclass(frozen=True)
class Caller:
    token_id: int
    user: User

    @property
    def actor(self) -> str:
        return f"{accounts.actor_of(self.user)}/token:{self.token_id}"


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    user_id: int
    user_name: str
    role: str
    expires_at: datetime
    revoked_at: datetime | None


async def create_token(session: AsyncSession, *, user_id: int, name: str, days: int,
                       actor: str, channel: str, now: datetime) -> tuple[TokenView, str]:
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"--days {days}: a token lives 1 to {MAX_DAYS} days")
    name = " ".join(name.split())
    if not 1 <= len(name) <= 100:
        raise TokenError("--name: say what the token is for in 1 to 100 characters, "
                         "e.g. \"CRM sync\"")
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise TokenError(f"no active member of staff #{user_id}: `interview-bot users list` "
                         "shows their ids")
    token, raw = await api_tokens.create(session, user_id=user.id, name=name, actor=actor,
                                         expires_at=now + timedelta(days=days), now=now)
    await audit.append(session, at=now, actor=actor, action="api.token_add", entity="user",
                       entity_id=user.id, channel=channel)
    return _view(token, user), raw


def _view(token: ApiToken, user: User) -> TokenView:
    return TokenView(token.id, token.name, user.id, user.name, user.role, token.expires_at,
                     token.revoked_at)


async def tokens(session: AsyncSession) -> list[TokenView]:
    return [_view(t, u) for t, u in await api_tokens.listing(session)]


async def revoke_token(session: AsyncSession, token_id: int, *, actor: str, channel: str,
                       now: datetime) -> None:
    token = await session.get(ApiToken, token_id)
    if token is None:
        raise TokenError(f"no API token #{token_id}: `interview-bot api tokens` lists them")
    token.revoked_at = token.revoked_at or now
    await audit.append(session, at=now, actor=actor, action="api.token_revoke",
                       entity="user", entity_id=token.user_id, channel=channel)


async def authenticate(session: AsyncSession, header: str | None, now: datetime) -> Caller:
    """The caller behind `Authorization: Bearer ibt_…`, or a 401 saying what is wrong."""
    scheme, _, raw = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError(401, "no_token", "send the token as `Authorization: Bearer ibt_…` "
                                        "(an admin makes one: interview-bot api token add)")
    found = await api_tokens.holder(session, raw.strip())
    if found is None:
        raise ApiError(401, "bad_token", "this token is not known")
    token, user = found
    if token.revoked_at is not None:
        raise ApiError(401, "revoked", f"this token was revoked on {token.revoked_at:%Y-%m-%d}")
    if token.expires_at <= now:
        raise ApiError(401, "expired", f"this token expired on {token.expires_at:%Y-%m-%d}")
    if not user.active:
        raise ApiError(401, "inactive", "the person this token reads for has left the team")
    return Caller(token.id, user)
