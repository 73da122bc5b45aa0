"""The cookies the service sets, worked out from the settings that set them, so that
the cookies page cannot drift from what the service does."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str


def _minutes(seconds: int) -> str:
    minutes = seconds // 60
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {
        "count": minutes
    }


def _hours(seconds: int) -> str:
    hours = seconds // 3600
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def service_cookies() -> list[Cookie]:
    """Return every cookie the service can set; all are strictly necessary."""
    from victims.portal import session_cookie_seconds

    session_lifetime = (
        _("Until you close your browser or sign out.")
        if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
        else _hours(settings.SESSION_COOKIE_AGE)
    )
    cookies = [
        Cookie(
            name=settings.SESSION_COOKIE_NAME,
            purpose=_(
                "Keeps you signed in, and remembers which step of signing in you are "
                "on. It also holds a security token that stops other websites "
                "sending forms to this service in your name."
            ),
            lifetime=_(
                "%(session)s While you are signed in, it also expires "
                "%(minutes)s after your last activity."
            )
            % {
                "session": session_lifetime,
                "minutes": _minutes(session_cookie_seconds()),
            },
        )
    ]
    if not settings.CSRF_USE_SESSIONS:
        cookies.append(
            Cookie(
                name=settings.CSRF_COOKIE_NAME,
                purpose=_(
                    "Stops other websites sending forms to this service in your name."
                ),
                lifetime=_hours(settings.CSRF_COOKIE_AGE),
            )
        )
    if len(settings.LANGUAGES) > 1:
        cookies.append(
            Cookie(
                name=settings.LANGUAGE_COOKIE_NAME,
                purpose=_("Remembers the language you chose to read this service in."),
                lifetime=_("A year, or until you sign out."),
            )
        )
    return cookies
