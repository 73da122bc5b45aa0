from rest_framework.permissions import BasePermission

from accounts.models import ApiClient


class IsApiClient(BasePermission):
    """Only a force's records system, signed in with its token, uses the API."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ApiClient)
