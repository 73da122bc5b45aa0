from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.services import audit_client_address
from trackmycrime.client_ip import client_ip


class AuditClientAddressMiddleware:
    """Put the client's address (trackmycrime.client_ip, which knows the proxies)
    on every audit row written while serving the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_client_address(client_ip(request)):
            return self.get_response(request)
