from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render

from .models import Person, ReleaseGroup


def person_detail(request, slug):
    person = get_object_or_404(
        Person.objects.public().prefetch_related(
            "name_variants",
            "status_events",
            "releases__group",
            "defendant_roles__case",
            "defendant_roles__charges__article",
            "defendant_roles__sentences",
        ),
        slug=slug,
    )
    return render(request, "prisoners/person_detail.html", {"person": person})


def person_photo(request, slug):
    """Photos are served only for people the requester may see, never from a public directory."""
    person = get_object_or_404(Person.objects.visible_to(request.user), slug=slug)
    if not person.photo:
        raise Http404
    return FileResponse(person.photo.open("rb"))


def release_group_detail(request, slug):
    group = get_object_or_404(ReleaseGroup, slug=slug)
    releases = group.releases.filter(person__in=Person.objects.public()).select_related("person")
    return render(request, "prisoners/release_group_detail.html", {"group": group, "releases": releases})
