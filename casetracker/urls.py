from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from two_factor.urls import urlpatterns as two_factor_urls

from prisoners.sitemaps import SITEMAPS

urlpatterns = [
    path("admin/", admin.site.urls),
    # Staff login with a second factor, device setup (QR code) and backup codes, all under
    # account/ (two_factor's own prefix): account/login/, account/two_factor/setup/, ...
    path("", include(two_factor_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("prisoners.api_urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("", include("prisoners.urls")),
    path("", include("sources.urls")),
]
