"""The list and the statistics on a 390 px phone: no sideways scrolling, results near the top, tap
targets of at least 24×24 CSS px; wide screens show the list's filters open. Screenshots at 390 and
1280 px are kept in artifacts/.
"""

import pytest
from playwright.sync_api import expect

from .conftest import describe_axe_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1280, "height": 800}
# The first result must start within this many CSS px of the top of the page on a phone.
FIRST_RESULT_WITHIN = 700
# WCAG 2.2's minimum target size (2.5.8), in CSS px.
MIN_TARGET = 24
LIST_PATH = "/prisoners/"
STATS_PATH = "/stats/"


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def small_targets(page, selector: str) -> list[str]:
    """Each visible element matching `selector` that is narrower or shorter than MIN_TARGET, described."""
    targets = page.locator(selector)
    count = targets.count()
    assert count, f"nothing on {page.url} matches {selector!r}"
    small = []
    for index in range(count):
        target = targets.nth(index)
        box = target.bounding_box()
        if box is None:  # not rendered (e.g. inside a folded <details>)
            continue
        if box["width"] < MIN_TARGET or box["height"] < MIN_TARGET:
            small.append(f"{selector} #{index} ({target.inner_text()!r}): {box['width']:.0f}×{box['height']:.0f}")
    return small


def test_the_list_on_a_phone_fits_and_puts_the_results_first(page, site_url, artifacts_dir):
    page.set_viewport_size(PHONE)
    page.goto(site_url + LIST_PATH + "?per_page=10")

    assert page_width(page) <= PHONE["width"]
    first = page.locator("ol#results > li").first
    expect(first).to_be_visible()
    assert first.bounding_box()["y"] <= FIRST_RESULT_WITHIN
    # The filters are folded away behind their summary until asked for.
    expect(page.locator("form#filters")).to_be_hidden()
    page.screenshot(path=artifacts_dir / "list-390.png", full_page=True)

    assert not small_targets(page, "ol#results > li > a")
    assert not small_targets(page, "details.filters-panel > summary")
    assert not small_targets(page, "nav.pagination a")
    assert not small_targets(page, "header nav a")

    page.locator("details.filters-panel > summary").click()
    expect(page.locator("form#filters")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    assert not small_targets(page, "form#filters input[type=checkbox]")
    assert not small_targets(page, "form#filters button, form#filters select, form#filters input")
    assert not small_targets(page, "a.clear-filters")


def test_the_chips_of_a_filtered_list_are_large_enough_to_tap(page, site_url):
    page.set_viewport_size(PHONE)
    page.goto(site_url + LIST_PATH + "?status=released&region=minsk")
    expect(page.locator("ul.active-filters a")).to_have_count(2)
    assert not small_targets(page, "ul.active-filters a")
    assert page_width(page) <= PHONE["width"]


def test_an_unreadable_filter_on_a_phone_shows_its_error_open_and_accessible(page, site_url, axe):
    page.set_viewport_size(PHONE)
    page.goto(site_url + LIST_PATH + "?released_after=garbage")
    date = page.locator("input[name=released_after]")
    expect(date).to_be_visible()
    expect(date).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#" + date.get_attribute("aria-describedby"))).to_contain_text("Enter a valid date.")
    expect(page.locator("ol#results")).to_have_count(0)
    expect(page.locator("ul.active-filters")).to_have_count(0)
    assert page_width(page) <= PHONE["width"]
    violations = axe(page)
    assert not violations, describe_axe_violations(violations)


def test_the_statistics_fit_a_phone(page, site_url, artifacts_dir, axe):
    page.set_viewport_size(PHONE)
    page.goto(site_url + STATS_PATH)

    assert page_width(page) <= PHONE["width"]
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"chart {index} is {box}"
    # A table wider than the screen scrolls inside its own box, never the page.
    for index in range(page.locator(".table-scroll").count()):
        region = page.locator(".table-scroll").nth(index).bounding_box()
        assert region["x"] + region["width"] <= PHONE["width"]
    assert not small_targets(page, "form.stats-day input, form.stats-day button")
    page.screenshot(path=artifacts_dir / "stats-390.png", full_page=True)
    violations = axe(page)
    assert not violations, describe_axe_violations(violations)


def test_wide_screens_show_the_filters_open(page, site_url, artifacts_dir):
    page.set_viewport_size(WIDE)
    page.goto(site_url + LIST_PATH)
    expect(page.locator("form#filters")).to_be_visible()
    expect(page.locator("details.filters-panel > summary")).to_be_hidden()
    assert page_width(page) <= WIDE["width"]
    page.screenshot(path=artifacts_dir / "list-1280.png", full_page=True)

    page.goto(site_url + STATS_PATH)
    assert page_width(page) <= WIDE["width"]
    page.screenshot(path=artifacts_dir / "stats-1280.png", full_page=True)
