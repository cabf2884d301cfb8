#pragma once
// Activation patching across a prompt set's minimal pairs (causal tracing as a lesion study):
// the residual stream of one item (the source, "clean") is copied into its partner's forward
// (the "corrupted" run) at one layer and one position, and the change of a logit difference at
// the partner's last position says how much of the source's behaviour that one activation
// carries. Per cell, the fraction restored is
//   (LD_patched − LD_partner) / (LD_source − LD_partner)
// where LD = logit(token) − logit(versus) at the last position: 0 when the patch changes nothing,
// 1 when it makes the partner behave like the source. By default `token` is the source's own top
// next token and `versus` the partner's. The map is the mean over pairs with a Student-t
// confidence interval. Pairs of different lengths are lined up at their last token (where the
// logit difference is read) or, on request, at their first; a pair whose two items tokenize to
// different lengths has no cell-for-cell correspondence and is skipped (said so). The engine and
// `gyrus-cli patch` call these. Torch-free.

#include "core/minimal_pairs.h"
#include "core/prompt_set.h"
#include "core/status.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <vector>

namespace gyrus::gpu {

class LanguageModel;

struct PatchingOptions
{
    /// The site patched at every layer: resid_pre, resid_mid, resid_post, attn_out or mlp_out
    /// (blocks.L.hook_<site>).
    QString site = QStringLiteral("resid_pre");
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
    QStringList hooks;     ///< the hook of each row (layer)
    int positions = 0;     ///< columns: the longest pair's length
    bool alignEnd = true;  ///< a pair of n tokens fills the last n columns (else the first n)
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
};

struct PatchingResult
{
    PatchingMap map;
    std::vector<PairPatching> pairs;
    std::vector<SkippedPair> skipped;
};

/// Patching in steps (one layer of one pair per step), so an engine can serve other requests
/// between them. The model must outlive the run and stay unchanged while it runs.
class ActivationPatchingRun
{
public:
    /// Reads the set's pairs (minimalPairs(): a partner that does not exist is an error), checks
    /// the site and the tokens, and encodes the items. Errors name the set, item or site.
    static Result<std::unique_ptr<ActivationPatchingRun>> start(const LanguageModel &model,
                                                                const PromptSet &set,
                                                                const PatchingOptions &options);
    ~ActivationPatchingRun();
    ActivationPatchingRun(const ActivationPatchingRun &) = delete;
    ActivationPatchingRun &operator=(const ActivationPatchingRun &) = delete;

    /// One bounded piece: a pair's two plain forwards, or one layer of patched forwards (one per
    /// position, as a batch).
    Status step();
    bool isFinished() const;
    double fraction() const;
    QString stage() const;  ///< "pair 3/20, layer 2/4"

    /// The pairs and the averaged map (call once, after isFinished()). Fails when every pair
    /// was skipped, with the reasons.
    Result<PatchingResult> finish();

private:
    struct Impl;
    explicit ActivationPatchingRun(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

/// Runs ActivationPatchingRun to the end. `progress` gets the fraction done and the stage, and
/// may return false to cancel.
Result<PatchingResult> patchMinimalPairs(
        const LanguageModel &model, const PromptSet &set, const PatchingOptions &options,
        const std::function<bool(double fraction, const QString &stage)> &progress = {});

/// The partner's logit difference logit(token) − logit(versus) at its last position, with the
/// source's activations at `hookName` copied in at `positions` (empty: an unpatched forward).
/// The two token lists must have one length. The same splice the map uses.
Result<double> patchedLogitDifference(const LanguageModel &model,
                                      const std::vector<int> &sourceTokens,
                                      const std::vector<int> &partnerTokens,
                                      const QString &hookName, const std::vector<int> &positions,
                                      int token, int versus);

/// (patched − corrupted) / (clean − corrupted).
double restoredFraction(double patched, double clean, double corrupted);

}  // namespace gyrus::gpu
