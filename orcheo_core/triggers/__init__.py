"""Trigger logic with no I/O: cron math, webhook signatures and requests, the overlap guard.

Example::

    from orcheo_core.triggers import describe, next_fire_times, sign, verify

    next_fire_times("0 9 * * MON-FRI", "Europe/Berlin", after=time.time(), count=3)
    describe("0 9 * * MON-FRI")  # 'at 09:00 on Monday through Friday'
    header = sign(secret, body, int(time.time()))
    verify(header, body, secret, now=time.time())  # SignatureCheck, or WebhookAuthError
"""

from orcheo_core.triggers.cron import (
    CronExpression,
    describe,
    iter_fire_times,
    next_fire_times,
    resolve_timezone,
)
from orcheo_core.triggers.errors import (
    InvalidWebhookBodyError,
    MethodNotAllowedError,
    WebhookAuthError,
    WebhookError,
    WebhookPayloadTooLargeError,
)
from orcheo_core.triggers.overlap import should_fire
from orcheo_core.triggers.webhook import (
    SIGNATURE_HEADER,
    SignatureCheck,
    WebhookReply,
    accepted_reply,
    check_body_size,
    check_method,
    generate_secret,
    output_reply,
    parse_body,
    replay_error,
    sign,
    static_reply,
    verify,
    webhook_inputs,
)

__all__ = [
    "SIGNATURE_HEADER",
    "CronExpression",
    "InvalidWebhookBodyError",
    "MethodNotAllowedError",
    "SignatureCheck",
    "WebhookAuthError",
    "WebhookError",
    "WebhookPayloadTooLargeError",
    "WebhookReply",
    "accepted_reply",
    "check_body_size",
    "check_method",
    "describe",
    "generate_secret",
    "iter_fire_times",
    "next_fire_times",
    "output_reply",
    "parse_body",
    "replay_error",
    "resolve_timezone",
    "should_fire",
    "sign",
    "static_reply",
    "verify",
    "webhook_inputs",
]
