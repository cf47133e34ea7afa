"""Stored secrets are encrypted with the environment's key, and rotate by putting a new key first."""
import pytest
from cryptography.fernet import Fernet

from portal.settings import apply_environment
from portal.webhooks.keys import KeyMissing, UnreadableSecret, decrypt, encrypt

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_a_secret_is_stored_encrypted_and_read_back():
    settings = {"portal.encryption_keys": Fernet.generate_key().decode()}
    stored = encrypt(settings, SECRET)
    assert SECRET not in stored and "MfKQ9r8" not in stored
    assert decrypt(settings, stored) == SECRET


def test_a_new_key_first_still_reads_what_the_old_one_wrote_and_a_dropped_key_reads_nothing():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = encrypt({"portal.encryption_keys": old}, SECRET)
    rotating = {"portal.encryption_keys": f"{new}, {old}"}
    assert decrypt(rotating, stored) == SECRET
    again = encrypt(rotating, SECRET)
    assert decrypt({"portal.encryption_keys": new}, again) == SECRET
    with pytest.raises(UnreadableSecret):
        decrypt({"portal.encryption_keys": new}, stored)


def test_without_a_key_nothing_is_stored_in_clear():
    with pytest.raises(KeyMissing):
        encrypt({}, SECRET)
    with pytest.raises(KeyMissing):
        encrypt({"portal.encryption_keys": " , "}, SECRET)


def test_the_key_comes_from_the_environment():
    key = Fernet.generate_key().decode()
    settings = apply_environment({}, {"PORTAL_ENCRYPTION_KEYS": key})
    assert decrypt(settings, encrypt(settings, SECRET)) == SECRET
