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

#include "core/base/status.h"
#include "core/prompts/minimal_pairs.h"
#include "core/prompts/prompt_set.h"
#include "core/steering/patching_types.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <vector>

namespace gyrus::gpu {

class LanguageModel;

namespace detail {
class SaeModule;
}

using gyrus::PairPatching;
using gyrus::PatchingMap;
using gyrus::PatchingOptions;
using gyrus::PatchingResult;
using gyrus::SkippedPair;

/// Patching in steps (one layer of one pair per step), so an engine can serve other requests
/// between them. The model must outlive the run and stay unchanged while it runs.
class ActivationPatchingRun
{
public:
    /// Reads the set's pairs (minimalPairs(): a partner that does not exist is an error), checks
    /// the site and the tokens, and encodes the items. Errors name the set, item or site.
    /// With options.features the SAE is required: those features are patched at its hook (see
    /// patchMinimalPairs). The SAE must outlive the run.
    static Result<std::unique_ptr<ActivationPatchingRun>> start(
            const LanguageModel &model, const PromptSet &set, const PatchingOptions &options,
            const std::shared_ptr<const detail::SaeModule> &sae = nullptr);
    ~ActivationPatchingRun();
    ActivationPatchingRun(const ActivationPatchingRun &) = delete;
    ActivationPatchingRun &operator=(const ActivationPatchingRun &) = delete;

    /// One bounded piece: a pair's two plain forwards, or one row of patched forwards (one per
    /// position, as a batch): a layer, or for SAE features one feature or all of them.
    Status step();
    bool isFinished() const;
    double fraction() const;
    QString stage() const;  ///< "pair 3/20, layer 2/4" or "pair 3/20, row 2/4"

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
///
/// SAE features (options.features, `sae` given): at the SAE's hook, the partner's activation at
/// one position p becomes
///   h'_p = h_p + Σ_{f∈S} (c_f(source, p) − c_f(partner, p)),  c_f(x, p) = a_f(x_p)·W_dec[f]·s(x_p)
/// (a_f: the feature's activation, s: the SAE's output scale, 1 for SAEs on raw activations):
/// the chosen features' contribution to the source's reconstruction replaces theirs in the
/// partner's, and the reconstruction error and every other feature stay the partner's. Rows:
/// each feature alone (S = {f}), then for several features all of them (S = all); columns:
/// positions, lined up across pairs as for the residual stream.
Result<PatchingResult> patchMinimalPairs(
        const LanguageModel &model, const PromptSet &set, const PatchingOptions &options,
        const std::function<bool(double fraction, const QString &stage)> &progress = {},
        const std::shared_ptr<const detail::SaeModule> &sae = nullptr);

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
