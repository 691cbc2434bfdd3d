"""Upload each hostile file of docs/design.md §Robustness to a running server and print what it cost the
server: its resting RSS before, its peak RSS while the file was handled (VmHWM, reset before each
upload through /proc/<pid>/clear_refs), and its resting RSS after the tab was closed.

Each upload is made from a fresh browser tab (its own Streamlit session), as an attacker or a class
would, and is waited for until the page shows its message. The 200,000-paragraph .docx is uploaded
20 times from 20 tabs: before the streamed reader, each such upload kept ~155 MB.

    python bench/hostile_uploads.py [--docx-rounds 20] [--skip-4gib]
"""
from __future__ import annotations

import argparse
import gc
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, launch_chromium, machine, rss_mb, server  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
import hostile_files as hf  # noqa: E402


def all_code_points_txt() -> bytes:
    """1.1 M distinct code points (every one UTF-8 can carry but controls): 4.4 MB."""
    cps = [c for c in range(0x20, 0x110000) if not 0xD800 <= c < 0xE000 and c != 0x7F]
    return "".join(map(chr, cps)).encode("utf-8")


# (name, page, file name, bytes maker, whether it goes to the model loader, what the page says)
FILES = [
    ("txt, 30,000 distinct characters", "watch", "many.txt", lambda: hf.many_characters_txt(30_000), False,
     "too many different characters"),
    ("txt, 1.1 M distinct code points", "watch", "all.txt", all_code_points_txt, False,
     "too many different characters"),
    ("txt, UTF-8 and Windows-1252 lines", "watch", "mixed.txt", lambda: hf.mixed_encoding_txt() * 20, False,
     "Vocabulary"),
    ("docx, nested 100,000 deep", "style", "deep.docx", lambda: hf.deeply_nested_docx(100_000), False,
     "could not be read"),
    ("docx, nested 2,000 deep", "style", "deep2.docx", lambda: hf.deeply_nested_docx(2_000), False,
     "damaged"),
    ("docx, 10,000 entries", "style", "many.docx", lambda: hf.many_entries_docx(10_000), False, "parts"),
    ("model, record inflating to 1 GiB", "style", "bomb1.pt", lambda: hf.zip_bomb_model_file(1), True,
     "compressed"),
    ("model, record inflating to 4 GiB", "style", "bomb4.pt", lambda: hf.zip_bomb_model_file(4), True,
     "compressed"),
    ("model, record claiming 4 GiB", "style", "claim4.pt", lambda: hf.declared_size_model_file(4), True,
     "more than the file holds"),
    ("model, 10,000 entries", "style", "entries.pt", lambda: hf.many_entries_model_file(10_000), True, "parts"),
    ("model, stride-0 tensors of 69.6 M params", "style", "stride0.pt", hf.stride0_model_file, True,
     "million parameters"),
    ("model, storage far larger than tensor", "style", "storage.pt", hf.big_storage_model_file, True,
     "plain block"),
    ("model, float64 numbers", "style", "f64.pt", hf.float64_model_file, True, "different precision"),
]
DOCX_200K = ("docx, 200,000 paragraphs", "style", "long.docx", hf.many_paragraphs_docx, False, "Text too long")


def reset_peak(pid: int) -> None:
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS


def resting(pid: int, settle: float = 2.0, rounds: int = 5) -> float:
    """Median RSS over a few readings once the server has been idle a moment."""
    time.sleep(settle)  # a benchmark, not a test: let the last rerun finish
    readings = []
    for _ in range(rounds):
        readings.append(rss_mb(pid))
        time.sleep(0.3)
    return statistics.median(readings)


def upload(browser, url: str, path: Path, page_name: str, model: bool, expect: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    t0 = time.perf_counter()
    try:
        # a link picks "Your own file" on the Watch page, as a shared link would
        page.goto(f"{url}/{page_name}" + ("?watch_dataset=Your%20own%20file%20(.txt)" if page_name == "watch" else ""))
        page.locator('input[type="file"]').first.wait_for(state="attached", timeout=60_000)
        if model:
            page.get_by_text("Load a saved model").click()
            page.locator('input[type="file"]').nth(1).wait_for(state="attached", timeout=30_000)
            page.locator('input[type="file"]').nth(1).set_input_files(str(path))
        else:
            page.locator('input[type="file"]').first.set_input_files(str(path))
        page.get_by_text(re.compile(re.escape(expect), re.I)).first.wait_for(timeout=240_000)
        return time.perf_counter() - t0
    finally:
        page.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docx-rounds", type=int, default=20)
    ap.add_argument("--skip-4gib", action="store_true")
    ap.add_argument("--reap-wait", type=int, default=130)
    ap.add_argument("--only-docx", action="store_true", help="only the 200,000-paragraph series")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lb-hostile-"))
    files = [f for f in FILES if not (args.skip_4gib and "4 GiB" in f[0])]
    print(machine())
    print("making the files ...", flush=True)
    made = []
    for name, page, fname, make, model, expect in files + [DOCX_200K]:
        path = tmp / fname
        path.write_bytes(make())
        gc.collect()
        made.append((name, page, path, model, expect))
    from playwright.sync_api import sync_playwright

    with server() as srv, sync_playwright() as p:
        pid = srv["proc"].pid
        browser = launch_chromium(p)
        # Warm up: every page once, so imports and first renders are part of the resting size.
        # A valid model file too: the first torch.load in a process costs ~70 MB of lazy imports.
        valid = tmp / "valid.pt"
        valid.write_bytes(hf.valid_model_file())
        for name, page, path, model, expect in made[:1] + made[3:4] + [("", "style", valid, True, "Model loaded")]:
            upload(browser, srv["url"], path, page, model, expect)
        start = resting(pid)
        print(f"\nserver resting RSS after warm-up: {start:.0f} MB\n")
        print(f"{'file':42} {'size':>9} {'before':>7} {'peak':>7} {'+peak':>6} {'after':>7} {'+after':>6} {'s':>5}")
        for name, page, path, model, expect in ([] if args.only_docx else made[:-1]):
            before = resting(pid, settle=1.0)
            reset_peak(pid)
            took = upload(browser, srv["url"], path, page, model, expect)
            peak = rss_mb(pid, "VmHWM")
            after = resting(pid)
            print(f"{name:42} {path.stat().st_size / 1e6:>7.2f}MB {before:>7.0f} {peak:>7.0f} {peak - before:>+6.0f} "
                  f"{after:>7.0f} {after - before:>+6.0f} {took:>5.1f}", flush=True)
        name, page, path, model, expect = made[-1]
        print(f"\n{name} ({path.stat().st_size / 1e6:.2f} MB), {args.docx_rounds} uploads from {args.docx_rounds} tabs:")
        first = resting(pid, settle=1.0)
        peaks, afters = [], []
        for i in range(args.docx_rounds):
            reset_peak(pid)
            upload(browser, srv["url"], path, page, model, expect)
            peaks.append(rss_mb(pid, "VmHWM"))
            afters.append(resting(pid, settle=1.0, rounds=3))
            print(f"  upload {i + 1:>2}: peak {peaks[-1]:>5.0f} MB, after {afters[-1]:>5.0f} MB", flush=True)
        print(f"  resting before {first:.0f} MB; after the last {afters[-1]:.0f} MB ({afters[-1] - first:+.0f}); "
              f"median peak {statistics.median(peaks):.0f} MB; growth from upload 5 to {args.docx_rounds}: "
              f"{afters[-1] - afters[min(4, len(afters) - 1)]:+.0f} MB")
        print(f"\nserver resting RSS at the end: {resting(pid):.0f} MB (start {start:.0f} MB)")
        # Streamlit keeps a closed tab's session (its state: the text box, the upload) for 2 minutes
        # so that a dropped connection can resume it, and reaps expired ones at the next disconnect.
        print(f"waiting {args.reap_wait} s for Streamlit to let the closed tabs' sessions go ...", flush=True)
        time.sleep(args.reap_wait)
        page = browser.new_page()
        page.goto(srv["url"] + "/watch")
        page.get_by_text("Watch It Learn to Spell").first.wait_for(timeout=60_000)
        page.close()  # this disconnect reaps the expired sessions
        print(f"server resting RSS after that: {resting(pid, settle=5.0):.0f} MB (start {start:.0f} MB)")
        browser.close()


if __name__ == "__main__":
    main()
