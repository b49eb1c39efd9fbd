"""Encrypts platform tokens at rest with a key derived from TALLY_SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretKeyError(Exception):
    """The stored secret was encrypted with another key, or has been tampered with."""


class TokenCipher:
    """Fernet (AES-128-CBC with HMAC-SHA256); any passphrase becomes a 32-byte key through SHA-256."""

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to encrypt tokens")
        digest = hashlib.sha256(("tally-token-key:" + secret_key).encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError("stored secret can't be decrypted with TALLY_SECRET_KEY") from exc

    def __repr__(self) -> str:
        return "TokenCipher(<hidden>)"
