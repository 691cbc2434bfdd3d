"""A run as one file (.lbrun): export a series of runs, import it again, trusting nothing in it.

The file is a zip archive of plain data, never code (no pickle, no torch.load of anything but the
model file, which model_io checks as it checks every uploaded model):

    manifest.json        {"format": "llmbreaker-run", "version": 1, "runs": [run, ...]}
    runs/<i>/text.txt    the run's text, UTF-8
    runs/<i>/steps.i4    every training step's number, little-endian int32
    runs/<i>/losses.f4   its training loss, little-endian float32
    runs/<i>/attention.f2  every checkpoint's attention, little-endian float16, one after another
    runs/<i>/model.pt    the trained model (model_io's format), when the run has one

Each run of the manifest holds its page, label, title, settings, info, state, steps, losses' count,
and its checkpoints (step, losses, lr, elapsed, sample, next-character guesses, the attention's
shape, experts as JSON with tagged arrays). Tokens and owners are not written: an imported run gets
new ones, so a file passed on never opens the original's address.

Reading checks, before anything is inflated, the file's size and the zip's directory (zipguard:
few members, a bounded unpacked size), then every member's declared size against what the manifest
says it holds, every value's type, every string's length, every array's shape, and the number of
runs and checkpoints. Anything wrong raises RunFileError with a sentence for a person.
"""
from __future__ import annotations

import io
import json
import math
import re
import zipfile

import numpy as np

from llmbreaker.engine.zipguard import ZipRefused, check_zip

FORMAT = "llmbreaker-run"
VERSION = 1
SUFFIX = ".lbrun"
MAX_FILE_BYTES = 50 * 1024 * 1024  # the Import uploader's limit too
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_MANIFEST_BYTES = 32 * 1024 * 1024
MAX_RUNS = 64  # a Lab series of many compared runs; the Scaling experiment has 4
MAX_CHECKPOINTS = 5_000  # per run
MAX_ALL_CHECKPOINTS = 20_000
MAX_STEPS = 10_000_000  # loss values per run
MAX_TEXT_CHARS = 20_000_000
MAX_ATTENTION = 8 * 16 * 256 * 256  # values in one checkpoint: the largest model a model file may be
MAX_SAMPLE = 100_000
MAX_MESSAGE = 10_000
MAX_LABEL = 300
MAX_NEXT = 1_024
MAX_JSON_DEPTH = 32
PAGE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
STATES = ("running", "completed", "stopped", "error", "interrupted")
ARRAY_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}

WHAT_TO_DO = "Choose a .lbrun file made by a run's Download button on Your runs."


class RunFileError(Exception):
    """A run file that cannot be imported; `str(e)` says why and what to do, for a person."""


def _refuse(why: str) -> RunFileError:
    return RunFileError(f"This file cannot be imported: {why}. {WHAT_TO_DO}")


# -- writing ------------------------------------------------------------------------------------------
def _json_value(value):
    """JSON of a value as the store keeps it (arrays tagged, as in db._to_json)."""
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def pack_series(runs) -> bytes:
    """StoredRuns (one series, oldest first) -> the bytes of a .lbrun file."""
    buf = io.BytesIO()
    manifest = {"format": FORMAT, "version": VERSION, "runs": []}
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for i, run in enumerate(runs):
            base = f"runs/{i}/"
            zf.writestr(base + "text.txt", run.text.encode("utf-8"))
            zf.writestr(base + "steps.i4", np.asarray(run.steps, "<i4").tobytes())
            zf.writestr(base + "losses.f4", np.asarray(run.losses, "<f4").tobytes())
            zf.writestr(base + "attention.f2", b"".join(np.asarray(c.attention).astype("<f2").tobytes()
                                                        for c in run.checkpoints))
            if run.model_file:
                zf.writestr(base + "model.pt", run.model_file, compress_type=zipfile.ZIP_STORED)
            manifest["runs"].append({
                "page": run.page, "label": run.label, "title": getattr(run, "title", ""), "state": run.state,
                "step": run.step, "total_steps": run.total_steps, "train_loss": run.train_loss,
                "val_loss": run.val_loss, "seconds": run.seconds, "message": run.message,
                "created": run.created, "updated": run.updated, "settings": run.settings, "info": run.info,
                "losses": len(run.steps), "model_file": bool(run.model_file),
                "checkpoints": [{
                    "step": c.step, "train_loss": c.train_loss, "val_loss": c.val_loss, "lr": c.lr,
                    "elapsed": c.elapsed, "sample": c.sample, "next_token": [[ch, float(p)] for ch, p in c.next_token],
                    "attention_shape": list(np.asarray(c.attention).shape),
                    "experts": _json_value(c.experts) if c.experts is not None else None,
                } for c in run.checkpoints],
            })
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, allow_nan=True).encode("utf-8"))
    return buf.getvalue()


# -- reading: every check ------------------------------------------------------------------------------
def _depth(value, limit: int = MAX_JSON_DEPTH) -> int:
    stack, deepest = [(value, 1)], 0
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def _str(value, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _refuse(f"its {name} is not text")
    if len(value) > limit:
        raise _refuse(f"its {name} is {len(value):,} characters long, more than the {limit:,} a run has")
    return value


def _int(value, name: str, lo: int = 0, hi: int = 2**31 - 1) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise _refuse(f"its {name} is not a whole number from {lo:,} to {hi:,}")
    return value


def _float(value, name: str, optional: bool = False, finite: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse(f"its {name} is not a number")
    value = float(value)
    if finite and not math.isfinite(value):
        raise _refuse(f"its {name} is not a finite number")
    return value


def _tagged(value, budget: list[int]):
    """JSON with tagged arrays (as the store writes experts) -> values with numpy arrays, within a
    budget of array elements for the whole file."""
    if isinstance(value, dict):
        if "__array__" in value:
            if set(value) != {"__array__", "dtype"} or value["dtype"] not in ARRAY_DTYPES:
                raise _refuse("an array in its expert data has an unknown type")
            try:
                arr = np.asarray(value["__array__"], dtype=value["dtype"])
            except (ValueError, TypeError, OverflowError):
                raise _refuse("an array in its expert data is not a regular array of numbers") from None
            budget[0] -= arr.size
            if budget[0] < 0 or arr.ndim > 6:
                raise _refuse("its expert data holds far more numbers than a run's")
            return arr
        return {k: _tagged(v, budget) for k, v in value.items()}
    if isinstance(value, list):
        return [_tagged(v, budget) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise _refuse("its expert data holds a value that is not JSON")


def _check_zip(data: bytes) -> list:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _refuse("it is not a file")
    data = bytes(data)
    if len(data) > MAX_FILE_BYTES:
        raise RunFileError(f"This file is {len(data) / 2**20:.1f} MB, more than the {MAX_FILE_BYTES // 2**20} MB a "
                           f"run file may have. {WHAT_TO_DO}")
    try:
        members = check_zip(data, max_members=1 + 5 * MAX_RUNS, max_total=MAX_UNPACKED_BYTES)
    except ZipRefused as e:
        if e.kind == "not_zip":
            raise _refuse("it is not a run file saved by LLMBreaker (" + e.reason + ")") from None
        raise _refuse(e.reason) from None
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise _refuse("it names one of its parts twice")
    if any(m.method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for m in members):
        raise _refuse("its parts are packed in a way this app does not write")
    return members


def _read(zf: zipfile.ZipFile, member, expected: int | None = None) -> bytes:
    if expected is not None and member.size != expected:
        raise _refuse(f"its part {member.name} holds {member.size:,} bytes where its description says {expected:,}")
    try:
        with zf.open(member.name) as f:
            raw = f.read(member.size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise _refuse("it is damaged (a part does not unpack to what it claims)") from None
    if len(raw) != member.size:
        raise _refuse("it is damaged (a part does not unpack to what it claims)")
    return raw


def unpack_series(data: bytes):
    """The bytes of a .lbrun file -> its runs as StoredRun objects (tokens empty), each checked.
    Raises RunFileError."""
    from llmbreaker.engine.errors import UserInputError
    from llmbreaker.engine.model_io import MAX_MODEL_BYTES, load_model
    from llmbreaker.engine.store.db import StoredCheckpoint, StoredRun

    members = _check_zip(data)
    by_name = {m.name: m for m in members}
    if "manifest.json" not in by_name:
        raise _refuse("it is not a run file saved by LLMBreaker (it has no description of its runs)")
    if by_name["manifest.json"].size > MAX_MANIFEST_BYTES:
        raise _refuse("its description is far larger than a run's")
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        raw = _read(zf, by_name["manifest.json"])
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise _refuse("its description is not readable") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise _refuse("it is not a run file saved by LLMBreaker")
        version = manifest.get("version")
        if type(version) is not int:
            raise _refuse("its format version is missing")
        if version > VERSION:
            raise RunFileError(f"This run file was saved by a newer LLMBreaker (format {version}; this one reads "
                               f"format {VERSION}). Update the app to import it, or export the run again from "
                               "the version it was made with.")
        if version < 1:
            raise _refuse(f"its format version ({version}) is not one this app reads")
        if _depth(manifest) > MAX_JSON_DEPTH:
            raise _refuse("its description is nested far deeper than a run's")
        runs = manifest.get("runs")
        if not isinstance(runs, list) or not runs:
            raise _refuse("it holds no runs")
        if len(runs) > MAX_RUNS:
            raise _refuse(f"it holds {len(runs):,} runs, more than the {MAX_RUNS} a page shows together")
        expected = {"manifest.json"}
        for i, r in enumerate(runs):
            parts = ("text.txt", "steps.i4", "losses.f4", "attention.f2") + (
                ("model.pt",) if isinstance(r, dict) and r.get("model_file") is True else ())
            expected |= {f"runs/{i}/{name}" for name in parts}
        extra = set(by_name) - expected
        if extra:
            raise _refuse(f"it holds parts a run file does not have ({', '.join(sorted(extra)[:3])})")
        all_checkpoints = 0
        budget = [MAX_UNPACKED_BYTES // 4]  # expert arrays' elements
        out = []
        for i, r in enumerate(runs):
            if not isinstance(r, dict):
                raise _refuse(f"run {i + 1} is not described as a run")
            where = f"run {i + 1}'s"
            base = f"runs/{i}/"
            page = _str(r.get("page"), f"{where} page", 32)
            if not PAGE_RE.match(page):
                raise _refuse(f"{where} page is not the name of a page")
            state = r.get("state")
            if state not in STATES:
                raise _refuse(f"{where} state is not one a run can have")
            settings, info = r.get("settings"), r.get("info")
            if not isinstance(settings, dict) or not isinstance(info, dict):
                raise _refuse(f"{where} settings are not a run's settings")
            checkpoints = r.get("checkpoints")
            if not isinstance(checkpoints, list):
                raise _refuse(f"{where} checkpoints are missing")
            if len(checkpoints) > MAX_CHECKPOINTS:
                raise _refuse(f"{where} {len(checkpoints):,} checkpoints are more than the {MAX_CHECKPOINTS:,} "
                              "a run has")
            all_checkpoints += len(checkpoints)
            if all_checkpoints > MAX_ALL_CHECKPOINTS:
                raise _refuse(f"it holds more than {MAX_ALL_CHECKPOINTS:,} checkpoints in all")
            n_losses = _int(r.get("losses"), f"{where} number of losses", 0, MAX_STEPS)
            for name in ("text.txt", "steps.i4", "losses.f4", "attention.f2"):
                if base + name not in by_name:
                    raise _refuse(f"{where} part {name} is missing")
            has_model = r.get("model_file")
            if not isinstance(has_model, bool):
                raise _refuse(f"{where} model entry is not true or false")
            # Sizes first, from the directory: nothing is unpacked that the description does not account for.
            shapes = []
            for j, c in enumerate(checkpoints):
                if not isinstance(c, dict):
                    raise _refuse(f"{where} checkpoint {j + 1} is not a checkpoint")
                shape = c.get("attention_shape")
                if (not isinstance(shape, list) or not 1 <= len(shape) <= 6
                        or not all(type(d) is int and 1 <= d <= 4096 for d in shape)):
                    raise _refuse(f"{where} checkpoint {j + 1} has an attention shape that is not an array's")
                if math.prod(shape) > MAX_ATTENTION:
                    raise _refuse(f"{where} checkpoint {j + 1} has far more attention values than a model's")
                shapes.append(shape)
            att_bytes = 2 * sum(math.prod(sh) for sh in shapes)
            if att_bytes > MAX_UNPACKED_BYTES:
                raise _refuse(f"{where} attention is larger than this app unpacks")
            text_member = by_name[base + "text.txt"]
            if text_member.size > 4 * MAX_TEXT_CHARS:
                raise _refuse(f"{where} text is longer than any this app trains on")
            steps = np.frombuffer(_read(zf, by_name[base + "steps.i4"], 4 * n_losses), "<i4")
            losses = np.frombuffer(_read(zf, by_name[base + "losses.f4"], 4 * n_losses), "<f4")
            att_raw = _read(zf, by_name[base + "attention.f2"], att_bytes)
            try:
                text = _read(zf, text_member).decode("utf-8")
            except UnicodeDecodeError:
                raise _refuse(f"{where} text is not UTF-8 text") from None
            if len(text) > MAX_TEXT_CHARS:
                raise _refuse(f"{where} text is longer than any this app trains on")
            model_file = None
            if has_model:
                if base + "model.pt" not in by_name:
                    raise _refuse(f"{where} model part is missing")
                m = by_name[base + "model.pt"]
                if m.size > MAX_MODEL_BYTES:
                    raise _refuse(f"{where} model is larger than the {MAX_MODEL_BYTES // 2**20} MB a model file "
                                  "may have")
                model_file = _read(zf, m)
                try:
                    load_model(model_file)  # model_io's checks: a plain model of bounded size, no code run
                except UserInputError as e:
                    raise _refuse(f"{where} model is not a model this app can use ({e.message.rstrip('.')})") \
                        from None
            stored = []
            offset = 0
            for j, (c, shape) in enumerate(zip(checkpoints, shapes)):
                at = f"{where} checkpoint {j + 1}"
                n = math.prod(shape)
                attention = np.frombuffer(att_raw, "<f2", count=n, offset=offset).astype(np.float32).reshape(shape)
                offset += 2 * n
                nt = c.get("next_token")
                if not isinstance(nt, list) or len(nt) > MAX_NEXT:
                    raise _refuse(f"{at}'s next-character guesses are not a list of guesses")
                guesses = []
                for g in nt:
                    if (not isinstance(g, list) or len(g) != 2 or not isinstance(g[0], str) or len(g[0]) > 16):
                        raise _refuse(f"{at}'s next-character guesses are not pairs of a character and a chance")
                    guesses.append((g[0], _float(g[1], f"{at}'s next-character chance", finite=True)))
                experts = c.get("experts")
                if experts is not None:
                    if not isinstance(experts, dict):
                        raise _refuse(f"{at}'s expert data is not a table of values")
                    experts = _tagged(experts, budget)
                stored.append(StoredCheckpoint(
                    step=_int(c.get("step"), f"{at}'s step", 0, 10**9),
                    train_loss=_float(c.get("train_loss"), f"{at}'s training loss"),
                    val_loss=_float(c.get("val_loss"), f"{at}'s validation loss"),
                    sample=_str(c.get("sample"), f"{at}'s sample", MAX_SAMPLE), attention=attention,
                    next_token=guesses, lr=_float(c.get("lr"), f"{at}'s learning rate"),
                    elapsed=_float(c.get("elapsed"), f"{at}'s time"), experts=experts))
            out.append(StoredRun(
                token="", page=page, label=_str(r.get("label"), f"{where} name", MAX_LABEL),
                settings=settings, text=text, info=info,
                created=_float(r.get("created"), f"{where} start time", finite=True),
                updated=_float(r.get("updated"), f"{where} last change", finite=True), state=state,
                step=_int(r.get("step"), f"{where} step", 0, 10**9),
                total_steps=_int(r.get("total_steps"), f"{where} number of steps", 0, 10**9),
                train_loss=_float(r.get("train_loss"), f"{where} training loss", optional=True),
                val_loss=_float(r.get("val_loss"), f"{where} validation loss", optional=True),
                seconds=_float(r.get("seconds"), f"{where} duration", optional=True, finite=True),
                message=_str(r.get("message", ""), f"{where} message", MAX_MESSAGE),
                steps=steps.astype(np.int64).tolist(), losses=losses.astype(np.float64).tolist(),
                model_file=model_file, checkpoints=stored,
                title=_str(r.get("title", ""), f"{where} title", MAX_LABEL)))
    return out
