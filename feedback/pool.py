"""Sealing answers while they wait in the pool: AES-GCM with a random nonce and a
key the database never holds (FEEDBACK_POOL_KEY, or one derived from SECRET_KEY).

Not Fernet: a Fernet token carries its creation time in the clear, and the pool must
not hold a time.
"""

import base64
import json
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.utils.crypto import salted_hmac

_AAD = b"trackmycrime.feedback.pool.v1"


def _key() -> bytes:
    secret = settings.FEEDBACK_POOL_KEY or settings.SECRET_KEY
    return salted_hmac(
        "trackmycrime.feedback.pool", "key", secret=secret, algorithm="sha256"
    ).digest()


def pool_seal(payload: dict) -> str:
    """Return `payload` encrypted, as text for the pool's column."""
    nonce = os.urandom(12)
    data = json.dumps(payload, separators=(",", ":")).encode()
    return base64.b64encode(nonce + AESGCM(_key()).encrypt(nonce, data, _AAD)).decode()


def pool_open(sealed: str) -> dict:
    """Return the payload sealed by `pool_seal`; raise if it was tampered with."""
    raw = base64.b64decode(sealed)
    return json.loads(AESGCM(_key()).decrypt(raw[:12], raw[12:], _AAD))
