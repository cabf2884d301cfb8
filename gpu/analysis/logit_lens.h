#pragma once
// The logit lens: every layer's residual stream decoded as if it were the last one (the final
// norm and the unembedding, soft-capped like the logits), so one sees at which depth the model's
// next-token prediction forms. Row 0 is the embeddings (blocks.0.hook_resid_pre), row l + 1 is
// blocks.l.hook_resid_post; the last row is the model's own output. The engine and `gyrus-cli
// logit-lens` call it. Torch-free.

#include "core/base/status.h"
#include "core/features/attribution_types.h"
#include "gpu/model/language_model.h"

#include <QStringList>

#include <vector>

namespace gyrus::gpu {

using gyrus::LogitLensCell;  // core: the Attribution dock shows it as it is

struct LogitLensResult
{
    std::vector<int> tokens;
    QStringList rows;                               ///< the hook each row decodes
    std::vector<std::vector<LogitLensCell>> cells;  ///< [row][position]
    /// [rows, positions, vocab] log-probabilities, kept only when asked (tests compare them).
    FloatTensor logProbabilities;
};

/// Decodes every layer at every position of `tokens`; `top` tokens per cell.
Result<LogitLensResult> logitLens(const LanguageModel &model, const std::vector<int> &tokens,
                                  int top = 5, bool keepLogProbabilities = false);

}  // namespace gyrus::gpu
