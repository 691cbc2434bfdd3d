"""Choosing what to train on and how: the dataset picker (with upload) and the settings."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import streamlit as st

from llmbreaker.engine.corpus import (BUNDLED, MAX_TRAIN_CHARS, bundled_stats, bundled_text, check_vocab, display_name,
                                      text_stats)
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.presets import (MODEL_SIZE_CAPTIONS, MODEL_SIZE_LABELS, MODEL_SIZES, default_model_size,
                                       default_train_config, next_token_prompt)
from llmbreaker.engine.session import RUN_SECONDS_AT_1X, SPEEDS, TrainingRequest, TrainingSession
from llmbreaker.engine.trainer import BOUNDS, TrainConfig, validate
from llmbreaker.ui.widgets.controls import training_controls
from llmbreaker.ui.widgets.switching import confirm_dataset_switch
from llmbreaker.ui.widgets.upload import new_upload, upload_error

UPLOAD = "upload"
# What the selector shows, and what a shared link names (?watch_dataset=Poems).
DATASET_LABELS = {**{k: label for k, (label, _) in BUNDLED.items()}, UPLOAD: "Your own file (.txt)"}


@dataclass(frozen=True)
class ChosenText:
    key: str  # "shakespeare" | "poems" | "childrens" | "upload"
    label: str  # for people: "Shakespeare", "your file notes.txt"
    text: str


def dataset_picker(page: str) -> ChosenText | None:
    """Selector, upload and metadata. Returns the chosen text, or None while there is none."""
    options = list(BUNDLED) + [UPLOAD]
    key = st.selectbox(
        "Dataset",
        options,
        format_func=DATASET_LABELS.get,
        key=f"{page}_dataset", bind="query-params",
        help="Choose training data. Smaller datasets train faster.",
    )
    if key in BUNDLED:
        st.caption(BUNDLED[key][1])
        chosen = ChosenText(key, BUNDLED[key][0], bundled_text(key))
        stats = bundled_stats(key)
    else:
        chosen = _upload(page)
        if chosen is None:
            return None
        stats = text_stats(chosen.text)
    c1, c2, c3 = st.columns(3)
    c1.metric("Characters", f"{stats.characters:,}", help="How many characters the text has.")
    c2.metric("Vocabulary", f"{stats.vocabulary}", help="Distinct characters: the model's alphabet, one token each.")
    c3.metric("Words", f"{stats.words:,}", help="Words separated by spaces or new lines.")
    return chosen


def _upload(page: str) -> ChosenText | None:
    """A .txt upload. A file that fails keeps the last good one (docs/design.md §Datasets: keep the previous data)."""
    good_key = f"{page}_upload_good"
    # (check_vocab: before anything is sized by the text, the model's output layer first)
    new = new_upload(page, "Upload a .txt file", ["txt"], check=check_vocab,
                     help="Plain text, up to 10 MB. It stays in memory and is never saved on the server.")
    if new is not None:
        name, text = new
        st.session_state[good_key] = (display_name(name), *dataset_cut(text))
    error = upload_error(page)
    good = st.session_state.get(good_key)
    if error:
        st.error(error + (f" Still using your earlier file '{good[0]}'." if good else ""), icon=":material/warning:")
    if good is None:
        st.info("Upload a plain-text file (at least a few hundred characters) to train on your own writing.")
        return None
    name, text, note = good
    if note:
        st.info(note, icon=":material/content_cut:")
    return ChosenText(UPLOAD, f"your file {name}", text)


def dataset_cut(text: str) -> tuple[str, str | None]:
    """An upload longer than training takes is cut at its last line end before the limit (or at
    the limit, if there is none), with a note saying so."""
    if len(text) <= MAX_TRAIN_CHARS:
        return text, None
    end = text.rfind("\n", 0, MAX_TRAIN_CHARS)
    head = text[:end] if end > MAX_TRAIN_CHARS // 2 else text[:MAX_TRAIN_CHARS]
    return head, (f"This file has {len(text):,} characters; training uses the first {len(head):,} "
                  f"(at most {MAX_TRAIN_CHARS:,} are trained on).")


def training_settings(page: str, defaults: TrainConfig = TrainConfig()) -> tuple[ModelConfig, TrainConfig]:
    """The settings expander. Values are validated with the bounds of docs/design.md §Limits."""
    # In a keyed container: workshop mode hides it with CSS (its widgets stay, and so do their values).
    with st.container(key=f"{page}_lbsettings"), st.expander("Model and training settings", expanded=False):
        size = st.radio(
            "Model size",
            list(MODEL_SIZES),
            index=list(MODEL_SIZES).index(default_model_size(page)),
            format_func=MODEL_SIZE_LABELS.get, captions=list(MODEL_SIZE_CAPTIONS.values()),
            key=f"{page}_size", bind="query-params",
            help="Bigger models can learn more but take longer per step. In 25 seconds Shallow (one wide layer) "
                 "learns most; Small and Deeper have more layers of attention heads to watch.",
        )
        # Fitted to 25 s unless the person (or the page's link) names a step count: a link that says
        # ?watch_steps=… trains exactly that many, on any machine.
        fit_key = f"{page}_fit"
        if fit_key not in st.session_state:
            st.session_state[fit_key] = f"{page}_steps" not in st.query_params
        fit = st.toggle(
            f"Fit the run to {RUN_SECONDS_AT_1X:.0f} seconds on this computer", key=fit_key,
            help=f"On: the run takes at most the steps below and lasts about {RUN_SECONDS_AT_1X:.0f} s at 1x on any "
                 "computer: a slower one (or a busy server) trains fewer steps, measured in the first second, and "
                 "still ends its whole learning-rate schedule. Off: exactly the steps below, however long they take "
                 "(the same seed then gives the same run). A link that names a step count turns it off.")
        c1, c2 = st.columns(2)
        steps = c1.number_input(
            "Training steps", *BOUNDS["max_steps"], value=defaults.max_steps, step=500,
            key=f"{page}_steps", bind="query-params", on_change=st.session_state.update, args=({fit_key: False},),
            help="How many updates of the weights (at most, while the run is fitted to 25 seconds). At 1x speed, "
                 "the default 2,200 steps take about 25 seconds where this computer keeps up. Choosing a number "
                 "turns the fit to 25 seconds off.")
        interval = c2.number_input(
            "Checkpoint every (steps)", *BOUNDS["eval_interval"], value=defaults.eval_interval, step=50,
            key=f"{page}_interval", bind="query-params", help="How often to measure the loss, write a sample and take the attention.")
        lr = c1.select_slider(
            "Learning rate", options=LR_OPTIONS,
            value=defaults.learning_rate, key=f"{page}_lr", bind="query-params", format_func=lambda v: f"{v:g}",
            help="How big each update is. Too small learns slowly; too big makes the loss jump around.")
        temperature = c2.slider(
            "Sample temperature", 0.1, 1.5, value=defaults.temperature, step=0.1, key=f"{page}_temp", bind="query-params",
            help="Lower = safer, more repetitive samples; higher = more surprising ones.")
        seed = c1.number_input("Random seed", 0, 2**31 - 1, value=defaults.seed, key=f"{page}_seed", bind="query-params",
                               help="The same seed and settings train the same model again.")
        st.caption("Changes apply the next time you press Play.")
    train = replace(defaults, max_steps=int(steps), eval_interval=int(interval), learning_rate=float(lr),
                    temperature=float(temperature), seed=int(seed), fit_seconds=RUN_SECONDS_AT_1X if fit else 0.0)
    validate(train)
    return MODEL_SIZES[size], train


LR_OPTIONS = [1e-3, 3e-3, 5e-3, 1e-2, 1.5e-2, 2e-2, 3e-2, 5e-2]


def _number_in(lo, hi, kind=int):
    def check(raw: str) -> bool:
        try:
            value = kind(raw)  # int("inf") and int("1e400") raise; float("inf") and "nan" fail below
        except (ValueError, OverflowError):
            return False
        return lo <= value <= hi
    return check


# What a shared link may set on a dataset page (the widgets are bound to the URL with these keys),
# and what each accepts. Streamlit ignores a value its widget cannot take; this says so on the page.
LINK_SETTINGS = {
    "dataset": ("dataset", lambda v: v in DATASET_LABELS.values(), f"one of {', '.join(DATASET_LABELS.values())}"),
    "speed": ("speed", lambda v: v in SPEEDS, f"{', '.join(list(SPEEDS)[:-1])} or {list(SPEEDS)[-1]}"),
    "size": ("model size", lambda v: v in MODEL_SIZE_LABELS.values(), f"one of {', '.join(MODEL_SIZE_LABELS.values())}"),
    "steps": ("training steps", _number_in(*BOUNDS["max_steps"]), "a whole number from 10 to 10,000"),
    "interval": ("checkpoint interval", _number_in(*BOUNDS["eval_interval"]), "a whole number from 1 to 10,000"),
    "lr": ("learning rate", lambda v: _number_in(0, 1, float)(v) and float(v) in LR_OPTIONS,
           f"one of {', '.join(f'{x:g}' for x in LR_OPTIONS)}"),
    "temp": ("sample temperature", _number_in(0.1, 1.5, float), "a number from 0.1 to 1.5"),
    "seed": ("random seed", _number_in(0, 2**31 - 1), "a whole number from 0 to 2,147,483,647"),
}


def drop_link_value(name: str) -> None:
    """Forget a query parameter before its widget is made, so the widget takes its default.

    Removing it from `st.query_params` alone is not enough: a bound widget is seeded from the
    address the page was *opened* with, and Streamlit 1.67 lets the OverflowError of an infinite
    number (`?watch_steps=inf`, `1e400`) escape while parsing it, which replaced the page below the
    settings with a traceback. So the value is also taken out of that first address (a private
    attribute of the pinned Streamlit; if it is ever missing, only the URL is cleaned).
    """
    st.query_params.pop(name, None)
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        get_script_run_ctx().session_state._state.query_params._initial_query_params.pop(name, None)
    except Exception:  # noqa: BLE001 - a newer Streamlit: nothing more to clean
        pass


def link_notes(page: str, names=None) -> None:
    """A visible note for every setting in the page's link that is not valid (docs/design.md §Limits):
    checked before the widgets are made, infinities and NaN included; the setting keeps its default
    and the value leaves the address. A note stays on the page until that setting is set again.
    Values are only echoed when they are short and plain. `names`: the settings this page has (all
    of LINK_SETTINGS by default)."""
    notes = st.session_state.setdefault(f"{page}_link_notes", {})
    for name in names or LINK_SETTINGS:
        label, valid, rule = LINK_SETTINGS[name]
        param = f"{page}_{name}"
        raw = st.query_params.get(param)
        if raw is None:
            continue
        if valid(raw):
            notes.pop(name, None)  # set again, validly (by the person or a new link)
            continue
        shown = f"'{raw}'" if re.fullmatch(r"[\w.\-]{1,24}", raw) else "a value"
        notes[name] = (f"This link sets the {label} to {shown}, which is not allowed: it must be {rule}. "
                       f"Using the default instead.")
        drop_link_value(param)
    for note in notes.values():
        st.warning(note, icon=":material/link_off:")


def dataset_run_setup(page: str, session: TrainingSession, extra_settings=None, model_switches=None,
                      more_controls=None):
    """The top of a page that trains on a dataset: the controls in one row, then the text and the
    settings (the picker and its metadata on the left; the settings and any page-specific choices on
    the right), which fold away when a run starts so that the live pictures are on the first screen
    of a projector (setup_fold). `extra_settings(model_cfg)` draws those choices and returns
    TrainConfig overrides (the Cinema's probe text, say). `model_switches()` draws architecture
    choices and returns ModelConfig overrides (the experts of the mixture-of-experts page).
    `more_controls(make_request)` draws more buttons under the controls, with the same request maker
    (None while nothing can be trained). Returns the chosen model config (None while the settings
    are invalid) and the controls' container, for a page to add more controls to."""
    link_notes(page)
    bar = st.container()  # filled below, once the settings say what Play trains
    with setup_fold(page, session):
        left, right = st.columns([1, 1.35], gap="large")
        with left:
            chosen = dataset_picker(page)
        with right:
            try:
                model_cfg, train_cfg = training_settings(page, default_train_config(page))
            except UserInputError as e:
                st.error(e.message, icon=":material/warning:")
                model_cfg = train_cfg = None
            if model_switches and model_cfg is not None:
                model_cfg = replace(model_cfg, **model_switches())
            overrides = extra_settings(model_cfg) if extra_settings else {}
            switching = confirm_dataset_switch(session, chosen, page)
    make_request = None
    if chosen is not None and train_cfg is not None and not switching:
        def make_request(chosen=chosen, model_cfg=model_cfg, train_cfg=train_cfg):
            prompt = next_token_prompt(chosen.key, chosen.text)
            return TrainingRequest(chosen.text, model_cfg, replace(train_cfg, next_prompt=prompt, **overrides),
                                   label=chosen.label)
    with bar:
        training_controls(session, make_request, page, fold=f"{page}_setup_open")
        if more_controls:
            more_controls(make_request)
    return model_cfg, bar


# A run on a projector's screen (workshop mode, settings folded): the header in as little height as
# it reads in, so that the live pictures are on a 1280 x 720 first screen (Watch's next-letter bars,
# Cinema's second row of heatmaps). The subtitle and the app's name go (the sidebar names the page),
# the title is one size smaller, the "What am I looking at?" switch a slim line, the run's address note
# (a caption under the header) goes while the run is on screen. Used by the Style page and the Lab too.
COMPACT_HEADER_CSS = """
.lb-sub, .lb-brand, .st-key-lb_address_note { display: none !important; }
.lb-title { font-size: 2rem !important; line-height: 1.15; }
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; }
.st-key-lb_explain summary { padding-top: 0.15rem !important; padding-bottom: 0.15rem !important; }
.st-key-lb_explain summary p { font-size: 1.1rem !important; }
"""


def setup_fold(page: str, session: TrainingSession):
    """The container of a page's text and settings. Open until the page's first run starts, folded
    while a run is on screen (Play folds it; the "Settings" switch in the control bar opens it). A
    folded one is hidden, not left out: its widgets, and the person's choices in them, stay."""
    key = f"{page}_setup_open"
    if key not in st.session_state:
        st.session_state[key] = not (session.active or session.history.checkpoints)
    box = st.container(key=f"{page}_lbsetup")
    if not st.session_state[key]:
        # In workshop mode (the "workshop" switch of ui/common.py) the header is compact too.
        sub = COMPACT_HEADER_CSS if st.session_state.get("workshop") else ""
        st.html(f"<style>.st-key-{page}_lbsetup {{ display: none !important; }} {sub}</style>")
    return box


def cut_controls(page: str, key: str, check) -> None:
    """The "Cut the text to the limit" button for a text box (`key`) whose `check` (a
    style.TextCheck) is too long, and after a cut an "Undo the cut" button that puts the original
    back: the original is kept until the person edits the cut text or trains on it (docs/design.md §Limits).
    Call it after the text box, every run."""
    from llmbreaker.lessons import style

    before = f"{key}_before_cut"

    def cut() -> None:
        st.session_state[before] = (st.session_state.get(key, ""), style.truncate(check.text))
        st.session_state[key] = st.session_state[before][1]

    def undo() -> None:
        st.session_state[key] = st.session_state.pop(before)[0]

    if check is not None and check.can_truncate:
        st.button("Cut the text to the limit", key=f"{page}_truncate", icon=":material/content_cut:", on_click=cut,
                  help="Keep the start of your text, up to the limit, ending at a sentence or a word "
                       "(or at the limit, if there is neither). You can undo it.")
    kept = st.session_state.get(before)
    if kept is not None:
        if st.session_state.get(key) != kept[1]:  # edited since: the cut is the person's text now
            st.session_state.pop(before, None)
            return
        st.info(f"Cut to {len(kept[1]):,} characters (from {len(kept[0]):,}).", icon=":material/content_cut:")
        st.button("Undo the cut", key=f"{page}_undo_cut", icon=":material/undo:", on_click=undo,
                  help="Put the whole text back as it was before the cut.")
