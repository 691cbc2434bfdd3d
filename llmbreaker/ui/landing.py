"""The landing page (docs/design.md §Landing, §Look): the name, the tagline, Launch, a live neural-network
background, and a strip that shows what each page does.

The background is drawn by the browser on a <canvas> (JavaScript in `st.html`), so it costs the
server nothing: no reruns, no fragment, no data sent while it moves. Everything passed to `st.html`
here is a constant of this module; no user input ever reaches it, because with
`unsafe_allow_javascript=True` it runs as code in the person's page.
"""
from __future__ import annotations

import math
from urllib.parse import quote

import streamlit as st

from llmbreaker.ui.common import PAGE_SECTIONS, PAGES, workshop_on

TAGLINE = "See intelligence emerge in real-time"
# Launch opens the page where Play is one click away; the journey map (every page in order, from a
# text to the next character) is the hero's second link.
LAUNCH_PAGE = "watch"
JOURNEY_PAGE = "journey"

# One line per page for the "what you will see" strip, in navigation order.
TOUR = {
    "watch": ("Loss and samples",
              "Press Play: gibberish like <code>oWwtYZHh</code> turns into Shakespeare's words while the "
              "loss falls."),
    "cinema": ("Attention heads",
               "Which earlier letters each head looks at, as noise turns into patterns."),
    "style": ("Your own writing",
              "Paste your own writing; in about 20 seconds a model writes new text in your style."),
    "inside": ("Every weight",
               "Where the numbers live: each part of the tiny GPT, counted."),
}

# The stylesheet lives inside the landing page's own element, not in the shared style: Streamlit
# removes the element when the person moves to another page, and with it these rules, so every
# other page keeps its header and sidebar as before.
CSS = """
<style>
/* Nothing but the page itself: no sidebar, navigation or toolbar on the first screen. */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"]
  { display: none !important; }
/* The canvas sits behind the content, so the app's own backgrounds must let it show through. */
html, body { background: #0F172A; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background: transparent !important; }
[data-testid="stMainBlockContainer"] { padding-top: 0 !important; padding-bottom: 2rem !important;
  max-width: min(1560px, 92vw); }

canvas.lb-neural { position: fixed; inset: 0; width: 100vw; height: 100vh; z-index: -1;
  pointer-events: none;
  /* The "subtle glow": two soft lights under the network, blue left and cyan right. */
  background:
    radial-gradient(ellipse 55% 50% at 30% 40%, rgba(59,130,246,0.16), transparent 70%),
    radial-gradient(ellipse 45% 45% at 75% 62%, rgba(6,182,212,0.12), transparent 70%),
    #0F172A; }

/* The first screen: exactly one viewport tall, its content in the middle. */
.st-key-lb-hero { min-height: 100vh; align-items: center; text-align: center; gap: 0 !important;
  padding-bottom: 1.4rem; animation: lb-fade 0.5s ease-out both; }
/* Two auto margins share the free height: the content sits in the middle, the scroll cue at the bottom. */
.st-key-lb-hero > :first-child, .st-key-lb-hero > :last-child { margin-top: auto; }
.lb-hero { position: relative; padding: 0 1rem; }
/* A dark halo behind the words keeps them readable over the moving network on a washed-out projector. */
.lb-hero::before { content: ""; position: absolute; inset: -30% -12%; z-index: -1;
  background: radial-gradient(closest-side, rgba(15,23,42,0.92), rgba(15,23,42,0.6) 55%, transparent); }
.lb-eyebrow { display: inline-flex; align-items: center; gap: 0.6rem; padding: 0.4rem 1.05rem;
  border: 1px solid rgba(96,165,250,0.35); border-radius: 999px; background: rgba(30,41,59,0.6);
  color: #CBD5E1; font-size: clamp(0.9rem, 1.05vw, 1.1rem); letter-spacing: 0.02em;
  animation: lb-rise 0.6s ease-out both; }
.lb-live { width: 0.55rem; height: 0.55rem; border-radius: 50%; background: #10B981;
  box-shadow: 0 0 0 0 rgba(16,185,129,0.6); animation: lb-ping 2s ease-out infinite; }
h1.lb-name { margin: 1.4rem 0 0.4rem; padding: 0; line-height: 1.02;
  font-family: 'Inter', 'Source Sans', system-ui, sans-serif; font-weight: 800;
  font-size: clamp(4.2rem, 9.2vw, 9.5rem); letter-spacing: -0.035em;
  background: linear-gradient(135deg, #3B82F6 15%, #06B6D4 85%); -webkit-background-clip: text;
  background-clip: text; color: transparent;
  filter: drop-shadow(0 0 42px rgba(59,130,246,0.35)); animation: lb-rise 0.6s 0.08s ease-out both; }
.lb-tagline { margin: 0; color: #CBD5E1; font-size: clamp(1.4rem, 2.2vw, 2.25rem); font-weight: 400;
  letter-spacing: 0.005em; animation: lb-rise 0.6s 0.16s ease-out both; }

/* Launch: the spec's 200 x 56 blue-gradient button that lifts on hover, a little larger for a room;
   beside it, the journey as a quieter outlined link of the same height. */
.st-key-lb-launch { justify-content: center; align-items: center; margin-top: 2.6rem;
  animation: lb-rise 0.6s 0.24s ease-out both; }
.st-key-lb-launch [data-testid="stElementContainer"] { width: auto !important; }
.st-key-lb-launch .st-key-lb-go a { min-width: clamp(220px, 15vw, 300px); min-height: clamp(60px, 6.4vh, 76px);
  justify-content: center; gap: 0.5rem; padding: 0 2.2rem !important; border-radius: 14px !important;
  background: linear-gradient(135deg, #3B82F6, #06B6D4) !important;
  box-shadow: 0 10px 30px -8px rgba(59,130,246,0.65), 0 0 0 1px rgba(255,255,255,0.08) inset;
  transition: transform 0.15s ease-out, box-shadow 0.15s ease-out; }
.st-key-lb-launch a:hover, .st-key-lb-launch a:focus-visible { transform: translateY(-2px);
  box-shadow: 0 16px 40px -8px rgba(6,182,212,0.75), 0 0 0 1px rgba(255,255,255,0.15) inset; }
.st-key-lb-launch a p, .st-key-lb-launch a span { color: #FFFFFF !important;
  font-size: clamp(1.3rem, 1.25vw, 1.7rem) !important; font-weight: 700 !important; letter-spacing: 0.01em; }
.st-key-lb-launch .st-key-lb-journey a { min-height: clamp(60px, 6.4vh, 76px); justify-content: center; gap: 0.5rem;
  padding: 0 1.6rem !important; border-radius: 14px !important; background: rgba(15,23,42,0.72) !important;
  border: 2px solid rgba(96,165,250,0.55); transition: transform 0.15s ease-out, border-color 0.15s; }
.st-key-lb-launch .st-key-lb-journey a:hover { transform: translateY(-2px); border-color: #06B6D4; }
.st-key-lb-launch .st-key-lb-journey a p, .st-key-lb-launch .st-key-lb-journey a span { color: #E2E8F0 !important;
  font-size: clamp(1.1rem, 1.05vw, 1.4rem) !important; font-weight: 600 !important; }
/* Workshop mode from the first screen: a switch under the buttons, on a dark pill to stay readable. */
.st-key-lb-workshop { justify-content: center; margin-top: 1.3rem; animation: lb-rise 0.6s 0.3s ease-out both; }
.st-key-lb-workshop [data-testid="stElementContainer"] { width: auto !important; max-width: 100%; }
/* On a phone the words wrap onto a second line instead of ending in "…". */
.st-key-lb-workshop label div, .st-key-lb-workshop [data-testid="stMarkdownContainer"], .st-key-lb-workshop label p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; min-width: 0; }
.st-key-lb-workshop label { align-items: center !important; padding: 0.45rem 1rem; border-radius: 999px;
  background: rgba(30,41,59,0.75); border: 1px solid rgba(148,163,184,0.3); }
.st-key-lb-workshop label p { color: #E2E8F0 !important; font-size: clamp(1rem, 1.05vw, 1.2rem) !important; }
.lb-hint { margin-top: 1.1rem; color: #94A3B8; font-size: clamp(0.95rem, 1.1vw, 1.15rem);
  animation: lb-rise 0.6s 0.32s ease-out both; }
.lb-scroll { color: #94A3B8; font-size: 0.95rem; letter-spacing: 0.08em; text-transform: uppercase; }
.lb-scroll span { display: block; font-size: 1.3rem; animation: lb-bob 2.2s ease-in-out infinite; }

/* Below the fold: one glassy card per page; the whole card is its link. */
.lb-section { margin: 1rem 0 1.2rem; text-align: center; }
.lb-section h2 { margin: 0; padding: 0; font-size: clamp(1.8rem, 2.4vw, 2.5rem); font-weight: 700;
  color: #F1F5F9; letter-spacing: -0.01em; }
.lb-section p { margin: 0.4rem 0 0; color: #94A3B8; font-size: 1.1rem; }
/* Cards of one row are equally tall, however long their line. */
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-lb-card-"]) { flex: 1 1 auto; }
[class*="st-key-lb-card-"] { position: relative; height: 100%; padding: 1.3rem 1.3rem 1.4rem;
  border: 1px solid rgba(148,163,184,0.18); border-radius: 18px; gap: 0.55rem !important;
  background: linear-gradient(180deg, rgba(30,41,59,0.82), rgba(15,23,42,0.82));
  backdrop-filter: blur(6px); transition: transform 0.15s ease-out, border-color 0.15s, box-shadow 0.15s; }
[class*="st-key-lb-card-"]:hover { transform: translateY(-3px); border-color: rgba(6,182,212,0.55);
  box-shadow: 0 18px 40px -18px rgba(6,182,212,0.5); }
/* The link's box covers the whole card, so a click anywhere on it opens the page. */
[class*="st-key-lb-card-"] a::after { content: ""; position: absolute; inset: 0; border-radius: 18px; }
/* Streamlit positions each element's container, which would confine that box to the title's own. */
[class*="st-key-lb-card-"] [data-testid="stElementContainer"] { position: static; }
[class*="st-key-lb-card-"] a { padding: 0 !important; background: transparent !important; }
[class*="st-key-lb-card-"] a p { font-size: clamp(1.2rem, 1.2vw, 1.5rem) !important; font-weight: 700 !important;
  color: #F1F5F9 !important; line-height: 1.3; }
/* A page's full name wraps instead of ending in "…". */
[class*="st-key-lb-card-"] a span, [class*="st-key-lb-card-"] a div, [class*="st-key-lb-card-"] a p
  { white-space: normal !important; overflow: visible !important; }
[class*="st-key-lb-card-"] [data-testid="stIconMaterial"] { color: #60A5FA !important;
  font-size: 1.35rem !important; }
.lb-art { height: clamp(96px, 7vw, 130px); border-radius: 12px; background-color: rgba(15,23,42,0.7);
  background-repeat: no-repeat; background-position: center; background-size: 92% 80%;
  border: 1px solid rgba(148,163,184,0.1); }
.lb-kicker { margin-top: 0.35rem; color: #06B6D4; font-size: clamp(0.82rem, 0.75vw, 1rem); font-weight: 600;
  letter-spacing: 0.08em; text-transform: uppercase; }
.lb-line { color: #CBD5E1; font-size: clamp(1rem, 0.98vw, 1.25rem); line-height: 1.5; }
.lb-line code { font-family: 'JetBrains Mono', 'Fira Code', 'Source Code Pro', monospace; font-size: 0.92em;
  color: #67E8F9; background: rgba(6,182,212,0.1); padding: 0.05rem 0.3rem; border-radius: 4px; }
.lb-open { color: #60A5FA; font-size: clamp(0.95rem, 0.9vw, 1.1rem); font-weight: 600; }
[class*="st-key-lb-card-"] > :last-child { margin-top: auto; }   /* "Open" sits at the card's foot */
[class*="st-key-lb-card-"]:hover .lb-open { color: #67E8F9; }
.lb-foot { margin: 2.4rem 0 0.5rem; text-align: center; color: #64748B; font-size: 0.85rem; }

@keyframes lb-fade { from { opacity: 0; } to { opacity: 1; } }
@keyframes lb-rise { from { opacity: 0; transform: translateY(20px); } to { opacity: 1; transform: none; } }
@keyframes lb-ping { 0% { box-shadow: 0 0 0 0 rgba(16,185,129,0.55); }
  80%, 100% { box-shadow: 0 0 0 10px rgba(16,185,129,0); } }
@keyframes lb-bob { 0%, 100% { transform: translateY(0); } 50% { transform: translateY(6px); } }
/* Motion is decoration here: people who asked their system for less get a still page. */
/* A phone: the name at its 4.2rem floor is wider than a 390-px screen ("LLMBreake"). */
@media (max-width: 640px) { h1.lb-name { font-size: 14vw; } }
@media (prefers-reduced-motion: reduce) {
  .st-key-lb-hero, .st-key-lb-hero *, [class*="st-key-lb-card-"]
    { animation: none !important; transition: none !important; }
}
</style>
"""

# The background: nodes drift, nearby nodes are joined by lines that fade with distance and pulse
# gently, and now and then a spark runs along a line and hops on to a neighbour, like a signal
# through a network. Time-based, so it moves at the same speed at 30 or 144 frames per second.
# It stops by itself once Streamlit removes the canvas (another page), and honours
# prefers-reduced-motion by drawing one still frame, also when that setting changes while open.
SCRIPT = r"""
<script>
(function () {
  var host = document.currentScript ? document.currentScript.parentNode : document;
  var canvas = host.querySelector("canvas.lb-neural");
  if (!canvas || canvas.dataset.started) return;
  canvas.dataset.started = "1";
  var ctx = canvas.getContext("2d");
  var still = window.matchMedia("(prefers-reduced-motion: reduce)");
  var LINK = 150;             // CSS px at 1400 px wide: nodes closer than this are connected
  var S = 1;                  // zoom: a projector gets the same network as a laptop, only larger
  var BLUE = [59, 130, 246], CYAN = [6, 182, 212];
  var w = 0, h = 0, nodes = [], sparks = [], raf = 0, last = 0, t = 0;

  // A soft round glow, drawn once and stamped under every node (far cheaper than shadowBlur).
  function sprite(rgb) {
    var s = document.createElement("canvas"); s.width = s.height = 64;
    var g = s.getContext("2d"), grad = g.createRadialGradient(32, 32, 0, 32, 32, 32);
    grad.addColorStop(0, "rgba(" + rgb + ",0.55)"); grad.addColorStop(0.35, "rgba(" + rgb + ",0.18)");
    grad.addColorStop(1, "rgba(" + rgb + ",0)");
    g.fillStyle = grad; g.fillRect(0, 0, 64, 64); return s;
  }
  var GLOW = [sprite(BLUE), sprite(CYAN), sprite([255, 255, 255])];

  function node() {
    var a = Math.random() * Math.PI * 2, v = (10 + Math.random() * 22) * S;   // px per second
    return {x: Math.random() * w, y: Math.random() * h, vx: Math.cos(a) * v, vy: Math.sin(a) * v,
            r: (1.2 + Math.random() * 1.8) * S, c: Math.random() < 0.5 ? 0 : 1, p: Math.random() * 6.3};
  }

  function resize() {
    var dpr = Math.min(window.devicePixelRatio || 1, 2);
    var nw = window.innerWidth, nh = window.innerHeight;
    if (nw === w && nh === h) return false;
    // Keep the nodes where they were (scaled), so a resize does not reshuffle the picture.
    nodes.forEach(function (n) { n.x *= w ? nw / w : 1; n.y *= h ? nh / h : 1; });
    w = nw; h = nh;
    var s = Math.max(0.8, Math.min(1.6, w / 1400));
    nodes.forEach(function (n) { n.r *= s / S; n.vx *= s / S; n.vy *= s / S; });
    LINK *= s / S; S = s;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    // About one node per 11,000 px^2: a full network on a projector, not a blizzard on a laptop.
    var want = Math.max(40, Math.min(200, Math.round(w * h / (11000 * S * S))));
    while (nodes.length < want) nodes.push(node());
    nodes.length = want;
    sparks = sparks.filter(function (s) { return s.a < want && s.b < want; });   // none on a node that went
    return true;
  }

  function mix(k) {   // blue on the left, cyan on the right, like the name's gradient
    return [0, 1, 2].map(function (i) { return Math.round(BLUE[i] + (CYAN[i] - BLUE[i]) * k); }).join(",");
  }

  function step(dt) {
    var m = 20;
    nodes.forEach(function (n) {
      n.x += n.vx * dt; n.y += n.vy * dt;
      if (n.x < -m) n.x = w + m; else if (n.x > w + m) n.x = -m;
      if (n.y < -m) n.y = h + m; else if (n.y > h + m) n.y = -m;
    });
    // Sparks travel a line in about 0.8 s, then hop on to a neighbour of where they arrived.
    sparks = sparks.filter(function (s) {
      s.k += dt * 1.25;
      if (dist(s.a, s.b) > LINK) return false;
      if (s.k < 1) return true;
      var next = neighbours(s.b).filter(function (j) { return j !== s.a; });
      if (!next.length || s.hops > 6) return false;
      s.a = s.b; s.b = next[Math.floor(Math.random() * next.length)]; s.k = 0; s.hops++;
      return true;
    });
    if (sparks.length < 5 && Math.random() < dt * 1.5) {
      var a = Math.floor(Math.random() * nodes.length), nb = neighbours(a);
      if (nb.length) sparks.push({a: a, b: nb[Math.floor(Math.random() * nb.length)], k: 0, hops: 0});
    }
  }

  function dist(i, j) {
    var dx = nodes[i].x - nodes[j].x, dy = nodes[i].y - nodes[j].y;
    return Math.sqrt(dx * dx + dy * dy);
  }
  function neighbours(i) {
    var out = [];
    for (var j = 0; j < nodes.length; j++) if (j !== i && dist(i, j) < LINK) out.push(j);
    return out;
  }

  function draw() {
    ctx.clearRect(0, 0, w, h);
    ctx.lineWidth = 1.1 * S;
    for (var i = 0; i < nodes.length; i++) {
      var a = nodes[i];
      for (var j = i + 1; j < nodes.length; j++) {
        var b = nodes[j], dx = a.x - b.x, dy = a.y - b.y, d2 = dx * dx + dy * dy;
        if (d2 > LINK * LINK) continue;
        // Lines fade in as nodes approach and out as they part; their opacity pulses 0.2 -> 0.6.
        var near = 1 - Math.sqrt(d2) / LINK;
        var pulse = 0.4 + 0.2 * Math.sin(t * 1.1 + a.p + b.p);
        ctx.strokeStyle = "rgba(" + mix((a.x + b.x) / (2 * w)) + "," + (Math.pow(near, 1.4) * pulse).toFixed(3) + ")";
        ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y); ctx.stroke();
      }
    }
    nodes.forEach(function (n) {
      var glow = n.r * 9 * (0.85 + 0.15 * Math.sin(t * 1.6 + n.p));
      ctx.drawImage(GLOW[n.c], n.x - glow / 2, n.y - glow / 2, glow, glow);
      ctx.fillStyle = n.c ? "rgba(103,232,249,0.95)" : "rgba(147,197,253,0.95)";
      ctx.beginPath(); ctx.arc(n.x, n.y, n.r, 0, Math.PI * 2); ctx.fill();
    });
    sparks.forEach(function (s) {
      // The line a spark runs along lights up behind it.
      var a = nodes[s.a], b = nodes[s.b], x = a.x + (b.x - a.x) * s.k, y = a.y + (b.y - a.y) * s.k;
      ctx.strokeStyle = "rgba(125,211,252,0.55)"; ctx.lineWidth = 1.6 * S;
      ctx.beginPath(); ctx.moveTo(a.x, a.y); ctx.lineTo(x, y); ctx.stroke();
      var g = 34 * S;
      ctx.drawImage(GLOW[2], x - g / 2, y - g / 2, g, g);
      ctx.fillStyle = "#E0F2FE"; ctx.beginPath(); ctx.arc(x, y, 2.2 * S, 0, Math.PI * 2); ctx.fill();
    });
  }

  function frame(now) {
    raf = 0;
    if (!canvas.isConnected) { stop(); return; }   // the person left the landing page
    var dt = last ? Math.min((now - last) / 1000, 0.05) : 0;
    last = now; t += dt;
    resize(); step(dt); draw();
    raf = requestAnimationFrame(frame);
  }
  function start() { if (!raf) { last = 0; raf = requestAnimationFrame(frame); } }
  function stop() {
    if (raf) cancelAnimationFrame(raf);
    raf = 0;
    if (!canvas.isConnected) {
      window.removeEventListener("resize", onResize);
      still.removeEventListener("change", onMotion);
    }
  }
  function onResize() {
    if (!canvas.isConnected) stop();
    else if (still.matches && resize()) draw();   // a moving picture resizes itself each frame
  }
  function onMotion() {
    if (!canvas.isConnected) stop();
    else if (still.matches) { stop(); sparks = []; draw(); } else start();
  }

  window.addEventListener("resize", onResize);
  still.addEventListener("change", onMotion);
  resize();
  if (still.matches) draw(); else start();
})();
</script>
"""

HERO = f"""
{CSS}
<canvas class="lb-neural" aria-hidden="true"></canvas>
<div class="lb-hero">
  <div class="lb-eyebrow"><span class="lb-live"></span>A tiny GPT, trained live in front of you</div>
  <h1 class="lb-name">LLMBreaker</h1>
  <p class="lb-tagline">{TAGLINE}</p>
</div>
{SCRIPT}
"""


def _svg(body: str) -> str:
    """A small picture as a CSS data URI: st.html keeps HTML only (no <svg>), but a stylesheet may
    use SVG backgrounds."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 90">'
           '<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="0">'
           '<stop offset="0" stop-color="#3B82F6"/><stop offset="1" stop-color="#06B6D4"/>'
           f'</linearGradient></defs>{body}</svg>')
    # Single quotes inside, so the CSS url("...") around it holds; only what a URL cannot carry
    # (<, >, #, %) is escaped, which makes the stylesheet a third smaller than escaping everything.
    svg = svg.replace('"', "'")
    return 'url("data:image/svg+xml,' + quote(svg, safe=" '=/:;,.()-") + '")'


def _art_watch() -> str:
    # A falling, noisy loss curve with checkpoint dots: the Watch page's main chart in small.
    pts = [(x, 80 - 64 * math.exp(-x / 55) + 5 * math.exp(-x / 90) * math.sin(x * 0.9)) for x in range(6, 236, 4)]
    line = " ".join(f"{x},{y:.1f}" for x, y in pts)
    dots = "".join(f'<circle cx="{x}" cy="{y:.1f}" r="3" fill="#06B6D4"/>' for x, y in pts[::10])
    return _svg(f'<polyline points="6,88 {line} 234,88" fill="url(#g)" fill-opacity="0.12" stroke="none"/>'
                f'<polyline points="{line}" fill="none" stroke="url(#g)" stroke-width="2.5"/>{dots}')


def _art_cinema() -> str:
    # Three causal attention heads (each row looks only at earlier characters), three patterns the
    # Cinema names: the character just before, the first one, the character itself.
    n, size, cells = 8, 9.5, []
    patterns = [lambda r, c: c == r - 1 or r == c == 0, lambda r, c: c == 0, lambda r, c: c == r]
    for head, strong in enumerate(patterns):
        x0 = 11 + head * 78
        for r in range(n):
            for c in range(r + 1):
                w = 0.95 if strong(r, c) else 0.1 + 0.07 * ((r * 3 + c * 5 + head) % 4)
                cells.append(f'<rect x="{x0 + c * size:.1f}" y="{7 + r * size:.1f}" width="{size - 1.6:.1f}" '
                             f'height="{size - 1.6:.1f}" rx="1.5" fill="{"#06B6D4" if head == 1 else "#3B82F6"}" '
                             f'fill-opacity="{w:.2f}"/>')
    return _svg("".join(cells))


def _art_style() -> str:
    # Two texts side by side, the phrases they share lit up in cyan.
    rows = []
    for col, x0 in enumerate((14, 128)):
        for i, (a, b, c) in enumerate([(30, 40, 22), (46, 20, 26), (18, 36, 40), (40, 30, 14), (24, 44, 0)]):
            y, x = 12 + i * 14, x0
            for k, wdt in enumerate((a, b, c)):
                if wdt:
                    lit = (i + k + col) % 4 == 1
                    rows.append(f'<rect x="{x}" y="{y}" width="{wdt}" height="7" rx="3.5" '
                                f'fill="{"#06B6D4" if lit else "#475569"}"/>')
                    x += wdt + 4
    return _svg("".join(rows))


def _art_inside() -> str:
    # The parameter budget as bars: embeddings, attention, feed-forward, norms.
    bars = [(0.42, "Embeddings"), (0.55, "Attention"), (1.0, "Feed-forward"), (0.08, "Norms")]
    return _svg("".join(f'<rect x="14" y="{10 + i * 19}" width="{212 * f:.0f}" height="11" rx="5.5" fill="url(#g)" '
                        f'fill-opacity="{0.55 + 0.45 * f:.2f}"/>' for i, (f, _) in enumerate(bars)))


ART_CSS = ("<style>" + "".join(f".lb-art-{key} {{ background-image: {art()}; }}"
                               for key, art in [("watch", _art_watch), ("cinema", _art_cinema),
                                                ("style", _art_style), ("inside", _art_inside)]) + "</style>")


def shown_page_count() -> int:
    """The pages the sidebar lists, the landing itself not counted (its group has no heading)."""
    return sum(len(keys) for heading, keys in PAGE_SECTIONS.items() if heading)


def _address() -> dict[str, str] | None:
    """What a link from the landing carries: workshop mode, when it is on (ui/common.py keeps it in
    every page's address as ?workshop=1), so that the page it opens, even in a new tab, is large."""
    return {"workshop": "1"} if workshop_on() else None


def _set_workshop() -> None:
    # The sidebar's switch (key "workshop", hidden on the landing) is the mode: this one sets it.
    # In a callback, before the sidebar's switch is drawn, so that the whole page follows at once.
    st.session_state["workshop"] = st.session_state["lb-workshop-toggle"]


def hero() -> None:
    """The first screen: background, name, tagline, Launch (Watch, where Play is one click away)
    beside the journey, and workshop mode."""
    with st.container(key="lb-hero"):
        st.html(HERO, unsafe_allow_javascript=True)
        title, path, _, _ = PAGES[LAUNCH_PAGE]
        journey_title, journey_path, journey_icon, _ = PAGES[JOURNEY_PAGE]
        with st.container(key="lb-launch", horizontal=True, gap="medium"):
            with st.container(key="lb-go", width="content"):
                st.page_link(path, label="Launch", icon=":material/arrow_forward:", icon_position="right",
                             query_params=_address(),
                             help=f"Open {title}: press Play there and watch a tiny GPT learn to spell")
            with st.container(key="lb-journey", width="content"):
                st.page_link(journey_path, label="See the whole journey", icon=journey_icon, query_params=_address(),
                             help=f"Open {journey_title}: every step from a text to the next character, in order")
        with st.container(key="lb-workshop", horizontal=True):
            st.toggle("Workshop mode: large text for a projector", key="lb-workshop-toggle", value=workshop_on(),
                      on_change=_set_workshop,
                      help="Large text, charts and lines, readable from the back of a room. It stays on for "
                           "every page (the address says ?workshop=1), so share that link with the class.")
        st.html('<div class="lb-hint">No sign-up, nothing to install. Launch, press Play, and in about 25 '
                'seconds the model goes from noise to words.</div>')
        st.html('<div class="lb-scroll">What you will see<span>&#8964;</span></div>')


def tour() -> None:
    """Below the fold: one card per page, each one line and a link to it."""
    st.html(ART_CSS + '<div class="lb-section"><h2>What you will see</h2>'
            f'<p>{shown_page_count()} pages, one tiny model, nothing hidden. Four of them to start with:</p></div>')
    for column, (key, (kicker, line)) in zip(st.columns(len(TOUR), gap="medium"), TOUR.items()):
        title, path, icon, _ = PAGES[key]
        with column, st.container(key=f"lb-card-{key}"):
            st.html(f'<div class="lb-art lb-art-{key}"></div><div class="lb-kicker">{kicker}</div>')
            st.page_link(path, label=title, icon=icon, help=f"Open {title}", query_params=_address())
            st.html(f'<div class="lb-line">{line}</div>')
            st.html('<div class="lb-open">Open &rarr;</div>')
    st.html('<div class="lb-foot">Built with Streamlit and PyTorch for students, curious people and '
            'teachers with a projector.</div>')
