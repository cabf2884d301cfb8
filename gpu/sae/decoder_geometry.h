#pragma once
// Private to gyrus_gpu (and tests/gpu). Directions in a model's space against every decoder row of
// an SAE, without a float32 (or float64) copy of the whole decoder: a 262k x 2304 decoder is
// 1.2 GB in bf16, 2.4 GB as float32 and 4.8 GB as float64.

#include <ATen/ATen.h>

#include <cstdint>

namespace gyrus::gpu::detail {

class SaeModule;

/// Decoder rows converted to float32 at a time: 16k rows of d_in 4096 are 256 MiB.
inline constexpr int64_t kDecoderBlockRows = 16384;

/// cos(W_dec[f], direction) for every feature f: [d_sae] float32 on the CPU. `direction` is
/// [d_in] (any floating dtype and device); a zero row has cosine 0. The decoder is read
/// `blockRows` rows at a time in float32, so the extra memory is one block, not the decoder.
at::Tensor decoderCosines(const SaeModule &sae, const at::Tensor &direction,
                          int64_t blockRows = kDecoderBlockRows);

}  // namespace gyrus::gpu::detail
