"""Warm up torch once per server process, in the background, as the server starts.

A fresh process's first run waited seconds longer than every later one before its first step: the
process's first model, first forward and first backward pass set up torch's kernels (3.5-4 s to
build the default Watch trainer in a fresh process at load 5, 0.06-0.09 s once any tiny model
had trained a step; `python bench/latency.py` prints the fresh server's first Play apart as its
"warm-up" trial). On a server that sleeps when idle (Streamlit Community Cloud), every first
visitor after a wake-up paid that. `start()` pays it on a tiny model in a background thread,
called when the session manager is made: on the first page anyone opens, usually well before Play.
"""
from __future__ import annotations

import threading

from llmbreaker.engine.model import ModelConfig
from llmbreaker.engine.trainer import TrainConfig, Trainer

_TEXT = "A tiny text to warm the model up, a few times over. " * 40
_lock = threading.Lock()
_thread: threading.Thread | None = None


def start() -> threading.Thread | None:
    """Start the warm-up, once per process (later calls return None)."""
    global _thread
    with _lock:
        if _thread is not None:
            return None
        _thread = threading.Thread(target=_warm, name="warm-up", daemon=True)
        _thread.start()
        return _thread


def _warm() -> bool:
    """One step and one checkpoint of a tiny model. True when it trained."""
    try:
        trainer = Trainer(_TEXT, ModelConfig(n_embd=16, n_layer=1, n_head=2, block_size=16),
                          TrainConfig(batch_size=4, eval_batches=1, sample_chars=10, max_steps=10))
        trainer.step()
        trainer.checkpoint()
        return True
    except Exception:  # a failed warm-up costs only the time it would have saved
        return False
