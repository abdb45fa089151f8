"""Whether a cookie lexdial sets is marked Secure (the browser sends it over HTTPS only).

Why: behind a TLS-terminating proxy lexdial itself speaks plain HTTP, and unless the proxy
is trusted (``$LEXDIAL_TRUSTED_PROXIES``) its ``X-Forwarded-Proto`` is not believed: the
request's scheme read "http" and the session cookie was set without Secure, so one request
to the site over http:// (a typed address, a downgrade on a hostile network) carried the
session in clear.
Rule 1: Secure, unless the request came straight from a browser on this machine: plain
HTTP, a loopback ``Host`` (localhost, 127.0.0.0/8, ::1) and no forwarding header
(``Forwarded``, ``X-Forwarded-*``: every proxy adds one). A forwarding header nobody
trusts is enough here: it can only make the cookie stricter, never looser.
Rule 2: ``$LEXDIAL_PLAIN_HTTP=1`` (``InterfaceSettings.plain_http``) says the site is
served over plain HTTP on purpose, e.g. on a closed test network: then only a request
that arrived over HTTPS gets a Secure cookie (browsers drop a Secure cookie set over
http://, so without it such a site could not log anyone in).
"""

from __future__ import annotations

import ipaddress

from fastapi import Request

#: headers a proxy adds to what it forwards (RFC 7239 and the de-facto X-Forwarded-*)
FORWARDING = ("forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host")


def secure_cookie(request: Request) -> bool:
    """Whether a cookie set in answer to ``request`` must be Secure (rules 1 and 2)."""
    if request.url.scheme == "https":
        return True
    hooks = getattr(request.app.state, "interfaces", None)
    if getattr(hooks, "plain_http", False):
        return False
    return not (_loopback(request.url.hostname) and not _forwarded(request))


def kept_only_over_https(request: Request) -> bool:
    """Whether this request came over plain HTTP straight from a browser that will drop
    the Secure cookies set in answer (rule 1): a log-in cannot work that way, and the page
    must say why rather than answer "the form had expired". Behind a proxy the browser's
    own scheme is unknown unless the proxy says http."""
    if request.url.scheme == "https" or not secure_cookie(request):
        return False
    said = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return not _forwarded(request) or said == "http"


def _forwarded(request: Request) -> bool:
    return any(name in request.headers for name in FORWARDING)


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
