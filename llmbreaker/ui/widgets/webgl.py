"""Does this browser draw WebGL? The 3D view needs it (docs/design.md §Cinema: fall back to 2D).

Only the browser knows, so a tiny component asks it: its JavaScript tries to create a WebGL
context and reports the answer back to Python as component state (Streamlit's components v2,
which run our own constant script in the page without an iframe). Until the answer arrives the
result is None.
"""
from __future__ import annotations

import streamlit as st

_JS = """
export default function (component) {
  let ok = false;
  try {
    const canvas = document.createElement("canvas");
    ok = !!(canvas.getContext("webgl2") || canvas.getContext("webgl"));
  } catch (e) {
    ok = false;
  }
  component.setStateValue("webgl", ok);
}
"""

_probe = st.components.v2.component("llmbreaker.webgl_probe", js=_JS)


def webgl_available(key: str) -> bool | None:
    """True or False once the browser has answered, None before."""
    result = _probe(key=key, on_webgl_change=lambda: None)
    return getattr(result, "webgl", None)
