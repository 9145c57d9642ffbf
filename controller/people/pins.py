"""PINs and passwords: checked for length, hashed with scrypt, compared in constant time.

scrypt (RFC 7914, in Python's hashlib through OpenSSL) is memory-hard, so a stolen store's
hashes cost an attacker memory as well as time per guess; the parameters are stored with
each hash so that they can be raised later without locking anyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PIN_MIN, PIN_MAX = 4, 64
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # 16 MiB and about 50 ms a hash
SALT_BYTES, KEY_BYTES = 16, 32
SCHEME = "scrypt"


class PinError(ValueError):
    """A PIN that may not be used; the message says why."""


def check_new_pin(pin: str, name: str) -> None:
    if not PIN_MIN <= len(pin) <= PIN_MAX:
        raise PinError(f"a PIN has {PIN_MIN} to {PIN_MAX} characters")
    if pin.strip() != pin:
        raise PinError("a PIN may not start or end with a space")
    if pin.lower() == name.strip().lower():
        raise PinError("a PIN may not be the account's name")
    if len(set(pin)) == 1:
        raise PinError("a PIN may not repeat one character")


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"{SCHEME}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != SCHEME:
            return False
        found = _scrypt(pin, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(found, bytes.fromhex(key))


def spend_a_hash(pin: str) -> None:
    """The time a real check takes, for an unknown name: the answer must not tell names."""
    _scrypt(pin, b"\0" * SALT_BYTES, SCRYPT_N, SCRYPT_R, SCRYPT_P)


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * r * n, dklen=KEY_BYTES
    )


def new_token() -> str:
    """A token for a script's token file: 256 random bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are stored only as their SHA-256 (a token has full entropy; no KDF needed)."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
