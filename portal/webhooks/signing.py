"""Standard Webhooks v1 (standardwebhooks.com): what a receiver checks with the reference library.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is ``v1,`` and the
standard base64 of its HMAC-SHA256 under the secret's bytes (the base64 after ``whsec_``). While a
secret is being rotated both sign, space-separated in one header, and a receiver accepts either.
"""
import base64
import hashlib
import hmac
import os

PREFIX = "whsec_"
SECRET_BYTES = 32  # the format asks for at least 24


def new_secret():
    """A new secret, standard base64 (the receivers' library drops the URL-safe alphabet's characters)."""
    return PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret):
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def signature(secret, message_id, timestamp, body):
    signed = f"{message_id}.{timestamp}.".encode("utf-8") + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secrets, message_id, timestamp, body):
    """The three headers of one attempt: the id stays the same on every retry (the receiver's idempotency
    key), the timestamp and the signatures are those of this attempt (receivers refuse stale ones)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets),
        "content-type": "application/json",
    }
