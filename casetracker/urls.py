from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from two_factor.urls import urlpatterns as two_factor_urls

from prisoners.sitemaps import sitemap_index, sitemap_section

# Outside any language prefix: the staff's pages, the API (which answers in codes) and the
# sitemap (which lists every language's URLs itself). Static files are WhiteNoise's, before
# any URL; uploads are never served from a URL (settings.MEDIA_URL).
urlpatterns = [
    path("admin/", admin.site.urls),
    # Staff login with a second factor, device setup (QR code) and backup codes, all under
    # account/ (two_factor's own prefix): account/login/, account/two_factor/setup/, ...
    path("", include(two_factor_urls)),
    path("api/v1/", include("prisoners.api_urls")),
    # An index of the sections' pages, each page at most 10,000 URLs (prisoners.sitemaps).
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemap_section, name="sitemap_section"),
]
# The public pages, in the language their URL names: English unprefixed (so every old link
# still works), /be/... and /ru/.... The URL is the only choice: no cookie, no session, so a
# reader is never handed a cookie and a shared link opens in the language it was shared in.
urlpatterns += i18n_patterns(
    path("", include("prisoners.urls")),
    path("", include("sources.urls")),
    prefix_default_language=False,
)
