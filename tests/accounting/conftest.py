import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _services_speak_english():
    """Messages are checked in English, their source language."""
    with translation.override("en"):
        yield
