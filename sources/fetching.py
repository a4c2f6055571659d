"""Fetching a web address from the public internet only, within limits of size and time.

The addresses come from researchers pasting links and from the pages they lead to, and the
adversary runs some of those sites: a page may redirect to http://127.0.0.1:6379/, a name
may resolve to 10.0.0.5 and, a second later, to something else. So every hop is checked
before anything is sent: the scheme, the port, and every address the name resolves to. The
connection then goes to an address that was checked and to nothing else, a page may not be
larger than SOURCE_FETCH_MAX_BYTES, and the whole fetch ends at SOURCE_FETCH_DEADLINE
however slowly the site sends it.

With SOURCE_FETCH_PROXY set (Tor at socks5://127.0.0.1:9050, or an HTTP proxy), names are
not resolved here: the proxy resolves them. Resolving them here as well would send the
lookup through our own resolver to the site's DNS server, which a hostile site runs too, and
tell it where the server stands that the proxy hides. What can be refused without a lookup
still is: internal addresses written in any form (10.0.0.1, 2130706433, 0x7f.1, [::1]...),
localhost and names that only a local network knows (single labels, .local, .internal...).
A public name that resolves to an internal address is the proxy's to refuse: Tor does
(ExitPolicyRejectPrivate, ClientRejectInternalAddresses, both on by default); an HTTP proxy
must be configured to refuse private destinations, or a hostile page can reach the proxy's
own network through it.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings

MAX_REDIRECTS = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
DEFAULT_USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
# Names that only a local network (or this machine) can answer for: refused before any lookup.
LOCAL_NAME_SUFFIXES = ("localhost", "local", "localdomain", "internal", "intranet", "lan", "home.arpa", "corp")

# One sentence for every internal target, whichever form its address takes and whichever hop
# reached it: nothing was contacted, so there is nothing else to say.
REFUSED = "The address, or one it redirected to, is not on the public internet, so it was not fetched."
BAD_SCHEME = "Only http:// and https:// addresses are fetched; this address, or one it redirected to, is neither."
BAD_PORT = "Only the usual web ports ({ports}) are fetched; this address, or one it redirected to, uses another."
INVALID = "This is not a web address that can be fetched."
NOT_FOUND = "The site's name could not be found; check the address, or try again later."
LOOKUP_TOO_SLOW = "The site's name was not found within {seconds} seconds. Try again later."
TOO_MANY_REDIRECTS = "The address redirected more than {limit} times; it was not followed to the end."
TIMED_OUT = "The site did not answer within {seconds} seconds. Try again later."
TOO_SLOW = "The site took more than {seconds} seconds to send the page. Try again later."
TOO_LARGE = "The page is larger than {limit}; it was not archived."
UNREACHABLE = "Could not reach the site: {reason}."
BAD_PROXY = "The outbound proxy setting (SOURCE_FETCH_PROXY) is not an http://, https:// or socks5:// address."


class FetchError(Exception):
    """A fetch that ended without a page; `message` is one sentence a researcher can read."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.message = message
        self.transient = transient


class WrongContentType(FetchError):
    """The headers announced something other than the types asked for; the body was not read."""

    def __init__(self, content_type: str):
        super().__init__(f"The address gave a {content_type or 'unknown'} file.")
        self.content_type = content_type


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status_code: int
    reason_phrase: str
    content_type: str  # lower case, without parameters
    encoding: str | None  # the charset the headers named, if Python knows it
    content: bytes  # empty when the body was not asked for or the status was an error

    def text(self) -> str:
        return self.content.decode(self.encoding or "utf-8", errors="replace")


# getaddrinfo takes no timeout and a hostile name server can keep it waiting for minutes, so
# lookups run here and the fetch waits for them only until its deadline. A lookup still hanging
# keeps its thread; with four threads, a flood of hanging names slows other lookups, never the
# worker's memory or the deadline.
_lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fetch-lookup")


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to. Tests replace this function and never ask a DNS server."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def fetch(
    url: str, *, method: str = "GET", content_types: tuple[str, ...] | None = None, read_body: bool = True
) -> Fetched:
    """Fetch `url` from the public internet, following up to five redirects, each checked.

    Returns a Fetched, also for 4xx and 5xx answers (without their bodies); raises FetchError
    with a readable message for everything else, and WrongContentType, before the body is
    read, when the answer is not one of `content_types`.
    """
    deadline = _setting("SOURCE_FETCH_DEADLINE", 30.0, float)
    clock = _Clock(deadline)
    proxy = _proxy()
    backend = _PinnedBackend(clock, proxy_host=proxy.raw_host.decode("ascii") if proxy else None)
    current = url
    try:
        with _client(backend, proxy) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                target = _checked(current, backend, direct=proxy is None)
                with client.stream(method, target) as response:
                    location = response.headers.get("location")
                    if response.status_code in REDIRECT_STATUSES and location:
                        current = _join(target, location)
                        continue
                    return _answer(response, clock, deadline, content_types=content_types, read_body=read_body)
    except httpx.TimeoutException:
        if clock.passed:
            raise FetchError(TOO_SLOW.format(seconds=f"{deadline:g}"), transient=True) from None
        raise FetchError(TIMED_OUT.format(seconds=f"{_timeout():g}"), transient=True) from None
    except httpx.HTTPError as error:
        raise FetchError(UNREACHABLE.format(reason=_reason(error)), transient=True) from None
    raise FetchError(TOO_MANY_REDIRECTS.format(limit=MAX_REDIRECTS))


def _answer(response, clock, deadline, *, content_types, read_body) -> Fetched:
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    content = b""
    if response.status_code < 400:
        if content_types is not None and content_type not in content_types:
            raise WrongContentType(content_type)
        if read_body:
            content = _body(response, clock, deadline)
    return Fetched(
        url=str(response.url),
        status_code=response.status_code,
        reason_phrase=response.reason_phrase,
        content_type=content_type,
        encoding=_known_encoding(response.charset_encoding),
        content=content,
    )


def _body(response, clock, deadline) -> bytes:
    """The decoded body, refused as soon as it passes the size limit or the deadline passes."""
    limit = _setting("SOURCE_FETCH_MAX_BYTES", 10 * 1024 * 1024, int)
    too_large = FetchError(TOO_LARGE.format(limit=_size(limit)))
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    # iter_bytes yields the decoded body, so a small compressed answer cannot unpack past the limit.
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise too_large
        if clock.expired():
            raise FetchError(TOO_SLOW.format(seconds=f"{deadline:g}"), transient=True)
    return bytes(body)


def _checked(url: str, backend: _PinnedBackend, *, direct: bool) -> httpx.URL:
    """The URL parsed as httpx will send it, once its scheme, port and addresses pass."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        # httpx refuses some numeric hosts (0177.0.0.1) that the system would still read as
        # addresses; an internal one gets the same answer as every other internal target.
        host = _host_of_unparsable(url)
        if host and (address := _literal_address(host)) is not None and not _allowed(address):
            raise FetchError(REFUSED) from None
        raise FetchError(INVALID) from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError(BAD_SCHEME)
    if not parsed.raw_host:
        raise FetchError(INVALID)
    host = parsed.raw_host.decode("ascii")
    address = _literal_address(host)
    # What the URL itself shows to be internal is refused first, whatever its port, so every
    # internal target written as such gets the same sentence; names are resolved last, and
    # only for a port that would be fetched.
    if (address is not None and not _allowed(address)) or (address is None and _is_local_name(host)):
        raise FetchError(REFUSED)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    allowed_ports = _setting("SOURCE_FETCH_ALLOWED_PORTS", [80, 443], lambda ports: [int(p) for p in ports])
    if port not in allowed_ports:
        raise FetchError(BAD_PORT.format(ports=", ".join(str(p) for p in allowed_ports)))
    if address is not None:
        addresses = [address]
    elif not direct:
        return parsed  # the proxy resolves the name (see the module's docstring)
    else:
        addresses = _resolved(host, port, backend.clock)
        if not all(_allowed(a) for a in addresses):
            raise FetchError(REFUSED)
    # An IPv4-mapped address is connected to as the IPv4 address it carries (no IPv6 needed).
    backend.pin(host, port, [str(getattr(a, "ipv4_mapped", None) or a) for a in addresses])
    return parsed


def _resolved(host: str, port: int, clock: _Clock) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    lookup = _lookups.submit(lambda: resolve(host, port))  # `resolve` read now: tests replace it
    try:
        found = lookup.result(timeout=max(clock.deadline - time.monotonic(), 0))
    except LookupTimeout:
        clock.passed = True
        raise FetchError(LOOKUP_TOO_SLOW.format(seconds=f"{clock.seconds:g}"), transient=True) from None
    except (OSError, UnicodeError):
        raise FetchError(NOT_FOUND, transient=True) from None
    addresses = []
    for text in found:
        try:
            addresses.append(ipaddress.ip_address(text))
        except ValueError:  # not an address at all: nothing to connect to that was checked
            raise FetchError(REFUSED) from None
    if not addresses:
        raise FetchError(NOT_FOUND, transient=True)
    return addresses


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as a number stands for, in every form the system accepts.

    Besides 127.0.0.1 and ::1 that is 2130706433, 0177.0.0.1, 0x7f.0.0.1 and 127.1: the C
    library's inet_aton reads them all, and getaddrinfo (under httpx's connection) uses it.
    """
    host = host.strip("[]").removesuffix(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # inet_aton also accepts trailing garbage after a space; a host cannot contain one.
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _is_local_name(host: str) -> bool:
    name = host.removesuffix(".").lower()
    return "." not in name or any(name == s or name.endswith("." + s) for s in LOCAL_NAME_SUFFIXES)


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    test_addresses = {ipaddress.ip_address(a) for a in getattr(settings, "SOURCE_FETCH_ALLOWED_TEST_ADDRESSES", [])}
    return address in test_addresses or _is_public(address)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """On the public internet: not loopback, private, link-local, multicast, reserved or unspecified.

    An IPv6 address that carries an IPv4 one (::ffff:127.0.0.1, 6to4, Teredo) is judged by
    the IPv4 address too, since that is where it leads.
    """
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return _is_public(address.ipv4_mapped)
        embedded = [address.sixtofour, *(address.teredo or ())]
        if address.is_site_local or not all(_is_public(e) for e in embedded if e is not None):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _host_of_unparsable(url: str) -> str:
    match = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)", url)
    return match.group(1) if match else ""


def _join(base: httpx.URL, location: str) -> str:
    try:
        return str(base.join(location))
    except (httpx.InvalidURL, ValueError):
        raise FetchError(INVALID) from None


def _proxy() -> httpx.URL | None:
    value = getattr(settings, "SOURCE_FETCH_PROXY", "")
    if not value:
        return None
    try:
        proxy = httpx.URL(value)
    except httpx.InvalidURL:
        raise FetchError(BAD_PROXY) from None
    if proxy.scheme not in PROXY_SCHEMES or not proxy.raw_host:
        raise FetchError(BAD_PROXY)
    return proxy


def _client(backend: _PinnedBackend, proxy: httpx.URL | None) -> httpx.Client:
    transport = httpx.HTTPTransport(proxy=proxy, trust_env=False)
    # Why a network backend rather than sending the request to the IP with a Host header and
    # the sni_hostname extension: the backend sees every connection httpcore opens (to the
    # site, or to the proxy) and can refuse any it was not told about, so no code path can
    # quietly resolve a name again; TLS still verifies the certificate against the name in
    # the URL; and it bounds every socket operation by the fetch's deadline, which a
    # per-read timeout alone does not (a site sending one byte every 19 seconds never trips a
    # 20-second read timeout). httpx has no public argument for the backend, so it is set on
    # the pool httpx built; httpx and httpcore are pinned, and the tests fail if this stops
    # taking effect.
    transport._pool._network_backend = backend
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(_timeout()),
        follow_redirects=False,
        trust_env=False,  # no proxy or certificates from the environment: only the settings decide
        headers={
            "User-Agent": getattr(settings, "SOURCE_FETCH_USER_AGENT", "") or DEFAULT_USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en-US,en;q=0.5",
        },
    )


class _Clock:
    """The fetch's deadline, shared by every socket operation of one fetch."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.passed = False

    def expired(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.passed = True
        return self.passed

    def limit(self, timeout: float | None, timeout_error: type[Exception]) -> tuple[float, bool]:
        """The timeout for one operation, cut to what is left, and whether the deadline cut it."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.passed = True
            raise timeout_error("the fetch's deadline has passed")
        if timeout is None or left < timeout:
            return left, True
        return timeout, False

    def run(self, operation, timeout: float | None, timeout_error: type[Exception]):
        seconds, cut = self.limit(timeout, timeout_error)
        try:
            return operation(seconds)
        except timeout_error:
            self.passed = self.passed or cut
            raise


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, clock: _Clock):
        self._stream = stream
        self.clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.clock.run(lambda t: self._stream.read(max_bytes, t), timeout, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        return self.clock.run(lambda t: self._stream.write(buffer, t), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        stream = self.clock.run(
            lambda t: self._stream.start_tls(ssl_context, server_hostname, t), timeout, httpcore.ConnectTimeout
        )
        return _DeadlineStream(stream, self.clock)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects only to addresses that were checked for the host asked for, or to the proxy."""

    def __init__(self, clock: _Clock, *, proxy_host: str | None = None):
        self.clock = clock
        self._proxy_host = proxy_host
        self._pins: dict[tuple[str, int], list[str]] = {}
        self._backend = httpcore.SyncBackend()

    def pin(self, host: str, port: int, addresses: list[str]) -> None:
        self._pins[(host, port)] = addresses

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        if self._proxy_host is not None:
            # Through a proxy the only connection made from here is to the proxy itself.
            addresses = [host] if host == self._proxy_host else []
        else:
            addresses = self._pins.get((host, port), [])
        if not addresses:
            raise httpcore.ConnectError("no checked address for this host")
        for index, address in enumerate(addresses):
            try:
                stream = self.clock.run(
                    lambda t, address=address: self._backend.connect_tcp(
                        address, port, timeout=t, local_address=local_address, socket_options=socket_options
                    ),
                    timeout,
                    httpcore.ConnectTimeout,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                if index == len(addresses) - 1 or self.clock.passed:
                    raise
            else:
                return _DeadlineStream(stream, self.clock)
        raise httpcore.ConnectError("no address answered")  # not reached: the loop returns or raises

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("no local sockets")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _reason(error: httpx.HTTPError) -> str:
    """What went wrong, in words: never an exception's class name or the system's own text."""
    if isinstance(error, httpx.ProxyError):
        return "the outbound proxy did not pass the request on"
    if isinstance(error, httpx.ConnectError):
        if "CERTIFICATE" in str(error).upper() or "SSL" in str(error).upper():
            return "its security certificate could not be verified"
        return "the connection could not be made"
    if isinstance(error, (httpx.ReadError, httpx.WriteError)):
        return "the connection broke off"
    if isinstance(error, httpx.ProtocolError):
        return "its answer was not valid HTTP"
    if isinstance(error, httpx.DecodingError):
        return "its answer could not be decoded"
    return "the connection failed"


def _known_encoding(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit / 1024:g} KB" if limit >= 1024 else f"{limit} bytes"


def _timeout() -> float:
    return _setting("SOURCE_FETCH_TIMEOUT", 20.0, float)


def _setting(name: str, default, cast):
    return cast(getattr(settings, name, default))
