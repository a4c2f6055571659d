"""Rate limits for the CSV and JSON downloads, counted like the API's (DRF throttles, shared cache)."""

import functools
import logging
import math

from django.http import HttpResponse
from django.utils.translation import gettext, gettext_noop
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

logger = logging.getLogger(__name__)

# Tests match it. {seconds} is the Retry-After value.
DOWNLOADS_THROTTLED = gettext_noop("Too many downloads from your address. Try again in {seconds} seconds.")


class CacheOutageTolerant:
    """A throttle that lets requests through while its shared cache (Redis) cannot be reached.

    Readers keep reaching the records during a Redis outage; limits resume with Redis. The
    alternative, refusing everyone, would turn an outage of a helper into one of the site.
    """

    def allow_request(self, request, view):
        from redis.exceptions import RedisError

        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("Throttle cache unreachable; request let through", exc_info=True)
            return True


class AnonymousRateThrottle(CacheOutageTolerant, AnonRateThrottle):
    """The API's anonymous rate (DEFAULT_THROTTLE_CLASSES), tolerant of a Redis outage."""


class ExportRateThrottle(CacheOutageTolerant, AnonRateThrottle):
    """Anonymous downloads per client address at the "export" rate; CSV and JSON share one budget.

    The address is DRF's (BaseThrottle.get_ident with NUM_PROXIES, the API's rule) and the counters
    live in the default cache, as the API's do. Logged-in staff are not counted (AnonRateThrottle).
    """

    scope = "export"

    def get_rate(self):
        # DRF copies DEFAULT_THROTTLE_RATES onto the class when rest_framework.throttling is
        # imported; read it when the download is asked for, so a changed setting counts.
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()


def downloads_throttled(view):
    """Answer 429 with Retry-After and a plain message once an anonymous client exceeds the export rate."""

    @functools.wraps(view)
    def throttled_view(request, *args, **kwargs):
        throttle = ExportRateThrottle()
        if throttle.allow_request(request, view=None):
            return view(request, *args, **kwargs)
        # wait() is None only when the budget has room again; a second is the honest minimum.
        seconds = max(1, math.ceil(throttle.wait() or 1))
        response = HttpResponse(
            gettext(DOWNLOADS_THROTTLED).format(seconds=seconds), status=429, content_type="text/plain; charset=utf-8"
        )
        response["Retry-After"] = str(seconds)
        return response

    return throttled_view
