"""Browser safety for the emulator's HTTP servers: which requests are refused before anything runs.

The emulator runs users' code by design and listens next to a browser, so a web page must not be able to
reach it (the model local dev servers use):

- DNS rebinding: a page on `evil.example` whose name later resolves to 127.0.0.1 sends `Host: evil.example`.
  Only loopback hosts (localhost, 127.0.0.0/8, [::1]) with the server's own port, or names the user allowed
  (`--allow-host`), are served; anything else is 421 Misdirected Request.
- Cross-origin requests: a browser names the page in `Origin`; one that is not an allowed host is 403.
- "Simple" requests that skip the CORS preflight (a form or `text/plain` POST): with `json_only`, a
  state-changing method needs a JSON content type, which a page cannot send without a preflight. 403.
- Requests a browser marks as coming from another page (`Sec-Fetch-Site` other than `same-origin` or `none`,
  e.g. an `<img>` GET, which carries no `Origin`): 403. Google's clients send no `Sec-Fetch-*` headers.

`refusal` is pure (no I/O), so every server (the API, the control plane, storage) decides the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "STATE_CHANGING_METHODS",
    "Refusal",
    "host_allowed",
    "is_loopback_address",
    "normalize_allowed_hosts",
    "refusal",
]

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_TYPES = frozenset({"application/json"})
_LOOPBACK_NAMES = frozenset({"localhost"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Sec-Fetch-Site values of requests the user's own page or address bar made.
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the HTTP status (403 or 421) and a message; each server renders it in its own
    API's error envelope (`_http.refusal_error`, GCS's in `_gcs_http`)."""

    status: int
    message: str


def is_loopback_address(name: str) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1 (brackets allowed), false for any other name or address."""
    bare = name.strip().lower().removeprefix("[").removesuffix("]")
    if bare in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def normalize_allowed_hosts(names: Iterable[str]) -> frozenset[str]:
    """Lower-cased allowed names (`NAME` or `NAME:PORT`, an IPv6 address as `[::2]:PORT` or bare)."""
    if isinstance(names, str):
        raise TypeError("allowed_hosts must be a collection of host names, not one string")
    result: set[str] = set()
    for name in names:
        text = str(name).strip().lower()
        if not text:
            raise ValueError("an allowed host name cannot be empty")
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        result.add(text)
    return frozenset(result)


def _split_host(value: str) -> tuple[str, int | None] | None:
    """`name[:port]` -> (name, port or None); None when the value is not a host."""
    text = value.strip().lower()
    if not text or any(ch.isspace() or ch in "/?#@\\" for ch in text):
        return None
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            return None
        name, rest = text[1:close], text[close + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else None
    else:
        name, sep, port_text_raw = text.rpartition(":")
        if not sep:
            name, port_text = text, None
        else:
            port_text = port_text_raw
            if ":" in name:  # a bare IPv6 literal is not a valid Host
                return None
    if not name:
        return None
    if port_text is None:
        return name, None
    if not port_text.isdigit() or len(port_text) > 5 or int(port_text) > 65535:
        return None
    return name, int(port_text)


def host_allowed(value: str, *, port: int, allowed_hosts: frozenset[str], default_port: int = 80) -> bool:
    """Whether `value` (a Host header, `name[:port]`) names this server.

    A loopback name or address must carry the server's own port (the default port when it has none); an
    allowed name matches on any port, and an allowed `name:port` on that port only.
    """
    parsed = _split_host(value)
    if parsed is None:
        return False
    name, given_port = parsed
    effective_port = default_port if given_port is None else given_port
    if name in allowed_hosts or f"{name}:{effective_port}" in allowed_hosts:
        return True
    if ":" in name and f"[{name}]:{effective_port}" in allowed_hosts:
        return True
    return is_loopback_address(name) and effective_port == port


def _origin_allowed(origin: str, *, port: int, allowed_hosts: frozenset[str]) -> bool:
    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc or parts.path or parts.query or parts.fragment:
        return False
    return host_allowed(parts.netloc, port=port, allowed_hosts=allowed_hosts, default_port=_DEFAULT_PORTS[parts.scheme])


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def refusal(
    method: str,
    host: str | None,
    origin: str | None,
    content_type: str | None,
    *,
    port: int,
    allowed_hosts: frozenset[str],
    json_only: bool,
    fetch_site: str | None = None,
) -> Refusal | None:
    """Why this request must not be served, or None to serve it.

    host: the Host header (None when absent: not a browser, which always sends one). origin: the Origin
    header. json_only: state-changing methods need `application/json` (the API and the control plane).
    fetch_site: the Sec-Fetch-Site header browsers add (None when absent).
    """
    if host is not None and not host_allowed(host, port=port, allowed_hosts=allowed_hosts):
        return Refusal(
            421,
            f"Host {host!r} is not this emulator: only localhost, 127.0.0.0/8 and [::1] on port {port} are served "
            "(start it with --allow-host NAME to serve another name).",
        )
    if origin is not None and not _origin_allowed(origin, port=port, allowed_hosts=allowed_hosts):
        return Refusal(
            403,
            f"Cross-origin request from {origin!r} refused: the emulator serves only its own origin "
            f"(http://localhost:{port}) and names allowed with --allow-host.",
        )
    if fetch_site is not None and fetch_site.strip().lower() not in _OWN_FETCH_SITES:
        return Refusal(
            403, f"Request from another site refused (Sec-Fetch-Site: {fetch_site!r}): the emulator serves no web page."
        )
    needs_json = json_only and method.upper() in STATE_CHANGING_METHODS
    if needs_json and (content_type is None or _media_type(content_type) not in _JSON_TYPES):
        given = "no Content-Type" if content_type is None else f"Content-Type {content_type!r}"
        return Refusal(403, f"{method.upper()} requests need Content-Type: application/json (got {given}).")
    return None
