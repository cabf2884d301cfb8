#include "bench/scale/int8_dots_probe.h"

#include <immintrin.h>

namespace gyrus::bench {

namespace {

#define GYRUS_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

// GCC 12 warns on its own _mm512_reduce_add_epi32 (an undefined register in the intrinsic).
GYRUS_AVX512_VNNI int32_t sumLanes(__m512i v)
{
    alignas(64) int32_t lanes[16];
    _mm512_store_si512(lanes, v);
    int32_t total = 0;
    for (const int32_t lane : lanes) {
        total += lane;
    }
    return total;
}

// The same tile as the engine's bf16 kernel (gpu/sae/bf16_dots.cpp): 8 rows x 3 latents.
template <int Rows, int Latents>
GYRUS_AVX512_VNNI void tile(const uint8_t *x, const int8_t *w, int64_t d, int32_t *out,
                            int64_t outStride)
{
    __m512i acc[Rows][Latents];
    for (int r = 0; r < Rows; ++r) {
        for (int c = 0; c < Latents; ++c) {
            acc[r][c] = _mm512_setzero_si512();
        }
    }
    for (int64_t k = 0; k < d; k += 64) {
        __m512i weights[Latents];
        for (int c = 0; c < Latents; ++c) {
            weights[c] = _mm512_loadu_si512(w + c * d + k);
        }
        for (int r = 0; r < Rows; ++r) {
            const __m512i row = _mm512_loadu_si512(x + r * d + k);
            for (int c = 0; c < Latents; ++c) {
                acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], row, weights[c]);
            }
        }
    }
    for (int r = 0; r < Rows; ++r) {
        for (int c = 0; c < Latents; ++c) {
            out[r * outStride + c] = sumLanes(acc[r][c]);
        }
    }
}

template <int Latents>
GYRUS_AVX512_VNNI void rowTiles(const uint8_t *x, int64_t rows, const int8_t *w, int64_t d,
                                int32_t *out, int64_t outStride)
{
    int64_t t = 0;
    for (; t + 8 <= rows; t += 8) {
        tile<8, Latents>(x + t * d, w, d, out + t * outStride, outStride);
    }
    for (; t < rows; ++t) {
        tile<1, Latents>(x + t * d, w, d, out + t * outStride, outStride);
    }
}

}  // namespace

bool int8DotsAvailable()
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
}

void int8RowDots(const uint8_t *x, int64_t rows, const int8_t *w, int64_t latents, int64_t d,
                 int32_t *out)
{
    constexpr int64_t kGroup = 192;  // latents whose weights stay in L2 while the rows go by
    for (int64_t group = 0; group < latents; group += kGroup) {
        const int64_t end = group + kGroup < latents ? group + kGroup : latents;
        int64_t j = group;
        for (; j + 3 <= end; j += 3) {
            rowTiles<3>(x, rows, w + j * d, d, out + j, latents);
        }
        for (; j < end; ++j) {
            rowTiles<1>(x, rows, w + j * d, d, out + j, latents);
        }
    }
}

}  // namespace gyrus::bench
