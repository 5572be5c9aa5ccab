"""Outgoing mail: a worker draining the `emails` list in batches of up to 10."""

import json
import logging
import os
import smtplib
from email.message import EmailMessage

from k3sfn import Context, queue_trigger, serverless

logger = logging.getLogger(__name__)


@serverless(timeout=120, secrets=["smtp-credentials"])
@queue_trigger(queue_name="emails", queue_type="list", batch_size=10, queue_length=20, visibility_timeout=120)
async def send_emails(messages, context: Context) -> None:
    with smtplib.SMTP(os.environ["SMTP_HOST"], int(os.environ.get("SMTP_PORT", "587"))) as smtp:
        smtp.starttls()
        smtp.login(os.environ["SMTP_USERNAME"], os.environ["SMTP_PASSWORD"])
        for raw in messages:
            item = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
            mail = EmailMessage()
            mail["From"] = os.environ.get("MAIL_FROM", "noreply@example.com")
            mail["To"] = item["to"]
            mail["Subject"] = item["subject"]
            mail.set_content(item["body"])
            smtp.send_message(mail)
    logger.info("sent %d emails (invocation %s)", len(messages), context.invocation_id)
