from django.urls import path

from . import views

app_name = "sources"

urlpatterns = [
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
]
