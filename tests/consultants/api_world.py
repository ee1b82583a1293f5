"""This app's objects of one company, for the API's cross-company walk
(tests/portage/test_api.py): one id per route basename of the app's `api_urls.routes`."""

from tests.factories import make_consultant


def build(tenant):
    consultant = make_consultant(tenant)
    return {"consultant": consultant.pk, "activity-account": consultant.pk}
