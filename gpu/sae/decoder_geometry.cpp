#include "gpu/sae/decoder_geometry.h"

#include "gpu/sae/sae_module.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>

namespace gyrus::gpu::detail {

at::Tensor decoderCosines(const SaeModule &sae, const at::Tensor &direction, int64_t blockRows)
{
    c10::InferenceMode guard;
    const at::Tensor decoder = sae.weights().wDec;
    const at::Tensor target = direction.to(at::kCPU, at::kFloat).reshape({-1});
    const at::Tensor unit = target / target.norm().clamp_min(1e-12);
    const int64_t rows = decoder.size(0);
    const int64_t block = std::max<int64_t>(1, blockRows);
    at::Tensor cosine = at::empty({rows}, at::kFloat);
    for (int64_t begin = 0; begin < rows; begin += block) {
        const int64_t count = std::min(block, rows - begin);
        const at::Tensor part = decoder.narrow(0, begin, count).to(at::kCPU, at::kFloat);
        cosine.narrow(0, begin, count)
                .copy_(part.matmul(unit) / part.norm(2, {1}).clamp_min(1e-12));
    }
    return cosine;
}

}  // namespace gyrus::gpu::detail
