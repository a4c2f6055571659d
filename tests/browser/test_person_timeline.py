"""In Chromium at 1280×800: a person's timeline and one fact's own form fit the screen, and the timeline passes axe-core.

The person editor used to be one page of eight inlines, 2,500 px wide, whose certainty,
citation and delete columns were off-screen. Screenshots are kept in artifacts/.
"""

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from prisoners.models import Person

from .conftest import describe_axe_violations

pytestmark = pytest.mark.browser
PASSWORD = "a long test password 2025"
WIDE = {"width": 1280, "height": 800}
# Enough for "16 released" or a paragraph number; narrower, an input is there only in name.
MIN_INPUT_WIDTH = 48


def log_in_as_editor(page, site_url) -> None:
    """An Editor: the one role that sees every control of a fact's form, delete included."""
    user = User.objects.create_user("editor", "editor@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Editor"))
    page.goto(f"{site_url}/admin/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def off_screen(page, selector: str) -> list[str]:
    """Each element matching `selector` whose right edge is beyond the viewport, described."""
    elements = page.locator(selector)
    count = elements.count()
    assert count, f"nothing on {page.url} matches {selector!r}"
    beyond = []
    for index in range(count):
        box = elements.nth(index).bounding_box()
        assert box is not None, f"{selector} #{index} is not rendered"
        if box["x"] < 0 or box["x"] + box["width"] > WIDE["width"]:
            beyond.append(f"{selector} #{index}: x {box['x']:.0f} to {box['x'] + box['width']:.0f}")
    return beyond


def boxes(page, selector: str) -> list[dict]:
    elements = page.locator(selector)
    return [elements.nth(index).bounding_box() for index in range(elements.count())]


def test_the_timeline_and_a_fact_form_fit_1280_px_and_saving_returns(page, site_url, axe, artifacts_dir):
    person = Person.objects.get(slug="siarhei-tsikhanouski")
    timeline = f"{site_url}/admin/prisoners/person/{person.pk}/timeline/"
    page.set_viewport_size(WIDE)
    log_in_as_editor(page, site_url)

    page.goto(f"{site_url}/admin/prisoners/person/{person.pk}/change/")
    page.click("#timeline-link")
    expect(page).to_have_url(timeline)
    expect(page.locator("#timeline-events tbody tr").first).to_be_visible()
    assert page_width(page) <= WIDE["width"]
    assert not off_screen(page, "#timeline-events a.changelink")
    violations = axe(page)
    assert not violations, describe_axe_violations(violations)
    page.screenshot(path=artifacts_dir / "admin-timeline-1280.png", full_page=True)

    # The release the demo's June 2025 articles report: a fact with citations.
    page.locator("#timeline-events tr[id^='release-'] a.changelink").first.click()
    expect(page.locator("#back-to-timeline")).to_be_visible()
    citations = page.locator(".inline-group .tabular tbody tr.has_original")
    expect(citations.first).to_be_visible()
    assert page_width(page) <= WIDE["width"]
    for controls in [
        "#id_cite_source + .select2-container",  # the quick citation's source (autocomplete)
        "#id_cite_certainty",
        ".inline-group tr.has_original td.field-source .select2-container",
        ".inline-group tr.has_original td.field-certainty select",
        ".inline-group tr.has_original td.field-field_name select",
        ".inline-group tr.has_original td.delete input[type=checkbox]",
        ".submit-row a.deletelink",
    ]:
        assert not off_screen(page, controls), controls
    for inputs in ["td.field-quote textarea", "td.field-locator input", "td.field-claim input"]:
        narrowest = min(box["width"] for box in boxes(page, f".inline-group tr.has_original {inputs}"))
        assert narrowest >= MIN_INPUT_WIDTH, f"{inputs} squeezed to {narrowest:.0f} px"
    page.screenshot(path=artifacts_dir / "admin-fact-form-1280.png", full_page=True)

    page.fill("#id_note", "Taken to Vilnius the same day.")
    page.click("input[name=_save]")
    expect(page).to_have_url(timeline)
    expect(page.locator("#timeline-events")).to_contain_text("Taken to Vilnius the same day.")


def test_every_fact_form_the_timeline_opens_fits_1280_px(page, site_url):
    person = Person.objects.get(slug="siarhei-tsikhanouski")
    page.set_viewport_size(WIDE)
    log_in_as_editor(page, site_url)
    page.goto(f"{site_url}/admin/prisoners/person/{person.pk}/timeline/")
    links = page.locator(".timeline a.changelink, .timeline a.addlink")
    urls = [links.nth(index).get_attribute("href") for index in range(links.count())]
    assert len(urls) > 10
    for url in urls:
        page.goto(site_url + url)
        expect(page.locator("#back-to-timeline")).to_be_visible()
        assert page_width(page) <= WIDE["width"], url
        assert not off_screen(page, ".submit-row input[name=_save]"), url
