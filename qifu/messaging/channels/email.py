"""E-mail through Django's mail backends (SMTP in production, locmem in tests).

``QIFU_MSG_EMAIL_DJANGO_BACKEND`` picks a backend other than ``settings.EMAIL_BACKEND``;
``DEFAULT_FROM_EMAIL`` is the sender. Each message carries a stable Message-ID derived
from the delivery id, so a resend after a crash is recognisable as the same mail.
"""

from __future__ import annotations

import os
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from qifu.messaging.channels.base import Channel, Outgoing, Result


class DjangoMailChannel(Channel):
    name = "email"
    provider = "django_mail"
    default_rate = 10.0

    def __init__(self):
        self.backend = os.environ.get("QIFU_MSG_EMAIL_DJANGO_BACKEND") or settings.EMAIL_BACKEND

    def send(self, message: Outgoing) -> Result:
        domain = os.environ.get("QIFU_MSG_EMAIL_DOMAIN", "qifu.local")
        message_id = f"<qifu-{message.reference or 'x'}@{domain}>"
        mail = EmailMessage(
            subject=message.title or "消息通知",
            body=message.text + (f"\n\n{message.link}" if message.link else ""),
            to=[message.to],
            headers={"Message-ID": message_id},
        )
        try:
            sent = get_connection(self.backend).send_messages([mail])
        except smtplib.SMTPRecipientsRefused as exc:
            return Result(ok=False, provider=self.provider, code="recipient_refused", reason=str(exc)[:300])
        except (smtplib.SMTPException, OSError) as exc:
            return Result(ok=False, provider=self.provider, code="smtp", reason=str(exc)[:300], retryable=True)
        if not sent:
            return Result(ok=False, provider=self.provider, code="not_sent", reason="邮件未被接受", retryable=True)
        return Result(ok=True, provider=self.provider, provider_id=message_id, code="OK")
