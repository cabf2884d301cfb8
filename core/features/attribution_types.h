#pragma once
// What the Attribution dock asks the engine and gets back, and the value types of
// gpu/analysis/attribution.h, logit_lens.h and attention_patterns.h that both sides share: why the
// model said what it said (feature attribution with the SAE's error and bias as their own nodes,
// the logit lens, attention patterns). Plain data, torch-free.

#include <QHash>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace gyrus {

/// What is attributed: an output at one position.
struct AttributionTarget
{
    enum class Kind
    {
        LogProbability,   ///< log p(token | tokens[0..position])
        LogitDifference,  ///< logit(token) − logit(versus)
    };
    Kind kind = Kind::LogProbability;
    int position = -1;  ///< the position whose next-token output is the target; -1: the last
    int token = -1;     ///< -1: the model's most likely next token at `position`
    int versus = -1;    ///< the subtracted token of a LogitDifference
};

/// One active feature at one position.
struct FeatureAttribution
{
    int position = 0;
    int feature = 0;
    float activation = 0.0f;
    float gradient = 0.0f;     ///< ∂target / ∂activation (through the decoder)
    float attribution = 0.0f;  ///< activation × gradient: the linear estimate of its ablation's
                               ///< effect, with the sign reversed
};

struct AttributionResult
{
    QString hook;
    std::vector<int> tokens;
    AttributionTarget target;  ///< resolved: position and token filled in
    double value = 0.0;        ///< the target's value in the unedited forward
    /// Every active (position, feature), largest |attribution| first.
    std::vector<FeatureAttribution> features;
    std::vector<double> errorAttribution;  ///< per position
    std::vector<double> biasAttribution;   ///< per position
    std::vector<double> totalAttribution;  ///< per position: gradient × input at the hook

    double featureSum() const;
    double errorSum() const;
    double biasSum() const;
    double total() const;
    /// Σ features at one position.
    std::vector<double> featuresPerPosition() const;
};

/// The linear estimate beside the real change when one feature is ablated (set to zero).
struct AblationCheck
{
    FeatureAttribution feature;
    double estimatedChange = 0.0;  ///< −attribution
    double actualChange = 0.0;     ///< target with the feature at zero − target
};

/// One cell of the logit lens: one layer's residual stream at one position, decoded.
struct LogitLensCell
{
    std::vector<int> topTokens;           ///< likeliest first
    std::vector<float> topProbabilities;  ///< the same order
    /// The probability and rank (0: the likeliest) of the token that actually follows; -1 at
    /// the last position, where none does.
    float nextProbability = -1.0f;
    int nextRank = -1;
};

// --- the Attribution dock's requests and results ---

/// Attribution of one output of the model on `prompt` (BOS prepended, as `gyrus-cli attribute
/// --text`) to the loaded SAE's features.
struct AttributionRequest
{
    QString prompt;
    int position = -1;    ///< -1: the last
    QString targetToken;  ///< one token, as text; empty: the model's top next token
    QString versusToken;  ///< one token; non-empty makes the target a logit difference
    /// SAE directories at other hooks (e.g. one per layer) attributed in the same forward and
    /// backward beside the loaded SAE, each spliced in with its own error node.
    QStringList extraSaes;
};

/// One extra SAE's share of an attribution (AttributionRequest::extraSaes).
struct SaeAttribution
{
    QString path;    ///< the SAE's directory
    QString name;    ///< its card's name
    int layer = -1;  ///< the layer of its hook (-1: outside the blocks)
    AttributionResult result;
};

/// Tokens as the tokenizer shows them (display pieces, not yet visibleToken()).
using TokenPieces = QHash<int, QString>;

struct AttributionOutcome
{
    AttributionResult result;  ///< the loaded SAE's
    QString saeName;
    std::vector<SaeAttribution> extra;  ///< the extra SAEs that loaded, in the request's order
    /// One line per extra SAE left out (its directory and why: missing, unreadable, made for
    /// another model, or tokenising unlike the loaded SAE); the others are attributed anyway.
    QStringList skippedSaes;
    TokenPieces pieces;  ///< every token of the prompt and the target's tokens
    /// Which of the engine's models and SAEs made it: verification refuses others.
    quint64 modelEpoch = 0;
    quint64 saeEpoch = 0;

    QString piece(int token) const { return pieces.value(token, QString::number(token)); }
};

using AttributionOutcomePtr = std::shared_ptr<const AttributionOutcome>;

/// "Verify": the `count` largest features of `attribution` ablated one at a time.
struct AblationRequest
{
    AttributionOutcomePtr attribution;
    int count = 8;
};

struct LogitLensRequest
{
    QString prompt;  ///< BOS prepended
    int top = 5;     ///< tokens per cell
};

struct LogitLensOutcome
{
    std::vector<int> tokens;
    QStringList rows;                               ///< the hook each row decodes
    std::vector<std::vector<LogitLensCell>> cells;  ///< [row][position]
    TokenPieces pieces;  ///< the prompt's tokens and every cell's top tokens

    QString piece(int token) const { return pieces.value(token, QString::number(token)); }
};

using LogitLensOutcomePtr = std::shared_ptr<const LogitLensOutcome>;

struct AttentionRequest
{
    QString prompt;  ///< BOS prepended
    /// The one layer whose patterns are computed (the Attention tab shows one layer at a time;
    /// every layer at once is layers × heads × T² floats); -1: every layer.
    int layer = -1;
};

struct AttentionOutcome
{
    std::vector<int> tokens;
    TokenPieces pieces;
    std::vector<int> layers;  ///< the layers computed, in `patterns` order
    int layerCount = 0;       ///< the model's layers (any of which may be asked for)
    int heads = 0;
    /// Per layer: [heads, queries, keys] row-major; each row sums to 1.
    std::vector<std::vector<float>> patterns;

    int size() const { return static_cast<int>(tokens.size()); }

    /// Attention of query `q` to key `k` in `head` of layer index `layerIndex`.
    float weight(int layerIndex, int head, int q, int k) const
    {
        const size_t n = tokens.size();
        return patterns[size_t(layerIndex)][(size_t(head) * n + size_t(q)) * n + size_t(k)];
    }
};

using AttentionOutcomePtr = std::shared_ptr<const AttentionOutcome>;

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::AblationCheck)
Q_DECLARE_METATYPE(gyrus::AttributionOutcomePtr)
Q_DECLARE_METATYPE(gyrus::LogitLensOutcomePtr)
Q_DECLARE_METATYPE(gyrus::AttentionOutcomePtr)
