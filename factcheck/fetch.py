"""Fetching URLs for ingest and webhooks: http/https only, public addresses only (unless allowed), every
redirect hop re-checked, the connection pinned to the address that was checked (so a second DNS answer cannot
swap in a private one), and one deadline for the whole exchange.

IPv6 addresses that carry an IPv4 one (IPv4-mapped, 6to4, Teredo, NAT64) are judged by the address inside. No
Flask imports here; errors are ingest.IngestError naming the `url` field.
"""
from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urljoin, urlsplit

from .config import Config
from .ingest import IngestError

MAX_REDIRECTS = 5


@dataclass
class FetchedPage:
    url: str
    content_type: str
    charset: Optional[str]
    body: bytes


_NAT64 = ipaddress.ip_network("64:ff9b::/96")            # RFC 6052: the last 32 bits are an IPv4 address
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")     # RFC 8215: local-use translation, never public


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, by the form that carries them."""
    found = []
    if address.ipv4_mapped:
        found.append(("IPv4-mapped", address.ipv4_mapped))
    if address.sixtofour:
        found.append(("6to4", address.sixtofour))
    if address.teredo:
        server, client = address.teredo
        found += [("Teredo", server), ("Teredo", client)]
    if address in _NAT64:
        found.append(("NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    return found


def _forbidden_kind(address: ipaddress._BaseAddress) -> Optional[str]:
    """Why fetching from this address is refused (loopback, private, ...), or None for a public address.

    IPv6 forms that wrap an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64) are judged by the address inside."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64_LOCAL:
            return "local-use NAT64"
        for form, inner in _embedded_ipv4(address):
            kind = _forbidden_kind(inner)
            if kind:
                return f"{form} form of {inner}, {kind}"
        if address.ipv4_mapped or address in _NAT64:
            return None  # only a way of reaching that (public) IPv4 address, e.g. through DNS64 on IPv6-only hosts
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    if not address.is_global:
        return "not public"
    return None


def resolve_allowed(host: str, port: int, config: Config) -> list[str]:
    """The host's addresses, or IngestError if it does not resolve or any address is private (unless allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise IngestError("url", f"cannot resolve host {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    addresses = []
    for info in infos:
        address = info[4][0]
        if not config.allow_private_urls:
            kind = _forbidden_kind(ipaddress.ip_address(address.split("%")[0]))
            if kind:
                raise IngestError("url", f"refused: private address {address} ({kind}); "
                                         "set FACTCHECK_ALLOW_PRIVATE_URLS=1 to allow")
        if address not in addresses:
            addresses.append(address)
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self.raw_sock: Optional[socket.socket] = None

    def connect(self):
        self.sock = self.raw_sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address
        self.raw_sock: Optional[socket.socket] = None

    def connect(self):
        self.raw_sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(self.raw_sock, server_hostname=self.host)


class Deadline:
    """One time limit for a whole exchange: connecting, TLS, sending, the status line, the headers and the body.

    A socket timeout limits each read only, so a server sending one header line per second holds the exchange as
    long as it likes. `guard(connection)` arms a timer that shuts the connection's socket when the deadline
    passes, which ends whatever call is blocked on it; `expired` then tells a timeout from other failures.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    @contextlib.contextmanager
    def guard(self, connection):
        timer = threading.Timer(max(0.0, self.remaining()), self._cut, (connection,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    @staticmethod
    def _cut(connection) -> None:
        sock = getattr(connection, "raw_sock", None) or getattr(connection, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _connection_error(exc: Exception, timeout: int, deadline: Optional[Deadline] = None) -> str:
    if isinstance(exc, (socket.timeout, TimeoutError)) or (deadline is not None and deadline.expired):
        return f"timed out after {timeout} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    return f"cannot connect: {getattr(exc, 'strerror', None) or exc}"


def fetch_url(url: str, config: Config) -> FetchedPage:
    """GET a URL within the time and size limits, following up to MAX_REDIRECTS checked redirects; one deadline
    (config.url_timeout) covers every hop, from connecting to the last byte of the body."""
    deadline = Deadline(config.url_timeout)
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(current)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise IngestError("url", f"refused: only http and https URLs are fetched, not {scheme}:")
        if not parts.hostname:
            raise IngestError("url", "the URL has no host")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise IngestError("url", "the URL has an invalid port") from None
        addresses = resolve_allowed(parts.hostname, port, config)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        last_error = None
        for address in addresses:
            if deadline.expired:
                raise IngestError("url", f"timed out after {config.url_timeout} s")
            connection = connection_class(parts.hostname, port, address, max(0.1, deadline.remaining()))
            with deadline.guard(connection):
                try:
                    connection.request("GET", path, headers={
                        "User-Agent": "factcheck-ingest/1.0",
                        "Accept": "text/html,application/xhtml+xml,text/plain,application/json;q=0.9,*/*;q=0.1",
                        "Accept-Encoding": "identity"})
                    response = connection.getresponse()
                except (OSError, http.client.HTTPException) as exc:
                    connection.close()
                    last_error = exc
                    continue
                if deadline.expired:  # cut off while the headers came: they may be incomplete
                    connection.close()
                    raise IngestError("url", f"timed out after {config.url_timeout} s")
                try:
                    if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                        current = urljoin(current, response.getheader("Location"))
                        break
                    if response.status >= 400:
                        raise IngestError("url", f"HTTP {response.status} {response.reason}".strip())
                    body = _read_limited(response, config, deadline)
                    content_type = response.headers.get_content_type() if response.getheader("Content-Type") else ""
                    return FetchedPage(current, content_type, response.headers.get_content_charset(), body)
                finally:
                    connection.close()
        else:
            raise IngestError("url", _connection_error(last_error, config.url_timeout, deadline))
    raise IngestError("url", f"more than {MAX_REDIRECTS} redirects")


def _read_limited(response, config: Config, deadline: Deadline) -> bytes:
    limit = config.url_max_bytes
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise IngestError("url", f"page is {int(declared):,} bytes; the limit is {limit:,}")
    chunks, total = [], 0
    try:
        while True:
            if deadline.expired:
                raise IngestError("url", f"timed out after {config.url_timeout} s")
            chunk = response.read1(65_536) if hasattr(response, "read1") else response.read(65_536)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:
                raise IngestError("url", f"page is larger than the limit of {limit:,} bytes")
            chunks.append(chunk)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # ValueError: read from a shut socket
        raise IngestError("url", _connection_error(exc, config.url_timeout, deadline)) from None
    if deadline.expired:  # the timer cut the connection: what came is not the whole page
        raise IngestError("url", f"timed out after {config.url_timeout} s")
    return b"".join(chunks)


