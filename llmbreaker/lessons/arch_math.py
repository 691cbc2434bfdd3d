"""What a model's shape implies: parameters per component, active parameters per token, Q/K/V
shapes, KV-cache memory and FLOPs per generated token (docs/design.md §Compare). Pure functions of a
`registry.Arch`; no streamlit.

Conventions (the ones the published totals use):
- every weight matrix, bias and norm weight counts; the token embedding counts once, the output
  head again unless it is tied to the embedding;
- "active" parameters are the ones a token passes through: everything but the experts it was
  not routed to (the embedding and output head included, as in the Mixtral and DeepSeek figures);
- FLOPs per generated token: 2 per multiply-add of every weight a token meets (the embedding
  lookup is not a matmul) plus the attention over the tokens before it (Kaplan et al. 2020, 2.1).
"""
from __future__ import annotations

from llmbreaker.lessons.registry import Arch

COMPONENTS = ("Embeddings", "Output head", "Attention", "Feed-forward", "Experts", "Norms & router")

DTYPES = {"fp32": 4.0, "bf16 / fp16": 2.0, "fp8 / int8": 1.0, "int4": 0.5}


def _require(m: Arch) -> None:
    if not m.published:
        raise ValueError(f"{m.name}: architecture not published")


def attention_params_per_layer(m: Arch) -> int:
    """Weights and biases of one attention block (Q, K, V, output; MLA's down/up projections)."""
    _require(m)
    d = m.d_model
    if m.attention == "MLA":
        qk = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            q = d * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * m.n_head * qk  # down, its norm, up
        else:
            q = d * m.n_head * qk
        kv = (d * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank  # down to the latent (+ rotary key), norm
              + m.kv_lora_rank * m.n_head * (m.qk_nope_head_dim + m.v_head_dim))  # up to per-head K and V
        out = m.n_head * m.v_head_dim * d
        return q + kv + out
    q_dim, k_dim, v_dim = m.n_head * m.head_dim, m.n_kv_head * m.head_dim, m.n_kv_head * v_head_dim(m)
    params = d * q_dim + d * (k_dim + v_dim) + m.n_head * v_head_dim(m) * d
    if m.qkv_bias:
        params += q_dim + k_dim + v_dim
    if m.out_bias:
        params += d
    return params


def ffn_params(m: Arch, d_ff: int) -> int:
    """One feed-forward (or one expert) of inner size d_ff."""
    d = m.d_model
    if m.ffn_type == "SwiGLU":  # gate, up and down
        return 3 * d * d_ff + (2 * d_ff + d if m.mlp_bias else 0)
    return 2 * d * d_ff + (d_ff + d if m.mlp_bias else 0)  # up and down


def norm_params(m: Arch) -> int:
    return 2 * m.d_model if m.norm == "LayerNorm" else m.d_model


def breakdown(m: Arch) -> dict[str, int]:
    """Parameters per component (the keys of COMPONENTS); their sum is the model's total."""
    _require(m)
    L, d = m.n_layer, m.d_model
    embed = m.vocab_size * d + (m.context * d if m.position == "learned absolute" else 0)
    head = 0 if m.tied_embeddings else m.vocab_size * d
    attention = L * attention_params_per_layer(m)
    norms = (2 * L + 1) * norm_params(m)
    if m.is_moe:
        moe_layers = L - m.n_dense_layers
        dense = m.n_dense_layers * ffn_params(m, m.d_ff) if m.n_dense_layers else 0
        experts = moe_layers * (m.n_experts + m.n_shared_experts) * ffn_params(m, m.d_ff_expert)
        norms += moe_layers * (d * m.n_experts + (m.n_experts if m.router_bias else 0))  # the routers
    else:
        dense, experts = L * ffn_params(m, m.d_ff), 0
    return {"Embeddings": embed, "Output head": head, "Attention": attention, "Feed-forward": dense,
            "Experts": experts, "Norms & router": norms}


def total_params(m: Arch) -> int:
    return sum(breakdown(m).values())


def active_params(m: Arch) -> int:
    """Parameters one token passes through: for a MoE, only its k routed experts (and the shared ones)."""
    b = breakdown(m)
    if not m.is_moe:
        return sum(b.values())
    moe_layers = m.n_layer - m.n_dense_layers
    active_experts = moe_layers * (m.n_active_experts + m.n_shared_experts) * ffn_params(m, m.d_ff_expert)
    return sum(b.values()) - b["Experts"] + active_experts


# -- attention shapes and the KV cache --------------------------------------------------------------
def qk_head_dim(m: Arch) -> int:
    return m.qk_nope_head_dim + m.qk_rope_head_dim if m.attention == "MLA" else m.head_dim


def v_head_dim(m: Arch) -> int:
    """The width of one value vector: `head_dim` unless the config names another (DeepSeek-V3's
    v_head_dim is 128 where its query/key heads are 128 + 64 = 192 wide)."""
    return m.v_head_dim or m.head_dim


def kv_values_per_token_per_layer(m: Arch) -> int:
    """Numbers cached per token in one layer. MHA/GQA/MQA keep a K and a V vector per KV head
    (head_dim + v_head_dim numbers); MLA keeps one compressed latent and one shared rotary key
    (DeepSeek-V2, section 2.1)."""
    _require(m)
    if m.attention == "MLA":
        return m.kv_lora_rank + m.qk_rope_head_dim
    return m.n_kv_head * (m.head_dim + v_head_dim(m))


def kv_cache_bytes_per_token(m: Arch, bytes_per_value: float = 2.0) -> float:
    return m.n_layer * kv_values_per_token_per_layer(m) * bytes_per_value


def cached_tokens(m: Arch, context: int) -> int:
    """How many tokens' keys and values are kept: a sliding window stops the cache growing."""
    return min(context, m.sliding_window) if m.sliding_window else context


def kv_cache_bytes(m: Arch, context: int, bytes_per_value: float = 2.0, batch: int = 1) -> float:
    return batch * cached_tokens(m, context) * kv_cache_bytes_per_token(m, bytes_per_value)


def as_mha(m: Arch) -> Arch:
    """The same model with one K/V head per query head (plain multi-head attention): the what-if
    that shows what GQA saves. An MLA model keeps the per-head widths it decompresses to: keys of
    qk_nope_head_dim + qk_rope_head_dim, values of v_head_dim (DeepSeek-V3's config_671B.json: 128
    heads, 128 + 64 = 192 and 128), so its MHA cache is 61 x 128 x (192 + 128) x 2 B = 4.8 MiB a token."""
    from dataclasses import replace
    _require(m)
    if m.attention == "MLA":
        return replace(m, key=m.key + "-mha", name=m.name + " if MHA", attention="MHA", n_kv_head=m.n_head,
                       head_dim=m.qk_nope_head_dim + m.qk_rope_head_dim, v_head_dim=m.v_head_dim,
                       q_lora_rank=None, kv_lora_rank=None)
    return replace(m, key=m.key + "-mha", name=m.name + " if MHA", attention="MHA", n_kv_head=m.n_head)


QKV_ROLES = ("Input X", "W_Q", "W_K", "W_V", "Q", "K", "V", "Cached per token", "Scores Q·Kᵀ")


def qkv_shapes(m: Arch, seq_len: int) -> list[dict]:
    """The matrices of one attention layer for a sequence of `seq_len` tokens, one row per role of
    QKV_ROLES: {"matrix", "shape", "numbers"}. With MLA, K and V are rebuilt from a small latent
    (down-projection, then up-projection), and the latent is what is cached."""
    _require(m)
    T, d, H = seq_len, m.d_model, m.n_head

    def row(role: str, *shapes: tuple[int, ...]) -> dict:
        numbers = 0
        for shape in shapes:
            n = 1
            for s in shape:
                n *= s
            numbers += n
        text = " then ".join(" x ".join(f"{s:,}" for s in shape) for shape in shapes)
        return {"matrix": role, "shape": text, "numbers": numbers}

    if m.attention == "MLA":
        qk, r, c = qk_head_dim(m), m.qk_rope_head_dim, m.kv_lora_rank
        wq = ((d, m.q_lora_rank), (m.q_lora_rank, H * qk)) if m.q_lora_rank else ((d, H * qk),)
        rows = [row("Input X", (T, d)), row("W_Q", *wq),
                row("W_K", (d, c + r), (c, H * m.qk_nope_head_dim)),
                row("W_V", (c, H * m.v_head_dim)),
                row("Q", (T, H * qk)), row("K", (T, H * qk)), row("V", (T, H * m.v_head_dim)),
                row("Cached per token", (c + r,))]
    else:
        hd, vd, kvh = m.head_dim, v_head_dim(m), m.n_kv_head
        rows = [row("Input X", (T, d)), row("W_Q", (d, H * hd)), row("W_K", (d, kvh * hd)), row("W_V", (d, kvh * vd)),
                row("Q", (T, H * hd)), row("K", (T, kvh * hd)), row("V", (T, kvh * vd)),
                row("Cached per token", (kvh * (hd + vd),))]
    rows.append(row("Scores Q·Kᵀ", (H, T, T)))
    return rows


# -- compute ----------------------------------------------------------------------------------------
def matmul_params_per_token(m: Arch) -> int:
    """Active parameters that are multiplied (not looked up): all but the input embedding, unless the
    output head reuses it."""
    b = breakdown(m)
    lookup = b["Embeddings"]
    if m.tied_embeddings:
        lookup -= m.vocab_size * m.d_model  # the tied table is multiplied once, as the output head
    return active_params(m) - lookup


def flops_per_token(m: Arch, context: int) -> dict[str, float]:
    """Forward FLOPs to generate one token with `context` tokens before it (the KV cache holds
    them): 2 x matmul weights, plus Q·K and attention·V over the cached tokens of every head."""
    weights = 2.0 * matmul_params_per_token(m)
    span = cached_tokens(m, context)
    attention = 2.0 * m.n_layer * span * m.n_head * (qk_head_dim(m) + v_head_dim(m))
    return {"weights": weights, "attention": attention, "total": weights + attention}


# -- for people -------------------------------------------------------------------------------------
def human(n: float | None, unit: str = "") -> str:
    """1234567 -> "1.2 M", 7.61e9 -> "7.6 B"; small numbers in full."""
    if n is None:
        return "not published"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            v = n / size
            u = f" {unit}" if unit else ""
            return f"{v:.0f} {suffix}{u}" if v >= 100 else f"{v:.1f} {suffix}{u}" if v >= 10 else f"{v:.2f} {suffix}{u}"
    return f"{n:,.0f}{(' ' + unit) if unit else ''}"


def human_bytes(b: float) -> str:
    for size, suffix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if b >= size:
            v = b / size
            return f"{v:.0f} {suffix}" if v >= 100 else f"{v:.1f} {suffix}"
    return f"{b:,.0f} B"


def check_total(m: Arch) -> tuple[int, float | None, float | None]:
    """(our total, published total, relative difference) for the tests and the page."""
    ours = total_params(m)
    if m.published_total is None:
        return ours, None, None
    return ours, m.published_total, (ours - m.published_total) / m.published_total
