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
