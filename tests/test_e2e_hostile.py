"""Real browser: hostile input where a person meets it (docs/design.md §Robustness). Markdown, links and LaTeX typed
into the Style page come back in its captions as plain text, and no viewer's browser fetches an
address someone typed; a link with an infinite number draws the page with a note."""
import http.server
import re
import threading

import pytest
import torch

from browser import free_port
from conftest import unexpected_console_errors
from test_e2e_style import open_style

pytestmark = pytest.mark.e2e


@pytest.fixture
def listener():
    """An HTTP server on 127.0.0.1 that counts the requests it gets (an image fetched by Markdown)."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1], hits
    srv.shutdown()


def ascii_model_file(tmp_path):
    from llmbreaker.engine.model import MicroGPT, ModelConfig
    from llmbreaker.engine.model_io import save_model
    chars = ["\n"] + [chr(c) for c in range(32, 127)]
    torch.manual_seed(0)
    path = tmp_path / "ascii.pt"
    path.write_bytes(save_model(MicroGPT(ModelConfig(vocab_size=len(chars), block_size=64)), chars))
    return path


def test_markdown_in_a_prompt_is_shown_as_text_in_the_captions(page, server, tmp_path, listener):
    from playwright.sync_api import expect

    port, hits = listener
    payload = (f"look ![i](http://127.0.0.1:{port}/md-img) and [x](javascript:alert(1)) and "
               f"$\\href{{http://127.0.0.1:{port}/tex}}{{y}}$ here")
    text = " ".join([payload] + ["We walked along the river and talked about the week ahead."] * 10)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if f":{port}/" in r.url else None)

    open_style(page, server)
    box = page.get_by_role("textbox", name="Your writing")
    box.fill(text)
    box.press("Control+Enter")
    page.get_by_text("Load a saved model").click()
    page.locator('input[type="file"][accept*=".pt"], input[type="file"]').last.set_input_files(
        str(ascii_model_file(tmp_path)))
    page.get_by_text("Your style, written by the model").wait_for(timeout=60_000)
    prompt = page.get_by_role("textbox", name="Start from your own words")
    prompt.fill(payload)
    prompt.press("Enter")
    caption = page.get_by_text(re.compile("^Longest copied run:"))
    expect(caption).to_contain_text(f"![i](http://127.0.0.1:{port}/md-img)", timeout=60_000)
    expect(caption).to_contain_text("[x](javascript:alert(1))")
    expect(caption).to_contain_text("$\\href{")
    assert page.locator(f'img[src*=":{port}/"]').count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    assert caption.locator(".katex").count() == 0
    assert requests == [] and hits == []
    assert unexpected_console_errors(page) == [], unexpected_console_errors(page)


def test_an_infinite_number_in_a_link_draws_the_page_with_a_note(page, server):
    from playwright.sync_api import expect

    page.goto(server + "/watch?watch_steps=inf&watch_seed=1e400&watch_temp=nan")
    expect(page.get_by_text("training steps to 'inf', which is not allowed").first).to_be_visible(timeout=60_000)
    expect(page.get_by_text("random seed to '1e400', which is not allowed").first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Play$"))).to_be_visible()
    assert not page.get_by_text("OverflowError").count()
    assert "watch_steps" not in page.url
    assert unexpected_console_errors(page) == [], unexpected_console_errors(page)
