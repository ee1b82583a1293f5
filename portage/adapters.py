from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Users are invited by their company's admin: there is no public sign-up."""

    def is_open_for_signup(self, request):
        return False
