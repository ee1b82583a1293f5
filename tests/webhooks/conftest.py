import pytest

from portage.tenancy import tenant_context
from tests.webhooks.receiver import Receiver
from webhooks import services, tasks


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def subscribe():
    """`subscribe(tenant, receiver, events, by)`: an endpoint of the company pointing at the
    receiver, which then verifies with its secret."""

    def make(tenant, receiver, events, by=None):
        with tenant_context(tenant):
            endpoint = services.endpoint_create(
                tenant=tenant, url=receiver.url, events=events, by=by, description="Compta"
            )
        receiver.secret = endpoint.secret
        return endpoint

    return make


@pytest.fixture
def tasks_run_at_once(monkeypatch, django_capture_on_commit_callbacks):
    """`with tasks_run_at_once():` commits as a request would, and each delivery task it
    enqueues runs at once in this process, through the task function."""
    monkeypatch.setattr(tasks.deliver_task, "delay", lambda **kwargs: tasks.deliver_task(**kwargs))
    return lambda: django_capture_on_commit_callbacks(execute=True)
