"""The address of the person making a request, for rate limits and the audit trail."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's IP address, or None if it cannot be trusted as one.

    Behind TRUSTED_PROXY_COUNT proxies, each appending to X-Forwarded-For, the client
    is the entry that many places from the end: anything before it was written by the
    client and could be made up. With no proxies, it is the connecting address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) < proxies:
            return None
        candidate = forwarded[-proxies]
    else:
        candidate = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
