"""Authenticate actions (``authenticate-oidc``, ``authenticate-cognito``): spec §1.4, §4.3.

An authenticate action runs before the rule's routing action, on HTTPS listeners only.
A request with a valid session cookie (``<SessionCookieName>-0``, default
``AWSELBAuthSessionCookie-0``) goes on to the next action. Without one,
``OnUnauthenticatedRequest`` decides: ``deny`` answers **401**, ``allow`` goes on without
claims, ``authenticate`` (the default) redirects (302) to the IdP's authorization
endpoint with ``redirect_uri=https://<host>/oauth2/idpresponse``. The IdP sends the user
back to that path, which the load balancer answers itself:

- with ``error=...`` (the IdP returned an error) ⇒ **561**;
- without ``code`` ⇒ **401** ``AuthMissingCodeParam``;
- with ``code``, the LB calls the IdP's token endpoint. The sandbox never reaches a real
  IdP, so the IdP is played by the engine and ``Metadata.Playground.IdentityProvider``
  says how it answers: ``accepts`` (default) ⇒ 302 back to the original URL with a new
  session cookie; ``rejects`` (invalid grant) ⇒ **401** ``AuthInvalidGrantError``;
  ``unreachable`` ⇒ **500** ``AuthTokenEpRequestConnectionError``.

The ``Auth*`` causes are AWS's access-log ``error_reason`` values where AWS has one;
``AuthDenied`` and ``AuthIdpError`` are ours (AWS logs those answers without a reason).
Session cookies are signed like stickiness cookies and last ``SessionTimeout`` seconds
(default 604800) on the lab clock.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode

from . import stickiness
from .errors import LbError

AUTHENTICATE = frozenset({"authenticate-oidc", "authenticate-cognito"})
CALLBACK_PATH = "/oauth2/idpresponse"
DEFAULT_SESSION_COOKIE = "AWSELBAuthSessionCookie"
DEFAULT_SESSION_TIMEOUT = 604800
ACCEPTS, REJECTS, UNREACHABLE = "accepts", "rejects", "unreachable"
IDENTITY_PROVIDERS = (ACCEPTS, REJECTS, UNREACHABLE)

AUTH_DENIED = LbError(401, "AuthDenied")
AUTH_MISSING_CODE = LbError(401, "AuthMissingCodeParam")
AUTH_INVALID_GRANT = LbError(401, "AuthInvalidGrantError")
AUTH_IDP_ERROR = LbError(561, "AuthIdpError")
AUTH_TOKEN_ENDPOINT_UNREACHABLE = LbError(500, "AuthTokenEpRequestConnectionError")

# What an authenticate action decided (the trace shows it).
AUTHENTICATED, ALLOWED, LOGIN, SESSION_ISSUED, REFUSED = (
    "authenticated",
    "allowed_unauthenticated",
    "login_redirect",
    "session_issued",
    "refused",
)
_SESSION = "auth-session"  # the Pin's group: a session, not a stickiness pin


@dataclass(frozen=True, slots=True)
class Outcome:
    """One authenticate action's verdict: go on (``proceed``), or answer with
    ``error``, or redirect to ``location`` (setting ``cookie`` when one is issued)."""

    result: str  # AUTHENTICATED, ALLOWED, LOGIN, SESSION_ISSUED or REFUSED
    error: LbError | None = None
    location: str | None = None
    cookie: str | None = None  # "name=value" of a new session cookie

    @property
    def proceed(self) -> bool:
        return self.result in (AUTHENTICATED, ALLOWED)


def authenticate(
    *,
    kind: str,
    config: Mapping[str, str],
    identity_provider: str,
    host: str,
    path: str,
    query: str,
    cookies: Mapping[str, str],
    secret: bytes,
    now: float,
) -> Outcome:
    """Carry out one authenticate action for one request (see the module's rules)."""
    name = config.get("SessionCookieName", DEFAULT_SESSION_COOKIE)
    if path == CALLBACK_PATH:
        return _callback(config, identity_provider, host, query, name, secret, now)
    session = cookies.get(f"{name}-0")
    pin = stickiness.decode(session, secret) if session else None
    if pin is not None and pin.group == _SESSION and pin.expires > now:
        return Outcome(AUTHENTICATED)
    on_unauthenticated = config.get("OnUnauthenticatedRequest", "authenticate")
    if on_unauthenticated == "deny":
        return Outcome(REFUSED, error=AUTH_DENIED)
    if on_unauthenticated == "allow":
        return Outcome(ALLOWED)
    original = path + (f"?{query}" if query else "")
    return Outcome(LOGIN, location=_authorization_url(kind, config, host, original))


def _authorization_url(kind: str, config: Mapping[str, str], host: str, original: str) -> str:
    if kind == "authenticate-cognito":
        domain = config.get("UserPoolDomain", "")
        endpoint = f"https://{domain}.auth.us-east-1.amazoncognito.com/oauth2/authorize"
        client = config.get("UserPoolClientId", "")
    else:
        endpoint = config.get("AuthorizationEndpoint", "")
        client = config.get("ClientId", "")
    query = urlencode(
        {
            "client_id": client,
            "redirect_uri": f"https://{host}{CALLBACK_PATH}",
            "response_type": "code",
            "scope": config.get("Scope", "openid"),
            "state": original,
        },
        quote_via=quote,
    )
    return f"{endpoint}?{query}"


def _callback(
    config: Mapping[str, str],
    identity_provider: str,
    host: str,
    query: str,
    name: str,
    secret: bytes,
    now: float,
) -> Outcome:
    params = parse_qs(query)
    if "error" in params:
        return Outcome(REFUSED, error=AUTH_IDP_ERROR)
    if "code" not in params:
        return Outcome(REFUSED, error=AUTH_MISSING_CODE)
    if identity_provider == UNREACHABLE:
        return Outcome(REFUSED, error=AUTH_TOKEN_ENDPOINT_UNREACHABLE)
    if identity_provider == REJECTS:
        return Outcome(REFUSED, error=AUTH_INVALID_GRANT)
    timeout = float(config.get("SessionTimeout", DEFAULT_SESSION_TIMEOUT))
    session = stickiness.encode(stickiness.Pin(_SESSION, "user", now + timeout), secret)
    back = params.get("state", ["/"])[0]
    location = f"https://{host}{back if back.startswith('/') else '/'}"
    return Outcome(SESSION_ISSUED, location=location, cookie=f"{name}-0={session}")
