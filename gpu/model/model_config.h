#pragma once
// The Hugging Face config.json of a decoder-only transformer: Llama/Mistral, GPT-2, Gemma-2/3,
// Qwen2/3 and GPT-NeoX (Pythia). The families differ in data (norm kind, activation, positional
// scheme, biases, soft-caps, sliding-window layers, embedding and attention scales), recorded here,
// and in a few structural pieces (fused QKV layouts, Gemma's extra norms, the parallel residual),
// flagged here and implemented once in the transformer. Torch-free.

#include "core/base/status.h"
#include "gpu/model/safetensors.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace gyrus::gpu {

/// RoPE frequency scaling: "linear" (frequencies divided by `factor`) or "llama3" (Llama-3.1's
/// wavelength-dependent scaling, Hugging Face `_compute_llama3_parameters`). Other types are
/// refused by loadModelConfig().
struct RopeScaling
{
    QString type = QStringLiteral("linear");
    double factor = 1.0;
    double lowFreqFactor = 1.0;                ///< llama3
    double highFreqFactor = 4.0;               ///< llama3
    int originalMaxPositionEmbeddings = 8192;  ///< llama3
};

/// Which `model_type` family a config describes.
enum class ModelFamily
{
    Llama,
    Mistral,
    Gpt2,
    Gemma2,
    Gemma3,
    Qwen2,
    Qwen3,
    GptNeox,
};

enum class NormKind
{
    Rms,        ///< Llama: w * (x / rms(x)), computed in fp32
    RmsOffset,  ///< Gemma: (1 + w) * (x / rms(x)); weights stored zero-centred
    Layer,      ///< LayerNorm with bias (GPT-2, GPT-NeoX)
};

enum class Activation
{
    Silu,      ///< "silu"
    GeluTanh,  ///< "gelu_pytorch_tanh": torch's tanh-approximate GELU kernel
    GeluNew,   ///< "gelu_new": the explicit tanh formula (rounds differently from GeluTanh)
    GeluErf,   ///< "gelu": the exact erf GELU
};

/// How the attention input projection is stored.
enum class QkvLayout
{
    Separate,      ///< q_proj, k_proj, v_proj (nn.Linear [out, in])
    Conv1dFused,   ///< GPT-2 c_attn: one Conv1D [in, 3d], columns q | k | v, each head-major
    PerHeadFused,  ///< GPT-NeoX query_key_value: nn.Linear [3d, in], rows (head, {q,k,v}, dim)
};

struct ModelConfig
{
    QString architecture = QStringLiteral("LlamaForCausalLM");  ///< architectures[0]
    QString modelType = QStringLiteral("llama");                ///< config.json's model_type
    ModelFamily family = ModelFamily::Llama;
    int hiddenSize = 0;
    int numHiddenLayers = 0;
    int numAttentionHeads = 0;
    int numKeyValueHeads = 0;  ///< defaults to numAttentionHeads
    int intermediateSize = 0;
    double rmsNormEps = 1e-6;  ///< the epsilon of every norm (LayerNorm's too)
    double ropeTheta = 10000.0;
    std::optional<RopeScaling> ropeScaling;
    int vocabSize = 0;
    bool tieWordEmbeddings = false;
    int bosTokenId = 1;
    int eosTokenId = 2;
    int maxPositionEmbeddings = 2048;
    QString torchDtype = QStringLiteral("float32");  ///< "float32", "float16", "bfloat16"
    std::optional<int> slidingWindow;  ///< keys a sliding layer sees, the query's own included

    // Family data; the defaults are Llama's.
    int explicitHeadDim = 0;  ///< config head_dim when given (Gemma, Qwen3); 0: hidden / heads
    NormKind norm = NormKind::Rms;
    Activation activation = Activation::Silu;
    bool gatedMlp = true;           ///< down(act(gate(x)) * up(x)); false: down(act(up(x)))
    bool learnedPositions = false;  ///< GPT-2 wpe added to the embedding; no RoPE
    double rotaryFraction = 1.0;    ///< GPT-NeoX rotary_pct: RoPE on the first dims of a head
    double ropeLocalTheta = 0.0;    ///< Gemma-3: RoPE base of sliding layers (0: ropeTheta)
    bool qkvBias = false;           ///< biases on the q/k/v projections (Qwen2, GPT-2, NeoX)
    bool outputBias = false;        ///< bias on the attention output projection
    bool mlpBias = false;           ///< biases on the MLP projections
    QkvLayout qkvLayout = QkvLayout::Separate;
    bool qkNorm = false;              ///< per-head norm of q and k before RoPE (Qwen3, Gemma-3)
    bool sandwichNorms = false;       ///< Gemma: norms after attention and after the MLP too
    bool parallelResidual = false;    ///< GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x))
    bool scaleEmbeddings = false;     ///< Gemma: embedding times sqrt(hidden) in the weight dtype
    double queryPreAttnScalar = 0.0;  ///< Gemma: scores scaled by this^-1/2 (0: head_dim^-1/2)
    double attnLogitSoftcap = 0.0;    ///< Gemma-2: s = cap * tanh(s / cap) before the mask
    double finalLogitSoftcap = 0.0;   ///< Gemma: logits = cap * tanh(logits / cap)
    /// Per layer: does it use the sliding window? Empty: every layer does when slidingWindow is
    /// set (Mistral).
    std::vector<bool> slidingLayers;
    /// Where the language model's tensors live when not at the family's usual root (Gemma-3
    /// multimodal checkpoints, GPT-2 files saved without "transformer."); set at load.
    std::optional<QString> tensorRoot;
    QStringList notes;  ///< what the loader ignored (a vision tower), for `info`

    int headDim() const
    {
        if (explicitHeadDim > 0) {
            return explicitHeadDim;
        }
        return numAttentionHeads > 0 ? hiddenSize / numAttentionHeads : 0;
    }

    /// Dimensions of a head that RoPE rotates (even; 0 with learned positions).
    int rotaryDim() const;

    bool layerSlides(int layer) const;

    /// 1 / sqrt(query_pre_attn_scalar or head_dim).
    double attentionScale() const;
};

/// The hook sites a model has (TransformerLens names, ARCHITECTURE.md §4).
struct HookLayout
{
    HookLayout() = default;

    /// The standard (Llama) sites of a `layers`-layer model; implicit so that a layer count
    /// still names a layout.
    HookLayout(int layers)  // NOLINT(google-explicit-constructor)
        : layers(layers)
    {}

    int layers = 0;
    bool posEmbed = false;  ///< hook_pos_embed: learned positions only
    bool residMid = true;   ///< blocks.L.hook_resid_mid: absent with a parallel residual
};

HookLayout hookLayout(const ModelConfig &config);

/// "gpt2", "gemma2", ...: the family as model_type spells it.
QString familyName(ModelFamily family);

/// What a reader of `info` (or an SAE) needs to know beyond the sizes: soft-caps, windows,
/// the parallel residual, the embedding scale; one short phrase each.
QStringList familyQuirks(const ModelConfig &config);

/// Whether Hugging Face's tokenizer prepends BOS for this family, said as a sentence (SAEs
/// trained through TransformerLens may expect a BOS that HF does not add).
QString bosRule(const ModelConfig &config);

/// Whether TransformerLens's center_writing_weights applies: LayerNorm models only.
bool centringApplies(const ModelConfig &config);

/// "LlamaForCausalLM", "MistralForCausalLM", "GPT2LMHeadModel", ...
QStringList supportedArchitectures();

/// "llama", "mistral", "gpt2", "gemma2", "gemma3_text", "gemma3", "qwen2", "qwen3", "gpt_neox".
QStringList supportedModelTypes();

/// Reads and validates config.json: unknown architecture -> error listing the supported ones;
/// a missing or mistyped field -> error naming it; hidden_size not divisible by
/// num_attention_heads or heads not divisible by num_key_value_heads -> error with the numbers.
Result<ModelConfig> loadModelConfig(const QString &configJsonPath);

/// The same from bytes; `source` names them in messages.
Result<ModelConfig> parseModelConfig(const QByteArray &json, const QString &source);

/// Checks the invariants loadModelConfig() checks (for configs built in code).
Status validateModelConfig(const ModelConfig &config);

/// A config.json that transformers' LlamaConfig / MistralConfig loads (model_type,
/// architectures, every field above).
QByteArray modelConfigToJson(const ModelConfig &config);

/// What a checkpoint tensor is to the transformer.
enum class WeightRole
{
    Embed,
    PosEmbed,
    AttnNorm,
    AttnNormBias,
    AttnPostNorm,  ///< Gemma post_attention_layernorm (applied to the attention output)
    MlpNorm,
    MlpNormBias,
    MlpPostNorm,  ///< Gemma post_feedforward_layernorm
    Q,
    QBias,
    K,
    KBias,
    V,
    VBias,
    Qkv,
    QkvBias,
    O,
    OBias,
    QNorm,
    KNorm,
    Gate,
    GateBias,
    Up,
    UpBias,
    Down,
    DownBias,
    FinalNorm,
    FinalNormBias,
    LmHead,
};

struct ModelTensor
{
    QString name;  ///< the Hugging Face name under the family's usual root
    QVector<qint64> shape;
    WeightRole role = WeightRole::Embed;
    int layer = -1;
};

/// Every tensor of a checkpoint of this family, with its Hugging Face name and shape, in file
/// order; lm_head / embed_out is absent when tie_word_embeddings.
std::vector<ModelTensor> modelTensors(const ModelConfig &config);

/// The same as (name, shape) pairs.
std::vector<ExpectedTensor> expectedTensors(const ModelConfig &config);

/// Llama's list (the name older callers use); any family works.
inline std::vector<ExpectedTensor> expectedLlamaTensors(const ModelConfig &config)
{
    return expectedTensors(config);
}

/// Finds where the family's tensors live in a checkpoint whose names are `has`-tested: the usual
/// root, or an alternative (GPT-2 without "transformer.", Gemma-3's "language_model." nesting).
/// Returns the `tensorRoot` to set, or nullopt when the usual one holds the embedding (or none
/// does: the missing-tensor message then names the usual names).
std::optional<QString> detectTensorRoot(const ModelConfig &config,
                                        const std::function<bool(const QString &)> &has);

/// The name in the file of `tensor` given config.tensorRoot.
QString checkpointName(const ModelConfig &config, const ModelTensor &tensor);

}  // namespace gyrus::gpu
