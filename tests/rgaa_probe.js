// What the RGAA browser tests measure on a page, in one call (tests/test_rgaa_browser.py).
// Run by the test driver (WebDriver), never by the site: Repère's pages have no JavaScript.
// Returns plain data; the Python tests decide what is wrong.
const rtl = document.documentElement.dir === "rtl";

function visible(el) {
  const style = getComputedStyle(el);
  if (style.visibility === "hidden" || style.display === "none") return false;
  const r = el.getBoundingClientRect();
  return r.width > 1 && r.height > 1;
}

function describe(el) {
  let text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
  text = text.replace(/\s+/g, " ").slice(0, 60);
  const id = el.id ? "#" + el.id : "";
  return `<${el.tagName.toLowerCase()}${id}> ${text}`;
}

function rgb(value) {
  const m = value.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
}

function luminance(c) {
  const f = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
}

function ratio(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

// The colour drawn behind an element: its own background, else its ancestors'.
function background(el, own) {
  if (own) {
    const c = rgb(own);
    if (c && c.a >= 1) return c;
  }
  for (let e = own ? el.parentElement : el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && c.a >= 1) return c;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
}

function large(style) {
  const size = parseFloat(style.fontSize);
  return size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
}

// --- CSS rules of a state (:hover, :visited, ...), applied by hand -------------------
// getComputedStyle never tells the colour of a visited link (privacy), and a hover needs a
// mouse: the rules of each state are read from the stylesheet and applied in cascade order.
function specificity(selector) {
  const ids = (selector.match(/#[\w-]+/g) || []).length;
  const classes = (selector.match(/(\.[\w-]+|\[[^\]]+\]|:(?!:)[\w-]+(\([^)]*\))?)/g) || []).length;
  const types = (selector.replace(/\[[^\]]+\]|\([^)]*\)/g, "").match(/(^|[\s>+~])[a-z][\w-]*/gi) || []).length;
  return ids * 10000 + classes * 100 + types;
}

const stateRules = [];
for (const sheet of document.styleSheets) {
  let rules;
  try { rules = sheet.cssRules; } catch (e) { continue; }
  let order = 0;
  for (const rule of rules) {
    order += 1;
    if (!rule.selectorText) continue;
    for (const selector of rule.selectorText.split(",")) {
      for (const state of ["hover", "visited", "focus-visible"]) {
        if (selector.includes(":" + state)) {
          stateRules.push({
            state,
            base: selector.replaceAll(":" + state, "").trim() || "*",
            weight: specificity(selector) * 10000 + order,
            color: rule.style.color,
            background: rule.style.backgroundColor,
          });
        }
      }
    }
  }
}

function inState(el, state) {
  const style = getComputedStyle(el);
  let color = style.color;
  let back = style.backgroundColor;
  let colorWeight = -1;
  let backWeight = -1;
  for (const rule of stateRules) {
    if (rule.state !== state) continue;
    let matches = false;
    try { matches = el.matches(rule.base) || el.matches(rule.base + " *"); } catch (e) { matches = false; }
    if (!matches) continue;
    if (rule.color && rule.weight > colorWeight) { color = rule.color; colorWeight = rule.weight; }
    if (rule.background && state !== "visited" && rule.background !== "initial" && rule.weight > backWeight) {
      back = rule.background; backWeight = rule.weight;
    }
  }
  const probe = document.createElement("span");
  probe.style.color = color;
  probe.style.backgroundColor = back;
  document.body.appendChild(probe);
  const computed = getComputedStyle(probe);
  const result = { color: computed.color, background: computed.backgroundColor };
  probe.remove();
  return result;
}

function contrastIn(el, state) {
  const style = getComputedStyle(el);
  const colours = state ? inState(el, state) : { color: style.color, background: style.backgroundColor };
  const fore = rgb(colours.color);
  const back = background(el, colours.background);
  const need = large(style) ? 3 : 4.5;
  return { ratio: Math.round(ratio(fore, back) * 100) / 100, need, state: state || "normal", element: describe(el) };
}

// --- What is measured ---------------------------------------------------------------
const interactive = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, audio[controls]")];
interactive.forEach((el, index) => { el.__rgaa = index; });

const links = [...document.querySelectorAll("a[href]")].map((a) => ({
  text: (a.innerText || "").replace(/\s+/g, " ").trim(),
  href: a.href,
  zone: a.closest("header, footer, nav") ? (a.closest("header") ? "header" : a.closest("footer") ? "footer" : "nav") : "content",
  visible: visible(a),
}));

// Reading order: the blocks of text and the controls, in the order of the source.
const units = [...document.querySelectorAll("h1,h2,h3,h4,h5,h6,p,li,dt,dd,label,legend,a[href],button,input:not([type=hidden]),select,textarea,th,td,audio,img,summary")]
  .filter(visible)
  .map((el) => {
    const r = el.getBoundingClientRect();
    return { element: describe(el), top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right };
  });

// Texts and the language they are in (the nearest lang attribute).
const texts = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const node = walker.currentNode;
  const text = node.textContent.replace(/\s+/g, " ").trim();
  if (!text || !node.parentElement || node.parentElement.closest("script, style")) continue;
  const block = node.parentElement.closest("p, li, h1, h2, h3, h4, h5, h6, label, legend, td, th, dt, dd, a, button, span, strong, em, div") || node.parentElement;
  texts.push({ text, lang: node.parentElement.closest("[lang]").lang, block: describe(block) });
}
const langs = [...document.querySelectorAll("[lang]")].map((el) => ({ lang: el.lang, dir: el.getAttribute("dir"), element: describe(el) }));

// Contrast of every text, normal and in the states its rules define.
const contrast = [];
for (const el of document.querySelectorAll("body *")) {
  if (!visible(el)) continue;
  const hasText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!hasText) continue;
  contrast.push(contrastIn(el, null));
  if (el.closest("a[href]")) contrast.push(contrastIn(el, "visited"));
  if (el.closest("a[href], button, summary, label")) contrast.push(contrastIn(el, "hover"));
}

const landmarks = [...document.querySelectorAll("header, nav, main, footer, aside, [role]")].map((el) => ({
  tag: el.tagName.toLowerCase(), role: el.getAttribute("role"), label: el.getAttribute("aria-label"),
}));
const outside = [];
const walker2 = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker2.nextNode()) {
  const node = walker2.currentNode;
  const el = node.parentElement;
  if (!node.textContent.trim() || !el || !visible(el)) continue;
  if (!el.closest("header, nav, main, footer, aside, [role=banner], [role=main], [role=contentinfo], [role=navigation], .skip-link")) {
    outside.push(describe(el));
  }
}

// What no page may hold: a new window, a tooltip, a shortcut, a sound or anything moving.
const forbidden = [
  ...[...document.querySelectorAll("[target]")].map((el) => "target: " + describe(el)),
  ...[...document.querySelectorAll("body [title]")].map((el) => "title: " + describe(el)),
  ...[...document.querySelectorAll("[accesskey]")].map((el) => "accesskey: " + describe(el)),
  ...[...document.querySelectorAll("[autoplay], marquee, blink")].map((el) => "moves: " + describe(el)),
  ...[...document.querySelectorAll("body *")]
    .filter((el) => visible(el) && getComputedStyle(el).animationName !== "none")
    .map((el) => "animated: " + describe(el)),
];

const tabindex = [...document.querySelectorAll("[tabindex]")]
  .filter((el) => Number(el.getAttribute("tabindex")) > 0).map(describe);

// Every focus from now on is written down with the styles it shows (the tests press Tab).
window.__rgaaFocus = [];
document.addEventListener("focusin", (event) => {
  const el = event.target;
  const style = getComputedStyle(el);
  window.__rgaaFocus.push({
    index: el.__rgaa === undefined ? -1 : el.__rgaa,
    element: describe(el),
    outline: style.outlineStyle !== "none" ? parseFloat(style.outlineWidth) : 0,
    outlineContrast: Math.round(ratio(rgb(style.outlineColor), background(el, null)) * 100) / 100,
    background: style.backgroundColor,
    contrast: contrastIn(el, null),
  });
});

return {
  title: document.title,
  lang: document.documentElement.lang,
  dir: document.documentElement.dir,
  rtl,
  links,
  units,
  texts,
  langs,
  contrast,
  landmarks,
  outside,
  tabindex,
  forbidden,
  interactive: interactive.map((el) => ({
    element: describe(el),
    radio: el.type === "radio" ? el.name : null,
    disabled: !!el.disabled,
    shown: visible(el) || el.classList.contains("skip-link"),
    background: getComputedStyle(el).backgroundColor,
    outline: getComputedStyle(el).outlineStyle !== "none" ? parseFloat(getComputedStyle(el).outlineWidth) : 0,
  })),
};
