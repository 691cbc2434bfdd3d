"""Your runs (docs/design.md §Runs): the runs this browser started, newest first, one card per run
(a page's compared runs are one card): its page, name, when, steps, final loss, state and the first
words of its last sample, with Open (its address), Rename, Download (.lbrun) and Delete; and Import
a run from a .lbrun file.

Who "this browser" is: browser_id.owner_id, a hash of Streamlit's XSRF cookie. Without a cookie
(AppTest, a server with XSRF protection off) nothing can be listed; each run's address still opens
it. The store's direct calls raise StoreError / RunFileError with a message, shown as it is.
"""
from __future__ import annotations

import html
import re
import time
from datetime import datetime, timedelta, timezone

import streamlit as st

from llmbreaker.engine.store import RUN_FILE_SUFFIX, RunFileError, RunSummary, StoreError
from llmbreaker.engine.store.runfile import MAX_FILE_BYTES
from llmbreaker.ui.shell import PAGES, get_manager, page_header
from llmbreaker.ui.widgets.browser_id import owner_id

PAGE = "runs"
LIST_LIMIT = 100
SAMPLE_WORDS = 14

STATE_WORDS = {"running": "training", "completed": "completed", "stopped": "stopped", "error": "failed",
               "interrupted": "interrupted"}
STATE_CLASS = {"running": "running", "completed": "completed", "stopped": "stopped", "error": "error",
               "interrupted": "paused"}

CSS = """
<style>
.lb-run-kicker { font-size: 0.78rem; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase;
                 color: #94A3B8; margin-bottom: 0.1rem; }
.lb-run-name { font-size: 1.15rem; font-weight: 700; color: #F1F5F9; margin: 0 0 0.2rem 0;
               overflow-wrap: anywhere; }
.lb-run-meta { color: #CBD5E1; font-size: 0.92rem; display: flex; flex-wrap: wrap; gap: 0.35rem 0.9rem;
               align-items: center; }
.lb-run-meta b { color: #F1F5F9; font-weight: 600; }
.lb-run-sample { font-family: 'JetBrains Mono', 'Fira Code', 'Source Code', monospace; font-size: 0.86rem;
                 color: #94A3B8; margin-top: 0.35rem; white-space: normal; overflow-wrap: anywhere; }
                 /* (wraps: on one line a phone cut the words to "…"; first_words keeps it to a few lines) */
.lb-run-new { display: inline-block; margin-left: 0.5rem; padding: 0.05rem 0.5rem; border-radius: 999px;
              font-size: 0.72rem; font-weight: 700; background: rgba(6,182,212,0.2); color: #22D3EE;
              vertical-align: middle; letter-spacing: 0.04em; }
</style>
"""


def page_key(page: str) -> str | None:
    """The PAGES key of a stored run's page (a page's second run, "style_scratch", is its page's)."""
    if page in PAGES:
        return page
    head = page.split("_")[0]
    return head if head in PAGES else None


def when(ts: float, now: float | None = None, tz=None) -> str:
    """"today 09:14", "yesterday 18:02", "3 days ago", "12 Nov 2026" in the browser's time zone."""
    tz = tz or timezone.utc
    now = time.time() if now is None else now
    then, today = datetime.fromtimestamp(ts, tz), datetime.fromtimestamp(now, tz)
    days = (today.date() - then.date()).days
    if days <= 0:
        return f"today {then:%H:%M}"
    if days == 1:
        return f"yesterday {then:%H:%M}"
    if days < 14:
        return f"{days} days ago"
    return f"{then.day} {then:%b %Y}"


def _browser_tz():
    try:
        name = st.context.timezone
        if name:
            from zoneinfo import ZoneInfo
            return ZoneInfo(name)
    except Exception:
        pass
    try:
        offset = st.context.timezone_offset  # minutes behind UTC, as JavaScript says it
        if offset is not None:
            return timezone(-timedelta(minutes=int(offset)))
    except Exception:
        pass
    return datetime.now().astimezone().tzinfo


def first_words(sample: str, n: int = SAMPLE_WORDS) -> str:
    words = " ".join(sample.split()).split(" ")
    text = " ".join(words[:n])
    cut = len(text) > 110  # a few lines on a phone, even when the words are long
    return text[:110].rstrip() + ("…" if cut or len(words) > n or len(sample) >= 100 else "")


def file_name(s: RunSummary) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", (s.title or s.label or "run").strip()).strip("-.")[:60] or "run"
    return f"llmbreaker-{base}{RUN_FILE_SUFFIX}"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} KB"


def view() -> None:
    page_header("Your runs", "Every run this browser trained, newest first: open it again, name it, keep it as a "
                "file, or bring one back.", page=PAGE)
    st.html(CSS)
    flash = st.session_state.pop("runs_flash", None)
    if flash:
        st.toast(flash, icon=":material/check:")
    store = get_manager().store
    days = store.max_age / 86400
    st.caption(f":material/schedule: Runs are kept {days:g} days, and the oldest go first when the store is full. "
               "Anyone with a run's address can view it; this list is only shown to the browser that trained them.")
    if not store.available:
        st.warning(f"{store.problem} Training works on every page, but runs are not saved, so there is nothing to "
                   "list. Try again later; if it stays like this, whoever runs this server can look at the "
                   f"database ({store.where}).", icon=":material/cloud_off:")
        return
    owner = owner_id()
    imported = _import_box(store, owner)
    if not owner:
        st.info("This browser sends no cookie, so its runs cannot be listed here; each run's address still opens it.",
                icon=":material/cookie_off:")
        return
    try:
        runs = store.list_runs(owner, limit=LIST_LIMIT)
    except StoreError as e:
        st.warning(str(e), icon=":material/cloud_off:")
        return
    if not runs:
        st.markdown("**No runs yet.** Press Play on any page that trains: the run appears here as it starts.")
        cols = st.columns(4)
        for col, key in zip(cols, ("watch", "cinema", "style", "lab")):
            title, path, icon, _ = PAGES[key]
            with col:
                st.page_link(path, label=title, icon=icon)
        return
    shown = f"the newest {LIST_LIMIT}" if len(runs) >= LIST_LIMIT else f"{len(runs)}"
    st.markdown(f"**{shown} run{'s' * (len(runs) != 1)}** · {_size(sum(r.size for r in runs))} kept")
    tz, now = _browser_tz(), time.time()
    for s in runs:
        _card(store, owner, s, tz, now, new=s.token == imported)


def _import_box(store, owner: str) -> str | None:
    """The Import uploader. Each uploaded file is imported once (its file_id is remembered); the
    new run's token is returned so its card is marked, and its Open link shown."""
    done = st.session_state.setdefault("runs_imports", {})
    with st.expander("Import a run", icon=":material/upload_file:", expanded=bool(done) and not owner):
        upload = st.file_uploader(f"A {RUN_FILE_SUFFIX} file from a run's Download button", type=["lbrun"],
                                  key="runs_import", max_upload_size=MAX_FILE_BYTES // 2**20)
        if upload is None:
            return None
        result = done.get(upload.file_id)
        if result is None:
            try:
                token = store.import_run(upload.getvalue(), owner)
                result = ("ok", token)
            except (RunFileError, StoreError) as e:
                result = ("error", str(e))
            done[upload.file_id] = result
        if result[0] == "error":
            st.error(result[1], icon=":material/error:")
            return None
        token = result[1]
        try:
            run = store.load_run(token)
        except StoreError:
            run = None
        key = page_key(run.page) if run else None
        st.success(f"Imported **{html.escape((run.title or run.label) if run else 'the run')}**: it is at the top "
                   "of the list.", icon=":material/check_circle:")
        if key:
            st.page_link(PAGES[key][1], label=f"Open it on {PAGES[key][0]}", icon=":material/open_in_new:",
                         query_params={"run": token})
        return token


def _card(store, owner: str, s: RunSummary, tz, now: float, new: bool = False) -> None:
    key = page_key(s.page)
    title, path, icon, _ = PAGES[key] if key else (s.page, None, None, None)
    name = s.title or s.label or "Untitled run"
    if s.title and s.label and s.title != s.label:
        name_sub = f" · {html.escape(s.label)}"
    else:
        name_sub = ""
    state = STATE_WORDS.get(s.state, s.state)
    if s.state == "interrupted":
        state = f"interrupted at step {s.step:,}"
    meta = [f'<span class="lb-state {STATE_CLASS.get(s.state, "idle")}">{html.escape(state)}</span>',
            f"<span>{html.escape(when(s.created, now, tz))}</span>",
            f"<span><b>{s.step:,}</b> / {s.total_steps:,} steps</span>"]
    if s.val_loss is not None:
        meta.append(f"<span>validation loss <b>{s.val_loss:.3f}</b></span>")
    if s.runs > 1:
        meta.append(f"<span>{s.runs} runs compared</span>")
    meta.append(f"<span>{_size(s.size)}</span>")
    with st.container(border=True, key=f"lb-run-{s.token}"):
        st.html(f'<div class="lb-run-kicker">{html.escape(title)}</div>'
                f'<div class="lb-run-name">{html.escape(name)}<span style="color:#94A3B8;font-weight:400">'
                f'{name_sub}</span>{"<span class=lb-run-new>IMPORTED</span>" if new else ""}</div>'
                f'<div class="lb-run-meta">{"".join(meta)}</div>'
                + (f'<div class="lb-run-sample">“{html.escape(first_words(s.last_sample))}”</div>'
                   if s.last_sample.strip() else ""))
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            if path:
                st.page_link(path, label="Open", icon=":material/open_in_new:", query_params={"run": s.token},
                             help=f"Open this run on {title}")
            else:
                st.button("Open", disabled=True, key=f"runs_open_{s.token}",
                          help="This run's page is not in this version of the app")
            with st.popover("Rename", icon=":material/edit:"):
                with st.form(key=f"runs_rename_{s.token}", border=False):
                    new_title = st.text_input("Name", value=s.title, placeholder=s.label, max_chars=300,
                                              key=f"runs_title_{s.token}")
                    if st.form_submit_button("Save", icon=":material/save:"):
                        _change(lambda: store.rename(s.token, owner, new_title), s.token,
                                "Renamed." if new_title.strip() else "Its name is cleared.")
            st.download_button("Download", data=_exporter(store, s.token), file_name=file_name(s),
                               mime="application/zip", icon=":material/download:", on_click="ignore",
                               key=f"runs_download_{s.token}",
                               help="One file with everything of this run: import it here again, on any server")
            with st.popover("Delete", icon=":material/delete:"):
                what = f"these {s.runs} runs" if s.runs > 1 else "this run"
                st.markdown(f"Delete {what} for good? Its address stops working for everyone who has it.")
                if st.button("Delete for good", type="primary", icon=":material/delete_forever:",
                             key=f"runs_delete_{s.token}"):
                    _change(lambda: store.delete(s.token, owner), s.token, "Deleted.")


def _exporter(store, token: str):
    """The Download button's data, made only when it is pressed (a card list of big runs would
    otherwise build every file on every redraw)."""
    def make() -> bytes:
        try:
            return store.export_run(token)
        except StoreError as e:  # the download is then a note saying why, not a broken file
            return f"This run could not be exported: {e}\n".encode()
    return make


def _change(call, token: str, done: str) -> None:
    try:
        ok = call()
    except StoreError as e:
        st.error(str(e), icon=":material/error:")
        return
    try:
        from llmbreaker.ui.widgets.run_address import forget_cached
        forget_cached(token)  # viewers of its address read the store again
    except Exception:
        pass
    st.session_state["runs_flash"] = done if ok else "This run is not there any more."
    st.rerun()
