"""What a Prometheus server scrapes at `/metrics` (web.metrics serves it): counters of what
this process did since it started, and gauges of the queues, read from the database when
scraped. Names start with `interview_`; labels are channels and kinds, never people."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SENT = Counter("interview_messages_sent_total", "Messages, edits and files delivered",
               ["channel"])
DELIVERY_ERRORS = Counter("interview_delivery_errors_total",
                          "Sends a channel refused or that failed, by kind (retry_after, "
                          "transient, forbidden, permanent)", ["channel", "kind"])
DELIVERIES_RETRIED = Counter("interview_deliveries_retried_total",
                             "Sends that failed for a while and are tried again", ["channel"])
INBOX_PENDING = Gauge("interview_inbox_pending", "Updates stored and not yet answered")
INBOX_LAG = Gauge("interview_inbox_lag_seconds",
                  "How long the oldest update not yet answered has waited")
REMINDERS = Gauge("interview_reminders", "Reminders waiting to be sent (pending), and those "
                  "that failed in the last 24 hours (failed)", ["status"])
REMINDERS_LATE = Gauge("interview_reminders_late", "Pending reminders more than 5 minutes "
                       "past their due time (the dispatcher is behind or not running)")
RETRIED_KINDS = frozenset({"retry_after", "transient"})


def delivered(channel: str) -> None:
    SENT.labels(channel).inc()


def refused(channel: str, kind: str) -> None:
    DELIVERY_ERRORS.labels(channel, kind).inc()
    if kind in RETRIED_KINDS:
        DELIVERIES_RETRIED.labels(channel).inc()
