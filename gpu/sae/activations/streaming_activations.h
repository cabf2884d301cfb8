#pragma once
// The activation store's streaming side: a corpus run through the model on the fly, mixed in a
// shuffle buffer and served to the SAE trainer without an HDF5 cache in between. Torch-free.

#include "core/base/status.h"

#include <QString>

#include <cstdint>
#include <memory>

namespace gyrus::gpu {

class LanguageModel;

namespace detail {
class ActivationSource;
}

struct StreamingActivationOptions
{
    QString corpusPath;       ///< plain text, one sentence or paragraph per line
    QString hookName;         ///< e.g. "blocks.2.hook_resid_post"
    int contextLength = 128;  ///< tokens per window, BOS included (as gyrus-cli cache)
    int batchSequences = 16;  ///< windows per forward pass
    /// Rows the shuffle buffer holds. Each refill fills it with forward passes over windows taken
    /// in a seeded random order, shuffles it and serves half, so a batch mixes tokens of many
    /// documents and far-apart parts of the corpus.
    int64_t bufferRows = 65536;
    uint64_t seed = 0;
    /// Data shard shardIndex of shardCount: the corpus lines (documents) d with d mod shardCount
    /// = shardIndex, with a shuffle seeded by (seed, shardIndex). Data-parallel ranks stream
    /// disjoint documents (combine them with combineActivationShards()).
    int shardIndex = 0;
    int shardCount = 1;
};

/// Opens the corpus and cuts it into windows as gyrus-cli cache does (BOS rows dropped, no
/// padding); the model runs only when rows are asked for. Each epoch visits every window once,
/// in an order drawn from (seed, epoch). The served order is a pure function of the options and
/// the position: seek(p) replays the stream from the start (running the model over the p rows
/// again), so a trainer resumed from a checkpoint sees exactly the rows an uninterrupted run
/// would, bit for bit on the same device, dtype and thread count.
/// `model` must outlive the source and is used from the caller's thread only.
Result<std::shared_ptr<detail::ActivationSource>> openStreamingActivations(
        const LanguageModel &model, const StreamingActivationOptions &options);

}  // namespace gyrus::gpu
