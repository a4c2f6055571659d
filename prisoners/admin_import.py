"""Admin: import people from a CSV file. Upload, preview every change and every problem, confirm, follow progress.

PersonAdmin takes these views by inheriting CaseImportAdminMixin. Checking runs while the
editor waits (a 10,000-row file takes about a second); applying runs in a Celery task
(prisoners.imports.cases_import_task) while the page polls the job's progress
(static/casetracker/import_progress.js). The pages are templates/admin/prisoners/person/import_*.html.

A new row whose person may already be recorded is flagged on the preview with a choice, kept
by the job until the editor confirms: a new person, or one of the people recorded under a
close name, to whom the row's facts are then added (prisoners.imports, `links`).

The upload page describes the format: the columns come from prisoners.imports.COLUMNS, what
each means and accepts from COLUMN_HELP here, and the example file is built from both.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .imports import (
    COLUMNS,
    FINISHED,
    LIST_SEPARATOR,
    MAX_ROWS_SHOWN,
    NO,
    REQUIRED_COLUMNS,
    YES,
    JobState,
    cases_file_check,
    flagged_rows,
    import_job_create,
    import_job_start,
    import_job_status,
)
from .models import Gender, LegalArticle, LegalCode, Region, ReleaseType, Status

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Errors listed on the preview; a wrongly encoded file can have one on every line.
MAX_ERRORS_SHOWN = 1000
FILE_TOO_LARGE = gettext_lazy("The file is larger than %(limit)d MB; split it into smaller files.")
STATUS_FIELDS = ("state", "stage", "done", "total", "created", "updated", "linked", "error_count", "message")
# The preview's choice for a flagged row that keeps it a new person; any other value is a person's pk.
NEW_PERSON = "new"
LINK_FIELD = "link-{line}"
TEMPLATE_DIR = "admin/prisoners/person"
EXAMPLE_FILE_NAME = "people-example.csv"


# --- The format, as the upload page and the example file describe it -------------------------------


@dataclass(frozen=True)
class ColumnHelp:
    """What a column means and what it accepts; `examples` are written as they go in a cell."""

    meaning: str
    values: str
    examples: tuple[str, ...] = ()
    choices: type[models.TextChoices] | None = None


DATES = gettext_lazy(
    "a date as sources write it, day first: a day, a month, a year, a season, or about, "
    "early, mid or late a year; or EDTF"
)
DATE_EXAMPLES = ("12.05.2021", "May 2020", "мая 2020", "summer 2020", "about 2020", "2020-05-29", "2021?")
TEXT = gettext_lazy("text")
LIST = gettext_lazy("several, separated by semicolons (;)")

# Kept here rather than in prisoners.imports, whose checks (CLEANERS) are the rule; this is
# what the admin tells people. tests/admin/test_import_pages.py fails for a column without help.
COLUMN_HELP: dict[str, ColumnHelp] = {
    "external_id": ColumnHelp(
        gettext_lazy(
            "Your id for the person, unique within the file. Importing a file again updates "
            "the person with this id instead of adding another."
        ),
        gettext_lazy("text; upper and lower case differ"),
        ("v-101",),
    ),
    "name": ColumnHelp(gettext_lazy("The name shown on the record."), TEXT, ("Ales Bialiatski",)),
    "name_variants": ColumnHelp(
        gettext_lazy("Other spellings of the name, in any script; each one is found by search."),
        LIST,
        ("Алесь Бяляцкі;Ales Byalyatski",),
    ),
    "birth_date": ColumnHelp(gettext_lazy("Date of birth."), DATES, DATE_EXAMPLES),
    "gender": ColumnHelp(gettext_lazy("Gender."), gettext_lazy("one of"), choices=Gender),
    "region": ColumnHelp(gettext_lazy("Region."), gettext_lazy("one of"), choices=Region),
    "status": ColumnHelp(
        gettext_lazy(
            "The person's status as the file knows it; recorded as a status event on or after "
            "the detention date. The current status is worked out from the events, never typed."
        ),
        gettext_lazy("one of"),
        choices=Status,
    ),
    "detained_on": ColumnHelp(
        gettext_lazy("Date of detention; recorded as a “detained” status event."), DATES, DATE_EXAMPLES
    ),
    "released_on": ColumnHelp(
        gettext_lazy("Date of release; recorded as a release. Needs release_type."), DATES, DATE_EXAMPLES
    ),
    "release_type": ColumnHelp(
        gettext_lazy("How the person was released. Needs released_on."), gettext_lazy("one of"), choices=ReleaseType
    ),
    "articles": ColumnHelp(
        gettext_lazy(
            "Articles of the Criminal Code charged, added to the person's case. Each must "
            "already be among the legal articles in the admin."
        ),
        gettext_lazy(
            "several, separated by semicolons (;): an article, or an article and its part, as sources write them"
        ),
        ("293", "293.1", "ч. 1 ст. 293", "361-1", "342;130"),
    ),
    "sentence": ColumnHelp(
        gettext_lazy("The term of the original sentence."),
        gettext_lazy("years (y), months (m) and days (d), in that order"),
        ("18y", "1y6m", "90d"),
    ),
    "public": ColumnHelp(
        gettext_lazy(
            "Whether the record is on the public site. Only editors may change it, and a person "
            "is published only once a source is cited."
        ),
        gettext_lazy("yes or no; empty: a new person stays a draft, an existing one is unchanged"),
        (YES, NO),
    ),
    "private_notes": ColumnHelp(gettext_lazy("Notes for staff only; never shown publicly."), TEXT),
    "source_url": ColumnHelp(
        gettext_lazy("Where the row's facts come from; the source is cited for the person."),
        gettext_lazy("a web address starting with http:// or https://"),
        ("https://news.example.org/verdict",),
    ),
    "source_title": ColumnHelp(gettext_lazy("The title of that source (without one, the address is used)."), TEXT),
    "quote": ColumnHelp(
        gettext_lazy("The passage of the source that supports the row. Needs source_url or source_title."), TEXT
    ),
}


def import_columns() -> list[dict]:
    """Every column of the format, in the file's order, with what the upload page says about it."""
    columns = []
    for name in COLUMNS:
        described = COLUMN_HELP.get(name) or ColumnHelp(meaning="", values="")
        columns.append(
            {
                "name": name,
                "required": name in REQUIRED_COLUMNS,
                "meaning": described.meaning,
                "values": described.values,
                "examples": described.examples,
                "choices": described.choices.choices if described.choices else (),
            }
        )
    return columns


# Invented people: an example imported by mistake must not look like a real record.
# "articles" is filled in from the articles on record (example_rows), so the file checks clean.
EXAMPLE_ROWS = (
    {
        "external_id": "example-1",
        "name": "Ivan Prykladny",
        "name_variants": "Іван Прыкладны;Иван Прикладной",
        "birth_date": "25.09.1962",
        "gender": Gender.MALE,
        "region": Region.MINSK_CITY,
        "status": Status.IMPRISONED,
        "detained_on": "14.07.2021",
        "sentence": "10y",
        "public": NO,
        "private_notes": "Lawyer visits monthly",
        "source_url": "https://news.example.org/prykladny-verdict",
        "source_title": "Verdict in the Prykladny case",
        "quote": "sentenced to 10 years",
    },
    {
        "external_id": "example-2",
        "name": "Maryia Uzornaya",
        "name_variants": "Марыя Узорная",
        "birth_date": "1982",
        "gender": Gender.FEMALE,
        "region": Region.VITSEBSK,
        "detained_on": "September 2020",
        "released_on": "13.12.2024",
        "release_type": ReleaseType.PARDON,
        "sentence": "1y6m",
        "source_url": "https://news.example.org/uzornaya-released",
        "source_title": "Uzornaya released",
        "quote": "was released on 13 December",
    },
    {
        "external_id": "example-3",
        "name": "Aleh Shablon, blogger",
        "region": Region.ABROAD,
        "status": Status.PRE_TRIAL,
        "detained_on": "summer 2020",
        "public": NO,
        "private_notes": 'Family asks: no "publicity" yet',
    },
)


def _article_spellings(limit: int = 2) -> list[str]:
    """Up to `limit` articles on record, each written a different usual way ("293.1", "ч. 1 ст. 293")."""
    on_record = LegalArticle.objects.filter(code=LegalCode.CRIMINAL).order_by("article", "part")
    spellings = []
    for position, (article, part) in enumerate(on_record.values_list("article", "part")[:limit]):
        if not part:
            spellings.append(article)
        elif position % 2:
            spellings.append(f"ч. {part} ст. {article}")
        else:
            spellings.append(f"{article}.{part}")
    return spellings


def example_rows() -> list[dict[str, str]]:
    """EXAMPLE_ROWS, with articles that are on record here (none on record: none in the file)."""
    spellings = _article_spellings()
    rows = [dict(row) for row in EXAMPLE_ROWS]
    if spellings:
        rows[0]["articles"] = LIST_SEPARATOR.join(spellings)
        rows[1]["articles"] = spellings[-1]
    return rows


def example_csv() -> bytes:
    """A small file in the import format: every column of COLUMNS, in order, and EXAMPLE_ROWS."""
    out = io.StringIO()
    writer = csv.writer(out)  # commas, quotes only where a cell needs them, CRLF as spreadsheets write
    writer.writerow(COLUMNS)
    for row in example_rows():
        writer.writerow([str(row.get(column, "")) for column in COLUMNS])
    # With a byte-order mark Excel opens the file as UTF-8 (without, as the local code page);
    # the import accepts it.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- Flagged rows: a new person, or one already recorded ------------------------------------------


def link_offers(flagged: list[dict], chosen: dict[int, str]) -> list[dict]:
    """The choice each flagged row offers, for the template, with what was chosen (a form sent again)."""
    return [
        {
            "line": row["line"],
            "name": row["name"],
            "field": LINK_FIELD.format(line=row["line"]),
            "new": chosen.get(row["line"]) == NEW_PERSON,
            "people": [
                {"pk": pk, "name": name, "chosen": chosen.get(row["line"]) == str(pk)} for pk, name in row["people"]
            ],
        }
        for row in flagged
    ]


def links_chosen(flagged: list[dict], chosen: dict[int, str]) -> tuple[dict[int, int], bool]:
    """{line: pk} of the rows linked to someone recorded, and whether a row was left without a choice.

    Only a person the preview offered for that row can be chosen; anything else counts as no choice.
    """
    links, missing = {}, False
    for row in flagged:
        value = chosen.get(row["line"], "")
        offered = {str(pk): pk for pk, _name in row["people"]}
        if value in offered:
            links[row["line"]] = offered[value]
        elif value != NEW_PERSON:
            missing = True
    return links, missing


# --- The views -----------------------------------------------------------------------------------


class CaseImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8, columns separated by commas; the columns are described below."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(FILE_TOO_LARGE % {"limit": limit // (1024 * 1024)})
        return upload


class CaseImportAdminMixin:
    """Adds import/ (upload and preview), its example file, import/<job>/ (confirm and progress) and its status feed."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("import/", self.admin_site.admin_view(self.import_upload_view), name="%s_%s_import" % info),
            path(
                f"import/{EXAMPLE_FILE_NAME}",
                self.admin_site.admin_view(self.import_example_view),
                name="%s_%s_import_example" % info,
            ),
            path(
                "import/<uuid:job>/", self.admin_site.admin_view(self.import_job_view), name="%s_%s_import_job" % info
            ),
            path(
                "import/<uuid:job>/status/",
                self.admin_site.admin_view(self.import_status_view),
                name="%s_%s_import_status" % info,
            ),
            *super().get_urls(),
        ]

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def _url(self, view: str, *args) -> str:
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}", args=args)

    def _render(self, request, page: str, context: dict) -> TemplateResponse:
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "changelist_url": self._url("changelist"),
            "upload_url": self._url("import"),
            **context,
        }
        return TemplateResponse(request, f"{TEMPLATE_DIR}/import_{page}.html", context)

    def import_upload_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = CaseImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            plan = cases_file_check(acting_user=request.user, data=data)
            job, flagged = None, []
            if plan.ok and plan.rows:
                flagged = flagged_rows(plan)
                job = import_job_create(data=data, file_name=upload.name, user=request.user, plan=plan, flagged=flagged)
            errors = plan.errors_by_line()
            return self._render(
                request,
                "preview",
                {
                    "title": _("Import people: check %(name)s") % {"name": upload.name},
                    "file_name": upload.name,
                    "plan": plan,
                    "errors": errors[:MAX_ERRORS_SHOWN],
                    "errors_not_shown": max(len(errors) - MAX_ERRORS_SHOWN, 0),
                    "rows": plan.rows[:MAX_ROWS_SHOWN],
                    "rows_not_shown": max(len(plan.rows) - MAX_ROWS_SHOWN, 0),
                    "offers": link_offers(flagged, {}),
                    "confirm_url": self._url("import_job", uuid.UUID(job)) if job else "",
                },
            )
        return self._render(
            request,
            "upload",
            {
                "title": _("Import people from a CSV file"),
                "form": form,
                "columns": import_columns(),
                "example_url": self._url("import_example"),
                "example_file_name": EXAMPLE_FILE_NAME,
            },
        )

    def import_example_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        response = HttpResponse(example_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{EXAMPLE_FILE_NAME}"'
        return response

    def _job(self, request, job) -> dict:
        """The job's record, only for the editor who uploaded it."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        status = import_job_status(job.hex)
        if status is None or status.get("user_id") != request.user.pk:
            raise Http404
        return status

    def import_job_view(self, request, job):
        status = self._job(request, job)
        flagged = status.get("flagged", []) if status["state"] == JobState.CHECKED else []
        chosen, missing = {}, False
        if request.method == "POST":
            if status["state"] == JobState.CHECKED:
                chosen = {row["line"]: request.POST.get(LINK_FIELD.format(line=row["line"]), "") for row in flagged}
                links, missing = links_chosen(flagged, chosen)
                if not missing:
                    import_job_start(job_id=job.hex, links=links)
            if not missing:
                return redirect(self._url("import_job", job))
        finished = status["state"] in FINISHED
        return self._render(
            request,
            "job",
            {
                "title": _("Import people: %(name)s") % {"name": status.get("file_name", "")},
                "status": status,
                "finished": finished,
                # The page follows the job only while a worker has it (not before it is confirmed).
                "polls": not finished and status["state"] != JobState.CHECKED,
                "status_url": self._url("import_status", job),
                "job_url": self._url("import_job", job),
                "offers": link_offers(flagged, chosen),
                "links_missing": missing,
            },
        )

    def import_status_view(self, request, job):
        status = self._job(request, job)
        return JsonResponse({key: status[key] for key in STATUS_FIELDS if key in status})
