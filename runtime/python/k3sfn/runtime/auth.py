"""HTTP authentication the runtime enforces: `api_key` or `jwt`, keys from a mounted Secret.

The Secret is mounted at K3SFN_AUTH_DIR (default /var/run/secrets/k3sfn-auth):
- `api_key`: the file `api-key`, one key per line (several lines allow rotation).
- `jwt`: `jwks.json` (a JWK Set), else `jwt-key`: a PEM public key or certificate (RS*, PS*,
  ES*, EdDSA) or, when not PEM, an HMAC secret (HS*; surrounding whitespace stripped).
Kubernetes updates mounted Secrets in place, so the files are re-read when they change
(checked at most every RELOAD_SECONDS).
"""

from __future__ import annotations

import hmac
import logging
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .invoke import StartupError

log = logging.getLogger("k3sfn.runtime.auth")

DEFAULT_DIR = "/var/run/secrets/k3sfn-auth"
RELOAD_SECONDS = 10.0

# The result of a check: the claims (jwt), True (api key), or the refusal to send.
Outcome = Union[Dict[str, Any], bool, Response]


class _Watched:
    """A file's parsed content, re-parsed when its modification time or size changes."""

    def __init__(self, path: Path, parse: Callable[[bytes], Any]) -> None:
        self.path = path
        self.parse = parse
        self.stamp: Any = None
        self.checked = 0.0
        self.value = self._load()  # at startup: errors are StartupErrors

    def _load(self) -> Any:
        try:
            stat = self.path.stat()
            data = self.path.read_bytes()
        except OSError as error:
            raise StartupError(f"cannot read {self.path}: {error.strerror or error}") from None
        value = self.parse(data)
        self.stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        return value

    def get(self) -> Any:
        now = time.monotonic()
        if now - self.checked >= RELOAD_SECONDS:
            self.checked = now
            try:
                stat = self.path.stat()
                if (stat.st_mtime_ns, stat.st_size, stat.st_ino) != self.stamp:
                    self.value = self._load()
                    log.info("reloaded %s", self.path)
            except (OSError, StartupError, ValueError) as error:
                # Keep the last good keys rather than refusing everyone during a rotation.
                log.warning("keeping the previous keys: %s", error)
        return self.value


def _refuse(detail: str, scheme: Optional[str] = None) -> Response:
    headers = {"WWW-Authenticate": scheme} if scheme else None
    return JSONResponse({"error": "Unauthorized", "detail": detail}, status_code=401, headers=headers)


def api_key(directory: Path, header: str) -> Callable[[Request], Outcome]:
    def parse(data: bytes) -> List[bytes]:
        keys = [line.strip() for line in data.splitlines() if line.strip()]
        if not keys:
            raise StartupError(f"{directory / 'api-key'} holds no key")
        return keys

    keys = _Watched(directory / "api-key", parse)
    header = header.lower()

    def check(request: Request) -> Outcome:
        given = request.headers.get(header)
        if not given:
            return _refuse(f"missing {header} header")
        given_bytes = given.strip().encode()
        # Compare against every key, without stopping early, in constant time each.
        matched = False
        for key in keys.get():
            matched |= hmac.compare_digest(given_bytes, key)
        return True if matched else _refuse("invalid API key")

    return check


def jwt_bearer(
    directory: Path, algorithms: List[str], audience: List[str], issuer: Optional[str]
) -> Callable[[Request], Outcome]:
    import jwt  # PyJWT; only needed by functions with auth="jwt"
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from cryptography.x509 import load_pem_x509_certificate

    def key_algorithms(key: Any) -> List[str]:
        if isinstance(key, (bytes, str)):
            return ["HS256", "HS384", "HS512"]
        if isinstance(key, rsa.RSAPublicKey):
            return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        if isinstance(key, ec.EllipticCurvePublicKey):
            return ["ES256", "ES384", "ES512"]
        if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            return ["EdDSA"]
        raise StartupError(f"unsupported key type {type(key).__name__}")

    def parse_key(data: bytes) -> Dict[str, Any]:
        text = data.strip()
        if text.startswith(b"-----BEGIN"):
            try:
                if b"CERTIFICATE" in text.split(b"\n", 1)[0]:
                    key: Any = load_pem_x509_certificate(text).public_key()
                else:
                    key = load_pem_public_key(text)
            except ValueError as error:
                raise StartupError(f"{directory / 'jwt-key'} is not a PEM public key: {error}") from None
        else:
            if not text:
                raise StartupError(f"{directory / 'jwt-key'} is empty")
            key = text  # an HMAC secret
        return {None: (key, algorithms or key_algorithms(key))}

    def parse_jwks(data: bytes) -> Dict[Any, Any]:
        try:
            keys = jwt.PyJWKSet.from_json(data.decode()).keys
        except (ValueError, jwt.PyJWTError) as error:
            raise StartupError(f"{directory / 'jwks.json'} is not a usable JWK Set: {error}") from None
        found: Dict[Any, Any] = {}
        for jwk in keys:
            allowed = algorithms or ([jwk.algorithm_name] if jwk.algorithm_name else key_algorithms(jwk.key))
            found[jwk.key_id] = (jwk.key, allowed)
        return found

    if (directory / "jwks.json").exists():
        keys = _Watched(directory / "jwks.json", parse_jwks)
    else:
        keys = _Watched(directory / "jwt-key", parse_key)

    options = {"verify_aud": bool(audience), "require": ["aud"] if audience else []}
    if issuer:
        options["require"].append("iss")

    def check(request: Request) -> Outcome:
        authorization = request.headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _refuse("missing bearer token", "Bearer")
        token = token.strip()
        available = keys.get()
        try:
            if None in available and len(available) == 1:
                key, allowed = available[None]
            else:
                kid = jwt.get_unverified_header(token).get("kid")
                if kid in available:
                    key, allowed = available[kid]
                elif kid is None and len(available) == 1:
                    key, allowed = next(iter(available.values()))
                else:
                    return _refuse("unknown signing key", 'Bearer error="invalid_token"')
            # Signature, exp and nbf (when present), aud and iss (when configured).
            return jwt.decode(
                token,
                key,
                algorithms=allowed,
                audience=audience or None,
                issuer=issuer,
                options=options,
            )
        except jwt.PyJWTError as error:
            log.info("jwt refused: %s", error)
            return _refuse("invalid token", 'Bearer error="invalid_token"')

    return check


def from_env(env) -> Optional[Callable[[Request], Outcome]]:
    """The check for K3SFN_AUTH, or None for `none`."""
    mode = env.choice("K3SFN_AUTH", ("none", "api_key", "jwt"), env.decorated("http_trigger", "auth") or "none")
    if mode == "none":
        return None
    directory = Path(env.text("K3SFN_AUTH_DIR", DEFAULT_DIR))
    if mode == "api_key":
        return api_key(directory, env.text("K3SFN_API_KEY_HEADER", "X-API-Key"))
    return jwt_bearer(
        directory,
        env.items("K3SFN_JWT_ALGORITHMS"),
        env.items("K3SFN_JWT_AUDIENCE"),
        env.text("K3SFN_JWT_ISSUER"),
    )
