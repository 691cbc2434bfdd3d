"""What the journey pages share: the model picker (the tab's trained models or the bundled default),
the prompt box, visible characters, and the check-yourself quizzes."""
from __future__ import annotations

import html

import streamlit as st

from llmbreaker.charts.samples import markdown_literal
from llmbreaker.charts.training import visible_char
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.model_io import ModelRefused, load_model
from llmbreaker.lessons import our_model
from llmbreaker.lessons.journey import BASE_KEY, QUIZZES, ModelSource, check_answer, model_sources
from llmbreaker.lessons.microscope import unsupported_reason
from llmbreaker.ui.shell import PAGES, browser_session_id, get_manager

CHOICE = "journey_model_choice"  # the chosen source's key, shared by the journey pages


def per_session_cache(name: str, owner, make, keep: int, extra=()):
    """What `make()` returns, kept in this browser session's state under `name` for `owner` (a bytes
    object or a model) and `extra`: released with the person's session, and only the `keep` most
    recent. `owner` is held and compared (bytes by value, models by identity), so an id or hash
    that comes back for another object never serves the wrong entry."""
    cache = st.session_state.setdefault(name, {})
    key = (hash(owner) if isinstance(owner, bytes) else id(owner), extra)
    entry = cache.get(key)
    if entry is not None and (entry[0] == owner if isinstance(owner, bytes) else entry[0] is owner):
        cache[key] = cache.pop(key)  # most recent last
        return entry[1]
    value = make()
    cache[key] = (owner, value)
    while len(cache) > keep:
        cache.pop(next(iter(cache)))
    return value


@st.cache_resource(show_spinner=False, max_entries=2)
def _load_default(data: bytes):
    """The bundled models (the default Shakespeare model and the English base): one of each for the
    whole server, as everyone shares them."""
    return load_model(data)


def _load(source: ModelSource):
    """A model of this tab's runs is kept with the person's session (two at most); the default
    is shared."""
    if source.is_default:
        return _load_default(source.data)
    return per_session_cache("_journey_models", source.data, lambda: load_model(source.data), keep=2)


def model_picker(page: str):
    """The selector "which model", and a line saying which model every number comes from.
    Returns (source, model, tokenizer); stops the page with a message if the model cannot be read."""
    manager = get_manager()
    sessions = manager.sessions_of(browser_session_id())
    sources = model_sources(sessions)
    keys = [s.key for s in sources]
    wanted = st.session_state.get(CHOICE)
    index = keys.index(wanted) if wanted in keys else 0
    # The model's name ("Default model · Shakespeare · step 2,200") fits its box, in workshop mode too.
    left, right = st.columns([1.25, 1], gap="large", vertical_alignment="bottom")
    with left:
        key = st.selectbox("Model", keys, index=index, key=f"{page}_model",
                           format_func=lambda k: next(s.label for s in sources if s.key == k),
                           help="Every number on this page is computed by this model. Your finished training "
                                "runs of this tab are listed, newest first; before you have trained one, "
                                "a model trained on Shakespeare with the app's defaults is used. The "
                                "pretrained English base (the one the Style page fine-tunes) is always there.")
    st.session_state[CHOICE] = key
    source = next(s for s in sources if s.key == key)
    with right:
        if source.key == BASE_KEY:
            st.caption("Showing the **pretrained English base** that the Style page fine-tunes: 128 dimensions, "
                       "4 layers, 4 heads; it read 6.2 million characters of modern English, plays, poems and "
                       "stories before it ever saw your text.")
        elif source.is_default:
            st.caption(f"Showing the **default model**, {our_model.name()}: trained on Shakespeare with the app's "
                       f"defaults (2,200 steps); {our_model.vocab_size()} characters, "
                       f"{our_model.parameters():,} parameters. Train your own on **Watch It Learn to Spell** "
                       "and it appears here.")
        else:
            st.caption(f"Showing **your model** from {markdown_literal(source.label)}, trained on "
                       f"{markdown_literal(source.text_label)}.")
        running = [s for s in sessions if s.active]
        if running:
            names = ", ".join(PAGES[s.page][0] if s.page in PAGES else s.page for s in running)
            st.caption(f"Still training on {names}: that model appears here when its run finishes.")
    try:
        model, tokenizer = _load(source)
    except ModelRefused as e:  # a run of this tab: no file to choose, so no word about files
        st.warning(f"This model cannot be shown on this page: {e.reason}. Choose another model above, or train "
                   f"one on a text with fewer different characters.", icon=":material/info:")
        st.stop()
    except UserInputError as e:
        st.error(f"This model cannot be shown on this page: {e.message}", icon=":material/warning:")
        st.stop()
    return source, model, tokenizer


def standard_model_picker(page: str):
    """`model_picker` for the pages that follow the standard architecture step by step (microscope,
    follow one character): (source, model, tokenizer), or None after saying why the chosen model
    cannot be shown."""
    source, model, tokenizer = model_picker(page)
    reason = unsupported_reason(model)
    if reason:
        st.warning(reason, icon=":material/construction:")
        return None
    return source, model, tokenizer


def prompt_box(page: str, source: ModelSource, tokenizer, block_size: int, limit: int | None = None,
               label: str = "Prompt") -> list[int]:
    """A text box for the prompt; characters the model has no token for are dropped, with a note.
    Returns the ids (at least one)."""
    limit = min(limit or block_size, block_size)
    default = tokenizer.filter(source.prompt)[-limit:] or tokenizer.chars[0]
    key = f"{page}_prompt_{source.key}"
    text = st.text_area(label, value=default, max_chars=limit, key=key, height=68,
                         help=f"Type up to {limit} characters; the model reads them one by one. "
                              "A new line (Enter) is a character too. Characters it never saw in its training text are left out.")
    kept = tokenizer.filter(text)
    dropped = sorted(set(text) - set(kept))
    if dropped:
        st.caption("Left out (not in this model's vocabulary): " + " ".join(markdown_literal(visible_char(c)) for c in dropped))
    if not kept:
        st.warning("None of these characters is in the model's vocabulary; using the default prompt.",
                   icon=":material/info:")
        kept = default
    return tokenizer.encode(kept)


def chars_html(chars: list[str], highlight: int | None = None, ids: list[int] | None = None) -> str:
    """The characters as boxes (escaped; ␣ and ↵ for space and new line), with their ids under them."""
    cells = []
    for i, c in enumerate(chars):
        hl = i == highlight
        style = ("background:#1D4ED8;border-color:#60A5FA;color:#F8FAFC" if hl else
                 "background:#1E293B;border-color:#334155;color:#E2E8F0")
        sub = f'<div class="lbj-id">{ids[i]}</div>' if ids is not None else ""
        cells.append(f'<div class="lbj-tok" style="{style}"><div class="lbj-ch">{html.escape(visible_char(c))}</div>'
                     f'{sub}<div class="lbj-pos">{i}</div></div>')
    return ('<style>.lbj-row{display:flex;flex-wrap:wrap;gap:4px;margin:0.3rem 0 0.6rem}'
            '.lbj-tok{border:1px solid;border-radius:6px;min-width:2.1rem;text-align:center;padding:2px 4px;'
            'font-family:ui-monospace,monospace}.lbj-ch{font-size:1.15rem;line-height:1.4}'
            '.lbj-id{font-size:0.8rem;color:#FBBF24}.lbj-pos{font-size:0.65rem;color:#94A3B8}</style>'
            f'<div class="lbj-row">{"".join(cells)}</div>')


def text_html(text: str, size: str = "0.95rem") -> str:
    """Model-written text, escaped, new lines shown as ↵ and kept."""
    body = html.escape(text).replace("\n", '<span style="color:#64748B">↵</span>\n')
    return (f'<div style="font-family:ui-monospace,monospace;font-size:{size};white-space:pre-wrap;'
            f'background:#111827;border:1px solid #1F2937;border-radius:8px;padding:0.6rem 0.8rem;'
            f'line-height:1.45;color:#E2E8F0">{body}</div>')


def quiz(page: str) -> None:
    """The page's check-yourself questions, answered in place, with the reason shown."""
    questions = QUIZZES[page]
    st.markdown("#### Check yourself", help="Pick an answer: you see at once whether it is right, and why.")
    right = 0
    for n, q in enumerate(questions):
        with st.container(border=True):
            picked = st.radio(f"{n + 1}. {q.text}", q.options, index=None, key=f"{page}_quiz_{n}",
                              help="Choose one; you can change your answer.")
            verdict = check_answer(q, picked)
            if verdict is True:
                right += 1
                st.success(f"Right. {q.reason}", icon=":material/check_circle:")
            elif verdict is False:
                st.error(f"Not quite. {q.reason}", icon=":material/cancel:")
    answered = sum(st.session_state.get(f"{page}_quiz_{n}") is not None for n in range(len(questions)))
    if answered == len(questions):
        st.markdown(f"**{right} of {len(questions)} right.**")
