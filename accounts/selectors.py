import hmac
import re

from accounts.models import ApiClient
from accounts.services import API_TOKEN_PREFIX, api_secret_hash

_TOKEN = re.compile(rf"{API_TOKEN_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_\-]{{43}})")


def api_client_for_token(token: str) -> ApiClient | None:
    """Return the live (not revoked) client whose token this is, or None."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    key_prefix, secret = match.groups()
    client = (
        ApiClient.objects.select_related("force")
        .filter(key_prefix=key_prefix, revoked_at=None)
        .first()
    )
    if client is None or not hmac.compare_digest(
        client.secret_hash, api_secret_hash(secret)
    ):
        return None
    return client
