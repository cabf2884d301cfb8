#include "core/features/token_analysis_types.h"

#include <algorithm>

namespace gyrus {

float TextActivations::activation(int token, int feature) const
{
    const auto first = features.begin() + rowStart[token];
    const auto last = features.begin() + rowStart[token + 1];
    const auto it = std::lower_bound(first, last, feature);
    return it != last && *it == feature ? values[static_cast<size_t>(it - features.begin())] : 0.0f;
}

std::vector<FeatureValue> TextActivations::topFeatures(int token, int limit) const
{
    std::vector<FeatureValue> active;
    active.reserve(static_cast<size_t>(activeCount(token)));
    for (int i = rowStart[token]; i < rowStart[token + 1]; ++i) {
        active.push_back({features[i], values[i]});
    }
    std::sort(active.begin(), active.end(), [](const FeatureValue &a, const FeatureValue &b) {
        return a.value != b.value ? a.value > b.value : a.feature < b.feature;
    });
    if (limit >= 0 && active.size() > static_cast<size_t>(limit)) {
        active.resize(static_cast<size_t>(limit));
    }
    return active;
}

void TextActivations::appendToken(const AnalyzedToken &token, std::vector<FeatureValue> active)
{
    std::sort(active.begin(), active.end(),
              [](const FeatureValue &a, const FeatureValue &b) { return a.feature < b.feature; });
    tokens.push_back(token);
    for (const FeatureValue &entry : active) {
        if (entry.value != 0.0f) {
            features.push_back(entry.feature);
            values.push_back(entry.value);
        }
    }
    rowStart.push_back(static_cast<int>(features.size()));
}

int TokenAnalysis::totalTokens() const
{
    int total = 0;
    for (const TextActivations &text : texts) {
        total += text.tokenCount();
    }
    return total;
}

namespace {

std::vector<FeatureSummary> summarize(const std::vector<const TextActivations *> &texts)
{
    // Dense accumulators indexed by feature: one pass over the nonzeros, no tree inserts (a
    // 2,000-token prompt has ~10^5 of them).
    int highest = -1;
    for (const TextActivations *text : texts) {
        for (const int feature : text->features) {
            highest = std::max(highest, feature);
        }
    }
    std::vector<FeatureSummary> byFeature(size_t(highest + 1));
    int tokens = 0;
    for (const TextActivations *text : texts) {
        for (int t = 0; t < text->tokenCount(); ++t) {
            if (text->tokens[size_t(t)].bos) {
                continue;
            }
            ++tokens;
            for (int i = text->rowStart[size_t(t)]; i < text->rowStart[size_t(t) + 1]; ++i) {
                FeatureSummary &summary = byFeature[size_t(text->features[size_t(i)])];
                summary.max = std::max(summary.max, text->values[size_t(i)]);
                summary.mean += text->values[size_t(i)];
                ++summary.activeTokens;
            }
        }
    }
    std::vector<FeatureSummary> summaries;
    for (size_t feature = 0; feature < byFeature.size(); ++feature) {
        FeatureSummary summary = byFeature[feature];
        if (summary.activeTokens > 0) {
            summary.feature = int(feature);
            summary.mean /= std::max(1, tokens);
            summaries.push_back(summary);
        }
    }
    return summaries;
}

}  // namespace

std::vector<FeatureSummary> summarizeFeatures(const TokenAnalysis &analysis)
{
    std::vector<const TextActivations *> texts;
    for (const TextActivations &text : analysis.texts) {
        texts.push_back(&text);
    }
    return summarize(texts);
}

std::vector<FeatureSummary> summarizeFeatures(const TextActivations &text)
{
    return summarize({&text});
}

float maxActivation(const TextActivations &text, int feature)
{
    float best = 0.0f;
    for (int t = 0; t < text.tokenCount(); ++t) {
        if (!text.tokens[size_t(t)].bos) {
            best = std::max(best, text.activation(t, feature));
        }
    }
    return best;
}

float maxActivation(const TokenAnalysis &analysis, int feature)
{
    float best = 0.0f;
    for (const TextActivations &text : analysis.texts) {
        best = std::max(best, maxActivation(text, feature));
    }
    return best;
}

}  // namespace gyrus
