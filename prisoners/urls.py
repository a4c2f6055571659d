from django.urls import path

from . import suggestions, views, views_stats

app_name = "prisoners"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("prisoners/", views.person_list, name="person_list"),
    path("prisoners/export.csv", views.person_list_csv, name="person_list_csv"),
    path("prisoners/export.json", views.person_list_json, name="person_list_json"),
    path("prisoners/suggestions.json", suggestions.person_suggestions, name="person_suggestions"),
    path("prisoners/<slug:slug>/", views.person_detail, name="person_detail"),
    path("prisoners/<slug:slug>/photo/", views.person_photo, name="person_photo"),
    path("releases/<slug:slug>/", views.release_group_detail, name="release_group_detail"),
    path("stats/", views_stats.stats, name="stats"),
]
