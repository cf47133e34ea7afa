"""Signatures as a receiver checks them: with the Standard Webhooks reference library, not our own code."""
import base64
import json
import time
from datetime import datetime, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from portal.webhooks.signing import PREFIX, new_secret, secret_bytes, signature, signed_headers

BODY = json.dumps({"type": "ping", "timestamp": "2026-12-08T09:00:00+00:00", "data": {}}).encode()


def test_a_new_secret_is_standard_base64_of_32_random_bytes():
    secret = new_secret()
    assert secret.startswith(PREFIX)
    assert len(base64.b64decode(secret[len(PREFIX):], validate=True)) == 32
    assert new_secret() != secret


@pytest.mark.parametrize("attempt", range(20))
def test_the_reference_library_accepts_what_we_sign(attempt):
    secret, now = new_secret(), int(time.time())
    headers = signed_headers([secret], "msg_2pKcH8r1", now, BODY)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_a_tampered_body_another_secret_or_a_stale_timestamp_is_refused():
    secret, now = new_secret(), int(time.time())
    headers = signed_headers([secret], "msg_1", now, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"ping", b"pong"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    stale = signed_headers([secret], "msg_1", now - 600, BODY)  # a retry must sign with its own time
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, stale)


def test_while_a_secret_rotates_both_sign_and_a_receiver_with_either_accepts():
    old, new, now = new_secret(), new_secret(), int(time.time())
    headers = signed_headers([new, old], "msg_9", now, BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(BODY, headers) and Webhook(new).verify(BODY, headers)


def test_the_signature_is_the_reference_librarys_to_the_byte():
    secret = new_secret()
    moment = datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)
    ours = signature(secret, "msg_7", int(moment.timestamp()), BODY)
    assert ours == Webhook(secret).sign("msg_7", moment, BODY.decode())
    assert len(secret_bytes(secret)) == 32
