from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import api

app_name = "api"

urlpatterns = [
    path("prisoners/", api.PersonList.as_view(), name="person-list"),
    path("prisoners/<slug:slug>/", api.PersonDetail.as_view(), name="person-detail"),
    path("releases/", api.ReleaseGroupList.as_view(), name="release-group-list"),
    path("sources/", api.SourceList.as_view(), name="source-list"),
    path("stats/", api.StatsView.as_view(), name="stats"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
