#include "gpu/sae/bf16_dots.h"

#include <algorithm>
#include <cstring>

#include <immintrin.h>

namespace gyrus::gpu::detail {

namespace {

constexpr int64_t kChunk = 32;  // bf16 values per 512-bit register
constexpr int kLanes = 16;      // float32 partial sums per dot product

float fromBf16(uint16_t bits)
{
    const uint32_t word = uint32_t(bits) << 16;
    float value;
    std::memcpy(&value, &word, sizeof value);
    return value;
}

// The lanes summed in the order the header states.
float sumLanes(const float *lane)
{
    float s8[8];
    float s4[4];
    for (int i = 0; i < 8; ++i) {
        s8[i] = lane[i] + lane[i + 8];
    }
    for (int i = 0; i < 4; ++i) {
        s4[i] = s8[i] + s8[i + 4];
    }
    const float s20 = s4[0] + s4[2];
    const float s21 = s4[1] + s4[3];
    return s20 + s21;
}

float portableDot(const uint16_t *x, const uint16_t *w, int64_t d)
{
    float lane[kLanes] = {};
    for (int64_t k = 0; k < d; k += kChunk) {
        for (int l = 0; l < kLanes; ++l) {
            const int64_t second = k + 2 * l + 1;
            const int64_t first = k + 2 * l;
            const float b = second < d ? fromBf16(x[second]) * fromBf16(w[second]) : 0.0F;
            const float a = first < d ? fromBf16(x[first]) * fromBf16(w[first]) : 0.0F;
            lane[l] += b;
            lane[l] += a;
        }
    }
    return sumLanes(lane);
}

void portableRowDots(const uint16_t *x, int64_t rows, const uint16_t *w, int64_t latentBegin,
                     int64_t latentEnd, int64_t d, const float *bias, float *out, int64_t outStride)
{
    for (int64_t t = 0; t < rows; ++t) {
        for (int64_t j = latentBegin; j < latentEnd; ++j) {
            const float dot = portableDot(x + t * d, w + j * d, d);
            out[t * outStride + j] = bias ? dot + bias[j] : dot;
        }
    }
}

void portableGatheredDots(const uint16_t *x, const uint16_t *w, const int32_t *latents,
                          int64_t count, int64_t d, const float *bias, float *out)
{
    for (int64_t c = 0; c < count; ++c) {
        const int64_t j = latents[c];
        const float dot = portableDot(x, w + j * d, d);
        out[c] = bias ? dot + bias[j] : dot;
    }
}

#define GYRUS_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512dq,avx512bf16")))

GYRUS_AVX512_BF16 float sumLanes(__m512 v)
{
    // l + (l+8), then + (l+4), then lanes 0,1 + 2,3, then 0 + 1: sumLanes(const float *).
    const __m256 s8 = _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1));
    const __m128 s4 = _mm_add_ps(_mm256_extractf128_ps(s8, 0), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(s2) + _mm_cvtss_f32(_mm_shuffle_ps(s2, s2, 1));
}

// A tile of Rows x Latents dot products: each latent's 32 values are loaded once per step and
// used for every row, each row's for every latent; Rows·Latents accumulators stay in registers.
template <int Rows, int Latents>
GYRUS_AVX512_BF16 void tile(const uint16_t *x, const uint16_t *w, int64_t d, const float *bias,
                            float *out, int64_t outStride)
{
    __m512 acc[Rows][Latents];
    for (int r = 0; r < Rows; ++r) {
        for (int c = 0; c < Latents; ++c) {
            acc[r][c] = _mm512_setzero_ps();
        }
    }
    for (int64_t k = 0; k < d; k += kChunk) {
        // Past d the values are zeros (a masked load), which add +0 to every lane.
        const __mmask32 mask = d - k >= kChunk ? ~__mmask32(0) : (__mmask32(1) << (d - k)) - 1;
        __m512i weights[Latents];
        for (int c = 0; c < Latents; ++c) {
            weights[c] = _mm512_maskz_loadu_epi16(mask, w + c * d + k);
        }
        for (int r = 0; r < Rows; ++r) {
            const __m512i row = _mm512_maskz_loadu_epi16(mask, x + r * d + k);
            for (int c = 0; c < Latents; ++c) {
                acc[r][c] = _mm512_dpbf16_ps(acc[r][c], __m512bh(row), __m512bh(weights[c]));
            }
        }
    }
    for (int r = 0; r < Rows; ++r) {
        for (int c = 0; c < Latents; ++c) {
            const float dot = sumLanes(acc[r][c]);
            out[r * outStride + c] = bias ? dot + bias[c] : dot;
        }
    }
}

template <int Latents>
GYRUS_AVX512_BF16 void rowTiles(const uint16_t *x, int64_t rows, const uint16_t *w, int64_t d,
                                const float *bias, float *out, int64_t outStride)
{
    // 8 rows x 3 latents is the fastest tile measured for 32 x 2304 x 131k on one core
    // (59 GFLOP/s against 49-51 for 4x6, 3x8 and 12x2); rows left over go 4, 2, 1 at a time.
    int64_t t = 0;
    for (; t + 8 <= rows; t += 8) {
        tile<8, Latents>(x + t * d, w, d, bias, out + t * outStride, outStride);
    }
    if (t + 4 <= rows) {
        tile<4, Latents>(x + t * d, w, d, bias, out + t * outStride, outStride);
        t += 4;
    }
    if (t + 2 <= rows) {
        tile<2, Latents>(x + t * d, w, d, bias, out + t * outStride, outStride);
        t += 2;
    }
    if (t < rows) {
        tile<1, Latents>(x + t * d, w, d, bias, out + t * outStride, outStride);
    }
}

GYRUS_AVX512_BF16 void avx512RowDots(const uint16_t *x, int64_t rows, const uint16_t *w,
                                     int64_t latentBegin, int64_t latentEnd, int64_t d,
                                     const float *bias, float *out, int64_t outStride)
{
    // Latents in groups whose weights stay in the core's L2 cache (192 x 2304 bf16 = 864 KB)
    // while every row goes past them: the weights are read from memory once per call.
    constexpr int64_t kGroup = 192;
    for (int64_t group = latentBegin; group < latentEnd; group += kGroup) {
        const int64_t groupEnd = std::min(latentEnd, group + kGroup);
        int64_t j = group;
        for (; j + 3 <= groupEnd; j += 3) {
            rowTiles<3>(x, rows, w + j * d, d, bias ? bias + j : nullptr, out + j, outStride);
        }
        for (; j < groupEnd; ++j) {
            rowTiles<1>(x, rows, w + j * d, d, bias ? bias + j : nullptr, out + j, outStride);
        }
    }
}

// One row against Latents listed latents: tile<1, Latents>'s sums, each latent's weights from
// its own row of w. Several independent rows keep several sums (and memory streams) in flight:
// the listed rows are usually far apart in a wide encoder and come from memory.
template <int Latents>
GYRUS_AVX512_BF16 void gatheredTile(const uint16_t *x, const uint16_t *w, const int32_t *latents,
                                    int64_t d, const float *bias, float *out)
{
    __m512 acc[Latents];
    const uint16_t *rows[Latents];
    for (int c = 0; c < Latents; ++c) {
        acc[c] = _mm512_setzero_ps();
        rows[c] = w + int64_t(latents[c]) * d;
    }
    for (int64_t k = 0; k < d; k += kChunk) {
        const __mmask32 mask = d - k >= kChunk ? ~__mmask32(0) : (__mmask32(1) << (d - k)) - 1;
        const __m512i row = _mm512_maskz_loadu_epi16(mask, x + k);
        for (int c = 0; c < Latents; ++c) {
            const __m512i weights = _mm512_maskz_loadu_epi16(mask, rows[c] + k);
            acc[c] = _mm512_dpbf16_ps(acc[c], __m512bh(row), __m512bh(weights));
        }
    }
    for (int c = 0; c < Latents; ++c) {
        const float dot = sumLanes(acc[c]);
        out[c] = bias ? dot + bias[latents[c]] : dot;
    }
}

GYRUS_AVX512_BF16 void avx512GatheredDots(const uint16_t *x, const uint16_t *w,
                                          const int32_t *latents, int64_t count, int64_t d,
                                          const float *bias, float *out)
{
    int64_t c = 0;
    for (; c + 4 <= count; c += 4) {
        gatheredTile<4>(x, w, latents + c, d, bias, out + c);
    }
    for (; c < count; ++c) {
        gatheredTile<1>(x, w, latents + c, d, bias, out + c);
    }
}

}  // namespace

Bf16DotKernel fastestBf16DotKernel()
{
    // libgcc's feature bits include the operating system's support for the 512-bit registers.
    static const Bf16DotKernel kernel = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                               __builtin_cpu_supports("avx512dq") &&
                               __builtin_cpu_supports("avx512bf16")
                       ? Bf16DotKernel::Avx512Bf16
                       : Bf16DotKernel::Portable;
    }();
    return kernel;
}

void bf16RowDots(const uint16_t *x, int64_t rows, const uint16_t *w, int64_t latentBegin,
                 int64_t latentEnd, int64_t d, const float *bias, float *out, int64_t outStride,
                 Bf16DotKernel kernel)
{
    if (kernel == Bf16DotKernel::Avx512Bf16 &&
        fastestBf16DotKernel() == Bf16DotKernel::Avx512Bf16) {
        avx512RowDots(x, rows, w, latentBegin, latentEnd, d, bias, out, outStride);
    } else {
        portableRowDots(x, rows, w, latentBegin, latentEnd, d, bias, out, outStride);
    }
}

void bf16GatheredDots(const uint16_t *x, const uint16_t *w, const int32_t *latents, int64_t count,
                      int64_t d, const float *bias, float *out, Bf16DotKernel kernel)
{
    if (kernel == Bf16DotKernel::Avx512Bf16 &&
        fastestBf16DotKernel() == Bf16DotKernel::Avx512Bf16) {
        avx512GatheredDots(x, w, latents, count, d, bias, out);
    } else {
        portableGatheredDots(x, w, latents, count, d, bias, out);
    }
}

}  // namespace gyrus::gpu::detail
