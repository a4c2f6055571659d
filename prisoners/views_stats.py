"""The statistics page: counts on a chosen day, monthly series and breakdowns, as SVG charts."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from . import charts
from .freshness import public_record_etag, public_response, public_state
from .stats import stats_summary

NO_FUTURE_DAY = gettext_lazy("Choose a day no later than today.")


class StatsDayForm(forms.Form):
    on = forms.DateField(
        label=gettext_lazy("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_on(self):
        day = self.cleaned_data["on"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(NO_FUTURE_DAY, code="future")
        return day


def _month_charts(months: list[dict], release_types: list[dict]) -> dict:
    """The three monthly charts, their key, and the table rows behind them."""
    starts = [dt.date.fromisoformat(f"{row['month']}-01") for row in months]
    names = [date_format(month, "YEAR_MONTH_FORMAT") for month in starts]
    # Years mark the axis; a series shorter than a year is marked by its first month.
    x_labels = {i: str(month.year) for i, month in enumerate(starts) if month.month == 1} or (
        {0: names[0]} if names else {}
    )
    span = {"start": names[0], "end": names[-1]} if names else {"start": "", "end": ""}
    in_custody = [row["in_custody_at_least"] for row in months]
    at_most = [row["in_custody_at_most"] for row in months]
    detained = [row["newly_detained"] for row in months]
    peak = max(range(len(in_custody)), key=lambda i: (in_custody[i], i), default=None)

    present = [kind for kind in release_types if any(row["released"][kind["value"]] for row in months)]
    colours = {kind["value"]: charts.PALETTE[i % len(charts.PALETTE)] for i, kind in enumerate(release_types)}
    release_series = [
        charts.Series(kind["label"], [row["released"][kind["value"]] for row in months], colours[kind["value"]])
        for kind in present
    ]
    return {
        "in_custody": charts.line_chart(
            in_custody,
            chart_id="chart-in-custody",
            title=_("People in custody at the end of each month"),
            desc=(
                _(
                    "From %(start)s to %(end)s, people surely in custody: highest %(peak)s in %(peak_month)s, "
                    "%(last)s at the end. The pale band shows how many more the open dates allow, "
                    "%(last_most)s at most at the end."
                )
                % {
                    **span,
                    "peak": in_custody[peak],
                    "peak_month": names[peak],
                    "last": in_custody[-1],
                    "last_most": at_most[-1],
                }
                if months
                else _("No months to show.")
            ),
            x_labels=x_labels,
            upper=at_most,
        ),
        "detained": charts.bar_chart(
            names,
            [charts.Series(_("newly detained"), detained)],
            chart_id="chart-detained",
            title=_("People newly detained each month"),
            desc=_("From %(start)s to %(end)s; %(total)s in all.") % {**span, "total": sum(detained)},
            x_labels=x_labels,
        ),
        "released": charts.bar_chart(
            names,
            release_series,
            chart_id="chart-released",
            title=_("People released each month, by kind of release"),
            desc=_("From %(start)s to %(end)s; %(total)s in all. Kinds: %(kinds)s.")
            % {
                **span,
                "total": sum(row["released_total"] for row in months),
                "kinds": ", ".join(kind["label"] for kind in present) or "—",
            },
            x_labels=x_labels,
        ),
        "released_legend": charts.legend(release_series),
        "release_types": present,
        "rows": [
            {**row, "name": name, "released_present": [row["released"][kind["value"]] for kind in present]}
            for row, name in zip(months, names, strict=True)
        ],
    }


def _breakdown_sections(breakdowns: dict[str, list[dict]], day_name: str) -> list[dict]:
    """Heading, chart and table rows for each breakdown, in the order of the page."""
    texts = {
        "region": (_("By region"), _("Region"), _("People in custody on %(day)s by region"), ""),
        "article": (
            _("By article of the charges"),
            _("Article"),
            _("People in custody on %(day)s by article of the charges"),
            _("A person charged under several articles is counted under each."),
        ),
        "gender": (_("By gender"), _("Gender"), _("People in custody on %(day)s by gender"), ""),
    }
    sections = []
    for key, (heading, column, title, note) in texts.items():
        rows = breakdowns[key]
        chart = charts.horizontal_bar_chart(
            [(row["label"], row["count"]) for row in rows],
            chart_id=f"chart-{key}",
            title=title % {"day": day_name},
            desc=_("The same figures are in the table below."),
        )
        sections.append({"heading": heading, "column": column, "note": note, "chart": chart, "rows": rows})
    return sections


def _month_unknown_rows(rows: list[dict]) -> list[dict]:
    """Flows no month holds, worded per year: "2020" or "year unknown"."""
    return [{**row, "name": str(row["year"]) if row["year"] is not None else _("year unknown")} for row in rows]


def range_sentence(summary: dict) -> str:
    """ "At least 35, at most 41: for 6 people the recorded dates leave it open." Empty when the count is exact."""
    least, most = summary["in_custody_at_least"], summary["in_custody_at_most"]
    if most == least:
        return ""
    return ngettext(
        "At least %(least)s, at most %(most)s: for %(open)s person the recorded dates leave it open.",
        "At least %(least)s, at most %(most)s: for %(open)s people the recorded dates leave it open.",
        most - least,
    ) % {"least": least, "most": most, "open": most - least}


@public_response(public_record_etag)
def stats(request):
    today = timezone.localdate()
    form = StatsDayForm({"on": request.GET.get("on") or today.isoformat()})
    day = (form.cleaned_data["on"] or today) if form.is_valid() else today
    summary = stats_summary(on=day, state=public_state(request))
    day_name = date_format(day, "DATE_FORMAT")
    return render(
        request,
        "prisoners/stats.html",
        {
            "form": form,
            "day": day,
            "summary": summary,
            "months": _month_charts(summary["series"]["months"], summary["release_types"]),
            "month_unknown": _month_unknown_rows(summary["series"]["month_unknown"]),
            "range_sentence": range_sentence(summary),
            "breakdowns": _breakdown_sections(summary["breakdowns"], day_name),
        },
    )
