#pragma once
// The token heatmap's data: texts as the model tokenises them, and for every token the
// loaded SAE's nonzero feature activations at its hook (sparse rows, exact values) plus the raw
// hook vector ("hook dimension" mode). Plain data, torch-free; the engine fills it and the
// heatmap dock paints it.

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <utility>
#include <vector>

namespace gyrus {

/// What to analyse: one typed text, or the items of a prompt set (one per row).
struct TokenAnalysisRequest
{
    QStringList texts;
    bool hookVectors = true;  ///< also return the raw hook vector of every token
};

/// One token of a text.
struct AnalyzedToken
{
    int id = 0;
    QString piece;  ///< display form ("▁" shown as a space)
    int begin = 0;  ///< [begin, end) in UTF-16 units of the text; BOS has [0, 0)
    int end = 0;
    bool bos = false;
};

/// A feature and its activation at one token.
struct FeatureValue
{
    int feature = 0;
    float value = 0.0f;
};

/// One text's tokens and activations. Activations are stored CSR-like: token t's active
/// features are features[rowStart[t] .. rowStart[t+1]), in ascending feature order, with their
/// values in `values`; every feature not listed is exactly 0.
struct TextActivations
{
    QString text;
    std::vector<AnalyzedToken> tokens;
    std::vector<int> rowStart{0};  ///< tokens + 1 entries
    std::vector<int> features;
    std::vector<float> values;
    std::vector<float> hook;  ///< tokens × dModel, row-major; empty when not asked for

    int tokenCount() const { return static_cast<int>(tokens.size()); }

    int activeCount(int token) const { return rowStart[token + 1] - rowStart[token]; }

    /// The activation of `feature` at `token` (0 when inactive).
    float activation(int token, int feature) const;

    /// The token's active features, largest first, at most `limit` (all when limit < 0).
    std::vector<FeatureValue> topFeatures(int token, int limit) const;

    /// Appends a token's active features (any order; zeros are dropped).
    void appendToken(const AnalyzedToken &token, std::vector<FeatureValue> active);
};

/// The result of one analysis: every text of the request, in order.
struct TokenAnalysis
{
    QString hookName;
    QString saeName;
    int dModel = 0;
    int dSae = 0;
    std::vector<TextActivations> texts;

    int totalTokens() const;
};

using TokenAnalysisPtr = std::shared_ptr<const TokenAnalysis>;

/// A feature's activity over the non-BOS tokens of an analysis (BOS tokens carry outsized
/// activations that say nothing about the text, so summaries and colour scales leave them out).
struct FeatureSummary
{
    int feature = 0;
    float max = 0.0f;
    double mean = 0.0;  ///< over all non-BOS tokens, zeros included
    int activeTokens = 0;
};

/// One summary per feature active on some non-BOS token, in ascending feature order.
std::vector<FeatureSummary> summarizeFeatures(const TokenAnalysis &analysis);
/// The same over one text.
std::vector<FeatureSummary> summarizeFeatures(const TextActivations &text);

/// The largest activation of `feature` over the non-BOS tokens (0 when never active).
float maxActivation(const TokenAnalysis &analysis, int feature);
float maxActivation(const TextActivations &text, int feature);

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::TokenAnalysisRequest)
Q_DECLARE_METATYPE(gyrus::TokenAnalysisPtr)
