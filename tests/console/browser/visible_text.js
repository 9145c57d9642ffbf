// Every text a person sees on the page now: visible text nodes, every option of a visible
// select, and the placeholders, titles and labels of visible elements (tests/words/latin.py reads them).
() => {
  const out = [];
  const shown = (el) => el && el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || ["SCRIPT", "STYLE", "OPTION"].includes(el.tagName) || !shown(el)) continue;
    const t = n.nodeValue.replace(/\s+/g, " ").trim();
    if (t) out.push(t);
  }
  for (const el of document.querySelectorAll("select")) if (shown(el)) for (const o of el.options) out.push(o.text.trim());
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    if (!shown(el)) continue;
    for (const a of ["placeholder", "title", "aria-label"]) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  return out.filter((t) => t);
}
