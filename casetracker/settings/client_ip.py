"""Where django-axes finds a client's address, given how many reverse proxies stand in front of gunicorn."""

from typing import NamedTuple


class ClientIpSettings(NamedTuple):
    AXES_IPWARE_META_PRECEDENCE_ORDER: list[str]
    AXES_IPWARE_PROXY_COUNT: int | None
    IPWARE_STRICT: bool


def client_ip_settings(trusted_proxies: int) -> ClientIpSettings:
    """The axes/ipware settings that find the client behind `trusted_proxies` reverse proxies.

    Each proxy appends the address it was reached from to X-Forwarded-For, and the nearest one
    reaches gunicorn as REMOTE_ADDR. So behind n proxies the client is the n-th entry from the
    right of X-Forwarded-For, and everything left of it was written by the client itself.
    django-ipware 8 counts only the proxies *listed in* the header (it takes entry
    -(count + 1)), which is n - 1: with one proxy, "proxy count 1" would pick the entry the
    client wrote (or nothing when there is only one), not the one our proxy wrote.
    """
    if trusted_proxies < 0:
        raise ValueError("TRUSTED_PROXY_COUNT cannot be negative.")
    if trusted_proxies == 0:
        # Nothing in front: any X-Forwarded-For is the client's own invention.
        return ClientIpSettings(["REMOTE_ADDR"], None, True)
    # Not strict: a client may send an X-Forwarded-For of its own, which the proxies keep and
    # append to; strict mode would then skip the header and fall back to REMOTE_ADDR, putting
    # every such client in one bucket with the proxy's address.
    return ClientIpSettings(["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"], trusted_proxies - 1, False)
