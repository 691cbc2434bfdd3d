"""Compare page: two or three published architectures side by side (docs/design.md §Compare).

Everything shown is computed by `llmbreaker.lessons.arch_math` from the shapes in `llmbreaker.lessons.registry`;
each chart has its formula next to it, with the selected models' numbers put in.
"""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from llmbreaker.charts.compare import (CONTEXTS, flops_chart, kv_context_chart, kv_per_token_chart, params_chart,
                                       style_chart, total_active_chart, usable_context)
from llmbreaker.lessons import arch_math as am
from llmbreaker.lessons.registry import MODELS, Arch, get
from llmbreaker.ui.shell import font_scale, page_header

PAGE = "compare"
DEFAULT = ["LLaMA-2 7B", "LLaMA-2 70B", "DeepSeek-V3"]


def _ctx_label(n: int) -> str:
    return f"{n // 1024}K" if n >= 1024 else str(n)


# -- the table --------------------------------------------------------------------------------------
def table_rows(models: list[Arch], bytes_per_value: float = 2.0) -> dict[str, list[str]]:
    """The comparison as text, attribute -> one value per model (for the table and the exports)."""
    def val(m: Arch, f):
        return f(m) if m.published else "not published"

    def experts(m: Arch) -> str:
        if not m.is_moe:
            return "none (dense)"
        shared = f" + {m.n_shared_experts} shared" if m.n_shared_experts else ""
        return f"{m.n_experts} routed{shared}, {m.n_active_experts} per token"

    def attention(m: Arch) -> str:
        if m.attention == "MLA":
            return f"MLA (latent {m.kv_lora_rank}, query rank {m.q_lora_rank}, rotary {m.qk_rope_head_dim})"
        return m.attention + (f", sliding window {m.sliding_window:,}" if m.sliding_window else "")

    rows = {
        "Organisation": [m.org for m in models],
        "Year": [str(m.year) for m in models],
        "Layers": [val(m, lambda m: f"{m.n_layer:,}") for m in models],
        "Hidden size": [val(m, lambda m: f"{m.d_model:,}") for m in models],
        "Query heads": [val(m, lambda m: f"{m.n_head:,}") for m in models],
        "KV heads": [val(m, lambda m: f"{m.n_kv_head:,}" if m.attention != "MLA" else f"{m.n_kv_head} (from one latent)")
                     for m in models],
        "Head size": [val(m, lambda m: str(m.head_dim) if m.attention != "MLA"
                          else f"{am.qk_head_dim(m)} for Q·K, {m.v_head_dim} for V") for m in models],
        "Attention": [val(m, attention) for m in models],
        "Feed-forward": [val(m, lambda m: f"{m.ffn_type}, {m.d_ff:,}" if not m.is_moe
                             else f"{m.ffn_type} experts" + (f"; {m.d_ff:,} dense in the first {m.n_dense_layers} layers"
                                                             if m.n_dense_layers else "")) for m in models],
        "Experts": [val(m, experts) for m in models],
        "Expert size": [val(m, lambda m: f"{m.d_ff_expert:,}" if m.is_moe else "-") for m in models],
        "Vocabulary": [val(m, lambda m: f"{m.vocab_size:,}") for m in models],
        "Context": [val(m, lambda m: f"{m.context:,}") for m in models],
        "Positions": [val(m, lambda m: m.position) for m in models],
        "Norm": [val(m, lambda m: m.norm) for m in models],
        "Tied embeddings": [val(m, lambda m: "yes" if m.tied_embeddings else "no") for m in models],
        "Biases": [m.biases for m in models],
        "Parameters (counted here)": [val(m, lambda m: am.human(am.total_params(m))) for m in models],
        "Parameters (published)": [am.human(m.published_total) if m.published_total else "not published" for m in models],
        "Active per token": [val(m, lambda m: am.human(am.active_params(m))) for m in models],
        "KV cache per token": [val(m, lambda m: am.human_bytes(am.kv_cache_bytes_per_token(m, bytes_per_value)))
                               for m in models],
        "Training tokens": [f"{am.human(m.training_tokens)} {m.token_unit}" if m.training_tokens else "not published"
                            for m in models],
    }
    return rows


def _highlight_differences(df: pd.DataFrame) -> pd.io.formats.style.Styler:
    def row_style(row: pd.Series) -> list[str]:
        differs = row.nunique() > 1
        return ["background-color: rgba(251,191,36,0.10); color: #FDE68A" if differs else "" for _ in row]
    return df.style.apply(row_style, axis=1)


def comparison_records(models: list[Arch], context: int, bytes_per_value: float) -> list[dict]:
    """One record of raw numbers per model: what the CSV and JSON downloads hold."""
    out = []
    for m in models:
        rec = {k: v for k, v in m.to_dict().items() if k not in ("total_source", "config_source", "tokens_source",
                                                                  "extra_sources")}
        rec["config_source"] = m.config_source.url if m.config_source else None
        rec["total_source"] = m.total_source.url if m.total_source else None
        rec["tokens_source"] = m.tokens_source.url if m.tokens_source else None
        if m.published:
            b = am.breakdown(m)
            rec.update({f"params_{k.lower().replace(' & ', '_').replace(' ', '_').replace('-', '_')}": v
                        for k, v in b.items()})
            rec.update(params_total=am.total_params(m), params_active=am.active_params(m),
                       kv_cache_bytes_per_token=am.kv_cache_bytes_per_token(m, bytes_per_value),
                       kv_cache_bytes_at_context=am.kv_cache_bytes(m, usable_context(m, context), bytes_per_value),
                       context_for_kv=usable_context(m, context), bytes_per_value=bytes_per_value,
                       flops_per_token_at_context=am.flops_per_token(m, usable_context(m, context))["total"])
        out.append(rec)
    return out


# -- formulas ---------------------------------------------------------------------------------------
def param_formula_lines(m: Arch) -> str:
    b = am.breakdown(m)
    L, d = m.n_layer, m.d_model
    lines = [f"{m.name}"]
    pos = f" + {m.context:,} x {d:,} (positions)" if m.position == "learned absolute" else ""
    lines.append(f"  embeddings   = {m.vocab_size:,} x {d:,}{pos} = {b['Embeddings']:,}")
    lines.append("  output head  = " + ("0 (tied to the embedding)" if m.tied_embeddings
                                        else f"{m.vocab_size:,} x {d:,} = {b['Output head']:,}"))
    if m.attention == "MLA":
        lines.append(f"  attention    = {L} layers x {am.attention_params_per_layer(m):,} (MLA down/up projections) "
                     f"= {b['Attention']:,}")
    else:
        hd = m.head_dim
        lines.append(f"  attention    = {L} x [{d:,} x ({m.n_head} + 2 x {m.n_kv_head}) x {hd} + {m.n_head} x {hd} x {d:,}"
                     f"{' + biases' if m.qkv_bias or m.out_bias else ''}] = {b['Attention']:,}")
    k = 3 if m.ffn_type == "SwiGLU" else 2
    if m.is_moe:
        moe_layers = L - m.n_dense_layers
        if m.n_dense_layers:
            lines.append(f"  dense FFN    = {m.n_dense_layers} x {k} x {d:,} x {m.d_ff:,} = {b['Feed-forward']:,}")
        lines.append(f"  experts      = {moe_layers} x ({m.n_experts} + {m.n_shared_experts}) x {k} x {d:,} x "
                     f"{m.d_ff_expert:,} = {b['Experts']:,}")
    else:
        lines.append(f"  feed-forward = {L} x [{k} x {d:,} x {m.d_ff:,}{' + biases' if m.mlp_bias else ''}] "
                     f"= {b['Feed-forward']:,}")
    lines.append(f"  norms{' & routers' if m.is_moe else ''} = {b['Norms & router']:,}")
    total = am.total_params(m)
    pub = f"   (published: {am.human(m.published_total)}, {(total - m.published_total) / m.published_total:+.1%})" \
        if m.published_total else ""
    lines.append(f"  total        = {total:,} = {am.human(total)}{pub}")
    if m.is_moe:
        lines.append(f"  active       = total - idle experts = {am.active_params(m):,} = {am.human(am.active_params(m))}"
                     + (f"   (published: {am.human(m.published_active)})" if m.published_active else ""))
    return "\n".join(lines)


def kv_formula_line(m: Arch, context: int, bpv: float, dtype: str) -> str:
    per = am.kv_cache_bytes_per_token(m, bpv)
    ctx = am.cached_tokens(m, usable_context(m, context))
    longest = " (its longest context)" if context > m.context else ""
    if m.attention == "MLA":
        head = f"{m.n_layer} layers x ({m.kv_lora_rank} + {m.qk_rope_head_dim}) x {bpv:g} B"
    elif am.v_head_dim(m) != m.head_dim:  # keys and values of different widths (DeepSeek-V3 if it used MHA)
        head = (f"{m.n_layer} layers x {m.n_kv_head} KV heads x ({m.head_dim} key + {am.v_head_dim(m)} value)"
                f" x {bpv:g} B")
    else:
        head = f"2 x {m.n_layer} layers x {m.n_kv_head} KV heads x {m.head_dim} x {bpv:g} B"
    window = f" (window {m.sliding_window:,})" if m.sliding_window and context > m.sliding_window else ""
    return (f"{m.name}:\n  per token  = {head} = {per:,.0f} B = {am.human_bytes(per)}\n"
            f"  {ctx:,} tokens{window}{longest} = {am.human_bytes(per * ctx)} ({dtype})")


def mha_source(m: Arch) -> str:
    """Where the what-if's head widths come from."""
    src = m.config_source.title if m.config_source else "its published configuration"
    if m.attention == "MLA":
        return (f"\n  (what-if: {m.n_head} heads with keys of {m.qk_nope_head_dim} + {m.qk_rope_head_dim} = "
                f"{m.qk_nope_head_dim + m.qk_rope_head_dim} and values of {m.v_head_dim}: "
                f"qk_nope_head_dim, qk_rope_head_dim, v_head_dim of {src})")
    return f"\n  (what-if: one key/value head per query head, {m.n_head}; {src})"


# -- the page ---------------------------------------------------------------------------------------
def gqa_answer(context: int, bpv: float, dtype: str) -> str:
    m = get("llama2-70b")
    mha = am.as_mha(m)
    context = usable_context(m, context)
    gqa_b, mha_b = am.kv_cache_bytes(m, context, bpv), am.kv_cache_bytes(mha, context, bpv)
    weights = am.total_params(m) * bpv
    return (
        f"**Why does LLaMA use GQA?** To write each new token, the model needs the keys and values of every "
        f"token before it, in every layer: the **KV cache**. With ordinary multi-head attention (MHA) each of "
        f"LLaMA-2 70B's 64 query heads would keep its own key and value: {am.human_bytes(mha_b)} for one "
        f"{context:,}-token conversation in {dtype}. Grouped-query attention lets 8 query heads share one key/value "
        f"head, so it keeps 8 instead of 64: **{am.human_bytes(gqa_b)}**, 8x less. The weights themselves take "
        f"{am.human_bytes(weights)} and are shared by every conversation, but each conversation needs its own cache: "
        f"with MHA, 32 conversations at once would need {am.human_bytes(32 * mha_b)} of cache, with GQA "
        f"{am.human_bytes(32 * gqa_b)}. Memory, not arithmetic, limits how many people a GPU can serve and how long "
        f"their texts can be, and the GQA paper (Ainslie et al. 2023) found the quality nearly as good as MHA. "
        f"That is why LLaMA-2 70B, LLaMA-3, Mistral and Qwen use it, and why DeepSeek went further with MLA, "
        f"caching one small latent vector per token instead."
    )


def view() -> None:
    page_header("Compare architectures", "GPT-2, LLaMA, Mistral, Qwen, DeepSeek and our tiny GPT, side by side: "
                "parameters, KV cache and compute, from their published shapes.", page=PAGE)
    scale = font_scale()
    names = st.multiselect(
        "Models to compare", [m.name for m in MODELS], default=DEFAULT, max_selections=3, key="compare_models",
        help="Pick two or three. GPT-4, Claude and Gemini are listed to show that their architecture is not published.")
    if not names:
        st.info("Pick two or three models above to compare them.", icon=":material/compare_arrows:")
        return
    models = [get(n) for n in names]
    pub = [m for m in models if m.published]
    for m in models:
        if not m.published:
            st.warning(f"**{m.name}**: {m.notes}", icon=":material/visibility_off:")

    c1, c2, c3 = st.columns(3)
    dtype = c1.segmented_control("Number format of the cache", list(am.DTYPES), default="bf16 / fp16",
                                 key="compare_dtype",
                                 help="How many bytes each cached number takes: 2 for bf16/fp16 (the usual), "
                                      "1 for 8-bit, 0.5 for 4-bit.") or "bf16 / fp16"
    bpv = am.DTYPES[dtype]
    context = c2.select_slider("Context length", CONTEXTS, value=4096, key="compare_context",
                               format_func=_ctx_label,
                               help="How many tokens the model has already read (prompt + answer so far). "
                                    "Sets the KV cache and the attention part of the FLOPs.")
    seq = c3.select_slider("Sequence length for the Q, K, V shapes", [8, 64, 256, 1024, 4096], value=1024,
                           key="compare_seq", help="How many tokens go through one attention layer at once.")

    st.markdown("#### Side by side")
    rows = table_rows(models, bpv)
    df = pd.DataFrame(rows, index=[m.name for m in models]).T
    st.dataframe(_highlight_differences(df), width="stretch", height=min(900, 35 * (len(df) + 1) + 3),
                 column_config={"_index": st.column_config.TextColumn("", width=200)})
    st.caption("Rows in amber differ between the chosen models. \"Parameters (counted here)\" is computed from the "
               "shapes above by this page's counter; it lands within 2 % of every published total (tested).")
    if not pub:
        return

    st.markdown("#### Where the parameters are")
    left, right = st.columns(2)
    with left:
        st.altair_chart(style_chart(params_chart(pub, scale), scale), width="stretch")
        st.caption("Each bar is one model, split by part. Small models spend much of their budget on the "
                   "vocabulary table; mixtures of experts put almost everything into experts.")
    with right:
        st.altair_chart(style_chart(total_active_chart(pub, scale), scale), width="stretch")
        st.caption("A mixture of experts stores many experts but sends each token through only a few: "
                   "its *active* parameters set the cost of a token, its *total* the memory.")
    with st.expander("Formulas, with these models' numbers", icon=":material/function:"):
        st.latex(r"P = \underbrace{V d}_{\text{embedding}} + \underbrace{V d}_{\text{head, unless tied}} "
                 r"+ L\big[\underbrace{d\,(n_h + 2 n_{kv})\,d_h + n_h d_h\, d}_{\text{attention: } W_Q, W_K, W_V, W_O}"
                 r"+ \underbrace{k\, d\, d_{ff}}_{\text{FFN; } k=3 \text{ SwiGLU, } 2 \text{ GELU}}\big] + \text{norms}")
        st.latex(r"P_{\text{active}} = P - L_{\text{MoE}}\,(E - k)\,P_{\text{expert}}")
        st.code("\n\n".join(param_formula_lines(m) for m in pub), language="text")

    st.markdown(f"#### Q, K and V for one layer and {seq:,} tokens")
    shapes = {m.name: {r["matrix"]: f"{r['shape']}  ({am.human(r['numbers'])})"
                       for r in am.qkv_shapes(m, min(seq, m.context))} for m in pub}
    capped = [m for m in pub if m.context < seq]
    qkv = pd.DataFrame(shapes).reindex(list(am.QKV_ROLES))
    st.dataframe(qkv, width="stretch", column_config={"_index": st.column_config.TextColumn("", width=140)})
    st.caption(f"For {seq:,} tokens going through one attention layer; the numbers in brackets count the entries. "
               "Q = X·W_Q has a block of columns per query head, K and V one per KV head: with GQA they are "
               "narrower than Q. With MLA, K and V are rebuilt from a small latent (\"then\": a down- and an "
               "up-projection), and only that latent is cached. The score matrix Q·Kᵀ grows with the square of the "
               "sequence length."
               + "".join(f" {m.name} reads at most {m.context:,} tokens, so its shapes use {m.context:,}." for m in capped))

    st.markdown("#### KV cache: the memory every conversation needs")
    what_if = st.toggle("Also show each model as if it used plain multi-head attention", value=True,
                        key="compare_whatif",
                        help="A what-if: the same model with one key/value head per query head (MHA). "
                             "The grey bars and dashed lines are this hypothetical model, not a real one.")
    left, right = st.columns(2)
    with left:
        st.altair_chart(style_chart(kv_per_token_chart(pub, bpv, what_if, scale), scale), width="stretch")
    with right:
        st.altair_chart(style_chart(kv_context_chart(pub, bpv, context, what_if, scale), scale), width="stretch")
    st.caption("Solid bars and lines: the models as built. Grey bars and dashed lines: the same models if every query "
               "head kept its own key and value (plain MHA), a what-if for comparison. The right chart has a log scale: "
               "each grid line up is 10 times more memory, and each line ends at the longest context its model reads."
               + (" A sliding window (Mistral) stops the cache growing at the window's length."
                  if any(m.sliding_window for m in pub) else ""))
    st.latex(r"\text{KV per token} = L \times n_{kv} \times (d_k + d_v) \times \text{bytes} \ \ \text{(MHA, GQA, MQA; usually } d_k = d_v = d_h \text{)}"
             r"\qquad L \times (d_c + d_h^{R}) \times \text{bytes} \ \ \text{(MLA)}")
    st.latex(r"\text{KV per sequence} = \text{KV per token} \times \text{context}")
    lines = [kv_formula_line(m, context, bpv, dtype) for m in pub]
    if what_if:
        lines += [kv_formula_line(am.as_mha(m), context, bpv, dtype) + mha_source(m) for m in pub if m.attention != "MHA"]
    st.code("\n\n".join(lines), language="text")
    st.info(gqa_answer(context, bpv, dtype), icon=":material/lightbulb:")

    st.markdown("#### FLOPs per generated token")
    st.altair_chart(style_chart(flops_chart(pub, context, scale), scale), width="stretch")
    st.latex(r"F \approx 2\,N_{\text{matmul, active}} + 2\,L\,T\,n_h\,(d_{qk} + d_v)")
    st.code("\n".join(
        f"{m.name}: 2 x {am.matmul_params_per_token(m):,} + 2 x {m.n_layer} x "
        f"{am.cached_tokens(m, usable_context(m, context)):,} x {m.n_head} x ({am.qk_head_dim(m)} + {am.v_head_dim(m)}) "
        f"= {am.human(am.flops_per_token(m, usable_context(m, context))['total'], 'FLOP')}"
        for m in pub), language="text")
    st.caption("Each weight a token meets costs one multiply and one add; attention adds the work of comparing the "
               f"new token with the {context:,} before it (T; fewer for a model whose context is shorter, or that "
               "looks back only through a sliding window). A mixture of experts pays only for its active experts.")

    with st.container(key="compare_lbextras"):
        st.markdown("#### Take the comparison with you")
        records = comparison_records(models, context, bpv)
        c1, c2 = st.columns(2)
        c1.download_button("Comparison (CSV)", data=pd.DataFrame(records).to_csv(index=False), file_name="comparison.csv",
                           mime="text/csv", key="compare_csv", icon=":material/table_view:",
                           help="One row per model: its published shape, sources and every number computed here.")
        c2.download_button("Comparison (JSON)", data=json.dumps(records, indent=2), file_name="comparison.json",
                           mime="application/json", key="compare_json", icon=":material/data_object:",
                           help="The same numbers as JSON.")

    st.markdown("#### Sources")
    for m in models:
        srcs = [s for s in (m.config_source, m.total_source, m.tokens_source, *m.extra_sources) if s]
        seen, parts = set(), []
        for s in srcs:
            if s.url not in seen:
                seen.add(s.url)
                parts.append(f"[{s.title}]({s.url})" if s.url.startswith("http") else f"{s.title} (`{s.url}`)")
        st.markdown(f"**{m.name}**: " + "; ".join(parts) + (f"  \n{m.notes}" if m.notes and m.published else ""))
