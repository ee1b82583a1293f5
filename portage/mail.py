"""Who an email sent for a company comes from: the company, never the platform.

The address must be one the company's domain lets the platform send from (its SPF record
names the platform's mail server, its DKIM key signs for it): that is the domain's, see the
README, "Mail". Without a sender address of its own, the company's emails leave from the
platform's address (`DEFAULT_FROM_EMAIL`), still under the company's name.
"""

from email.utils import formataddr, parseaddr

from django.conf import settings


def sender_of(tenant):
    """The From of an email sent for `tenant`: its sender name (or its legal name) and its
    sender address, else the platform's address under the company's name."""
    address = tenant.sender_email or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return formataddr((tenant.sender_name or tenant.legal_name, address))


def reply_to_of(tenant):
    """Where a client's answer to an email sent for `tenant` goes: the collections team's
    mailbox when the company set one, else nowhere but the From (an empty list)."""
    return [tenant.reply_to_email] if tenant.reply_to_email else []
