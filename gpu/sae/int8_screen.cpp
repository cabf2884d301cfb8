#include "gpu/sae/int8_screen.h"

#include "gpu/sae/int8_screen_amx.h"

#include <queue>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

#include <immintrin.h>

// The bound (screenBounds). For one row and one latent let x_i, w_i and c_i be the bf16 input,
// weights and centre as reals, b the float32 bias, p = fl(D + b) what bf16RowDots returns, D its
// float32 sum of the products x_i·w_i (each exact in float32) in the header's order. The screen
// has r_i = x_i − c_i (in double), q_i = round(r_i / S), v_i = round(w_i / T) with float
// scales S (the row's) and T (the latent's), I = Σ q_i·v_i exactly (int32), the latent's offset
// o = fl(C + b) with C = c·w summed by bf16RowDots, m = fl(fl(float(I))·fl(S·T)) and
// s = fl(m + o). u = 2^-24 is float32's unit roundoff; every per-row and per-latent quantity
// below is computed in double and rounded up to float.
//  1. Quantisation. r_i = S·q_i + e_i and w_i = T·v_i + f_i give r·w − S·T·I = Σ e_i·w_i +
//     Σ S·q_i·f_i, so by Cauchy-Schwarz |r·w − S·T·I| ≤ ‖e‖₂·‖w‖₂ + ‖S·q‖₂·‖f‖₂ (the residuals
//     e and f are computed exactly, not assumed to be ≤ S/2; for Gaussian-like rows this is
//     ~0.7x the max-norm form max|e|·‖w‖₁ + max|f|·‖S·q‖₁).
//  2. A float32 sum of d products in bf16RowDots' order: each product goes through at most
//     n = 2·ceil(d/32) + 4 additions (two per 32 values in its lane, then the four levels of the
//     lanes' tree), each with relative error ≤ u, so |D − a·w| ≤ γ_n·Σ|a_i·w_i| ≤
//     γ_n·‖a‖₂·‖w‖₂, γ_n = n·u / (1 − n·u) (Higham, Accuracy and Stability of Numerical
//     Algorithms, §4.2), for a = x (p's sum) and a = c (C). The AVX-512 BF16 instruction reads
//     inputs under 2^-126 as zero and flushes results under 2^-126: a flushed a_i moves its
//     product by < 2^-126·|w_i| (Σ ≤ 2^-126·√d·‖w‖₂), a flushed w_i by < 2^-126·|a_i|
//     (Σ ≤ 2^-126·√d·‖a‖₂), a flushed product or partial sum moves the sum by < 2^-126, at most
//     2·stride + 64 times.
//     Per row: R = ‖e‖₂ + 2^-50·‖r‖₂ + γ_n·‖x‖₂ + 2^-126·√d (the 2^-50 term: r_i in double is
//     within 2^-53·|r_i| of x_i − c_i where the two are 2^29 or more apart), Q = ‖S·q‖₂, the
//     constant k = 2^-126·(√d·‖x‖₂ + 2·stride + 64); per latent: W = ‖w‖₂, F = ‖f‖₂, and
//     O ≥ |o − (c·w + b)| = γ_n·‖c‖₂·W + 2^-126·(√d·(‖c‖₂ + W) + 2·stride + 64) + 2u·|o|
//     (the sum C, then its rounding with b). With x·w = r·w + c·w:
//     |D + b − S·T·I − o| ≤ R·W + Q·F + O + k.
//  3. Forming s: float(I), S·T and their product round with relative error ≤ u each, so
//     |m − S·T·I| ≤ 3.01u·|m|; s is within u·(|m| + |o|) of m + o; p = fl(D + b) is within
//     u·|D + b| ≤ u·(|m| + |o| + the bounds above) of D + b.
//  4. The bound's own float32 arithmetic (non-negative terms: relative error ≤ 8u of B) and the
//     rounding of s ± B (u·(|s| + B)).
// Together |p − s| plus the rounding of s ± B is at most R·W + Q·F + O + k + 6.1u·(|m| + |o|) +
// 10u·B. The screen uses
//     B = (R·W + Q·F + O + 2^-20·(|m| + |o|))·(1 + 2^-16) + k,
// where 2^-20 = 16u covers the 6.1u and 2^-16 = 256u the relative 10u, so
// lower = fl(s − B) ≤ p ≤ fl(s + B) = upper. Magnitudes are kept under 2^50 (inputs, centre and
// weights; larger rows take the plain encode) so that no sum here overflows, and d ≤ 32768 so
// that the int32 sums cannot (255·127·32768 < 2^31). The sums are integers, so every kernel gives
// the same I, whatever its order.

namespace gyrus::gpu::detail {

namespace {

constexpr int64_t kAlign = 64;  // int8 values per 512-bit register and per AMX tile row
constexpr int64_t kBlock = 16;  // latents a block (Int8Encoder::q), rows a tile
static_assert(255.0 * 127.0 * double(kMaxScreenDim) < 2147483648.0, "int32 sums overflow");
constexpr double kLargest = 0x1p50;  // larger magnitudes are not screened (overflow)
constexpr float kRelative = 0x1p-20f;
constexpr float kInflate = 1.0f + 0x1p-16f;
constexpr double kFlushed = 0x1p-126;

float fromBf16(uint16_t bits)
{
    const uint32_t word = uint32_t(bits) << 16;
    float value;
    std::memcpy(&value, &word, sizeof value);
    return value;
}

// The float at or above `value` (non-negative, finite), with a relative margin for the double
// arithmetic that computed it (sums of up to 32768 squares and a square root: relative error
// < 2^-36).
float roundUp(double value)
{
    const double widened = value * (1.0 + 0x1p-30);
    float f = float(widened);
    if (double(f) < widened) {
        f = std::nextafter(f, HUGE_VALF);
    }
    return f;
}

int64_t strideFor(int64_t d)
{
    return (d + kAlign - 1) / kAlign * kAlign;
}

// γ_n of step 2 for the additions one of bf16RowDots' sums goes through.
double sumGamma(int64_t d)
{
    const double additions = double(2 * ((d + 31) / 32) + 4);
    const double unit = 0x1p-24;
    return additions * unit / (1.0 - additions * unit);
}

// What one vector of bf16 values quantises to: q (written to `out` through `store`), the scale,
// and the exact residual and sums the bound needs. Returns false for a value that is not finite
// or above kLargest.
struct Quantised
{
    float scale = 0;
    int32_t sum = 0;       // Σ q_i
    double errors = 0;     // Σ (v_i − c_i − S·q_i)², each residual exact up to `centred`
    double squares = 0;    // Σ v_i²
    double centred = 0;    // Σ (v_i − c_i)²
    double quantised = 0;  // Σ (S·q_i)²
};

// `centre` (bf16 [d], may be null) is subtracted first, exactly (in double).
template <typename Store>
bool quantise(const uint16_t *v, const uint16_t *centre, int64_t d, Quantised &out, Store store)
{
    const auto centred = [&](int64_t i) {
        return double(fromBf16(v[i])) - (centre ? double(fromBf16(centre[i])) : 0.0);
    };
    double largest = 0;
    for (int64_t i = 0; i < d; ++i) {
        const double value = double(fromBf16(v[i]));
        if (!(std::fabs(value) <= kLargest)) {
            return false;
        }
        largest = std::max(largest, std::fabs(centred(i)));
    }
    // A vector of (near-)zeros keeps q = 0: its values are then its residuals.
    const float scale = largest >= 0x1p-100 ? float(largest) / 127.0f : 0.0f;
    const float inverse = scale > 0 ? 127.0f / float(largest) : 0.0f;
    out.scale = scale;
    int64_t squaresQ = 0;
    for (int64_t i = 0; i < d; ++i) {
        const double value = centred(i);
        const int32_t q = std::clamp(int32_t(std::nearbyint(float(value) * inverse)), -127, 127);
        store(i, q);
        out.sum += q;
        squaresQ += q * q;
        // S·q is exact in double (24 x 8 bits), and so is its difference from the centred value,
        // which itself is exact unless the two bf16 values are 2^29 apart or more (then it is
        // within 2^-53 of itself: quantiseRows adds 2^-50·‖v − c‖₂ to the bound for that).
        const double residual = value - double(scale) * q;
        out.errors += residual * residual;
        out.centred += value * value;
        const double raw = double(fromBf16(v[i]));
        out.squares += raw * raw;
    }
    out.quantised = double(scale) * double(scale) * double(squaresQ);
    return true;
}

int64_t paddedRows(int64_t rows)
{
    return (rows + kBlock - 1) / kBlock * kBlock;
}

// The kernels below compute whole blocks of 16 latents: blocks [firstBlock, firstBlock + blocks)
// into out[t·outStride + 16·b + c] (block b counted from firstBlock).

void portableDots(const Int8Rows &x, const Int8Encoder &e, int64_t firstBlock, int64_t blocks,
                  int32_t *out, int64_t outStride)
{
    for (int64_t t = 0; t < x.rows; ++t) {
        const uint8_t *row = x.q.data() + t * x.stride;
        for (int64_t c = 0; c < blocks * kBlock; ++c) {
            const int64_t j = firstBlock * kBlock + c;
            int32_t sum = 0;
            for (int64_t i = 0; i < x.stride; ++i) {
                sum += int32_t(row[i]) * int32_t(e.q[size_t(int8Offset(j, i, e.stride))]);
            }
            out[t * outStride + c] = sum;
        }
    }
}

#define GYRUS_AVX512_VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))

// Rows x Blocks registers of sums (16 latents each, no sums across lanes): per 4 inputs, one
// 64-byte load a block, and each row's 4 bytes broadcast to every latent of it; as many
// vpdpbusd per load as bf16_dots.cpp's 8 x 3 tile.
template <int Rows, int Blocks>
GYRUS_AVX512_VNNI void tile(const uint8_t *x, const int8_t *w, int64_t stride, int32_t *out,
                            int64_t outStride)
{
    __m512i acc[Rows][Blocks];
    for (int r = 0; r < Rows; ++r) {
        for (int c = 0; c < Blocks; ++c) {
            acc[r][c] = _mm512_setzero_si512();
        }
    }
    const int64_t block = kBlock * stride;
    for (int64_t k = 0; k < stride; k += 4) {
        __m512i weights[Blocks];
        for (int c = 0; c < Blocks; ++c) {
            weights[c] = _mm512_loadu_si512(w + c * block + kBlock * k);
        }
        for (int r = 0; r < Rows; ++r) {
            int32_t four;
            std::memcpy(&four, x + r * stride + k, sizeof four);
            const __m512i row = _mm512_set1_epi32(four);
            for (int c = 0; c < Blocks; ++c) {
                acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], row, weights[c]);
            }
        }
    }
    for (int r = 0; r < Rows; ++r) {
        for (int c = 0; c < Blocks; ++c) {
            _mm512_storeu_si512(out + r * outStride + c * kBlock, acc[r][c]);
        }
    }
}

template <int Blocks>
GYRUS_AVX512_VNNI void rowTiles(const Int8Rows &x, const int8_t *w, int32_t *out, int64_t outStride)
{
    const int64_t s = x.stride;
    int64_t t = 0;
    for (; t + 8 <= x.rows; t += 8) {
        tile<8, Blocks>(x.q.data() + t * s, w, s, out + t * outStride, outStride);
    }
    for (; t < x.rows; ++t) {
        tile<1, Blocks>(x.q.data() + t * s, w, s, out + t * outStride, outStride);
    }
}

GYRUS_AVX512_VNNI void avx512Dots(const Int8Rows &x, const Int8Encoder &e, int64_t firstBlock,
                                  int64_t blocks, int32_t *out, int64_t outStride)
{
    const int8_t *w = e.q.data() + firstBlock * kBlock * e.stride;
    int64_t c = 0;
    for (; c + 3 <= blocks; c += 3) {
        rowTiles<3>(x, w + c * kBlock * e.stride, out + c * kBlock, outStride);
    }
    for (; c < blocks; ++c) {
        rowTiles<1>(x, w + c * kBlock * e.stride, out + c * kBlock, outStride);
    }
}

bool vnniRuns()
{
    // libgcc's feature bits include the operating system's support for the 512-bit registers.
    static const bool runs = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vnni");
    }();
    return runs;
}

// `kernel`, or the next that runs here.
Int8DotKernel runnable(Int8DotKernel kernel)
{
    if (kernel == Int8DotKernel::Amx && !amxInt8Available()) {
        kernel = Int8DotKernel::Avx512Vnni;
    }
    if (kernel == Int8DotKernel::Avx512Vnni && !vnniRuns()) {
        kernel = Int8DotKernel::Portable;
    }
    return kernel;
}

// Blocks [firstBlock, firstBlock + blocks) by `kernel` (runnable). `out` has room for
// paddedRows(x.rows) rows.
void blockDots(const Int8Rows &x, const Int8Encoder &e, int64_t firstBlock, int64_t blocks,
               int32_t *out, int64_t outStride, Int8DotKernel kernel)
{
    switch (kernel) {
        case Int8DotKernel::Amx:
            amxInt8Dots(x.q.data(), paddedRows(x.rows) / kBlock,
                        e.q.data() + firstBlock * kBlock * e.stride, blocks, e.stride, out,
                        outStride);
            break;
        case Int8DotKernel::Avx512Vnni:
            avx512Dots(x, e, firstBlock, blocks, out, outStride);
            break;
        case Int8DotKernel::Portable:
            portableDots(x, e, firstBlock, blocks, out, outStride);
            break;
    }
}

// Step 3 and 4 of the derivation above for one row against `count` latents from `first`.
void bounds(const Int8Rows &x, int64_t t, const Int8Encoder &e, int64_t first, int64_t count,
            const int32_t *dots, float *upper, float *lower)
{
    const float rowScale = x.scale[size_t(t)];
    const float rowError = x.error[size_t(t)];
    const float rowQuantised = x.quantised[size_t(t)];
    const float tiny = x.flushed[size_t(t)];
    for (int64_t c = 0; c < count; ++c) {
        const size_t j = size_t(first + c);
        const int32_t exact = dots[c] - 128 * e.sum[j];  // the +128 offset taken back out
        const float m = float(exact) * (rowScale * e.scale[j]);
        const float o = e.offset[j];
        const float s = m + o;
        const float bound = (rowError * e.norm[j] + rowQuantised * e.error[j] + e.offsetError[j] +
                             kRelative * (std::fabs(m) + std::fabs(o))) *
                                    kInflate +
                            tiny;
        upper[j] = s + bound;
        if (lower) {
            lower[j] = s - bound;
        }
    }
}

}  // namespace

bool int8DotKernelRuns(Int8DotKernel kernel)
{
    return runnable(kernel) == kernel;
}

Int8DotKernel fastestInt8DotKernel()
{
    return runnable(Int8DotKernel::Amx);
}

Int8DotKernel screenInt8DotKernel()
{
    const char *name = std::getenv("GYRUS_SAE_SCREEN_KERNEL");
    const std::string wanted = name ? name : "";
    if (wanted == "amx") {
        return runnable(Int8DotKernel::Amx);
    }
    if (wanted == "vnni") {
        return runnable(Int8DotKernel::Avx512Vnni);
    }
    if (wanted == "portable") {
        return Int8DotKernel::Portable;
    }
    return fastestInt8DotKernel();
}

int64_t Int8Encoder::bytesFor(int64_t latents, int64_t d)
{
    return paddedRows(latents) * strideFor(d) + latents * 24 + d * 2;
}

Int8Encoder allocateInt8Encoder(int64_t latents, int64_t d, const uint16_t *centre)
{
    Int8Encoder e;
    e.latents = latents;
    e.d = d;
    e.stride = strideFor(d);
    e.q.assign(size_t(paddedRows(latents) * e.stride), 0);
    e.scale.assign(size_t(latents), 0.0f);
    e.sum.assign(size_t(latents), 0);
    e.error.assign(size_t(latents), 0.0f);
    e.norm.assign(size_t(latents), 0.0f);
    if (centre) {
        e.centre.assign(centre, centre + d);
    }
    e.offset.assign(size_t(latents), 0.0f);
    e.offsetError.assign(size_t(latents), 0.0f);
    return e;
}

bool quantiseEncoderRows(const uint16_t *w, int64_t begin, int64_t end, Int8Encoder &e)
{
    const int64_t d = e.d;
    for (int64_t j = begin; j < end; ++j) {
        int8_t *q = e.q.data();
        const int64_t stride = e.stride;
        Quantised r;
        if (!quantise(w + j * d, nullptr, d, r,
                      [&](int64_t i, int32_t v) { q[int8Offset(j, i, stride)] = int8_t(v); })) {
            return false;
        }
        e.scale[size_t(j)] = r.scale;
        e.sum[size_t(j)] = r.sum;
        e.error[size_t(j)] = roundUp(std::sqrt(r.errors));
        e.norm[size_t(j)] = roundUp(std::sqrt(r.squares));
    }
    return true;
}

bool centreEncoderRows(const uint16_t *w, const float *bias, int64_t begin, int64_t end,
                       Int8Encoder &e, Bf16DotKernel kernel)
{
    const int64_t d = e.d;
    if (e.centre.empty()) {
        for (int64_t j = begin; j < end; ++j) {
            e.offset[size_t(j)] = bias[j];  // exact: c = 0
            e.offsetError[size_t(j)] = 0.0f;
        }
        return true;
    }
    double squares = 0;
    for (const uint16_t bits : e.centre) {
        const double value = double(fromBf16(bits));
        if (!(std::fabs(value) <= kLargest)) {
            return false;
        }
        squares += value * value;
    }
    const double centreNorm = std::sqrt(squares);
    const double gamma = sumGamma(d);
    const double root = std::sqrt(double(d));
    // c·w_j into offset[j] (outStride 0: one row), then + b_j in float32.
    bf16RowDots(e.centre.data(), 1, w, begin, end, d, bias, e.offset.data(), 0, kernel);
    for (int64_t j = begin; j < end; ++j) {
        const double norm = double(e.norm[size_t(j)]);
        const double bound = gamma * centreNorm * norm +
                             kFlushed * (root * (centreNorm + norm) + double(2 * e.stride + 64)) +
                             2.0 * 0x1p-24 * std::fabs(double(e.offset[size_t(j)]));
        e.offsetError[size_t(j)] = roundUp(bound);
    }
    return true;
}

Int8Rows quantiseRows(const uint16_t *x, int64_t rows, const Int8Encoder &encoder)
{
    const int64_t d = encoder.d;
    const uint16_t *centre = encoder.centre.empty() ? nullptr : encoder.centre.data();
    Int8Rows out;
    out.rows = rows;
    out.d = d;
    out.stride = strideFor(d);
    out.q.assign(size_t(paddedRows(rows) * out.stride), uint8_t(128));
    out.scale.assign(size_t(rows), 0.0f);
    out.error.assign(size_t(rows), 0.0f);
    out.quantised.assign(size_t(rows), 0.0f);
    out.flushed.assign(size_t(rows), 0.0f);
    out.screened.assign(size_t(rows), 0);
    const double gamma = sumGamma(d);
    const double root = std::sqrt(double(d));
    for (int64_t t = 0; t < rows; ++t) {
        uint8_t *q = out.q.data() + t * out.stride;
        Quantised r;
        if (!quantise(x + t * d, centre, d, r,
                      [&](int64_t i, int32_t v) { q[i] = uint8_t(v + 128); })) {
            std::fill(q, q + out.stride, uint8_t(128));
            continue;
        }
        out.scale[size_t(t)] = r.scale;
        const double norm = std::sqrt(r.squares);
        out.error[size_t(t)] = roundUp(std::sqrt(r.errors) + 0x1p-50 * std::sqrt(r.centred) +
                                       gamma * norm + kFlushed * root);
        out.quantised[size_t(t)] = roundUp(std::sqrt(r.quantised));
        out.flushed[size_t(t)] = roundUp(kFlushed * (root * norm + double(2 * out.stride + 64)));
        out.screened[size_t(t)] = 1;
    }
    return out;
}

// The sums of latents [begin, end) by `kernel` (runnable) in groups of `group` latents, each
// handed to `use(first, count, sums)` with sums[t·stride + c] the sum of row t, latent first + c.
template <typename Use>
void groupDots(const Int8Rows &x, const Int8Encoder &e, int64_t begin, int64_t end, int64_t group,
               Int8DotKernel kernel, Use use)
{
    // The kernels compute whole blocks of 16 latents: a group that starts inside one needs
    // a block more.
    const int64_t stride = group + kBlock;
    std::vector<int32_t> dots(size_t(paddedRows(x.rows) * stride));
    for (int64_t first = begin; first < end; first += group) {
        const int64_t count = std::min(group, end - first);
        const int64_t firstBlock = first / kBlock;
        const int64_t blocks = (first + count + kBlock - 1) / kBlock - firstBlock;
        blockDots(x, e, firstBlock, blocks, dots.data(), stride, kernel);
        use(first, count, dots.data() + (first - firstBlock * kBlock), stride);
    }
}

void int8Dots(const Int8Rows &x, const Int8Encoder &encoder, int64_t begin, int64_t end,
              int32_t *out, int64_t outStride, Int8DotKernel kernel)
{
    groupDots(x, encoder, begin, end, 192, runnable(kernel),
              [&](int64_t first, int64_t count, const int32_t *sums, int64_t stride) {
                  for (int64_t t = 0; t < x.rows; ++t) {
                      std::copy(sums + t * stride, sums + t * stride + count,
                                out + t * outStride + (first - begin));
                  }
              });
}

void screenBounds(const Int8Rows &x, const Int8Encoder &encoder, int64_t begin, int64_t end,
                  float *upper, float *lower, int64_t outStride, Int8DotKernel kernel)
{
    // Latents in groups whose int8 rows stay in L2 (192 x 2304 = 442 KB) while every row goes
    // past them; the group's sums go through a small buffer into the bounds.
    groupDots(x, encoder, begin, end, 192, runnable(kernel),
              [&](int64_t first, int64_t count, const int32_t *sums, int64_t stride) {
                  for (int64_t t = 0; t < x.rows; ++t) {
                      if (x.screened[size_t(t)]) {
                          bounds(x, t, encoder, first, count, sums + t * stride,
                                 upper + t * outStride, lower ? lower + t * outStride : nullptr);
                      }
                  }
              });
}

bool exactFromScreen(const uint16_t *xRow, const uint16_t *w, int64_t n, int64_t d,
                     const float *bias, const float *upper, const float *lower,
                     const SparseRule &rule, int64_t maxCandidates, Bf16DotKernel kernel,
                     std::vector<int32_t> &features, std::vector<float> &values,
                     int64_t *candidates)
{
    // Every comparison is written so that a NaN bound would make a candidate, never drop one.
    std::vector<int32_t> chosen;
    if (rule.k > 0) {
        // The k-th largest lower bound: at least k latents are at or above it, so a latent
        // whose upper bound is below it cannot be among the k largest.
        std::priority_queue<float, std::vector<float>, std::greater<float>> largest;
        for (int64_t j = 0; j < n; ++j) {
            const float low = lower[j];
            if (int64_t(largest.size()) < rule.k) {
                largest.push(low == low ? low : -HUGE_VALF);
            } else if (low > largest.top()) {
                largest.pop();
                largest.push(low);
            }
        }
        const float cut = largest.top();
        for (int64_t j = 0; j < n; ++j) {
            if (!(upper[j] < cut) && !(upper[j] <= 0.0f)) {
                chosen.push_back(int32_t(j));
            }
        }
    } else {
        for (int64_t j = 0; j < n; ++j) {
            if (!(upper[j] <= (rule.threshold ? rule.threshold[j] : 0.0f))) {
                chosen.push_back(int32_t(j));
            }
        }
    }
    if (candidates) {
        *candidates += int64_t(chosen.size());
    }
    if (int64_t(chosen.size()) > maxCandidates) {
        return false;
    }
    std::vector<float> pre(chosen.size());
    bf16GatheredDots(xRow, w, chosen.data(), int64_t(chosen.size()), d, bias, pre.data(), kernel);
    if (rule.k > 0) {
        std::vector<float> positive;
        for (const float p : pre) {
            if (p > 0.0f) {
                positive.push_back(p);
            }
        }
        float least = 0.0f;  // the k-th largest positive value, when more than k are positive
        if (int64_t(positive.size()) > rule.k) {
            std::nth_element(positive.begin(), positive.begin() + rule.k - 1, positive.end(),
                             std::greater<float>());
            least = positive[size_t(rule.k - 1)];
            const float next = *std::max_element(positive.begin() + rule.k, positive.end());
            if (next == least) {
                return false;
            }
        }
        for (size_t c = 0; c < chosen.size(); ++c) {
            if (pre[c] > 0.0f && pre[c] >= least) {
                features.push_back(chosen[c]);
                values.push_back(pre[c]);
            }
        }
        return true;
    }
    // JumpReLU's pre·1[pre > θ] and ReLU's max(pre, 0), kept where they are not zero.
    for (size_t c = 0; c < chosen.size(); ++c) {
        const float limit = rule.threshold ? rule.threshold[chosen[c]] : 0.0f;
        if (pre[c] > limit && pre[c] != 0.0f) {
            features.push_back(chosen[c]);
            values.push_back(pre[c]);
        }
    }
    return true;
}

}  // namespace gyrus::gpu::detail
