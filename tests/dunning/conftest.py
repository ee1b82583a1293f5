import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _services_speak_english():
    """Service messages are checked here in English, their source language; the French the
    pages show is checked in tests/portage/test_language.py and the PDF tests."""
    with translation.override("en"):
        yield
