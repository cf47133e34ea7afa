"""Secrets the portal must read back (a webhook's signing secret), stored encrypted, never in clear.

The key comes from the environment (``PORTAL_ENCRYPTION_KEYS``, or ``portal.encryption_keys`` in the
ini): one or more Fernet keys separated by commas, the first encrypting and all of them decrypting, so
that a key is rotated by putting the new one first and dropping the old one once every secret has been
encrypted again. A key: ``python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'``.
"""
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SETTING = "portal.encryption_keys"


class KeyMissing(Exception):
    """No encryption key is configured: secrets can be neither stored nor read."""


class UnreadableSecret(Exception):
    """A stored secret none of the configured keys decrypts (a key was dropped too early)."""


def cipher(settings):
    keys = [key.strip() for key in (settings.get(SETTING) or "").split(",") if key.strip()]
    if not keys:
        raise KeyMissing(f"set {SETTING} (or PORTAL_ENCRYPTION_KEYS) to store secrets")
    return MultiFernet([Fernet(key.encode("ascii")) for key in keys])


def encrypt(settings, text):
    return cipher(settings).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(settings, token):
    try:
        return cipher(settings).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as error:
        raise UnreadableSecret("no configured key decrypts this secret") from error
