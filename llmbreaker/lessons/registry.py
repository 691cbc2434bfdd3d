"""Published configurations of well-known language models, as data (docs/design.md §Registry).

One row per model; the numbers are copied from the source named in the row (a paper, a model card
or the released config file), never estimated. Where a figure is not published the field is None
and `notes` says so. The parameter counter in `arch_math` recomputes each row's total from these
shapes; `tests/test_registry.py` checks it lands within 2 % of the published total.

Shapes use the names of the config files: `d_model` (hidden size), `n_head` query heads,
`n_kv_head` key/value heads, `head_dim`, `d_ff` (the feed-forward's inner size; for mixtures of
experts `d_ff_expert` is each expert's).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from llmbreaker.engine.trainer import TrainConfig
from llmbreaker.lessons import our_model


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class Arch:
    key: str
    name: str
    org: str
    year: int
    published: bool = True  # False: the architecture is not public; every shape field stays None
    n_layer: int | None = None
    d_model: int | None = None
    n_head: int | None = None
    n_kv_head: int | None = None
    head_dim: int | None = None
    d_ff: int | None = None
    ffn_type: str | None = None  # "GELU MLP", "ReLU MLP" (2 matrices) or "SwiGLU" (3 matrices)
    vocab_size: int | None = None
    context: int | None = None  # tokens the released model was built for
    position: str | None = None  # "learned absolute" or "RoPE ..."
    attention: str | None = None  # "MHA", "MQA", "GQA" or "MLA"
    norm: str | None = None  # "LayerNorm" (weight and bias) or "RMSNorm" (weight only)
    tied_embeddings: bool | None = None  # the output head reuses the token embedding
    qkv_bias: bool = False
    out_bias: bool = False  # attention output projection
    mlp_bias: bool = False
    sliding_window: int | None = None  # attention looks back at most this many tokens
    # Mixture of experts: routed experts, how many a token uses, always-on shared experts.
    n_experts: int = 0
    n_active_experts: int = 0
    n_shared_experts: int = 0
    d_ff_expert: int | None = None
    n_dense_layers: int = 0  # in a MoE model, how many of the first layers keep a dense feed-forward
    router_bias: bool = False
    # Multi-head latent attention (DeepSeek-V2/V3): low-rank query and key/value projections.
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_nope_head_dim: int | None = None
    qk_rope_head_dim: int | None = None
    v_head_dim: int | None = None
    # What the authors say, with where they say it.
    published_total: float | None = None
    published_active: float | None = None
    total_source: Source | None = None
    config_source: Source | None = None
    training_tokens: float | None = None
    tokens_source: Source | None = None
    token_unit: str = "tokens"  # what one token is: a BPE piece, or for MicroGPT one character
    notes: str = ""
    extra_sources: tuple[Source, ...] = field(default_factory=tuple)

    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    @property
    def biases(self) -> str:
        if not self.published:
            return "not published"
        parts = [name for name, on in (("QKV", self.qkv_bias), ("attention output", self.out_bias),
                                       ("feed-forward", self.mlp_bias), ("norms", self.norm == "LayerNorm")) if on]
        return "none" if not parts else ", ".join(parts)

    def to_dict(self) -> dict:
        return asdict(self)


GPT2_README = Source("openai/gpt-2 README (corrected sizes 124M / 355M / 774M / 1558M)",
                     "https://github.com/openai/gpt-2/blob/master/README.md")
GPT2_PAPER = Source("Radford et al. 2019, Language Models are Unsupervised Multitask Learners, table 2",
                    "https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf")
GPT3_PAPER = Source("Brown et al. 2020, Language Models are Few-Shot Learners, table 2.1 and section 2.2",
                    "https://arxiv.org/abs/2005.14165")
LLAMA2_CARD = Source("Llama 2 model card (meta-llama/llama-models, models/llama2/MODEL_CARD.md)",
                     "https://github.com/meta-llama/llama-models/blob/main/models/llama2/MODEL_CARD.md")
LLAMA3_CARD = Source("Llama 3 model card (meta-llama/llama-models, models/llama3/MODEL_CARD.md)",
                     "https://github.com/meta-llama/llama-models/blob/main/models/llama3/MODEL_CARD.md")
MISTRAL_PAPER = Source("Jiang et al. 2023, Mistral 7B, table 1", "https://arxiv.org/abs/2310.06825")
MISTRAL_BLOG = Source("Mistral AI, Announcing Mistral 7B (\"a 7.3B parameter model\")",
                      "https://mistral.ai/news/announcing-mistral-7b/")
MIXTRAL_PAPER = Source("Jiang et al. 2024, Mixtral of Experts (\"47B parameters, 13B active\")",
                       "https://arxiv.org/abs/2401.04088")
QWEN25_REPORT = Source("Qwen Team 2024, Qwen2.5 Technical Report (pre-training on 18T tokens)",
                       "https://arxiv.org/abs/2412.15115")
DEEPSEEK_V3 = Source("deepseek-ai/DeepSeek-V3 README (671B total, 37B activated, 14.8T tokens, 128K context)",
                     "https://github.com/deepseek-ai/DeepSeek-V3/blob/main/README.md")
DEEPSEEK_V3_CONFIG = Source("deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json",
                            "https://github.com/deepseek-ai/DeepSeek-V3/blob/main/inference/configs/config_671B.json")
GPT4_REPORT = Source("OpenAI 2023, GPT-4 Technical Report: \"no further details about the architecture (including "
                     "model size)\"", "https://arxiv.org/abs/2303.08774")


def _gpt2(key: str, name: str, n_layer: int, d_model: int, total: float, hf: str) -> Arch:
    return Arch(
        key=key, name=name, org="OpenAI", year=2019, n_layer=n_layer, d_model=d_model, n_head=d_model // 64,
        n_kv_head=d_model // 64, head_dim=64, d_ff=4 * d_model, ffn_type="GELU MLP", vocab_size=50257,
        context=1024, position="learned absolute", attention="MHA", norm="LayerNorm", tied_embeddings=True,
        qkv_bias=True, out_bias=True, mlp_bias=True,
        published_total=total, total_source=GPT2_README,
        config_source=Source(f"Hugging Face config of openai-community/{hf} (n_layer, n_embd, n_head, n_ctx, vocab)",
                             f"https://huggingface.co/openai-community/{hf}/blob/main/config.json"),
        notes="The paper's table said 117M / 345M / 762M / 1542M; OpenAI's README corrects them: \"our original "
              "parameter counts were wrong due to an error\". Training tokens are not published (WebText, 40 GB).",
        extra_sources=(GPT2_PAPER,),
    )


_OURS = our_model.config()  # the app's own model, described once (llmbreaker/lessons/our_model.py)
_TRAIN = TrainConfig()

MODELS: tuple[Arch, ...] = (
    Arch(
        key="microgpt", name=f"{our_model.name()} · this app", org="LLMBreaker", year=2026,
        n_layer=_OURS.n_layer, d_model=_OURS.n_embd, n_head=_OURS.n_head, n_kv_head=_OURS.n_head,
        head_dim=_OURS.head_size, d_ff=4 * _OURS.n_embd, ffn_type="ReLU MLP", vocab_size=_OURS.vocab_size,
        context=_OURS.block_size, position="learned absolute", attention="MHA", norm="LayerNorm", tied_embeddings=True,
        qkv_bias=False, out_bias=True, mlp_bias=True,
        published_total=our_model.parameters(),
        total_source=Source(f"llmbreaker/lessons/our_model.py: the Total row of MicroGPT(MODEL_SIZES['{our_model.SIZE}'])'s "
                            f"parameter table, {_OURS.vocab_size} characters (the bundled Shakespeare's)",
                            "llmbreaker/lessons/our_model.py"),
        config_source=Source(f"llmbreaker/engine/presets.py, MODEL_SIZES['{our_model.SIZE}']", "llmbreaker/engine/presets.py"),
        training_tokens=_TRAIN.max_steps * _TRAIN.batch_size * _OURS.block_size, token_unit="characters",
        tokens_source=Source(f"llmbreaker/engine/trainer.py, TrainConfig defaults: at most {_TRAIN.max_steps:,} steps x batch "
                             f"{_TRAIN.batch_size} x block {_OURS.block_size}", "llmbreaker/engine/trainer.py"),
        notes=f"The model this app trains: one token is one character ({_OURS.vocab_size} for Shakespeare). Its "
              f"default run reads at most {_TRAIN.max_steps:,} x {_TRAIN.batch_size} x {_OURS.block_size} = "
              f"{_TRAIN.max_steps * _TRAIN.batch_size * _OURS.block_size / 1e6:.1f} M characters (fewer where the "
              "run is fitted to 25 seconds on a slow machine).",
    ),
    _gpt2("gpt2-small", "GPT-2 small", 12, 768, 124e6, "gpt2"),
    _gpt2("gpt2-medium", "GPT-2 medium", 24, 1024, 355e6, "gpt2-medium"),
    _gpt2("gpt2-large", "GPT-2 large", 36, 1280, 774e6, "gpt2-large"),
    _gpt2("gpt2-xl", "GPT-2 XL", 48, 1600, 1558e6, "gpt2-xl"),
    Arch(
        key="gpt3-175b", name="GPT-3 175B", org="OpenAI", year=2020,
        n_layer=96, d_model=12288, n_head=96, n_kv_head=96, head_dim=128, d_ff=4 * 12288, ffn_type="GELU MLP",
        vocab_size=50257, context=2048, position="learned absolute", attention="MHA", norm="LayerNorm",
        tied_embeddings=True, qkv_bias=True, out_bias=True, mlp_bias=True,
        published_total=175.0e9, total_source=GPT3_PAPER, config_source=GPT3_PAPER,
        training_tokens=300e9, tokens_source=GPT3_PAPER,
        notes="\"We use the same model and architecture as GPT-2\" with alternating dense and locally banded sparse "
              "attention; d_ff = 4 x d_model and the GPT-2 vocabulary, biases and tied embeddings are taken from "
              "GPT-2 (the paper does not list them separately). Weights were never released.",
    ),
    Arch(
        key="llama2-7b", name="LLaMA-2 7B", org="Meta", year=2023,
        n_layer=32, d_model=4096, n_head=32, n_kv_head=32, head_dim=128, d_ff=11008, ffn_type="SwiGLU",
        vocab_size=32000, context=4096, position="RoPE (base 10,000)", attention="MHA", norm="RMSNorm",
        tied_embeddings=False,
        published_total=6.74e9,
        total_source=Source("Hugging Face Hub, meta-llama/Llama-2-7b-hf: Safetensors model size 6.74B params "
                            "(the model card and paper round it to 7B)", "https://huggingface.co/meta-llama/Llama-2-7b-hf"),
        config_source=Source("meta-llama/Llama-2-7b-hf config.json", "https://huggingface.co/meta-llama/Llama-2-7b-hf/blob/main/config.json"),
        training_tokens=2.0e12, tokens_source=LLAMA2_CARD,
        notes="The 7B and 13B models use ordinary multi-head attention; only the 70B uses GQA (model card). "
              "The 6.74B figure was read on Hub pages of the converted weights; the official page is gated.",
        extra_sources=(LLAMA2_CARD,),
    ),
    Arch(
        key="llama2-70b", name="LLaMA-2 70B", org="Meta", year=2023,
        n_layer=80, d_model=8192, n_head=64, n_kv_head=8, head_dim=128, d_ff=28672, ffn_type="SwiGLU",
        vocab_size=32000, context=4096, position="RoPE (base 10,000)", attention="GQA", norm="RMSNorm",
        tied_embeddings=False,
        published_total=70e9, total_source=LLAMA2_CARD,
        config_source=Source("meta-llama/Llama-2-70b-hf config.json", "https://huggingface.co/meta-llama/Llama-2-70b-hf/blob/main/config.json"),
        training_tokens=2.0e12, tokens_source=LLAMA2_CARD,
        notes="Published as \"70B\"; the exact count is not given in the card (the Hub page shows 69B).",
    ),
    Arch(
        key="llama3-8b", name="LLaMA-3 8B", org="Meta", year=2024,
        n_layer=32, d_model=4096, n_head=32, n_kv_head=8, head_dim=128, d_ff=14336, ffn_type="SwiGLU",
        vocab_size=128256, context=8192, position="RoPE (base 500,000)", attention="GQA", norm="RMSNorm",
        tied_embeddings=False,
        published_total=8e9, total_source=LLAMA3_CARD,
        config_source=Source("meta-llama/Meta-Llama-3-8B config.json; meta-llama/llama-models models/sku_list.py",
                             "https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json"),
        training_tokens=15e12, tokens_source=LLAMA3_CARD,
        notes="Token count published as \"over 15 trillion\" (15T+): 15T is used here.",
    ),
    Arch(
        key="llama3-70b", name="LLaMA-3 70B", org="Meta", year=2024,
        n_layer=80, d_model=8192, n_head=64, n_kv_head=8, head_dim=128, d_ff=28672, ffn_type="SwiGLU",
        vocab_size=128256, context=8192, position="RoPE (base 500,000)", attention="GQA", norm="RMSNorm",
        tied_embeddings=False,
        published_total=70e9, total_source=LLAMA3_CARD,
        config_source=Source("meta-llama/llama-models models/sku_list.py (dim 8192, 80 layers, 64/8 heads, "
                             "ffn multiplier 1.3, multiple of 4096 -> 28,672)",
                             "https://github.com/meta-llama/llama-models/blob/main/models/sku_list.py"),
        training_tokens=15e12, tokens_source=LLAMA3_CARD,
        notes="Token count published as \"over 15 trillion\" (15T+): 15T is used here.",
    ),
    Arch(
        key="mistral-7b", name="Mistral 7B", org="Mistral AI", year=2023,
        n_layer=32, d_model=4096, n_head=32, n_kv_head=8, head_dim=128, d_ff=14336, ffn_type="SwiGLU",
        vocab_size=32000, context=8192, position="RoPE (base 10,000)", attention="GQA", norm="RMSNorm",
        tied_embeddings=False, sliding_window=4096,
        published_total=7.3e9, total_source=MISTRAL_BLOG, config_source=MISTRAL_PAPER,
        notes="Sliding-window attention: each layer looks back 4,096 tokens, so its KV cache stops growing there "
              "(a rolling buffer). Training data and token count are not published.",
        extra_sources=(Source("mistralai/Mistral-7B-v0.1 config.json (rope_theta 10,000, sliding_window 4,096)",
                              "https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json"),),
    ),
    Arch(
        key="mixtral-8x7b", name="Mixtral 8x7B", org="Mistral AI", year=2023,
        n_layer=32, d_model=4096, n_head=32, n_kv_head=8, head_dim=128, d_ff=None, ffn_type="SwiGLU",
        vocab_size=32000, context=32768, position="RoPE (base 1,000,000)", attention="GQA", norm="RMSNorm",
        tied_embeddings=False, n_experts=8, n_active_experts=2, d_ff_expert=14336,
        published_total=47e9, published_active=13e9, total_source=MIXTRAL_PAPER,
        config_source=Source("mistralai/Mixtral-8x7B-Instruct-v0.1 config.json",
                             "https://huggingface.co/mistralai/Mixtral-8x7B-Instruct-v0.1/blob/main/config.json"),
        notes="Every layer's feed-forward is 8 experts; a router picks 2 per token. Attention is shared, so the "
              "total is 47B, not 8 x 7B. Training data and token count are not published.",
    ),
    Arch(
        key="qwen2.5-7b", name="Qwen2.5 7B", org="Alibaba (Qwen)", year=2024,
        n_layer=28, d_model=3584, n_head=28, n_kv_head=4, head_dim=128, d_ff=18944, ffn_type="SwiGLU",
        vocab_size=152064, context=131072, position="RoPE (base 1,000,000; YaRN beyond 32K)", attention="GQA",
        norm="RMSNorm", tied_embeddings=False, qkv_bias=True,
        published_total=7.61e9,
        total_source=Source("Qwen/Qwen2.5-7B model card: \"Number of Parameters: 7.61B\" (6.53B non-embedding)",
                            "https://huggingface.co/Qwen/Qwen2.5-7B"),
        config_source=Source("Qwen/Qwen2.5-7B config.json", "https://huggingface.co/Qwen/Qwen2.5-7B/blob/main/config.json"),
        training_tokens=18e12, tokens_source=QWEN25_REPORT,
        notes="Biases on the Q, K and V projections only. The config's vocabulary (152,064 rows) is padded beyond "
              "the tokenizer's 151,665 tokens.",
    ),
    Arch(
        key="qwen2.5-72b", name="Qwen2.5 72B", org="Alibaba (Qwen)", year=2024,
        n_layer=80, d_model=8192, n_head=64, n_kv_head=8, head_dim=128, d_ff=29568, ffn_type="SwiGLU",
        vocab_size=152064, context=131072, position="RoPE (base 1,000,000; YaRN beyond 32K)", attention="GQA",
        norm="RMSNorm", tied_embeddings=False, qkv_bias=True,
        published_total=72.7e9,
        total_source=Source("Qwen/Qwen2.5-72B model card: \"Number of Parameters: 72.7B\" (70.0B non-embedding)",
                            "https://huggingface.co/Qwen/Qwen2.5-72B"),
        config_source=Source("Qwen/Qwen2.5-72B config.json", "https://huggingface.co/Qwen/Qwen2.5-72B/blob/main/config.json"),
        training_tokens=18e12, tokens_source=QWEN25_REPORT,
        notes="Biases on the Q, K and V projections only.",
    ),
    Arch(
        key="deepseek-v3", name="DeepSeek-V3", org="DeepSeek", year=2024,
        n_layer=61, d_model=7168, n_head=128, n_kv_head=128, head_dim=192, d_ff=18432, ffn_type="SwiGLU",
        vocab_size=129280, context=131072, position="RoPE (decoupled: 64 of each head's dims)", attention="MLA",
        norm="RMSNorm", tied_embeddings=False,
        n_experts=256, n_active_experts=8, n_shared_experts=1, d_ff_expert=2048, n_dense_layers=3, router_bias=True,
        q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128, qk_rope_head_dim=64, v_head_dim=128,
        published_total=671e9, published_active=37e9, total_source=DEEPSEEK_V3, config_source=DEEPSEEK_V3_CONFIG,
        training_tokens=14.8e12, tokens_source=DEEPSEEK_V3,
        notes="Multi-head latent attention caches one 512-number latent plus a 64-number rotary key per token and "
              "layer. The first 3 layers are dense (d_ff 18,432); the other 58 have 256 routed experts (8 per token) "
              "and 1 shared expert of 2,048. The 671B leaves out the 14B multi-token-prediction module (685B on the Hub).",
    ),
    Arch(key="gpt4", name="GPT-4", org="OpenAI", year=2023, published=False, total_source=GPT4_REPORT,
         notes="Not published: the technical report gives no architecture, model size, training compute or data. "
               "Numbers seen elsewhere are rumours, so none are shown here."),
    Arch(key="claude", name="Claude", org="Anthropic", year=2023, published=False,
         notes="Not published: Anthropic has not released the architecture or parameter count of any Claude model."),
    Arch(key="gemini", name="Gemini", org="Google DeepMind", year=2023, published=False,
         total_source=Source("Gemini Team 2023, Gemini: A Family of Highly Capable Multimodal Models",
                             "https://arxiv.org/abs/2312.11805"),
         notes="Not published: Google's reports describe Gemini as Transformer decoders but give no layer counts, "
               "widths or parameter counts."),
)

BY_KEY: dict[str, Arch] = {m.key: m for m in MODELS}
BY_NAME: dict[str, Arch] = {m.name: m for m in MODELS}


def get(key_or_name: str) -> Arch:
    """A model by its key ("llama2-70b") or its display name ("LLaMA-2 70B")."""
    if key_or_name in BY_KEY:
        return BY_KEY[key_or_name]
    return BY_NAME[key_or_name]


def published_models() -> list[Arch]:
    return [m for m in MODELS if m.published]
