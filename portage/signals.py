"""What the core asks of the apps above it, which it does not know: each app answers from
its `AppConfig.ready`, connected with a `dispatch_uid` so that it is connected once."""

from dataclasses import dataclass, field

from django.dispatch import Signal

home_panels = Signal()
"""
Sent by `portage.views.dashboard` to build a member's home page, which is made of the
answers of every app (none replaces another's).

sender: the member's role, a `Role` member; an app connects with `sender=Role.X` for each
home it adds to.
Arguments: `request` (signed in, with its `tenant` and `membership`).
Answer: a list of `HomePanel` (an empty list when the app has nothing to show today).
"""


@dataclass(frozen=True)
class HomePanel:
    """One part of a home page: `template` rendered with `context` (and the request).

    The page shows its panels by `order`, the smallest first; two panels of the same order
    keep the order of their apps in INSTALLED_APPS. Each app picks its numbers from the
    table in docs/architecture.md ("The home pages"), so that what needs doing today comes
    before the figures and the lists. `place` is "body" for the page, or "heading" for a
    button beside the page's title.
    """

    order: int
    template: str
    context: dict = field(default_factory=dict)
    place: str = "body"
