"""An email backend whose SMTP server refuses everything (a real exception, raised by the
same code path as a real outage)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("SMTP server unavailable")
