#pragma once
// Activation patching across a prompt set's minimal pairs (gpu/analysis/activation_patching.h):
// the options, each pair's layers × positions map, the map averaged over pairs with its interval,
// and what the Attribution dock's Patching tab asks the engine and gets back. Plain data,
// torch-free.

#include "core/prompts/minimal_pairs.h"
#include "core/prompts/prompt_set.h"

#include <QHash>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace gyrus {

struct PatchingOptions
{
    /// The site patched at every layer: resid_pre, resid_mid, resid_post, attn_out or mlp_out
    /// (blocks.L.hook_<site>).
    QString site = QStringLiteral("resid_pre");
    /// Non-empty: patch these SAE features' contribution at the SAE's hook instead of a site at
    /// every layer (ActivationPatchingRun with an SAE). The map's rows are then each feature on
    /// its own and, for more than one, all of them together.
    std::vector<int> features;
    /// The logit difference's tokens for every pair; both -1: each pair's own top next tokens.
    int token = -1;
    int versus = -1;
    double confidence = 0.95;  ///< coverage of the map's interval
    bool addBos = true;        ///< prepend BOS when encoding the items
    /// Pairs of different lengths share the map's last column (their last token); false: its
    /// first column (their first token).
    bool alignEnd = true;
};

/// One pair's forwards and its layers × positions map.
struct PairPatching
{
    MinimalPair pair;
    std::vector<int> sourceTokens;
    std::vector<int> partnerTokens;
    int token = -1;          ///< logit difference: logit(token) − logit(versus)
    int versus = -1;         ///< at the last position
    double clean = 0.0;      ///< LD of the source's own forward
    double corrupted = 0.0;  ///< LD of the partner's own forward
    /// [layer][position]: the fraction restored by patching that one activation.
    std::vector<std::vector<double>> restored;
    /// [layer][position]: the patched LD itself.
    std::vector<std::vector<double>> patched;
};

struct SkippedPair
{
    MinimalPair pair;
    QString reason;
};

/// The mean over pairs of each cell, with its interval. A cell only pairs long enough reach has
/// fewer pairs (`count`); with fewer than 2 the interval is NaN.
struct PatchingMap
{
    QString site;
    /// The label of each row: the hook of each layer, or for SAE features "feature F" per
    /// feature and "features F1+F2+…" for all of them together.
    QStringList hooks;
    QString saeHook;            ///< SAE features: the hook they were patched at (else empty)
    std::vector<int> features;  ///< SAE features: the chosen features, in row order
    int positions = 0;          ///< columns: the longest pair's length
    bool alignEnd = true;       ///< a pair of n tokens fills the last n columns (else the first n)
    double confidence = 0.95;
    std::vector<std::vector<double>> mean;  ///< [layer][position]
    std::vector<std::vector<double>> low;
    std::vector<std::vector<double>> high;
    std::vector<std::vector<int>> count;

    /// The column of `pair`'s position `position`.
    int column(const PairPatching &pair, int position) const
    {
        const int length = static_cast<int>(pair.partnerTokens.size());
        return alignEnd ? positions - length + position : position;
    }

    /// `pair`'s position in column `column`; -1 when the pair does not reach it.
    int position(const PairPatching &pair, int column) const
    {
        const int length = static_cast<int>(pair.partnerTokens.size());
        const int position = alignEnd ? column - (positions - length) : column;
        return position >= 0 && position < length ? position : -1;
    }
};

struct PatchingResult
{
    PatchingMap map;
    std::vector<PairPatching> pairs;
    std::vector<SkippedPair> skipped;
};

// --- the Attribution dock's Patching tab ---

struct PatchingRequest
{
    PromptSet set;
    /// options.token/versus are ignored: the tokens come from these texts (one token each, as
    /// `gyrus-cli patch --target/--versus`); both empty: each pair's own top next tokens.
    PatchingOptions options;
    QString targetToken;
    QString versusToken;
};

struct PatchingOutcome
{
    PatchingResult result;
    QStringList itemIds;         ///< the set's item ids, by index
    QStringList itemTexts;       ///< the set's item texts, by index
    QHash<int, QString> pieces;  ///< display pieces of every token the result names

    QString piece(int token) const { return pieces.value(token, QString::number(token)); }
};

using PatchingOutcomePtr = std::shared_ptr<const PatchingOutcome>;

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::PatchingOutcomePtr)
