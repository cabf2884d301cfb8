#include "gpu/model/sampler.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace gyrus::gpu::detail {

Sampler::Sampler(const SamplingOptions &options)
    : m_options(options)
    , m_rng(options.seed)
{}

int64_t Sampler::next(const at::Tensor &logits)
{
    const at::Tensor row = logits.reshape({-1}).to(at::kCPU, at::kFloat);
    if (m_options.temperature <= 0.0) {
        return row.argmax().item<int64_t>();
    }
    const int64_t vocab = row.numel();
    const int64_t keep = m_options.topK > 0 ? std::min<int64_t>(m_options.topK, vocab) : vocab;
    // Sorted descending; ties keep the lower id first so that results do not depend on the sort.
    const auto [values, indices] = keep < vocab ? row.topk(keep) : row.sort(-1, true);
    const at::Tensor sortedValues = values.contiguous();
    const at::Tensor sortedIndices = indices.contiguous();
    const float *v = sortedValues.data_ptr<float>();
    const int64_t *id = sortedIndices.data_ptr<int64_t>();

    std::vector<double> probs(static_cast<size_t>(keep));
    const double top = static_cast<double>(v[0]) / m_options.temperature;
    double sum = 0.0;
    for (int64_t i = 0; i < keep; ++i) {
        probs[static_cast<size_t>(i)] =
                std::exp(static_cast<double>(v[i]) / m_options.temperature - top);
        sum += probs[static_cast<size_t>(i)];
    }
    // Nucleus: the shortest prefix whose mass reaches top_p (always at least one token).
    int64_t cut = keep;
    if (m_options.topP < 1.0) {
        double mass = 0.0;
        for (int64_t i = 0; i < keep; ++i) {
            mass += probs[static_cast<size_t>(i)] / sum;
            if (mass >= m_options.topP) {
                cut = i + 1;
                break;
            }
        }
    }
    double kept = 0.0;
    for (int64_t i = 0; i < cut; ++i) {
        kept += probs[static_cast<size_t>(i)];
    }
    const double u = std::uniform_real_distribution<double>(0.0, kept)(m_rng);
    double acc = 0.0;
    for (int64_t i = 0; i < cut; ++i) {
        acc += probs[static_cast<size_t>(i)];
        if (u < acc) {
            return id[i];
        }
    }
    return id[cut - 1];
}

}  // namespace gyrus::gpu::detail
