"""Settings from environment variables and an optional `.env` file.

Sections map onto variable names by their first word: `DATABASE_URL` is
`database.url`, `TELEGRAM_BOT_TOKEN` is `telegram.bot_token`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from flows.loader import default_flow_dir


class DatabaseSettings(BaseModel):
    url: str = "sqlite+aiosqlite:///data/interviews.db"
    synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    echo: bool = False
    # PostgreSQL: the connections a process opens as it needs them and keeps (never more);
    # unset: storage.database.POOL_SIZE
    pool_size: int | None = Field(None, ge=1, le=1000)


class TelegramSettings(BaseModel):
    bot_token: SecretStr | None = None
    api_server: str | None = None  # a self-hosted Bot API server, e.g. http://127.0.0.1:8081
    webhook_url: str = ""  # public base URL; the bot listens on /telegram/webhook
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    poll_seconds: int = 25


class FeishuSettings(BaseModel):
    """Feishu (Lark) for reps and managers: an app from the developer console
    (open.feishu.cn, or open.larksuite.com for Lark) with its bot enabled."""

    app_id: str = ""  # FEISHU_APP_ID: cli_…; set, and the bot serves Feishu
    app_secret: SecretStr | None = None
    verification_token: SecretStr | None = None  # Events & Callbacks → Encryption strategy
    encrypt_key: SecretStr | None = None
    domain: str = "https://open.feishu.cn"  # FEISHU_DOMAIN: https://open.larksuite.com for Lark
    # FEISHU_MODE: "callback" (Feishu posts events to FEISHU_HOST:FEISHU_PORT/feishu/events,
    # which needs a public address) or "long" (the SDK's long connection: no public address)
    mode: Literal["callback", "long"] = "callback"
    host: str = "127.0.0.1"
    port: int = 8091

    @property
    def configured(self) -> bool:
        return bool(self.app_id)

    def problem(self) -> str | None:
        """What is missing for Feishu to work, in one line (None: nothing)."""
        if not self.configured:
            return None
        if self.app_secret is None:
            return "FEISHU_APP_ID is set but FEISHU_APP_SECRET is not (the app's secret)"
        if self.mode == "callback" and (self.verification_token is None
                                        or self.encrypt_key is None):
            return ("FEISHU_MODE=callback needs FEISHU_VERIFICATION_TOKEN and FEISHU_ENCRYPT_KEY "
                    "(Events & Callbacks → Encryption strategy in the developer console), so "
                    "that only Feishu's signed events are taken; or use FEISHU_MODE=long")
        return None


class DingTalkSettings(BaseModel):
    """DingTalk (钉钉) for reps and managers: an internal app with its robot enabled, in Stream
    mode (the bot connects out: no public address needed)."""

    client_id: str = ""  # DINGTALK_CLIENT_ID: the app's AppKey (Client ID); set: serve DingTalk
    client_secret: SecretStr | None = None  # DINGTALK_CLIENT_SECRET: AppSecret (Client Secret)
    robot_code: str = ""  # DINGTALK_ROBOT_CODE: the robot's code (default: the Client ID)
    # DINGTALK_OPENAPI_ENDPOINT: the OpenAPI and the stream's gateway (the SDK's own setting)
    openapi_endpoint: str = "https://api.dingtalk.com"
    oapi_endpoint: str = "https://oapi.dingtalk.com"  # DINGTALK_OAPI_ENDPOINT: media uploads

    @property
    def configured(self) -> bool:
        return bool(self.client_id)

    @property
    def robot(self) -> str:
        return self.robot_code or self.client_id

    def problem(self) -> str | None:
        """What is missing for DingTalk to work, in one line (None: nothing)."""
        if self.configured and self.client_secret is None:
            return ("DINGTALK_CLIENT_ID is set but DINGTALK_CLIENT_SECRET is not (the app's "
                    "Client Secret, on its Credentials page in the developer console)")
        return None


class ReminderSettings(BaseModel):
    enabled: bool = True  # the bot also plans and sends reminders
    per_second: float = 30.0  # Telegram allows about 30 messages a second per bot
    lease_seconds: int = 60  # a reminder claimed by a dispatcher that died is retried after
    policy_file: Path | None = None  # REMINDERS_POLICY_FILE: your own cadences and hours


class HookSettings(BaseModel):
    """Webhooks (`interview-bot hooks`): how long a receiver may take to answer, and when a
    delivery claimed by a process that died is tried again (on PostgreSQL; on SQLite the
    next dispatcher to start retries at once)."""

    timeout_seconds: float = Field(10.0, gt=0, le=120)
    lease_seconds: int = Field(60, ge=1)


class AdminSettings(BaseModel):
    # the first admins, before anyone can run /adduser: ADMIN_TELEGRAM_IDS=111,222
    telegram_ids: Annotated[list[int], NoDecode] = []

    @field_validator("telegram_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            parts = value.replace(",", " ").split()
            if bad := [v for v in parts if not v.lstrip("-").isdecimal()]:
                raise ValueError(f"{bad[0]!r} is not a Telegram user id: expected whole "
                                 "numbers separated by commas, e.g. 111,222")
            return [int(v) for v in parts]
        return value


class SecuritySettings(BaseModel):
    # SECURITY_ENCRYPTION_KEYS: Fernet keys, comma-separated, the newest first (older ones
    # only decrypt, until `interview-bot keys rotate` has re-encrypted everything)
    encryption_keys: Annotated[list[SecretStr], NoDecode] = []
    blind_index_key: SecretStr | None = None  # SECURITY_BLIND_INDEX_KEY, its own secret
    demo: bool = False  # SECURITY_DEMO=true: run without encryption, knowingly

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [v for v in value.replace(" ", ",").split(",") if v]
        return value


class MetricsSettings(BaseModel):
    """The bot's Prometheus listener (`METRICS_PORT`; off when unset). The web server serves
    /metrics on its own port."""

    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=1, le=65535)


class WebSettings(BaseModel):
    """The dashboard (`interview-bot web`)."""

    url: str = "http://127.0.0.1:8090"  # WEB_URL: the address people open (sign-in links)
    host: str = "127.0.0.1"
    port: int = 8090
    # WEB_WORKERS: server processes sharing the port (SO_REUSEPORT): the questionnaire's
    # phones and the dashboard spread over the machine's cores
    workers: int = Field(1, ge=1, le=64)


class InterviewSettings(BaseModel):
    language: Literal["zh", "en"] = "zh"
    # INTERVIEW_RETENTION_MONTHS: finished interviews of customers closed longer ago than
    # this are deleted (None: kept)
    retention_months: int | None = Field(None, ge=1, le=1200)
    timezone: str = "Asia/Shanghai"
    flows: list[Path] = [default_flow_dir()]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as "
                             "Asia/Shanghai") from None
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", env_nested_delimiter="_",
        env_nested_max_split=1, extra="ignore",
    )
    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings = TelegramSettings()
    feishu: FeishuSettings = FeishuSettings()
    dingtalk: DingTalkSettings = DingTalkSettings()
    admin: AdminSettings = AdminSettings()
    reminders: ReminderSettings = ReminderSettings()
    hooks: HookSettings = HookSettings()
    interview: InterviewSettings = InterviewSettings()
    security: SecuritySettings = SecuritySettings()
    web: WebSettings = WebSettings()
    metrics: MetricsSettings = MetricsSettings()
