"""Train the journey pages' default model once and save it in the repo.

The journey pages (journey map, data and tokens, microscope, follow one character, sampling lab)
work on the model the person has just trained in this app. When they have trained none yet, they
use this one: the engine's defaults exactly as a person gets them by pressing Play on "Watch It
Learn to Spell" with Shakespeare (the "Small" model, 2,200 steps, seed 1337), so it is the same
model they would have trained themselves.

    python tools/train_default_model.py            # writes datasets/models/shakespeare-small.lbmodel

Seeded: running it again gives the same validation loss (the bytes may differ with the torch version).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from llmbreaker.engine.corpus import bundled_text  # noqa: E402
from llmbreaker.lessons.journey import DEFAULT_MODEL_FILE  # noqa: E402
from llmbreaker.engine.model_io import load_model, save_model  # noqa: E402
from llmbreaker.engine.presets import MODEL_SIZES  # noqa: E402
from llmbreaker.engine.trainer import TrainConfig, Trainer  # noqa: E402


def main() -> None:
    torch.set_num_threads(1)
    trainer = Trainer(bundled_text("shakespeare"), MODEL_SIZES["small"], TrainConfig())
    t0 = time.monotonic()
    while not trainer.done:
        trainer.step()
    train_loss, val_loss = trainer.evaluate()
    data = save_model(trainer)
    DEFAULT_MODEL_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEFAULT_MODEL_FILE.write_bytes(data)
    load_model(data)  # it loads back
    print(f"{trainer.step_count} steps in {time.monotonic() - t0:.1f} s: train loss {train_loss:.3f}, "
          f"validation loss {val_loss:.3f}; {len(data):,} bytes -> {DEFAULT_MODEL_FILE.relative_to(ROOT)}")
    print("sample:", repr(trainer.sample(200)))


if __name__ == "__main__":
    main()
