"""Transports: the only code that talks to the outside. Each takes a rendered message and
either returns (the channel accepted it) or raises :class:`DeliveryError` with a one-line,
secret-free reason. Nothing here touches the store.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

import requests

from newsmon.alerts.config import AppriseChannel, Smtp, WebhookChannel, mask

USER_AGENT = "newsmon-alerts/1"


class DeliveryError(Exception):
    """The channel did not accept the message; the text is safe to log and store."""


def send_webhook(channel: WebhookChannel, body: dict[str, Any], key: str) -> None:
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "Idempotency-Key": key, **channel.resolved_headers()}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    try:
        resp = requests.post(channel.resolved_url(), data=data, headers=headers, timeout=channel.timeout,
                             allow_redirects=False)
    except requests.Timeout:
        raise DeliveryError(f"timed out after {channel.timeout:g}s") from None
    except requests.RequestException as exc:
        raise DeliveryError(mask(f"{type(exc).__name__}: {_first_line(exc)}")) from None
    with resp:
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(mask(f"HTTP {resp.status_code} {resp.reason or ''}".strip()))


def send_email(smtp: Smtp, message: EmailMessage) -> None:
    try:
        if smtp.ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                                     context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.starttls and not smtp.ssl:
                client.starttls(context=ssl.create_default_context())
            password = smtp.password()
            if smtp.username and password:
                client.login(smtp.username, password)
            refused = client.send_message(message)
            if refused:
                raise DeliveryError(f"recipients refused: {', '.join(sorted(refused))}")
    except DeliveryError:
        raise
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(mask(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}")) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(mask(f"SMTP {type(exc).__name__}: {_first_line(exc)}")) from None


def send_apprise(channel: AppriseChannel, title: str, body: str) -> None:
    """Through Apprise, which reports one boolean: its warnings are captured for the reason."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(channel.resolved_url()):
        raise DeliveryError("Apprise refused the URL")
    with apprise.LogCapture(level=logging.WARNING) as output:
        ok = notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
        captured = output.getvalue()
    if not ok:
        reason = next((ln.strip() for ln in reversed(captured.splitlines()) if ln.strip()), "notification failed")
        raise DeliveryError(mask(reason[:300]))


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())[:300]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
