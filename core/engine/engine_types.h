#pragma once

#include "core/base/vocabulary.h"
#include "core/sae/sae_config.h"

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <vector>

namespace gyrus {

/// What to load: a Hugging Face model directory and where to run it.
struct ModelSpec
{
    QString path;                            ///< directory with config.json, *.safetensors
    QString device = QStringLiteral("cpu");  ///< "cpu" or "cuda:N"
    Dtype dtype = Dtype::Float32;
};

/// What the weights cost where they are used, and what has been read of the checkpoint so far.
/// A job that reads the residual stream at layer L reads the embedding and layers 0..L only;
/// generation and logits read every layer, the final norm and the head. Zero for a model built
/// in memory.
struct WeightUse
{
    qint64 checkpointBytes = 0;
    int shards = 0;
    QString checkpointDtype;         ///< "bf16", "fp32", "mixed": the file's large tensors
    qint64 embeddingBytes = 0;       ///< held for the embedding (kept in the file's dtype)
    std::vector<qint64> layerBytes;  ///< held per layer once read (mapped or converted)
    qint64 headBytes = 0;            ///< final norm and head (a converted copy when tied)
    // Read so far.
    int tensorsRead = 0;
    int tensorsTotal = 0;
    qint64 bytesRead = 0;       ///< file bytes of the tensors read
    qint64 convertedBytes = 0;  ///< copies made in the compute dtype
    int layersReady = 0;        ///< layers 0..layersReady-1 are in use
    bool headReady = false;
    QStringList shardsRead;

    /// Held once a job at `layer` has run: the embedding and layers 0..layer.
    qint64 bytesForLayer(int layer) const;
    /// Held once generation has run: every layer and the head.
    qint64 bytesForGeneration() const;

    /// Held per layer (the first layer's; they are alike), 0 before any is known.
    qint64 bytesPerLayer() const { return layerBytes.empty() ? 0 : layerBytes.front(); }
};

/// A loaded model: what the Model dock shows, `gyrus-cli info` prints and the SAE–model check
/// reads. The loader fills it (gpu LanguageModel::info()); the engine forwards it as it is.
struct ModelInfo
{
    QString name;          ///< modelDisplayName(path)
    QString path;          ///< the directory: as the engine was asked for it (the loader: absolute)
    QString architecture;  ///< "LlamaForCausalLM"
    QString modelType;     ///< config.json's model_type ("gemma3_text")
    QString family;        ///< "llama", "gpt2", "gemma2", "gemma3", "qwen2", "qwen3", "gpt_neox"
    QStringList quirks;    ///< soft-caps, sliding windows, parallel residual...: one phrase each
    QString bosRule;       ///< whether Hugging Face prepends BOS, as a sentence
    bool residMid = true;  ///< false with a parallel residual: no blocks.L.hook_resid_mid
    /// TransformerLens's center_writing_weights changes the residual hooks (LayerNorm models);
    /// SAEs trained on processed GPT-2 (gpt2-small-res-jb) need it.
    bool centringApplies = false;
    int layers = 0;
    int dModel = 0;
    int heads = 0;
    int kvHeads = 0;
    int headDim = 0;
    int ffn = 0;  ///< intermediate size
    int vocabSize = 0;
    int maxPositions = 0;
    double ropeTheta = 0.0;
    bool tiedEmbeddings = false;
    qint64 parameters = 0;
    qint64 memoryBytes = 0;  ///< weights resident on the device
    Dtype dtype = Dtype::Float32;
    QString device;  ///< "cpu", "cuda:0"
    bool hasTokenizer = false;
    QStringList hookNames;  ///< TransformerLens names, in forward order
    WeightUse weightUse;

    /// Names the card after `directory` (path, and name = modelDisplayName(directory)).
    void setPath(const QString &directory);
};

/// The name a model card shows for `path`: its directory's name, with the parent's for the
/// usual layouts that end in a generic name ("demo/model" rather than a bare "model").
QString modelDisplayName(const QString &path);

/// Sampling settings of a generation (greedy when temperature <= 0).
struct GenerateOptions
{
    int maxNewTokens = 32;
    double temperature = 0.0;  ///< <= 0: greedy
    double topP = 1.0;         ///< >= 1: off
    int topK = 0;              ///< <= 0: off
    quint64 seed = 0;
    bool stopAtEos = true;
    bool addBos = true;  ///< prepend BOS to a text prompt

    friend bool operator==(const GenerateOptions &a, const GenerateOptions &b)
    {
        return a.maxNewTokens == b.maxNewTokens && a.temperature == b.temperature &&
               a.topP == b.topP && a.topK == b.topK && a.seed == b.seed &&
               a.stopAtEos == b.stopAtEos && a.addBos == b.addBos;
    }
};

/// A text-generation request.
struct GenerateRequest
{
    QString prompt;
    GenerateOptions options{64};
};

/// An SAE directory to load (SAELens layout, or a Gemma Scope params.npz) and its device.
struct SaeSpec
{
    QString path;
    QString device = QStringLiteral("cpu");
};

/// The SAE card: its configuration as loaded (cfg.json and the like: hook, widths, architecture,
/// conventions, format; topK() is the "k" a card shows) and where it was loaded.
struct SaeInfo : SaeConfig
{
    QString path;
    QString name;  ///< directory name
    QString device;
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
