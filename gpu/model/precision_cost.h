#pragma once
// What computing in bf16 costs in accuracy against fp32, measured on the model itself: the same
// tokens through an fp32 and a bf16 load of the same checkpoint, compared at the residual stream
// of every `step`-th layer and at the logits. Torch-free (two LanguageModels).

#include "core/base/status.h"
#include "core/base/vocabulary.h"

#include <QString>

#include <vector>

namespace gyrus::gpu {

struct PrecisionCost
{
    Dtype dtype = Dtype::BFloat16;  ///< the reduced dtype measured
    int tokens = 0;
    /// ||x_bf16 − x_fp32|| / ||x_fp32|| over all tokens, per measured layer's resid_post.
    std::vector<std::pair<int, double>> residualRelativeError;
    double logitMaxAbsError = 0.0;
    double logitRelativeError = 0.0;
    double top1Agreement = 0.0;  ///< fraction of positions whose argmax logit is the same
};

/// Loads `hfDir` twice (fp32 and `dtype`), runs `tokens` fixed ids through both. Reads the whole
/// model twice: meant for models that fit twice in memory (the memory budget refuses others).
Result<PrecisionCost> measurePrecisionCost(const QString &hfDir, Dtype dtype = Dtype::BFloat16,
                                           int tokens = 64);

}  // namespace gyrus::gpu
