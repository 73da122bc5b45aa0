"""How a force's records system proves who it is to the API: a bearer token."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import ApiClient
from accounts.selectors import api_client_for_token
from accounts.services import api_client_touch


class ApiClientAuthentication(BaseAuthentication):
    """`Authorization: Bearer tmc_<prefix>_<secret>`. Unknown, malformed and revoked
    tokens get the same 401, so a response says nothing about which it was."""

    keyword = b"bearer"

    def authenticate(self, request) -> tuple[ApiClient, None] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send one token: 'Authorization: Bearer …'."))
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            token = ""
        client = api_client_for_token(token)
        if client is None:
            raise AuthenticationFailed(_("The token is not valid or was revoked."))
        api_client_touch(client=client)
        return client, None

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe the bearer token in the OpenAPI schema (drf-spectacular)."""

    target_class = ApiClientAuthentication
    name = "apiClientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tmc_<prefix>_<secret>",
            "description": (
                "The token printed once by `manage.py create_api_client`. "
                "A revoked or unknown token gets 401."
            ),
        }
