// Name suggestions for the list's search box (templates/prisoners/_name_suggestions.html): from
// the third letter, ask prisoners/suggestions.py for the names that begin as typed and offer them
// in the box's datalist; choosing one opens that person's page. Without this the box still searches.
(function () {
  "use strict";
  const script = document.currentScript;
  const input = script && document.getElementById(script.dataset.input);
  const list = input && document.getElementById(script.dataset.input + "-suggestions");
  if (!list || !window.fetch || !window.AbortController) return;
  input.setAttribute("list", list.id);
  input.setAttribute("autocomplete", "off");
  let pages = new Map();  // suggested name -> its page, from the latest answer
  let pending = null;
  input.addEventListener("input", async function (event) {
    const text = input.value;
    // A suggestion chosen from the list replaces the text without typing (no inputType, or a replacement).
    if (pages.has(text) && (!event.inputType || event.inputType === "insertReplacementText")) {
      window.location.assign(pages.get(text));
      return;
    }
    if ((text.match(/\p{L}/gu) || []).length < 3) { list.replaceChildren(); return; }
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const response = await fetch(script.dataset.url + "?q=" + encodeURIComponent(text),
        {signal: pending.signal, credentials: "omit", headers: {Accept: "application/json"}});
      if (!response.ok) return;
      const suggestions = (await response.json()).suggestions;
      pages = new Map(suggestions.map((suggestion) => [suggestion.name, suggestion.url]));
      list.replaceChildren(...suggestions.map((suggestion) => {
        const option = document.createElement("option");
        option.value = suggestion.name;
        return option;
      }));
    } catch (error) { /* superseded by the next letter, or offline: the box still searches */ }
  });
})();
