"""Secrets derived from TALLY_SECRET_KEY: token encryption at rest, and keyed delivery ids.

TALLY_SECRET_KEY may list several keys, comma-separated, newest first, so it can be rotated: put
the new key in front and restart (`tally serve` re-encrypts the stored installations with it at
start-up: `SlackInstallations.reencrypt`), then drop the old key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretKeyError(Exception):
    """The stored secret was encrypted with another key, or has been tampered with."""


def secret_keys(secret_key: str) -> list[str]:
    """The keys of a TALLY_SECRET_KEY value, newest first; blanks around commas are ignored."""
    return [key.strip() for key in secret_key.split(",") if key.strip()]


def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(("tally-token-key:" + key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class TokenCipher:
    """Fernet (AES-128-CBC with HMAC-SHA256); any passphrase becomes a 32-byte key through SHA-256.

    With several keys (MultiFernet) it encrypts with the first, the newest, and decrypts with any.
    A value that held a comma or blanks before keys could be listed was one key; it still decrypts
    what that key encrypted.
    """

    def __init__(self, secret_key: str) -> None:
        keys = secret_keys(secret_key)
        if not keys:
            raise ValueError("a secret key is required to encrypt tokens")
        if secret_key not in keys:
            keys.append(secret_key)  # decrypting only: the whole value as the single key it once was
        self._fernet = MultiFernet([_fernet(key) for key in keys])
        self._newest = _fernet(keys[0])
        self.has_older_keys = len(keys) > 1

    def is_current(self, ciphertext: str) -> bool:
        """Encrypted with the newest key: nothing to re-encrypt."""
        try:
            self._newest.decrypt(ciphertext.encode())
        except InvalidToken:
            return False
        return True

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError("stored secret can't be decrypted with TALLY_SECRET_KEY") from exc

    def rotate(self, ciphertext: str) -> str:
        """The same secret encrypted with the newest key (decrypted with whichever key fits)."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError("stored secret can't be decrypted with TALLY_SECRET_KEY") from exc

    def __repr__(self) -> str:
        return "TokenCipher(<hidden>)"


# Without a configured key (local trials), delivery ids are keyed for this process only.
_PROCESS_DELIVERY_KEY = secrets.token_bytes(32)


def delivery_hasher(secret_key: str) -> Callable[[str], str]:
    """Turns a platform's raw delivery id into the one stored: "d:" + 40 hex digits of an HMAC-SHA256.

    Keyed, so nobody holding only the database can recompute a delivery id from what a platform
    sends (a personal chat's id and a message time) and trace an anonymous report to its reporter.

    The key is derived, separately from the token key ("tally-delivery-id:" + key), from the FIRST,
    newest, key of TALLY_SECRET_KEY. So ids change when a new key is put in front: a redelivery
    straddling the rotation (platforms retry within minutes) is stored once more; rotation is rare
    and that is the whole cost. Deriving from an older key would keep ids stable only until that key
    is dropped, which is itself a rotation, and would keep keying new ids with the very key being
    retired, perhaps because it leaked. With no key at all, a random key for this process.
    """
    keys = secret_keys(secret_key)
    key = hashlib.sha256(("tally-delivery-id:" + keys[0]).encode()).digest() if keys else _PROCESS_DELIVERY_KEY

    def delivery_id(raw: str) -> str:
        return "d:" + hmac.new(key, raw.encode(), hashlib.sha256).hexdigest()[:40]

    return delivery_id
