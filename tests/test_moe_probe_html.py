"""The MoE page's "Which expert reads each character" (docs/design.md §MoE): every character of the
probe is drawn, in order, and a line can break after every space (␣ is not a place to break, so
the line once broke only at a hyphen and ran out of its box: "dinner-time" lost "nner-")."""
from html.parser import HTMLParser

import numpy as np

from llmbreaker.charts.training import visible_char
from llmbreaker.ui.views.moe import _probe_html

PROBE = ("I had rather see\nthe wretchedest sight in the world; but it is dinner-time, and the rest of "
         "them here sleeping.\tA tab, émigrés & <tags> \"quoted\"")


class Spans(HTMLParser):
    """The text of each span of the probe box, and what follows each span (<wbr>, <br>)."""

    def __init__(self):
        super().__init__()
        self.spans: list[str] = []
        self.after: list[str] = []
        self.depth = 0
        self.in_probe = False

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "lb-probe") in attrs:
            self.in_probe = True
        elif tag == "div":
            self.in_probe = False
        if self.in_probe and tag == "span":
            self.spans.append("")
            self.after.append("")
            self.depth += 1
        elif self.in_probe and tag in ("wbr", "br") and self.spans:
            self.after[-1] += tag

    def handle_endtag(self, tag):
        if tag == "span" and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.in_probe and self.depth:
            self.spans[-1] += data


def parsed(tokens, experts, n_expert=8) -> Spans:
    p = Spans()
    p.feed(_probe_html(tokens, np.asarray(experts), n_expert))
    return p


def test_every_character_of_the_probe_is_drawn_in_order():
    tokens = list(PROBE)
    p = parsed(tokens, np.arange(len(tokens)) % 8)
    assert p.spans == [visible_char(c) if c in " \n\t" else c for c in tokens]
    assert "".join(p.spans).count("nner-") == 1


def test_a_line_can_break_after_every_space_and_breaks_at_every_newline():
    tokens = list(PROBE)
    p = parsed(tokens, [0] * len(tokens), 2)
    for ch, after in zip(tokens, p.after):
        if ch in " \t":
            assert after == "wbr"
        elif ch == "\n":
            assert after == "br"
        else:
            assert after == ""


def test_the_box_wraps_long_words_too():
    html = _probe_html(list("x" * 200), np.zeros(200, dtype=int), 2)
    assert "overflow-wrap:anywhere" in html


def test_each_character_names_its_expert():
    tokens = list("dinner-time")
    experts = [3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 7]
    html = _probe_html(tokens, np.asarray(experts), 8)
    for e in experts:
        assert f'title="expert E{e + 1}"' in html


def test_the_runs_legend_names_each_run_in_the_colour_of_its_line():
    # The balance charts' legend is HTML beside them (a Vega legend ran past a half-width chart on a
    # projector): each run's name, escaped, with the colour the chart draws its line in.
    import re

    from llmbreaker.charts.training import balance_chart, run_legend_html
    names = ["8 experts, top-1, balancing on", "8 experts, top-2 <off>"]
    legend = run_legend_html(names)
    spec = balance_chart([(n, []) for n in names], n_layer=2)
    scale = next(l["encoding"]["color"]["scale"] for l in spec["layer"] if "color" in l.get("encoding", {}))
    shown = re.findall(r"background:(#[0-9A-Fa-f]{6}).*?</span>([^<]*)</span>", legend)
    assert [(n.replace("&lt;", "<").replace("&gt;", ">"), c) for c, n in shown] == list(zip(scale["domain"], scale["range"]))
    assert "<off>" not in legend
