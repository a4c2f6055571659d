"""A researcher's walk through article intake in Chromium: paste article 003, see Tsikhanouski
highlighted, select the sentence about his 2021 sentence, save it as a cited sentence record.
"""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from prisoners.models import Sentence
from sources.models import Citation

pytestmark = pytest.mark.browser

# Short passages of article 003 (shared/seeds), as a researcher would paste them.
ARTICLE_003 = (
    "Fourteen political prisoners, including prominent opposition figure Siarhei Tsikhanouski, have been "
    "released by the Belarusian authorities in what appears to be a coordinated diplomatic move during the "
    "visit of U.S. Special Envoy Keith Kellogg to Minsk.\n\n"
    "In 2021, Tsikhanouski was sentenced to 18 years in a high-security penal colony on charges including "
    "organising mass unrest and inciting hatred. In 2023, his sentence was extended by another 18 months."
)
SENTENCE_2021 = "In 2021, Tsikhanouski was sentenced to 18 years in a high-security penal colony"
PASSWORD = "a long test password 2025"


def select_passage(page, passage):
    """Select `passage` in the article as a mouse would, then release the button."""
    # The article is drawn before intake.js (deferred) listens for a selection; "load" comes after it.
    page.wait_for_load_state("load")
    page.evaluate(
        """(passage) => {
            const article = document.getElementById("article-text");
            const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
            let text = "", nodes = [];
            while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
            const start = text.indexOf(passage), end = start + passage.length;
            const at = (offset) => { for (const [node, from] of nodes) { if (offset <= from + node.data.length) return [node, offset - from]; } };
            const range = document.createRange();
            range.setStart(...at(start)); range.setEnd(...at(end));
            const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
            article.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }""",
        passage,
    )


def test_a_researcher_turns_the_2021_sentence_into_a_cited_record(site_url, page, artifacts_dir):
    User.objects.create_superuser("researcher", "r@example.org", PASSWORD)
    page.goto(f"{site_url}/admin/login/")
    page.fill("#id_username", "researcher")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    page.goto(f"{site_url}/admin/sources/source/")
    page.click("text=Add from article")
    page.fill("#id_text", ARTICLE_003)
    page.click("text=Save and read")

    highlighted = page.locator("#article-text mark.person", has_text="Tsikhanouski")
    expect(highlighted.first).to_be_visible()
    assert highlighted.count() == 2

    select_passage(page, SENTENCE_2021)
    expect(page.locator("#id_quote")).to_have_value(SENTENCE_2021)
    expect(page.locator("#id_fact_type")).to_have_value("sentence")
    expect(page.locator("#id_date")).to_have_value("2021")
    expect(page.locator("#id_term")).to_have_value("18y")
    expect(page.locator("#id_regime")).to_have_value("strict")
    assert page.locator("#id_person option:checked").inner_text() == "Siarhei Tsikhanouski"
    page.screenshot(path=str(artifacts_dir / "intake.png"), full_page=True)

    page.click("text=Save cited fact")
    # The demo records that sentence already: the page offers the passage as one more citation of it.
    recorded = Sentence.objects.get(defendant__person__slug="siarhei-tsikhanouski", date="2021", kind="original")
    expect(page.locator(".field-repeat_choice")).to_contain_text("already recorded")
    page.check(f"input[name=repeat_choice][value='{recorded.pk}']")
    page.screenshot(path=str(artifacts_dir / "intake-corroborate.png"), full_page=True)
    page.click("text=Save cited fact")
    expect(page.locator(".messagelist")).to_contain_text("Added as one more citation")
    citation = Citation.objects.filter(quote=SENTENCE_2021, source__text=ARTICLE_003).get()
    assert citation.content_object == recorded
    assert Sentence.objects.filter(defendant__person__slug="siarhei-tsikhanouski", term_years=18).count() == 1

    # The profile shows one sentence, with the new article among its sources.
    page.goto(f"{site_url}/prisoners/siarhei-tsikhanouski/")
    expect(page.locator("body")).to_contain_text(ARTICLE_003.split("\n")[0][:40])
