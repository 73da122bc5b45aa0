from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import ApiClient


class IsApiClient(BasePermission):
    """Only a force's records system, signed in with its token, uses the API."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ApiClient)


def api_client(request: Request) -> ApiClient:
    """Return the records system making the request; IsApiClient lets no one else
    reach a view."""
    client = request.user
    if not isinstance(client, ApiClient):
        raise PermissionDenied
    return client
