"""One training run of MicroGPT on one text: steps, evaluation and checkpoints.

The trainer knows nothing about threads or pages. `TrainingSession` calls `step()` and
`checkpoint()`; both return plain data that becomes events for the page.

A checkpoint is what the page shows for one moment of training: train and validation loss, a
100-character sample, the attention of every layer x head on a fixed probe text, and the model's
top next-token probabilities after a fixed prompt.
"""
from __future__ import annotations

import contextlib
import copy
import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from llmbreaker.engine.corpus import Batches, CharTokenizer, check_trainable, check_vocab, split_train_val
from llmbreaker.engine.errors import UserInputError
from llmbreaker.engine.model import MicroGPT, ModelConfig
from llmbreaker.engine.words import author_word_share, longest_copied_run


@dataclass(frozen=True)
class TrainConfig:
    # Defaults for a ~25-second run of the "Shallow" model on 2 cores (see README, "defaults"; docs/design.md §Demo:
    # batch 16 instead of 32 gives the same 25 s more steps and a lower loss, bench/recipe_search.py).
    max_steps: int = 2200
    batch_size: int = 16
    learning_rate: float = 2e-2  # peak; the spec's 1e-3 barely moves a model this small in 25 s
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05  # cosine decay ends at this share of the peak
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.99
    eps: float = 1e-8
    # "adamw" for every weight, or "muon": Muon (Jordan et al. 2024; torch.optim.Muon) for the
    # matrices inside the blocks (attention and feed-forward weights), AdamW for the embeddings,
    # biases and norms; Muon's rate is learning_rate x muon_lr_scale, its steps scaled to AdamW's size.
    optimizer: str = "adamw"
    muon_lr_scale: float = 1.0
    eval_interval: int = 200
    eval_batches: int = 16  # batches of `batch_size` windows per split at each evaluation (256 windows:
    # the same fixed windows as 8 batches of 32 were, so losses compare with the earlier defaults)
    sample_chars: int = 100
    temperature: float = 0.8
    prompt: str = "\n"  # samples start here
    next_prompt: str = ""  # next-token probabilities are shown after this (empty: `prompt`)
    probe_text: str = ""  # attention is taken on this text; empty: a passage of the validation text
    top_k: int = 10
    seed: int = 1337
    # On a short text a model soon starts reciting it: validation loss turns up while training
    # loss goes on falling. With early stopping, training ends after `patience` checkpoints
    # without a new best (as `select_by` says; 0: never), and with keep_best the weights of the
    # best checkpoint are the ones kept at the end.
    patience: int = 0
    keep_best: bool = False
    # What "best" means. "val_loss": the lowest validation loss. "author_words": the checkpoint
    # whose sample has the largest share of the text's own words (of 3+ letters) while copying at most
    # `max_copied_words` words in a row from it. On a 200-word text the validation loss (on
    # 20 words) turns up at about step 150, while samples are still gibberish; by the time
    # they hold the author's words the model is close to reciting. This picks the moment between.
    select_by: str = "val_loss"
    max_copied_words: int = 8
    # Seconds of training (optimizer steps only) after which the run ends, whatever max_steps says
    # (0: no limit). With a budget the learning-rate schedule follows the time spent, not the steps,
    # so a model that takes fewer steps in the time still ends its cosine decay: the scaling
    # experiment compares model sizes on the same compute time.
    time_budget: float = 0.0
    # Wall-clock seconds the run should last at 1x on this machine (0: exactly max_steps, the
    # fixed mode that tests and a link naming a step count use). After FIT_AFTER_SECONDS of
    # training the session measures this machine's step rate and, when max_steps would take
    # longer, trains fewer steps (`fit_steps`, `Trainer.refit`): a slow machine or a busy
    # server still shows the whole schedule, warm-up to the end of the cosine, in the time.
    fit_seconds: float = 0.0

    @property
    def reproducible(self) -> bool:
        """No clock in the run: it trains exactly max_steps on a schedule by steps, so the same
        settings and seed give the same run (docs/design.md §Honesty). The session then also keeps its
        torch threads fixed (SessionManager._apply_thread_share): a sum split over two threads adds
        in another order than over one, and 600 steps amplify that last bit into another run."""
        return self.time_budget <= 0 and self.fit_seconds <= 0

    def is_checkpoint(self, step: int, out_of_time: bool = False, last_checkpoint: int = 0) -> bool:
        """The one rule of when a checkpoint is taken: step 0, every `eval_interval` steps after the
        last checkpoint, the last step, and the step on which a time budget ran out. Counted from
        the last checkpoint rather than as multiples of the interval: a refit that changes the
        interval (Trainer.refit) otherwise put two checkpoints a step apart (25, then 26 after a
        refit to 13 at step 25). A run that is never refitted checkpoints at the multiples."""
        return step == 0 or step - last_checkpoint >= self.eval_interval or step == self.max_steps or out_of_time

    def checkpoint_steps(self) -> list[int]:
        """The steps a run with no time budget and no refit checkpoints at (`is_checkpoint`)."""
        steps: list[int] = []
        for s in range(self.max_steps + 1):
            if self.is_checkpoint(s, last_checkpoint=steps[-1] if steps else 0):
                steps.append(s)
        return steps

    def to_dict(self) -> dict:
        return asdict(self)


# docs/design.md §Limits, plus bounds for what the page lets people choose.
BOUNDS = {
    "batch_size": (1, 128),
    "max_steps": (10, 10_000),
    "learning_rate": (1e-5, 0.1),
    "eval_interval": (1, 10_000),
    "warmup_steps": (0, 10_000),
    "temperature": (0.05, 3.0),
    "sample_chars": (10, 1000),
    "time_budget": (0, 600),
    "fit_seconds": (0, 600),
}
FIT_AFTER_SECONDS = 1.0  # training measured before a run's steps are fitted to its seconds
FIT_MARGIN = 0.95  # of the measured rate: the page's redraws and the last checkpoint take their share
# A fitted run is fitted again at each checkpoint until this share of its steps, with the rate of
# the steps since the last fit: its torch threads can change at a checkpoint (the machine's load,
# cpu_share.torch_threads), and a run fitted on one thread's rate that went on with two ended at
# 21 s of its 25 (bench/learning_budget.py, 2026-12-02), 4 s of learning left unused.
REFIT_UNTIL = 0.7
REFIT_MIN_CHANGE = 0.03  # a smaller change of the step count keeps the schedule as it is
OPTIMIZERS = ("adamw", "muon")
MIN_FINETUNE_WINDOW = 32  # characters: shorter windows teach a fine-tuned model too little of a sentence
MAX_CHECKPOINTS = 201  # bounds the history of one run, whatever its length
WARMUP_BUDGET_SHARE = 0.05  # with a time budget, warm-up also ends after this share of the time


def fit_steps(done: int, step_seconds: float, elapsed: float, checkpoint_seconds: float, checkpoints_left: int,
              fit_seconds: float, max_steps: int, rate: float | None = None) -> int:
    """How many steps in all a run can take to end `fit_seconds` after it started, never more than
    `max_steps`: `done` steps took `step_seconds` of compute; `elapsed` wall seconds have passed; each
    of the `checkpoints_left` checkpoints to come costs about `checkpoint_seconds`. `rate`: the steps
    per second measured lately, where it differs from the run's average (more torch threads now)."""
    if done <= 0 or step_seconds <= 0:
        return max_steps
    rate = rate or done / step_seconds  # steps per second this machine sustains now
    left = fit_seconds - elapsed - checkpoints_left * checkpoint_seconds
    return int(min(max_steps, max(done + 1, done + FIT_MARGIN * rate * max(0.0, left))))


CHECKPOINT_SHARE = 0.5  # at most this share of a fitted run's time left goes to checkpoints


def fit_checkpoints(checkpoints_left: int, checkpoint_seconds: float, seconds_left: float) -> int:
    """How many of its `checkpoints_left` checkpoints a fitted run keeps: as many as take at most
    CHECKPOINT_SHARE of its `seconds_left`. On a slow or busy machine (a checkpoint took 2 s on this
    2-core VM at load 7) keeping all twelve left a handful of steps for the whole run: it ended after
    18 steps in 6 s. Fewer checkpoints leave it the steps."""
    if checkpoint_seconds <= 0:
        return checkpoints_left
    return max(1, min(checkpoints_left, int(CHECKPOINT_SHARE * max(0.0, seconds_left) / checkpoint_seconds)))


def validate(cfg: TrainConfig) -> TrainConfig:
    for name, (lo, hi) in BOUNDS.items():
        value = getattr(cfg, name)
        if not (lo <= value <= hi):
            raise UserInputError("invalid_setting", f"{name.replace('_', ' ')} must be between {lo:g} and {hi:g}; got {value:g}.")
    if cfg.max_steps // cfg.eval_interval + 2 > MAX_CHECKPOINTS:
        raise UserInputError(
            "invalid_setting",
            f"{cfg.max_steps} steps with a checkpoint every {cfg.eval_interval} would make more than "
            f"{MAX_CHECKPOINTS} checkpoints; raise the checkpoint interval.",
        )
    if cfg.optimizer not in OPTIMIZERS:
        raise UserInputError("invalid_setting", f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {cfg.optimizer!r}.")
    return cfg


_DROPOUT_LOCK = threading.Lock()


@contextlib.contextmanager
def _seeded_global_rng(seed: int):
    """torch's global generator seeded with `seed` for the block, then as it was; one block at a time."""
    with _DROPOUT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# nn.Module initialisation draws from torch's global generator, which all threads share: seed and
# build under one lock so two sessions starting together still get reproducible models.
_INIT_LOCK = threading.Lock()


@dataclass
class Checkpoint:
    step: int
    train_loss: float
    val_loss: float
    sample: str
    attention: np.ndarray  # (n_layer, n_head, T, T) float32, on the probe text
    next_token: list[tuple[str, float]]  # top-k (character, probability) after the prompt
    lr: float
    elapsed: float  # seconds of training (pauses excluded) when it was taken
    # A mixture of experts only: "share" (n_layer, n_expert) of the validation windows' tokens
    # each expert got, "probe_top" (n_layer, T) the first-choice expert of each probe character,
    # and "balance", the load-balancing loss.
    experts: dict | None = None


def _orthogonalise(g: torch.Tensor, coefficients: tuple[float, float, float], steps: int, eps: float) -> torch.Tensor:
    """Muon's quintic Newton-Schulz iteration (torch.optim._muon, after Keller Jordan's muon.py),
    in float32: torch's runs it in bfloat16, whose matrix products on a CPU without bfloat16 units
    (this project's 2-core VMs) take ~10x as long, which made a Muon step 2.7x an AdamW step here."""
    a, b, c = coefficients
    x = g.T if g.size(0) > g.size(1) else g
    x = x / x.norm().clamp(min=eps)
    for _ in range(steps):
        gram = x @ x.T
        x = torch.addmm(x, torch.addmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
    return x.T if g.size(0) > g.size(1) else x


class _Muon(torch.optim.Muon):
    """torch.optim.Muon's update (Nesterov momentum, orthogonalised, its rate adjusted to the
    matrix's shape, decoupled weight decay) with the orthogonalisation in float32 (_orthogonalise)."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p.grad)
                buf = state["momentum_buffer"]
                buf.lerp_(p.grad, 1 - momentum)
                update = p.grad.lerp(buf, momentum) if group["nesterov"] else buf
                update = _orthogonalise(update, group["ns_coefficients"], group["ns_steps"], group["eps"])
                p.mul_(1 - lr * group["weight_decay"])
                p.add_(update, alpha=-_muon_lr(lr, group["adjust_lr_fn"], p.shape))
        return None


def _muon_lr(lr: float, adjust_lr_fn: str | None, shape: torch.Size) -> float:
    """torch.optim.Muon's rate for a matrix of this shape ("match_rms_adamw": steps of AdamW's size)."""
    rows, cols = shape[:2]
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(rows, cols))
    if adjust_lr_fn in (None, "original"):
        return lr * math.sqrt(max(1.0, rows / cols))
    return lr


class _Optimizers:
    """Several optimizers stepped as one (Muon for the matrices, AdamW for the rest)."""

    def __init__(self, optimizers: list[torch.optim.Optimizer]):
        self.optimizers = optimizers

    @property
    def param_groups(self) -> list[dict]:
        return [g for opt in self.optimizers for g in opt.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for opt in self.optimizers:
            opt.step()

    def state_dict(self) -> dict:
        return {"optimizers": [opt.state_dict() for opt in self.optimizers]}


@dataclass
class Trainer:
    """With `base` (a pretrained model, see base_model.py) the run fine-tunes a copy of it: its
    shape and vocabulary are the base's (`model_config` only gives the dropout), the characters of
    the text it lacks are appended to the vocabulary with fresh rows, and its weights start as the
    base's. Without, a new model of `model_config` starts from random weights."""
    text: str
    model_config: ModelConfig = field(default_factory=ModelConfig)
    config: TrainConfig = field(default_factory=TrainConfig)
    base: object = None  # base_model.BaseModel

    def __post_init__(self):
        validate(self.config)
        cfg = self.config
        if self.base is not None:
            check_vocab(self.text, known=self.base.tokenizer.chars)  # before the model is sized by it
            self.tokenizer = self.base.tokenizer.extended(self.text)
            self.model_config = replace(self.base.model.config, vocab_size=self.tokenizer.vocab_size,
                                        dropout=self.model_config.dropout)
        else:
            self.tokenizer = CharTokenizer.from_text(self.text)
            self.model_config = replace(self.model_config, vocab_size=self.tokenizer.vocab_size)
        # Training windows: the model's block, except that a fine-tuned base (block 128) trains on
        # shorter windows when the text is short, so that a 150-word email (~900 characters, a
        # 90-character validation part) can be fine-tuned at all. Generation still uses the whole block.
        self.window = self.model_config.block_size
        if self.base is not None:
            self.window = max(MIN_FINETUNE_WINDOW, min(self.window, len(self.text) // 10 - 2))
        check_trainable(self.text, self.window)
        ids = torch.from_numpy(self.tokenizer.encode_array(self.text))
        self.train_ids, self.val_ids = split_train_val(ids)
        bs = self.window
        if len(self.val_ids) <= bs + 1:
            raise UserInputError("text_too_short", "The validation part (last 10 %) is shorter than one window.")

        self.gen = torch.Generator().manual_seed(cfg.seed)
        with _INIT_LOCK, torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            self.model = MicroGPT(self.model_config)
        if self.base is not None:
            self._copy_base_weights()
        self.model.train()
        self.optimizer = self._make_optimizer()
        self.train_batches = Batches(self.train_ids, bs, cfg.batch_size, self.gen)
        # Fixed evaluation windows: every checkpoint is measured on the same text, so the curve
        # shows learning, not sampling noise.
        eval_gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.eval_sets = {
            split: Batches(data, bs, cfg.batch_size * cfg.eval_batches, eval_gen).sample()
            for split, data in (("train", self.train_ids), ("val", self.val_ids))
        }
        self.probe_ids = self._probe_ids()
        self.prompt_ids = self._encode_prompt(cfg.prompt)
        self.next_prompt_ids = self._encode_prompt(cfg.next_prompt or cfg.prompt)
        self.step_count = 0
        self._last_checkpoint = 0  # the step of the latest checkpoint (is_checkpoint_step)
        self.train_seconds = 0.0
        self.best_score = -math.inf
        self.best_val = math.inf  # the lowest validation loss seen, and its step, whatever select_by says
        self.best_val_step: int | None = None
        self.best_step: int | None = None
        self._best_state: dict | None = None
        self._since_best = 0
        self.stopped_early = False

    # -- set-up -----------------------------------------------------------------------------
    @torch.no_grad()
    def _copy_base_weights(self) -> None:
        """Every weight from the base; the token embedding's first rows too (the base's ids come
        first), and the rows of characters the base never saw keep their fresh initialisation."""
        base_state = self.base.model.state_dict()
        for name, p in self.model.state_dict().items():
            src = base_state[name]
            if src.shape == p.shape:
                p.copy_(src)
            else:  # tok_emb (and an untied head): (vocab, n_embd), the base's rows first
                p[: src.shape[0]].copy_(src)

    def _make_optimizer(self) -> torch.optim.Optimizer:
        cfg = self.config
        named = list(self.model.named_parameters())
        muon = cfg.optimizer == "muon"
        # Muon orthogonalises the update of a weight matrix: the blocks' 2-D weights, not the
        # embeddings (a lookup table, and tied to the output head), biases (a mixture of experts' are
        # 2-D: one row per expert) or norms.
        matrices = [p for n, p in named if muon and p.dim() == 2 and n.startswith("blocks.")
                    and not n.endswith(("bias", "_b"))]
        taken = {id(p) for p in matrices}
        rest = [(n, p) for n, p in named if id(p) not in taken]
        decay = [p for n, p in rest if p.dim() >= 2 and "emb" not in n]
        no_decay = [p for n, p in rest if not (p.dim() >= 2 and "emb" not in n)]
        groups = [g for g in ({"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}) if g["params"]]
        # One fused kernel over all parameters instead of a Python loop per tensor.
        adamw = torch.optim.AdamW(groups, lr=cfg.learning_rate, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps, fused=True)
        if not matrices:
            return adamw
        muon_opt = _Muon(matrices, lr=cfg.learning_rate * cfg.muon_lr_scale, weight_decay=cfg.weight_decay,
                                    adjust_lr_fn="match_rms_adamw")
        for group in muon_opt.param_groups:
            group["lr_scale"] = cfg.muon_lr_scale
        return _Optimizers([adamw, muon_opt])

    def _probe_ids(self) -> torch.Tensor:
        bs = self.model_config.block_size
        text = self.tokenizer.filter(self.config.probe_text)
        if text:
            return torch.tensor(self.tokenizer.encode(text[:bs]), dtype=torch.long)
        # A passage of the validation text that starts at a line start, so it reads naturally.
        val_text = self.tokenizer.decode(self.val_ids[: 4 * bs].tolist())
        start = val_text.find("\n") + 1
        return self.val_ids[start : start + bs].clone()

    def _encode_prompt(self, prompt: str) -> torch.Tensor:
        ids = self.tokenizer.encode(self.tokenizer.filter(prompt))
        if not ids:  # a prompt with no known character: start from the first character of the text
            ids = self.tokenizer.encode(self.text[0])
        return torch.tensor(ids, dtype=torch.long)

    @property
    def next_prompt(self) -> str:
        return self.tokenizer.decode(self.next_prompt_ids.tolist())

    @property
    def probe_tokens(self) -> list[str]:
        return [self.tokenizer.chars[i] for i in self.probe_ids.tolist()]

    # -- training ---------------------------------------------------------------------------
    def lr_at(self, step: int) -> float:
        """Linear warm-up, then cosine decay to min_lr_ratio x peak at max_steps."""
        cfg = self.config
        if step < cfg.warmup_steps:
            warm = (step + 1) / cfg.warmup_steps
            if cfg.time_budget > 0:  # a big model may take few steps in its time: warm up by time too
                warm = max(warm, self.train_seconds / (WARMUP_BUDGET_SHARE * cfg.time_budget))
            if warm < 1.0 or cfg.time_budget <= 0:
                return cfg.learning_rate * min(1.0, warm)
        if cfg.time_budget > 0:
            progress = min(1.0, self.train_seconds / cfg.time_budget)
        else:
            span = max(1, cfg.max_steps - cfg.warmup_steps)
            progress = min(1.0, (step - cfg.warmup_steps) / span)
        floor = cfg.learning_rate * cfg.min_lr_ratio
        return floor + 0.5 * (cfg.learning_rate - floor) * (1 + math.cos(math.pi * progress))

    @property
    def out_of_time(self) -> bool:
        return 0 < self.config.time_budget <= self.train_seconds

    def refit(self, max_steps: int, checkpoints: int | None = None) -> None:
        """Train `max_steps` in all instead (fit_steps), at most what the request asked for: the
        cosine schedule ends there, and the checkpoint interval follows so the run keeps about as
        many checkpoints, or about `checkpoints` in all when that is fewer (fit_checkpoints)."""
        cfg = self.config
        if not hasattr(self, "_asked"):
            self._asked = (cfg.max_steps, cfg.eval_interval, cfg.warmup_steps)  # what the request asked for
        asked_steps, asked_interval, asked_warmup = self._asked
        max_steps = min(asked_steps, max(self.step_count + 1, int(max_steps)))  # never more than asked
        interval = max(1, round(asked_interval * max_steps / asked_steps))
        if checkpoints:
            interval = max(interval, math.ceil(max_steps / checkpoints))
        if max_steps == cfg.max_steps and interval == cfg.eval_interval:
            return
        self.config = replace(cfg, max_steps=int(max_steps), eval_interval=int(interval),
                              warmup_steps=min(asked_warmup, max(1, max_steps // 10)))

    @property
    def done(self) -> bool:
        return self.step_count >= self.config.max_steps or self.stopped_early or self.out_of_time

    def _score(self, val_loss: float, sample: str) -> float:
        if self.config.select_by == "author_words":
            _, copied = longest_copied_run(sample, self.text)
            return author_word_share(sample, self.text) if copied <= self.config.max_copied_words else -1.0
        return -val_loss

    def _track_best(self, val_loss: float, sample: str) -> None:
        if val_loss < self.best_val:
            self.best_val, self.best_val_step = val_loss, self.step_count
        score = self._score(val_loss, sample)
        if score > self.best_score:
            self.best_score, self.best_step, self._since_best = score, self.step_count, 0
            if self.config.keep_best:
                self._best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        else:
            self._since_best += 1
            if self.config.patience and self._since_best >= self.config.patience and \
                    self.step_count < self.config.max_steps:
                self.stopped_early = True

    def restore_best(self) -> None:
        """Put back the weights of the best checkpoint (keep_best), best as `select_by` says."""
        if self._best_state is not None:
            self.model.load_state_dict(self._best_state)

    def _dropout_rng(self):
        """Dropout draws its masks from torch's global generator, which every thread shares and
        nothing seeds for training (the model is built under fork_rng), so the same run dropped other
        units each time: the Style page's seeded run wrote another text (docs/design.md §Honesty). A run with
        dropout and a fixed number of steps takes each step's masks from a generator seeded by its
        seed and step, under a lock among such runs only (no dropout, nothing changes). A run given
        seconds (time_budget, fit_seconds) is not reproducible anyway, and keeps the shared generator."""
        if self.model_config.dropout <= 0 or not self.config.reproducible:
            return contextlib.nullcontext()
        return _seeded_global_rng(self.config.seed * 1_000_003 + self.step_count)

    def step(self) -> float:
        """One optimizer step. Returns its training loss."""
        t0 = time.perf_counter()
        lr = self.lr_at(self.step_count)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)
        x, y = self.train_batches.sample()
        with self._dropout_rng():
            _, loss, _ = self.model(x, y)
            objective = loss
            balance = self.model.balance_loss()  # a mixture of experts: keep the experts' work even
            if balance is not None and self.model_config.balance_loss > 0:
                objective = loss + self.model_config.balance_loss * balance
            self.optimizer.zero_grad(set_to_none=True)
            objective.backward()
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        self.step_count += 1
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError(f"the loss became {value} at step {self.step_count}")
        self.train_seconds += time.perf_counter() - t0
        return value

    @torch.inference_mode()
    def evaluate(self) -> tuple[float, float]:
        self.model.eval()
        losses = []
        for split in ("train", "val"):
            x, y = self.eval_sets[split]
            total = 0.0
            for xb, yb in zip(x.split(self.config.batch_size), y.split(self.config.batch_size)):
                total += self.model(xb, yb)[1].item() * len(xb)
            losses.append(total / len(x))
        self.model.train()
        return losses[0], losses[1]

    def sample(self, n_chars: int | None = None, temperature: float | None = None, prompt_ids=None) -> str:
        # A generator seeded per step: the same run draws the same samples, whatever the pacing.
        gen = torch.Generator().manual_seed(self.config.seed * 7919 + self.step_count)
        ids, _ = self.model.generate(
            self.prompt_ids if prompt_ids is None else prompt_ids,
            n_chars or self.config.sample_chars,
            temperature or self.config.temperature,
            generator=gen,
        )
        return self.tokenizer.decode(ids)

    def next_token_top(self) -> list[tuple[str, float]]:
        probs = self.model.next_token_probs(self.next_prompt_ids)
        top = torch.topk(probs, min(self.config.top_k, len(probs)))
        return [(self.tokenizer.chars[i], float(p)) for p, i in zip(top.values.tolist(), top.indices.tolist())]

    def checkpoint(self) -> Checkpoint:
        self._last_checkpoint = max(self._last_checkpoint, self.step_count)
        train_loss, val_loss = self.evaluate()
        sample = self.sample()
        self._track_best(val_loss, sample)
        return Checkpoint(
            step=self.step_count,
            train_loss=train_loss,
            val_loss=val_loss,
            sample=sample,
            attention=self.model.attention(self.probe_ids).numpy().astype(np.float32),
            next_token=self.next_token_top(),
            lr=self.lr_at(max(0, self.step_count - 1)),
            elapsed=self.train_seconds,
            experts=self.expert_routing(),
        )

    def snapshot(self) -> tuple:
        """The model as it is now, with its step and seconds: `checkpoint()` can be taken of it
        later, under `as_of`. The session takes the step-0 checkpoint after the first step, so that
        the first loss point is on screen at once rather than after a whole checkpoint's work."""
        return copy.deepcopy(self.model), self.step_count, self.train_seconds

    @contextlib.contextmanager
    def as_of(self, snapshot: tuple):
        """Inside, the trainer is the snapshot's model at its step (`checkpoint()` measures, samples
        and tracks the best of it); training's own model and step come back after."""
        now = self.model, self.step_count, self.train_seconds
        self.model, self.step_count, self.train_seconds = snapshot
        try:
            yield self
        finally:
            self.model, self.step_count, self.train_seconds = now

    def expert_routing(self) -> dict | None:
        if not self.model_config.n_expert:
            return None
        on_val = self.model.expert_routing(self.eval_sets["val"][0][: self.config.batch_size])
        on_probe = self.model.expert_routing(self.probe_ids)
        return {"share": on_val["share"].numpy(), "balance": on_val["balance"],
                "probe_top": on_probe["top"][:, 0].numpy()}

    def is_checkpoint_step(self) -> bool:
        """TrainConfig.is_checkpoint, counted from this run's last checkpoint."""
        return self.config.is_checkpoint(self.step_count, self.out_of_time, last_checkpoint=self._last_checkpoint)
