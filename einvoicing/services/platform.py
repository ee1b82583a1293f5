"""The company's plateforme agréée, as a connector."""

from einvoicing.connectors.base import get_connector
from einvoicing.models import PlatformAccount


def connector_of(account, **options):
    """The connector for the company's account: its API, or the manual one (files to upload
    on the platform's portal, statuses entered by a person)."""
    if account.connector == PlatformAccount.Connector.HTTP and account.api_base_url:
        return get_connector(
            "http",
            base_url=account.api_base_url,
            api_key=account.api_key,
            secret=account.api_secret,
            **options,
        )
    return get_connector("manual")


def uses_api(account):
    return account.connector == PlatformAccount.Connector.HTTP and bool(account.api_base_url)
