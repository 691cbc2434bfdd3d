(opts) => {
  // opts.root: the part of the page to check (a CSS selector); opts.tables: whether a table or code
  // block that scrolls sideways counts as cut (at 1280 px; on a phone they scroll, as tables do).
  const problems = [];
  const main = document.querySelector(opts.root);
  if (!main) return [{check: "missing", where: opts.root, text: "", detail: "not on the page"}];
  const vw = document.documentElement.clientWidth;
  const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
  const where = (el) => {
    const key = el.closest('[class*="st-key-"]');
    const k = key ? [...key.classList].find(c => c.startsWith("st-key-")) : "";
    const tid = el.closest("[data-testid]");
    return `${tid ? tid.dataset.testid : el.tagName}${k ? " " + k : ""}`;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    if (el.checkVisibility && !el.checkVisibility({contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true})) return false;
    const cs = getComputedStyle(el);
    return cs.visibility !== "hidden" && cs.display !== "none" && Number(cs.opacity) > 0.05;
  };
  const report = (check, el, detail) => problems.push({check, where: where(el),
      text: norm(el.innerText || el.textContent).slice(0, 80), detail, el});
  const inChart = (el) => el.closest(".vega-embed, [data-testid='stDataFrame'], [data-testid='stDeckGlJsonChart'], canvas, svg, iframe, .katex-mathml");
  // KaTeX lays a formula out of boxes that overlap by design; its size is checked as a whole.
  const inMath = (el) => el.closest(".katex");

  // The part of the screen an element's content can show in: its scrolling and clipping ancestors'.
  // hiddenOnly: only the ancestors that hide what sticks out (not those that scroll).
  const clipCaches = [new Map(), new Map()];
  const clipOf = (el, hiddenOnly = false) => {
    if (!el || el === main) return {left: -1e9, top: -1e9, right: 1e9, bottom: 1e9};
    const cache = clipCaches[hiddenOnly ? 1 : 0];
    if (cache.has(el)) return cache.get(el);
    let c = clipOf(el.parentElement, hiddenOnly);
    const cs = getComputedStyle(el);
    const clips = hiddenOnly ? ["hidden", "clip"].includes(cs.overflowX) : cs.overflowX !== "visible" || cs.overflowY !== "visible";
    if (clips) {
      const r = el.getBoundingClientRect();
      c = {left: Math.max(c.left, r.left), top: Math.max(c.top, r.top), right: Math.min(c.right, r.right), bottom: Math.min(c.bottom, r.bottom)};
    }
    cache.set(el, c);
    return c;
  };
  // 1. Text cut by its box: an element that hides its overflow (or ends it with an ellipsis)
  //    while its text is wider than it.
  for (const el of main.querySelectorAll("*")) {
    if (inChart(el) || !shown(el)) continue;
    const cs = getComputedStyle(el);
    const hidesX = ["hidden", "clip"].includes(cs.overflowX) || cs.textOverflow === "ellipsis";
    if (!hidesX) continue;
    if (!norm(el.innerText)) continue;
    if (hidesX && el.scrollWidth > el.clientWidth + 1)
      report(cs.textOverflow === "ellipsis" ? "ellipsis" : "text-cut", el, `${el.scrollWidth - el.clientWidth}px wider than its box`);
    // (Text cut at the top or bottom is found from the glyphs' boxes, in step 4: a box's scrollHeight
    // also counts line spacing and hidden copies, such as KaTeX's MathML.)
  }
  // A dropdown shows its value in a one-line input: a value longer than the box is cut.
  for (const inp of main.querySelectorAll('[data-testid="stSelectbox"] input, [data-testid="stNumberInput"] input, [data-testid="stDateInput"] input')) {
    if (shown(inp) && inp.scrollWidth > inp.clientWidth + 1)
      problems.push({check: "value-cut", where: where(inp), text: norm(inp.value).slice(0, 80), detail: `${inp.scrollWidth - inp.clientWidth}px of the value hidden`, el: inp});
  }
  // Tabs: a row of tab labels that scrolls sideways hides some of them.
  for (const tabs of main.querySelectorAll('[role="tablist"]')) {
    if (shown(tabs) && tabs.scrollWidth > tabs.clientWidth + 1) report("tabs-cut", tabs, `${tabs.scrollWidth - tabs.clientWidth}px of tab labels hidden`);
  }
  // Code blocks scroll sideways: a line that does not fit is cut on screen.
  if (opts.tables) for (const pre of main.querySelectorAll('[data-testid="stCode"] pre')) {
    if (shown(pre) && pre.scrollWidth > pre.clientWidth + 1) report("code-cut", pre, `${pre.scrollWidth - pre.clientWidth}px of a line hidden`);
  }
  // Tables scroll sideways too: their columns must fit.
  if (opts.tables) for (const df of main.querySelectorAll('[data-testid="stDataFrame"]')) {
    const sc = df.querySelector(".dvn-scroller");
    if (sc && shown(df) && sc.scrollWidth > sc.clientWidth + 1) report("table-cut", df, `${sc.scrollWidth - sc.clientWidth}px of columns hidden`);
  }
  for (const t of main.querySelectorAll('[data-testid="stTable"], [data-testid="stMarkdownContainer"] table')) {
    const box = t.parentElement;
    if (shown(t) && t.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) report("table-cut", t, "wider than its column");
  }

  // 2. Anything drawn past the right edge of the screen (the page would have to scroll sideways).
  const leaves = [...main.querySelectorAll("svg, canvas, img, p, span, a, button, label, h1, h2, h3, h4, h5, h6, td, th, code")]
      .filter(el => !el.closest("svg") || el.tagName.toLowerCase() === "svg");
  for (const el of leaves) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    const right = Math.min(r.right, clipOf(el.parentElement).right);  // inside a box that scrolls: that box is checked
    if (right > vw + 1 && r.left < vw) report("off-screen", el, `right edge at ${Math.round(right)} of ${vw}`);
  }

  // 3. Charts: wider than their column, and their text outside the drawing or on top of each other.
  for (const embed of main.querySelectorAll(".vega-embed")) {
    const svg = embed.querySelector("svg");
    const canvas = embed.querySelector("canvas");
    const pic = svg || canvas;
    if (!pic || !shown(pic)) continue;
    const col = embed.closest('[data-testid="stElementContainer"]') || embed.parentElement;
    const pr = pic.getBoundingClientRect(), cr = col.getBoundingClientRect();
    if (pr.right > cr.right + 1) report("chart-wider", embed, `${Math.round(pr.width)}px chart in a ${Math.round(cr.width)}px column`);
    if (!svg) continue;
    const texts = [...svg.querySelectorAll("text")].filter(t => norm(t.textContent) && shown(t));
    for (const t of texts) {
      const r = t.getBoundingClientRect();
      // A text's box includes the font's ascent and descent: 0.3 of its font size may stick out.
      const slack = 0.3 * (parseFloat(getComputedStyle(t).fontSize) || 10);
      const out = Math.max(pr.left - r.left, r.right - pr.right, pr.top - r.top, r.bottom - pr.bottom) - slack;
      if (out > 1) report("chart-text-cut", t, `${Math.round(out)}px outside the chart`);
      else if (/…$/.test(norm(t.textContent))) report("chart-text-ellipsis", t, "shortened by the chart");
    }
    // Text of one role (axis labels, legend labels, titles) must not overlap.
    const boxes = texts.map(t => ({t, r: t.getBoundingClientRect(), role: (t.closest("g[class*='role-']") || {}).className?.baseVal || ""}));
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].r, b = boxes[j].r;
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) report("chart-text-overlap", boxes[i].t, `"${norm(boxes[i].t.textContent)}" overlaps "${norm(boxes[j].t.textContent)}" (${boxes[i].role} / ${boxes[j].role})`);
    }
  }

  // 4. Text on top of other text (a label under a button, touching link rows): the glyph boxes of
  //    the page's text nodes outside charts, as far as they are not scrolled or folded away.
  const rects = [];
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!norm(n.textContent)) continue;
    const el = n.parentElement;
    if (!el || inChart(el) || inMath(el) || !shown(el)) continue;
    const c = clipOf(el);
    const hidden = clipOf(el, true);
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const q of range.getClientRects()) {
      // A line of text running out of a box that hides it (an element whose own box fits, in a
      // column too narrow for the line: characters missing in the middle of a text).
      if (q.width > 1 && q.height > 1 && q.bottom > hidden.top && q.top < hidden.bottom &&
          (q.right > hidden.right + 1 || q.left < hidden.left - 1))
        report("text-cut", el, `runs ${Math.round(Math.max(q.right - hidden.right, hidden.left - q.left))}px out of sight`);
      // Cut at the top or bottom: more than a third of the line box (its leading is not the glyphs).
      else if (q.width > 1 && q.height > 1 && q.right > hidden.left && q.left < hidden.right &&
               Math.max(hidden.top - q.top, q.bottom - hidden.bottom) > q.height / 3 &&
               q.bottom > hidden.top && q.top < hidden.bottom)
        report("text-cut-vertically", el, `${Math.round(Math.max(hidden.top - q.top, q.bottom - hidden.bottom))}px of a ${Math.round(q.height)}px line hidden`);
      const r = {left: Math.max(q.left, c.left), top: Math.max(q.top, c.top), right: Math.min(q.right, c.right), bottom: Math.min(q.bottom, c.bottom)};
      r.height = r.bottom - r.top;
      if (r.right - r.left > 1 && r.height > 1) rects.push({el, r, text: norm(n.textContent)});
    }
  }
  for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
    const a = rects[i].r, b = rects[j].r;
    if (rects[i].el === rects[j].el) continue;
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (w > 3 && h > 3 && h > 0.3 * Math.min(a.height, b.height))
      report("text-overlap", rects[i].el, `"${rects[i].text.slice(0, 40)}" overlaps "${rects[j].text.slice(0, 40)}"`);
  }

  // Keep the innermost report of each kind: an ancestor that hides a child's overflow says the same.
  const kept = problems.filter(p => !problems.some(q => q !== p && q.check === p.check && p.el.contains(q.el) && p.el !== q.el));
  const seen = new Set();
  return kept.map(({el, ...p}) => p).filter(p => {
    const k = JSON.stringify(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
