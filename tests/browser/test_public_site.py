"""A visitor's walk through the public site in Chromium: filter the list, open a profile, follow a
footnote to its source, switch language; axe-core finds nothing serious on the list or profile.
"""

import re

import pytest
from playwright.sync_api import expect

from sources.models import Source

from .conftest import describe_axe_violations

pytestmark = pytest.mark.browser

LIST_PATH = "/prisoners/"
PROFILE_PATH = "/prisoners/siarhei-tsikhanouski/"
PROFILE_NAME = "Siarhei Tsikhanouski"
# Demo data: the people released on or after 1 June 2025.
RELEASED_SINCE_JUNE_2025 = {
    "Siarhei Tsikhanouski",
    "Ihar Karnei",
    "Natallia Dulina",
    "Halina Krasnianskaya",
    "Akihiro Haievski-Khanada",
    "Kiryl Balakhanau",
}
# Statuses a visitor can filter by (the page may offer more).
FILTER_STATUSES = [
    "detained",
    "pre_trial",
    "house_arrest",
    "convicted",
    "imprisoned",
    "released",
    "died_in_custody",
    "disappeared",
    "sentenced_in_absentia",
    "in_exile",
]
DATE_FILTERS = ["released_after", "released_before", "detained_after", "detained_before"]


def expect_language_switcher(page, current="en"):
    """Links to this page in each language (no form, so no cookie), the current one marked."""
    switcher = page.locator("nav#language-switcher")
    links = switcher.locator("a")
    assert links.evaluate_all("links => links.map(link => link.hreflang)") == ["en", "be", "ru"]
    assert links.evaluate_all("links => links.map(link => link.lang)") == ["en", "be", "ru"]
    expect(switcher.locator("a[aria-current=page]")).to_have_attribute("hreflang", current)
    expect(switcher.locator("form, select")).to_have_count(0)


def expect_no_serious_axe_violations(page, axe):
    violations = axe(page)
    assert not violations, f"axe-core on {page.url}:\n{describe_axe_violations(violations)}"


def test_chromium_loads_a_page_from_the_live_server(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    expect(page.locator("form#login-form")).to_be_visible()


def test_filtering_by_status_and_release_date_lists_the_people_released_since(page, site_url):
    page.goto(site_url + LIST_PATH)
    filters = page.locator("form#filters")
    expect(filters).to_have_attribute("method", re.compile(r"^get$", re.IGNORECASE))
    for status in FILTER_STATUSES:
        expect(filters.locator(f"input[type=checkbox][name=status][value={status}]")).to_have_count(1)
    for name in DATE_FILTERS:
        expect(filters.locator(f"input[type=date][name={name}]")).to_have_count(1)
    expect(filters.locator("select[name=region]")).to_have_count(1)
    expect(filters.locator("input[name=q]")).to_have_count(1)
    expect_language_switcher(page)

    filters.locator("input[type=checkbox][name=status][value=released]").check()
    filters.locator("input[name=released_after]").fill("2025-06-01")
    filters.get_by_role("button", name="Apply filters").click()

    expect(page).to_have_url(re.compile(r"[?&]status=released(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]released_after=2025-06-01(&|$)"))
    results = page.locator("ol#results > li")
    expect(results).to_have_count(len(RELEASED_SINCE_JUNE_2025))
    assert set(results.locator("a").all_inner_texts()) == RELEASED_SINCE_JUNE_2025
    expect(page.locator("p#result-count")).to_have_text(re.compile(rf"\b{len(RELEASED_SINCE_JUNE_2025)}\b"))
    # The form keeps what was asked, so the visitor can refine it.
    expect(filters.locator("input[name=status][value=released]")).to_be_checked()
    expect(filters.locator("input[name=released_after]")).to_have_value("2025-06-01")


def test_a_footnote_on_a_profile_leads_to_its_source(page, site_url):
    page.goto(site_url + LIST_PATH)
    page.locator("ol#results").get_by_role("link", name=PROFILE_NAME, exact=True).click()
    expect(page).to_have_url(site_url + PROFILE_PATH)
    expect(page.locator("h1")).to_have_text(PROFILE_NAME)
    expect_language_switcher(page)

    mark = page.locator("sup.cite > a").first
    href = mark.get_attribute("href")
    number = re.fullmatch(r"#cite-(\d+)", href or "")
    assert number, f"footnote mark links to {href!r}, not #cite-N"
    expect(mark).to_have_text(f"[{number[1]}]")
    expect(mark).to_have_attribute("id", re.compile(rf"^cite-ref-{number[1]}-"))
    mark.click()
    expect(page).to_have_url(f"{site_url}{PROFILE_PATH}#cite-{number[1]}")

    footnote = page.locator(f"ol#citations > li#cite-{number[1]}")
    expect(footnote).to_be_in_viewport()
    expect(footnote.locator("q")).not_to_be_empty()
    source_link = footnote.locator("a.source-link")
    source_path = source_link.get_attribute("href")
    source_id = re.fullmatch(r"/sources/(\d+)/", source_path or "")
    assert source_id, f"source link goes to {source_path!r}, not /sources/<id>/"
    source_link.click()

    expect(page).to_have_url(site_url + source_path)
    expect(page.locator("h1")).to_have_text(Source.objects.get(pk=source_id[1]).title)
    expect_language_switcher(page)


def test_switching_language_to_russian_relabels_the_same_page_and_sets_no_cookie(page, site_url):
    page.goto(site_url + PROFILE_PATH + "?x=1")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("nav#language-switcher").get_by_role("link", name="Русский").click()

    expect(page).to_have_url(f"{site_url}/ru{PROFILE_PATH}?x=1")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.locator("h1")).to_have_text("Сергей Тихановский")
    expect_language_switcher(page, current="ru")
    assert page.context.cookies() == []


@pytest.mark.parametrize(("name", "path"), [("list", LIST_PATH), ("profile", PROFILE_PATH)])
def test_page_has_no_serious_accessibility_violations(page, site_url, axe, artifacts_dir, name, path):
    response = page.goto(site_url + path)
    assert response.ok, f"{path} answered {response.status}"
    page.screenshot(path=artifacts_dir / f"{name}.png", full_page=True)
    expect_no_serious_axe_violations(page, axe)
