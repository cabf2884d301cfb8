#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace gyrus {

/// What to load: a Hugging Face model directory and where to run it.
struct ModelSpec
{
    QString path;                               ///< directory with config.json, *.safetensors
    QString device = QStringLiteral("cpu");     ///< "cpu" or "cuda:N"
    QString dtype = QStringLiteral("float32");  ///< "float32", "bfloat16" or "float16"
};

/// The model card shown in the Model dock and printed by `gyrus-cli info`.
struct ModelInfo
{
    QString name;  ///< directory name
    QString path;
    QString architecture;
    QString family;      ///< "llama", "gpt2", "gemma2", "gemma3", "qwen2", "qwen3", "gpt_neox"
    QStringList quirks;  ///< soft-caps, sliding windows, parallel residual...: one phrase each
    QString bosRule;     ///< whether Hugging Face prepends BOS, as a sentence
    /// TransformerLens's center_writing_weights changes the residual hooks (LayerNorm models).
    bool centringApplies = false;
    int layers = 0;
    int dModel = 0;
    int heads = 0;
    int kvHeads = 0;
    int vocabSize = 0;
    qint64 parameters = 0;
    qint64 memoryBytes = 0;  ///< weights resident on the device
    QString dtype;
    QString device;
    QStringList hookNames;
    // What jobs read of a memory-mapped checkpoint: a job at layer L holds the embedding and
    // layers 0..L; generation holds every layer and the head. Zero for a model built in memory.
    qint64 checkpointBytes = 0;
    int shards = 0;
    QString checkpointDtype;  ///< "bf16", "fp32", "mixed"
    qint64 embeddingBytes = 0;
    qint64 layerBytes = 0;  ///< per layer, as held in the compute dtype
    qint64 generationBytes = 0;
};

/// A text-generation request (greedy when temperature == 0).
struct GenerateRequest
{
    QString prompt;
    int maxNewTokens = 64;
    double temperature = 0.0;
    double topP = 1.0;
    int topK = 0;  ///< 0: no top-k filter
    quint64 seed = 0;
};

/// An SAE directory to load (SAELens layout, or a Gemma Scope params.npz) and its device.
struct SaeSpec
{
    QString path;
    QString device = QStringLiteral("cpu");
};

/// The SAE card: what its cfg.json says.
struct SaeInfo
{
    QString path;
    QString name;  ///< directory name
    QString hookName;
    QString architecture;  ///< "topk", "jumprelu", "standard", ... as loaded
    int dIn = 0;
    int dSae = 0;
    int k = 0;  ///< TopK: active features per token; 0 otherwise
    QString device;
    QString format;          ///< "saelens", "gemma-scope", "llama-scope"
    QString modelName;       ///< the model it was trained on, as its files name it (may be empty)
    bool prependBos = true;  ///< trained on contexts that began with BOS
    bool centredResiduals = false;  ///< trained on TransformerLens-centred residuals
    QString inputNormalisation;     ///< "none", "constant_norm_rescale", "layer_norm"
    /// What the engine noticed when it loaded the SAE next to the current model (e.g. a
    /// different model_name); loading went ahead.
    QStringList warnings;
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::ModelSpec)
Q_DECLARE_METATYPE(gyrus::SaeSpec)
Q_DECLARE_METATYPE(gyrus::SaeInfo)
Q_DECLARE_METATYPE(gyrus::ModelInfo)
Q_DECLARE_METATYPE(gyrus::GenerateRequest)
