from django.conf import settings
from django.http import HttpRequest

from victims.portal import PORTAL_SESSION_KEY


def portal(request: HttpRequest) -> dict:
    """What every page's layout needs: where "Exit this page" goes, and whether to show
    the signed-in navigation (the session is read, not trusted: views check it)."""
    return {
        "exit_this_page_url": settings.EXIT_THIS_PAGE_URL,
        "victim_signed_in": hasattr(request, "session")
        and PORTAL_SESSION_KEY in request.session,
    }
