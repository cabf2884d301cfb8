#pragma once
// How much of the model's next-token prediction an SAE keeps when its reconstruction replaces the
// activations at its hook (sae_sota.md: CE-loss recovered). Torch-free.

#include "core/base/status.h"

#include <QString>

#include <memory>

namespace gyrus::gpu {

class LanguageModel;

namespace detail {
class SaeModule;
}

struct SpliceEvalOptions
{
    QString corpusPath;  ///< evaluation text, one line per sentence or paragraph
    QString hookName;    ///< where the SAE is spliced (its cfg.json hook_name)
    int contextLength = 128;
    int maxSequences = 64;  ///< windows of contextLength + 1 tokens (0: all)
};

/// Cross-entropies in nats per token (BOS targets excluded, as lm-eval counts them).
struct SpliceEvalResult
{
    QString hookName;  ///< where it was spliced
    qint64 tokens = 0;
    double ceOriginal = 0;   ///< H_orig: the model as it is
    double ceSae = 0;        ///< H_sae: activations replaced by the SAE's reconstruction x̂
    double ceZero = 0;       ///< H_zero: activations replaced by zeros
    double ceWithError = 0;  ///< h + (x̂ − x̂): the splice with the error term kept
    double klSae = 0;        ///< mean KL(p_orig ‖ p_sae) per token
    /// (H_zero − H_sae) / (H_zero − H_orig): 1 when the SAE loses nothing.
    double ceLossRecovered = 0;
    /// max |logits(with error) − logits(original)|: 0 means the splice is exactly the identity.
    double withErrorMaxLogitDifference = 0;
};

/// Splices `sae` at options.hookName on every position whose input token is not BOS (BOS
/// activations are outliers the SAE never saw). Errors name the file or the hook.
Result<SpliceEvalResult> evaluateSaeSplice(const LanguageModel &model, const detail::SaeModule &sae,
                                           const SpliceEvalOptions &options);

}  // namespace gyrus::gpu
