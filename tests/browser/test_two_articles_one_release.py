"""In Chromium: one release reported by two of the demo's June 2025 articles is one release with two citations."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from prisoners.models import Person, Release
from prisoners.roles import SYSTEM
from prisoners.services import record_delete
from sources.models import Citation
from tests.browser.test_intake import PASSWORD, select_passage

pytestmark = pytest.mark.browser

# Passages of articles 001 and 003 (shared/seeds) about Natallia Dulina's release.
ARTICLE_001 = (
    "Tikhanovsky was one of 14 Belarusian political prisoners freed following U.S. Special Representative "
    "Keith Kellogg's visit to Minsk and meeting with Lukashenko. Among those released were RFE/RL journalist "
    "Igor Kornei and university professor Natalia Dulina."
)
ARTICLE_003 = (
    "The human rights organisation Viasna confirmed that, in addition to Tsikhanouski, thirteen other political "
    "prisoners were freed. These include Natallia Dulina, Ihar Karney, Halina Krasnianskaya, Akihiro "
    "Haievski-Khanada, and Kiryl Balakhanau."
)
PASSAGE_001 = "Among those released were RFE/RL journalist Igor Kornei and university professor Natalia Dulina."
PASSAGE_003 = "These include Natallia Dulina, Ihar Karney"


def enter_release(page, site_url, text, passage, person):
    page.goto(f"{site_url}/admin/sources/source/intake/")
    page.fill("#id_text", text)
    page.click("text=Save and read")
    expect(page.locator("#article-text")).to_be_visible()
    select_passage(page, passage)
    page.select_option("#id_person", str(person.pk))
    page.select_option("#id_fact_type", "release")
    page.fill("#id_date", "21 June 2025")
    page.select_option("#id_release_type", "pardon")
    page.click("text=Save cited fact")


def test_the_second_article_corroborates_the_release_the_first_recorded(site_url, page, artifacts_dir):
    dulina = Person.objects.get(display_name="Natallia Dulina")
    for release in Release.objects.filter(person=dulina):  # as if nobody had entered it yet
        record_delete(acting_user=SYSTEM, obj=release, reason="the test enters it again")
    User.objects.create_superuser("researcher", "r@example.org", PASSWORD)
    page.goto(f"{site_url}/admin/login/")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    enter_release(page, site_url, ARTICLE_001, PASSAGE_001, dulina)
    expect(page.locator(".messagelist")).to_contain_text("Saved with its citation")
    [release] = Release.objects.filter(person=dulina)

    enter_release(page, site_url, ARTICLE_003, PASSAGE_003, dulina)
    expect(page.locator(".field-repeat_choice")).to_contain_text("already recorded")
    page.check(f"input[name=repeat_choice][value='{release.pk}']")
    page.click("text=Save cited fact")
    expect(page.locator(".messagelist")).to_contain_text("Added as one more citation")

    assert list(Release.objects.filter(person=dulina)) == [release]
    quotes = set(
        Citation.objects.filter(content_type__model="release", object_id=release.pk).values_list("quote", flat=True)
    )
    assert {PASSAGE_001, PASSAGE_003} <= quotes

    page.goto(f"{site_url}{dulina.get_absolute_url()}")
    releases = page.locator("#release li")
    expect(releases).to_have_count(1)
    page.screenshot(path=str(artifacts_dir / "two-articles-one-release.png"), full_page=True)
    sources = page.locator("#citations").inner_text()
    assert "Tikhanovsky was one of 14" in sources and "The human rights organisation Viasna" in sources
