#pragma once
// Private to gyrus_gpu (and tests/gpu). Rows of bf16 values against rows of bf16 weights with
// float32 accumulation, as the SAE encoder multiplies on the CPU: x·W_encᵀ for a bf16 encoder
// held as [d_sae, d_in] rows. On an AVX-512 BF16 CPU the kernel runs at the vdpbf16ps
// instruction's own rate (~1.1x LibTorch's bf16 matmul for 32 x 2304 x 131k on one core,
// bench/scale/README.md); what it adds is a sum in a stated order, in float32 to the end (the
// matmul rounds its output to bf16), the same whatever the threads or the blocking, so an encode
// in blocks, a subset of latents and the whole encode agree bit for bit.
// No torch: plain pointers, so the kernel's file needs no ATen headers.

#include <cstdint>

namespace gyrus::gpu::detail {

/// The code that computes the dot products. Both give the same float32 result bit for bit (the
/// same pairs, the same order of additions; see bf16RowDots), except that the AVX-512 BF16
/// instruction treats values below 2^-126 (subnormal inputs and partial sums) as zero.
enum class Bf16DotKernel
{
    Avx512Bf16,  ///< vdpbf16ps on 512-bit registers (AVX-512 F, BW and BF16)
    Portable,    ///< plain C++ in the same order (slow: a reference and a fallback)
};

/// Avx512Bf16 when this CPU and operating system support it, else Portable.
Bf16DotKernel fastestBf16DotKernel();

/// out[t·outStride + j] = bias[j] + Σ_i x[t·d + i]·w[j·d + i] for rows t < `rows` and latents
/// j in [latentBegin, latentEnd), in float32 from bf16 (raw bit patterns) `x` [rows, d] and `w`
/// [latents, d]; `bias` may be null. The order is fixed, whatever the blocking: d is taken 32
/// values at a time (zeros past its end); lane l of 16 float32 partial sums adds the product of
/// the pair's second value, then of its first (values 2l+1 and 2l of each 32), every product
/// exact in float32; the 16 lanes are then summed as l + (l+8), then + (l+4), then + (l+2), then
/// lane 0 + lane 1; the bias is added last.
void bf16RowDots(const uint16_t *x, int64_t rows, const uint16_t *w, int64_t latentBegin,
                 int64_t latentEnd, int64_t d, const float *bias, float *out, int64_t outStride,
                 Bf16DotKernel kernel);

/// out[c] = bias[j] + Σ_i x[i]·w[j·d + i] for j = latents[c], c < count: one row against listed
/// latents, each sum in bf16RowDots' order, so it equals that latent's bf16RowDots output bit for
/// bit. `bias` may be null.
void bf16GatheredDots(const uint16_t *x, const uint16_t *w, const int32_t *latents, int64_t count,
                      int64_t d, const float *bias, float *out, Bf16DotKernel kernel);

}  // namespace gyrus::gpu::detail
