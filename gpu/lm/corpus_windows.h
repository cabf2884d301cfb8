#pragma once
// Private to gyrus_gpu: the evaluation windows every held-out measure uses (lm-eval, the trainer's
// held-out loss, CE-loss recovered), so their numbers compare.

#include "gpu/lm/token_corpus.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <utility>

namespace gyrus::gpu::detail {

/// Windows [first, first + count) of the corpus stream cut into consecutive, non-overlapping
/// windows of length + 1 tokens: int64 [count, length + 1] on `device`. Inputs are columns
/// [0, length), targets [1, length + 1).
inline at::Tensor corpusWindows(const TokenCorpus &corpus, int64_t first, int64_t count,
                                int64_t length, at::Device device)
{
    return at::from_blob(const_cast<int32_t *>(corpus.tokens.data()) + first * (length + 1),
                         {count, length + 1}, at::kInt)
            .to(at::kLong)
            .to(device);
}

/// Summed cross-entropy of logits [N, V] for targets [N], leaving out BOS targets (BOS is given,
/// not predicted), and the number of targets counted.
inline std::pair<double, double> crossEntropySum(const at::Tensor &logits,
                                                 const at::Tensor &targets, int64_t bos)
{
    const at::Tensor losses =
            at::cross_entropy_loss(logits.to(at::kFloat), targets, {}, at::Reduction::None, bos);
    const at::Tensor keep = targets.ne(bos);
    return {losses.masked_select(keep).sum().item<double>(), keep.sum().item<double>()};
}

}  // namespace gyrus::gpu::detail
