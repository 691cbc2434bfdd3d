"""A presenter's keys (docs/design.md §Projector): Space plays and pauses, Right runs one step,
and the focus is seen and stays on the control bar.

The keys themselves are Streamlit's button shortcuts (ui/controls.py: PLAY_KEY, STEP_KEY); Streamlit
ignores them while the focus is in a text box, a text area or a dropdown. What it does not do, this
module's script does, in the person's browser:

- a click or a key on Play reruns the page, which puts a new button (Pause) where Play was, and
  the focus fell to the page's body: the script puts it back on the control in the same place
  of the bar (or the bar's first button, when that one is disabled), so the next Space is seen
  on the button it presses;
- a key pressed while nothing has the focus focuses the control it works, so a class sees which;
- Space on another focused button (Stop, a speed) presses that button, as a keyboard user expects,
  and Right on a focused slider, tab or radio group moves it, not the run: the script stops those
  two keys before Streamlit's shortcut handler (on the document) sees them.

Everything given to `st.html` with JavaScript allowed is this module's constant: no input reaches it.
"""
from __future__ import annotations

import streamlit as st

from llmbreaker.ui.widgets.controls import KEYS_HELP

# A control bar is any container whose key ends in "_lbcontrols" (Streamlit gives it the class
# st-key-<key>). Installed once per browser tab: Streamlit keeps the document between pages.
# (Streamlit's sanitiser drops a script whose text holds "<" before a letter, "/" or "!": none here.)
SCRIPT = r"""
<script>
(function () {
  if (window.__lbKeys) return;
  window.__lbKeys = true;
  var BAR = '[class*="_lbcontrols"]';
  var NATIVE_SPACE = 'button, summary, [role="button"], [role="tab"], [role="option"], [role="switch"]';
  var NATIVE_ARROWS = '[role="slider"], [role="tablist"], [role="radiogroup"], [role="listbox"], [role="grid"], ' +
                      '[role="menu"], [role="tree"], [role="spinbutton"]';
  var kept = null;       // {bar, slot, el}: the bar control that has (or should have) the focus
  var restoring = false; // the focus this script gives: no help tooltip pops up over the page for it
  var byKey = false;     // the last thing the person did was a key (then the moved focus is shown)

  function barOf(el) { return el && el.closest ? el.closest(BAR) : null; }
  function barKey(bar) {
    for (var i = 0; i < bar.classList.length; i++) if (/_lbcontrols$/.test(bar.classList[i])) return bar.classList[i];
    return null;
  }
  function slotsOf(bar) { return bar.querySelectorAll('[data-testid="stColumn"]'); }
  function slotOf(bar, el) {
    var cols = slotsOf(bar);
    for (var i = 0; i < cols.length; i++) if (cols[i].contains(el)) return i;
    return 0;
  }
  function typing(el) {
    return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function usable(el) { return !!el && el.isConnected && !el.disabled; }
  // A button that went grey (Stop, once pressed) or left the page still holds the focus until the
  // browser's own fix-up moves it to the body, at a rendering step that no mutation follows: counted
  // as nothing focused, it is moved on at the mutation itself.
  function nothingFocused() {
    var a = document.activeElement;
    return !a || a === document.body || a === document.documentElement || a.disabled || !a.isConnected;
  }
  function firstButton(root) {
    var all = root ? root.querySelectorAll('button') : [];
    for (var i = 0; i < all.length; i++) if (!all[i].disabled) return all[i];
    return null;
  }
  // The enabled button of a bar whose shortcut badge (hidden, ui/common.py) names the key.
  function keyed(bar, name) {
    var all = bar.querySelectorAll('button kbd');
    for (var i = 0; i < all.length; i++) {
      var b = all[i].closest('button');
      if (all[i].textContent.trim() === name && !b.disabled && b.offsetParent) return b;
    }
    return null;
  }
  // The control to focus: the one in the kept slot of the kept bar, else the bar's first one.
  function target() {
    var bar = document.querySelector('.' + kept.bar);
    if (!bar) return null;
    var cols = slotsOf(bar);
    return firstButton(cols[kept.slot]) || firstButton(cols[0]) || firstButton(bar);
  }
  function restore() {
    if (!kept || !nothingFocused()) return;
    if (kept.el && usable(kept.el)) { kept = null; return; }  // the person moved the focus away themselves
    var el = target();
    if (!el) return;
    restoring = true;
    try { el.focus({focusVisible: byKey, preventScroll: true}); } finally { restoring = false; }
    kept.el = el;
  }
  var queued = false;
  function soon() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; restore(); });
  }

  document.addEventListener('focusin', function (e) {
    var bar = barOf(e.target);
    kept = bar ? {bar: barKey(bar), slot: slotOf(bar, e.target), el: e.target} : null;
    // The page's own handlers (which open the button's help on focus) do not see a focus given back:
    // a presenter pressing Space would get the tooltip over the page each time.
    if (restoring) e.stopPropagation();
  }, true);
  document.addEventListener('pointerdown', function (e) { byKey = false; if (!barOf(e.target)) kept = null; }, true);
  document.addEventListener('keydown', function (e) {
    byKey = true;
    if (e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || typing(e.target)) return;
    var space = e.key === ' ', right = e.key === 'ArrowRight';
    if (!space && !right) return;
    if (nothingFocused()) {  // show which control the key pressed: the bar's button that has it
      var bar = document.querySelector(BAR), el = bar && keyed(bar, space ? 'Space' : '\u2192');
      if (el) { kept = {bar: barKey(bar), slot: slotOf(bar, el), el: null}; restore(); }
    }
  }, true);
  // On the root element, in the bubble phase: after the focused element's own handlers, before the document's
  // (Streamlit's shortcuts). Only a key that belongs to the focused control stops here.
  document.documentElement.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.shiftKey || typing(e.target)) return;
    var t = e.target, bar = barOf(t);
    var onPlay = bar && slotOf(bar, t) === 0;
    if (e.key === ' ' && t.closest && t.closest(NATIVE_SPACE) && !onPlay) e.stopPropagation();
    if (e.key === 'ArrowRight' && t.closest && t.closest(NATIVE_ARROWS)) e.stopPropagation();
  });
  new MutationObserver(soon).observe(document.body, {childList: true, subtree: true, attributes: true,
                                                     attributeFilter: ['disabled']});
})();
</script>
"""


def presenter_keys() -> None:
    """In the sidebar: the keys, said once, and the script that keeps their focus on the controls."""
    st.caption(":material/keyboard: Keys: **Space** play / pause · **→** step", help=KEYS_HELP)
    st.html(SCRIPT, unsafe_allow_javascript=True)
