// Typeset the maths that pymdownx.arithmatex (generic mode) leaves in the page as
// <span class="arithmatex">\( ... \)</span> and <div class="arithmatex">\[ ... \]</div>.
// KaTeX comes from the site itself (assets/katex/), never from a CDN.
const macros = {
  "\\E": "\\mathbb{E}",
  "\\KL": "\\mathrm{KL}",
  "\\softmax": "\\operatorname{softmax}",
  "\\onehot": "\\operatorname{onehot}",
  "\\clip": "\\operatorname{clip}",
};

function typeset(root) {
  for (const element of root.querySelectorAll(".arithmatex")) {
    const source = element.textContent.trim();
    const display = source.startsWith("\\[");
    const tex = source.replace(/^\\[([]/, "").replace(/\\[)\]]$/, "");
    katex.render(tex, element, { displayMode: display, throwOnError: false, macros });
  }
}

// Material for MkDocs emits document$ on every page load (instant navigation included).
document$.subscribe(({ body }) => typeset(body));

// Search previews are plain text cut from the pages, so they hold the raw \( ... \) of the
// maths: typeset the complete formulas among them whenever the result list changes
// (including the "more on this page" foldouts).
const results = document.querySelector(".md-search-result__list");
if (results) {
  const delimiters = [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: false },
  ];
  // The observer is disconnected while it typesets, so that its own changes never trigger it
  // again: without that, typing "Bradley" (whose results include the glossary's formulas) kept
  // the observer re-typesetting until the tab crashed.
  const options = { childList: true, subtree: true };
  const observer = new MutationObserver(() => {
    observer.disconnect();
    renderMathInElement(results, { delimiters, throwOnError: false, macros });
    observer.observe(results, options);
  });
  observer.observe(results, options);
}
