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

// A display equation wider than the text column (a phone is about 400 px wide) is scaled down to
// fit, to no less than MIN_SCALE of its size; what is still too wide scrolls sideways inside its
// own box (extra.css), so the page itself never scrolls sideways.
const MIN_SCALE = 0.6;

function fitDisplays(root) {
  for (const element of root.querySelectorAll("div.arithmatex")) {
    const formula = element.querySelector(".katex-display > .katex");
    if (!formula) continue;
    formula.style.fontSize = "";
    if (element.scrollWidth <= element.clientWidth) continue;
    const scale = Math.max((0.98 * element.clientWidth) / element.scrollWidth, MIN_SCALE);
    formula.style.fontSize = `${parseFloat(getComputedStyle(formula).fontSize) * scale}px`;
  }
}

// Material for MkDocs emits document$ on every page load (instant navigation included).
// The widths are measured once KaTeX's fonts have loaded: before, the formulas are narrower.
document$.subscribe(({ body }) => {
  typeset(body);
  document.fonts.ready.then(() => fitDisplays(body));
});
window.addEventListener("resize", () => fitDisplays(document.body));

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
