#pragma once
// Private to gyrus_gpu (and tests/gpu). An exact sparse encode of a wide bf16 SAE on the CPU that
// screens first: every latent's pre-activation is estimated with int8 dot products (u8 x s8 with
// int32 sums: AMX's tdpbusd or AVX-512 VNNI's vpdpbusd, bench/scale/README.md) together with a
// proven bound on how far the estimate can be from what bf16RowDots returns; only the latents
// whose bound reaches their threshold (or the TopK cut) are computed exactly, by bf16RowDots'
// own sums. A sparse encode through the screen therefore equals the plain one index for index
// and value for value; a trained SAE fires tens of latents a token, so the exact pass is a small
// fraction of the work. The int8 copy costs d_sae x d_in bytes beside the bf16 encoder.
// No torch: plain pointers, so the file needs no ATen headers.

#include "gpu/sae/bf16_dots.h"

#include <cstdint>
#include <vector>

namespace gyrus::gpu::detail {

/// The code that computes the int8 dot products: all give the same int32 sums (integers are
/// exact whatever the order, and cannot overflow: |Σ| ≤ 255·127·d < 2^31 for d ≤
/// kMaxScreenDim).
enum class Int8DotKernel
{
    Amx,         ///< tdpbusd on AMX tiles (int8_screen_amx.cpp): 16 rows x 16 latents at once
    Avx512Vnni,  ///< vpdpbusd on 512-bit registers (AVX-512 F, BW and VNNI)
    Portable,    ///< plain C++ (slow: a reference and a fallback)
};

/// The widest input the screen takes (its int32 sums stay exact up to 66,311).
constexpr int64_t kMaxScreenDim = 32768;

/// True when `kernel` runs on this CPU and operating system (for Amx: the process was also
/// granted the tiles' state by the kernel, which is asked once).
bool int8DotKernelRuns(Int8DotKernel kernel);

/// Amx, else Avx512Vnni, else Portable: the first that runs here.
Int8DotKernel fastestInt8DotKernel();

/// The kernel the encode screen uses: fastestInt8DotKernel(), or the one GYRUS_SAE_SCREEN_KERNEL
/// names (amx, vnni or portable) where it runs here. Read at each call, so that a benchmark can
/// compare the kernels in one process.
Int8DotKernel screenInt8DotKernel();

/// The int8 copy of a bf16 encoder held as [latents, d] rows, quantised per latent
/// (symmetric: q_ji = round(w_ji / S_j), S_j = max_i |w_ji| / 127), with what the screen's
/// bound needs per latent, and an optional centre c: the screen quantises x − c and adds
/// c·w_j + b_j (precomputed), so a component every input shares (a residual stream's mean, its
/// massive-activation dimensions; an SAE's b_dec is near them) costs the int8 inputs no range.
/// Every bound below is rounded up, never down.
struct Int8Encoder
{
    int64_t latents = 0;
    int64_t d = 0;
    int64_t stride = 0;  ///< d rounded up to 64; q is zero past d
    /// In blocks of 16 latents (the last padded with zeros), each [stride / 4][16][4]: q_ji at
    /// int8Offset(j, i, stride). Every kernel reads this one layout: it is AMX's for the B tile
    /// (16 latents x 4 consecutive inputs a 64-byte row) and, for VNNI, one 64-byte load holds 4
    /// inputs of 16 latents, against which 4 bytes of a row are broadcast.
    std::vector<int8_t> q;
    std::vector<float> scale;      ///< S_j
    std::vector<int32_t> sum;      ///< Σ_i q_ji: corrects the inputs' +128 offset
    std::vector<float> error;      ///< ≥ ‖w_j − S_j·q_j‖₂ (the quantisation's residual)
    std::vector<float> norm;       ///< ≥ ‖w_j‖₂
    std::vector<uint16_t> centre;  ///< c in bf16 [d]; empty: no centre (c = 0)
    std::vector<float> offset;     ///< fl(c·w_j + b_j), c·w_j as bf16RowDots sums it
    std::vector<float> offsetError;  ///< ≥ |offset_j − (c·w_j + b_j)|

    /// The bytes an encoder of this shape holds (the int8 matrix plus 24 bytes a latent).
    static int64_t bytesFor(int64_t latents, int64_t d);
};

/// Where Int8Encoder::q holds latent j's input i.
inline int64_t int8Offset(int64_t j, int64_t i, int64_t stride)
{
    return (j / 16) * 16 * stride + (i / 4) * 64 + (j % 16) * 4 + i % 4;
}

/// An encoder of `latents` x `d` with its storage allocated, to be filled by
/// quantiseEncoderRows and centreEncoderRows (threads may fill disjoint ranges of latents).
/// `centre` (bf16 [d]) may be null: no centre.
Int8Encoder allocateInt8Encoder(int64_t latents, int64_t d, const uint16_t *centre = nullptr);

/// Quantises rows [begin, end) of the bf16 encoder `w` [latents, d] into `encoder`. Returns false
/// when a weight is not finite or above 2^50 in magnitude (the bound's sums could overflow): the
/// screen is then not used.
bool quantiseEncoderRows(const uint16_t *w, int64_t begin, int64_t end, Int8Encoder &encoder);

/// The offsets of latents [begin, end): c·w_j (by bf16RowDots with `kernel`) + bias[j], with
/// their bound; after quantiseEncoderRows of the same latents (it needs their norms). Returns
/// false when the centre is not finite or above 2^50.
bool centreEncoderRows(const uint16_t *w, const float *bias, int64_t begin, int64_t end,
                       Int8Encoder &encoder, Bf16DotKernel kernel);

/// Rows of bf16 inputs (the encoder's input as bf16RowDots sees it), less the encoder's centre,
/// quantised per row: q_ti = round((x_ti − c_i) / S_t), S_t = max_i |x_ti − c_i| / 127, stored as
/// q + 128 (unsigned for vpdpbusd).
struct Int8Rows
{
    int64_t rows = 0;
    int64_t d = 0;
    int64_t stride = 0;
    /// [rows rounded up to 16, stride], q + 128 (128 past d and in the padding rows, which the
    /// AMX kernel reads as whole 16-row tiles).
    std::vector<uint8_t> q;
    std::vector<float> scale;  ///< S_t
    std::vector<float> error;  ///< ≥ ‖x_t − c − S_t·q_t‖₂ + γ·‖x_t‖₂ + 2^-126·√d (source)
    std::vector<float> quantised;   ///< ≥ ‖S_t·q_t‖₂
    std::vector<float> flushed;     ///< ≥ 2^-126·(√d·‖x_t‖₂ + 2·stride + 64)
    std::vector<uint8_t> screened;  ///< 0: a value is not finite or above 2^50 (plain encode)
};

/// Quantises `rows` rows of bf16 `x` [rows, d] for `encoder` (less its centre).
Int8Rows quantiseRows(const uint16_t *x, int64_t rows, const Int8Encoder &encoder);

/// The int32 sums Σ_i q_ti·v_ji (q + 128 as stored, against the latents' int8 values) of every
/// row t (not the padding) against latents j in [begin, end), into out[t·outStride + j − begin],
/// by `kernel` where it runs here (else the next in fastestInt8DotKernel()'s order). Every kernel
/// gives the same sums.
void int8Dots(const Int8Rows &x, const Int8Encoder &encoder, int64_t begin, int64_t end,
              int32_t *out, int64_t outStride, Int8DotKernel kernel);

/// For latents j in [begin, end) of every screened row t: upper[t·outStride + j] ≥ p ≥
/// lower[t·outStride + j], where p is what bf16RowDots returns for (t, j) with the bias the
/// encoder's offsets were made with (on either of its kernels). `lower` may be null. The
/// derivation of the bound is in the source.
void screenBounds(const Int8Rows &x, const Int8Encoder &encoder, int64_t begin, int64_t end,
                  float *upper, float *lower, int64_t outStride, Int8DotKernel kernel);

/// The activation function of the sparse encode.
struct SparseRule
{
    /// JumpReLU and BatchTopK: latent j fires where its pre-activation p > threshold[j] (p at
    /// the threshold stays off); null: ReLU (p > 0).
    const float *threshold = nullptr;
    /// > 0: TopK, the k largest of ReLU(p) (threshold unused).
    int64_t k = 0;
};

/// One row's sparse activations from its screened bounds (`upper`, and `lower` for TopK, over
/// all n latents): the candidates (upper above the threshold, or for TopK upper ≥ the k-th
/// largest lower bound and > 0) are computed exactly with bf16GatheredDots from the row's bf16
/// input `xRow` and the encoder `w` [n, d], the rule applied to them, and the active latents
/// appended to `features`/`values` in ascending order. Returns false, appending nothing, when
/// the row is better or only done by the plain encode: more than `maxCandidates` candidates (a
/// row whose bound is wide, e.g. one with a massive activation: one latent at a time would read
/// the whole encoder per row), or TopK with the k-th and (k+1)-th values equal (LibTorch's topk
/// breaks such ties its own way). `candidates` (optional) is increased by the number of
/// candidates, whether computed or not.
bool exactFromScreen(const uint16_t *xRow, const uint16_t *w, int64_t n, int64_t d,
                     const float *bias, const float *upper, const float *lower,
                     const SparseRule &rule, int64_t maxCandidates, Bf16DotKernel kernel,
                     std::vector<int32_t> &features, std::vector<float> &values,
                     int64_t *candidates = nullptr);

}  // namespace gyrus::gpu::detail
