from portage.permissions import Perm, has_perm


def navigation(request):
    """What the base layout needs: the active tenant, the switcher, the links the role allows."""
    membership = getattr(request, "membership", None)
    return {
        "active_tenant": getattr(request, "tenant", None),
        "active_membership": membership,
        "user_memberships": getattr(request, "memberships", []),
        "perms_now": {perm.name: has_perm(membership, perm) for perm in Perm},
    }
