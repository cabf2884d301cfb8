#pragma once
// Private to gyrus_gpu (and tests/gpu). Picks the next token from logits: greedy, or seeded
// sampling with temperature, top-k and top-p.

#include <ATen/ATen.h>

#include <cstdint>
#include <random>

namespace gyrus::gpu::detail {

struct SamplingOptions
{
    double temperature = 0.0;  ///< <= 0: greedy (argmax)
    int topK = 0;              ///< <= 0: no top-k cut
    double topP = 1.0;         ///< >= 1: no nucleus cut
    uint64_t seed = 0;
};

/// Sampling draws from its own std::mt19937_64, so a seed gives the same tokens on every device
/// and in every LibTorch version (the probabilities are computed on the host in double).
class Sampler
{
public:
    explicit Sampler(const SamplingOptions &options);

    /// The next token for logits [vocab] (any device or dtype).
    int64_t next(const at::Tensor &logits);

private:
    SamplingOptions m_options;
    std::mt19937_64 m_rng;
};

}  // namespace gyrus::gpu::detail
