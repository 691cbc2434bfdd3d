"""Style transfer: fine-tuning the pretrained base vs training from nothing, the same seconds, on
short texts written for this benchmark (bench/style_texts/, 150-300 words, different registers).

For each text and each start it runs the Style page's recipe (llmbreaker/lessons/style_recipes.py) in this
process, one torch thread, then writes what the page writes: 400 characters at temperature 0.8 from
the text's first two words, with the checkpoint the recipe kept. It prints, for that text:
  - author's words: the share of its words of 3+ letters that are words of the author's text;
  - real words: the share of its words of 3+ letters that are the author's or words the base read;
  - longest copied run: the most words in a row found word for word in the author's text;
  - seconds of training (steps only) and of the whole run (checkpoints, samples and selection too);
  - the text itself.
Targets (docs/design.md §Style; floors): fine-tuned >= 75 % author's words and >= 85 % real words, at most 10
copied in a row, in <= 20 s of training, on every text.

    python bench/style_transfer.py                     # bench/style_texts/*.txt, both starts
    python bench/style_transfer.py --texts bench/style_tuning --start finetune
    python bench/style_transfer.py --base path/to/english-base.lbmodel --lr 5e-4
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from llmbreaker.lessons import style  # noqa: E402
from llmbreaker.engine.base_model import BASE_MODEL_FILE, BaseModel, clean_text  # noqa: E402
from llmbreaker.engine.model_io import load_model  # noqa: E402
from llmbreaker.lessons.style_recipes import base_corpus_words, opening_words, recipe  # noqa: E402
from llmbreaker.lessons.style_generation import generate_new_text  # noqa: E402
from llmbreaker.engine.trainer import Trainer  # noqa: E402


def run(text: str, start: str, base: BaseModel | None, overrides: dict) -> dict:
    model_cfg, train_cfg = recipe(text, start, timed=True)  # the figures in RESULTS: each start given its 20 s
    train_cfg = dataclasses.replace(train_cfg, **{k: v for k, v in overrides.items() if v is not None})
    t0 = time.perf_counter()
    trainer = Trainer(text, model_cfg, train_cfg, base=base if start == "finetune" else None)
    trainer.checkpoint()
    while not trainer.done:
        trainer.step()
        if trainer.is_checkpoint_step():
            trainer.checkpoint()
    trainer.restore_best()
    wall = time.perf_counter() - t0
    generated, _, drafts = generate_new_text(trainer.model, trainer.tokenizer, opening_words(text), 0.8, 400, 1000,
                                             text)
    known = base_corpus_words() | set(style.words_of(text))
    run_text, copied = style.longest_copied_run(generated, text)
    return {"author": style.author_word_share(generated, text), "real": style.known_word_share(generated, known),
            "copied": copied, "train_s": trainer.train_seconds, "wall_s": wall, "steps": trainer.step_count,
            "best_step": trainer.best_step, "drafts": drafts, "sample": generated}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", default=str(ROOT / "bench" / "style_texts"))
    ap.add_argument("--start", choices=("both", "finetune", "scratch"), default="both")
    ap.add_argument("--base", default=str(BASE_MODEL_FILE))
    ap.add_argument("--lr", dest="learning_rate", type=float)
    ap.add_argument("--eval", dest="eval_interval", type=int)
    ap.add_argument("--patience", type=int)
    ap.add_argument("--steps", dest="max_steps", type=int)
    ap.add_argument("--seconds", dest="time_budget", type=float)
    ap.add_argument("--select-copied", dest="max_copied_words", type=int)
    ap.add_argument("--quiet", action="store_true", help="no samples")
    args = ap.parse_args()
    torch.set_num_threads(1)
    overrides = {k: getattr(args, k) for k in ("learning_rate", "eval_interval", "patience", "max_steps", "time_budget",
                                                   "max_copied_words")}
    model, tokenizer = load_model(Path(args.base).read_bytes())
    base = BaseModel(model=model, tokenizer=tokenizer, card={})
    starts = ("finetune", "scratch") if args.start == "both" else (args.start,)
    print(f"# {datetime.datetime.now():%Y-%m-%d %H:%M}, load {os.getloadavg()[0]:.2f}, base {Path(args.base).name} "
          f"({sum(p.numel() for p in model.parameters()):,} parameters), overrides "
          f"{ {k: v for k, v in overrides.items() if v is not None} }")
    results = {s: [] for s in starts}
    for path in sorted(Path(args.texts).glob("*.txt")):
        text = clean_text(path.read_text(encoding="utf-8")).strip()
        for s in starts:
            r = run(text, s, base, overrides)
            results[s].append(r)
            print(f"{path.name:16} {s:8} author {r['author']:4.0%}  real {r['real']:4.0%}  copied {r['copied']:2}  "
                  f"train {r['train_s']:4.1f} s  wall {r['wall_s']:4.1f} s  steps {r['steps']:4} best {r['best_step']} drafts {r['drafts']}",
                  flush=True)
            if not args.quiet:
                print("   ", repr(r["sample"][:300]))
    for s, rs in results.items():
        print(f"{s:8} median author {statistics.median(r['author'] for r in rs):.0%} (min "
              f"{min(r['author'] for r in rs):.0%}), real {statistics.median(r['real'] for r in rs):.0%} (min "
              f"{min(r['real'] for r in rs):.0%}), copied max {max(r['copied'] for r in rs)}, train max "
              f"{max(r['train_s'] for r in rs):.1f} s, wall max {max(r['wall_s'] for r in rs):.1f} s")


if __name__ == "__main__":
    main()
