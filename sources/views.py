from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core.paginator import Paginator
from django.db.models import prefetch_related_objects
from django.http import FileResponse
from django.shortcuts import get_object_or_404, render

from prisoners.models import (
    Case,
    Charge,
    CustodyPeriod,
    NameVariant,
    Person,
    Release,
    ReleaseGroup,
    Sentence,
    StatusEvent,
)

from .documents import ALLOWED_EXTENSIONS, IMAGE_TYPES
from .models import Document, Source

# Facts a source page lists at a time: a source behind a whole list can support thousands.
FACTS_PER_PAGE = 100


def source_detail(request, pk):
    """A source and the public facts it supports, a page at a time; sources backing no public fact are 404."""
    source = get_object_or_404(Source.objects.public(), pk=pk)
    page = Paginator(source.citations.public_each_kind(), FACTS_PER_PAGE).get_page(request.GET.get("page"))
    # Each fact with what its label names (a union cannot prefetch): a fixed number of queries a page.
    page.object_list = list(page.object_list)
    prefetch_related_objects(
        page.object_list,
        GenericPrefetch(
            "content_object",
            [
                Person.objects.all(),
                NameVariant.objects.select_related("person"),
                StatusEvent.objects.select_related("person"),
                Release.objects.select_related("person", "group"),
                CustodyPeriod.objects.select_related("person", "facility"),
                Charge.objects.select_related("defendant__person", "article"),
                Sentence.objects.select_related("defendant__person"),
                Case.objects.all(),
                ReleaseGroup.objects.all(),
            ],
        ),
    )
    return render(request, "sources/source_detail.html", {"source": source, "page": page})


def document_file(request, pk):
    """The only way to a document's file: restricted ones 404 unless the user may view documents."""
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    # The type sniffed at upload, not one guessed from the stored name; unknown means download.
    content_type = document.content_type or "application/octet-stream"
    extension = ALLOWED_EXTENSIONS.get(content_type, ("",))[0]
    # A PDF (or anything not an image) is downloaded rather than opened in the browser's own
    # viewer, which runs a PDF's scripts; images may show inline. The sandbox stops anything the
    # file might still hold from running with this site's origin, cookies or session.
    response = FileResponse(
        document.file.open("rb"),
        content_type=content_type,
        as_attachment=content_type not in IMAGE_TYPES,
        filename=f"document-{document.pk}{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response
