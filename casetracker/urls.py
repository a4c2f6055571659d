from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from prisoners.sitemaps import SITEMAPS

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("prisoners.api_urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("", include("prisoners.urls")),
    path("", include("sources.urls")),
]
