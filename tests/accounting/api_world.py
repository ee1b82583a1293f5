"""This app's objects of one company, for the API's cross-company walk
(tests/portage/test_api.py): one id per route basename of the app's `api_urls.routes`."""


def build(tenant):
    return {}
