// Fill the fact form from the passage the researcher selects: quote, person, date, term.
(function () {
  "use strict";
  const text = document.getElementById("article-text");
  const form = document.getElementById("fact-form");
  if (!text || !form) return;
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const TERM = /(\d+)\s*(years?|months?|год|лет|гадоў|месяц)/gi;

  function marksIn(range, kind) {
    return Array.from(text.querySelectorAll(`mark.${kind}`)).filter((mark) => range.intersectsNode(mark));
  }
  function personBefore(range) {
    let found = null;
    for (const mark of text.querySelectorAll("mark.person")) {
      const position = range.comparePoint(mark, 0);
      if (position <= 0) found = mark; else break;
    }
    return found;
  }
  function termOf(passage) {
    let years = 0, months = 0, match;
    TERM.lastIndex = 0;
    while ((match = TERM.exec(passage))) {
      if (/^(month|месяц)/i.test(match[2])) months += Number(match[1]); else years += Number(match[1]);
    }
    years += Math.floor(months / 12);
    months %= 12;
    return (years ? `${years}y` : "") + (months ? `${months}m` : "");
  }

  text.addEventListener("mouseup", () => {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    const passage = selection.toString().trim();
    if (!passage) return;
    field("quote").value = passage;
    const person = marksIn(range, "person")[0] || personBefore(range);
    const choice = person && field("person").querySelector(`option[value="${person.dataset.person}"]`);
    if (choice) field("person").value = person.dataset.person;
    const date = marksIn(range, "date")[0];
    if (date) field("date").value = date.dataset.date;
    if (/sentenc|приговор|асудж|прысуд/i.test(passage)) {
      field("fact_type").value = "sentence";
      const term = termOf(passage);
      if (term) field("term").value = term;
      if (/extended|продлен|дадатков/i.test(passage)) field("sentence_kind").value = "additional";
      if (/high-security|strict|строгого/i.test(passage)) field("regime").value = "strict";
    } else if (/released|freed|освобожд|вызвал/i.test(passage)) {
      field("fact_type").value = "release";
    }
    field("quote").dispatchEvent(new Event("change"));
  });
})();
