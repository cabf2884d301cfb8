#pragma once
// What an int8 screen of the SAE encoder would cost: u8 inputs against s8 weight rows with int32
// sums (AVX-512 VNNI vpdpbusd, 64 products per instruction against vdpbf16ps's 32), for
// bench_scale's encoder comparison only. The screen's result is approximate: an exact encode
// would still need a bf16 pass over the latents near their thresholds. No torch.

#include <cstdint>

namespace gyrus::bench {

/// True when this CPU and operating system run AVX-512 F, BW and VNNI.
bool int8DotsAvailable();

/// out[t·latents + j] = Σ_i x[t·d + i]·w[j·d + i] for t < rows, j < latents (d a multiple of 64).
/// Requires int8DotsAvailable().
void int8RowDots(const uint8_t *x, int64_t rows, const int8_t *w, int64_t latents, int64_t d,
                 int32_t *out);

}  // namespace gyrus::bench
