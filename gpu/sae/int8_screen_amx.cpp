#include "gpu/sae/int8_screen_amx.h"

#include <asm/prctl.h>
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

// Tiles: 0-3 the int32 sums (16 rows x 16 latents each), 4-5 input rows (16 rows x 64 bytes),
// 6-7 latent blocks (16 groups of 4 inputs x 16 latents). tdpbusd adds
// Σ_k A[m][4k + i]·B[k][4n + i] (u8 x s8) into C[m][n]: one instruction is 16 x 16 x 64 products,
// 256x vpdpbusd's 64.

namespace gyrus::gpu::detail {

namespace {

#ifndef ARCH_REQ_XCOMP_PERM
#define ARCH_REQ_XCOMP_PERM 0x1023
#endif
constexpr int kXfeatureTileData = 18;

// ldtilecfg's 64 bytes: palette 1, then each tile's bytes a row and rows.
struct alignas(64) TileConfig
{
    uint8_t palette;
    uint8_t startRow;
    uint8_t reserved[14];
    uint16_t bytesPerRow[16];
    uint8_t rows[16];
};

// Constant-initialised (read-only data): GCC's _tile_loadconfig names only the first 8 bytes as
// its input, so a configuration written at run time could have its other stores dropped.
constexpr TileConfig kConfig = {
        1, 0, {}, {64, 64, 64, 64, 64, 64, 64, 64}, {16, 16, 16, 16, 16, 16, 16, 16}};

// RowTiles x Blocks tiles of sums (16 rows x 16 latents each) over the whole stride.
template <int RowTiles, int Blocks>
void tiles(const uint8_t *x, const int8_t *w, int64_t stride, int32_t *out, int64_t outStride)
{
    static_assert(RowTiles >= 1 && RowTiles <= 2 && Blocks >= 1 && Blocks <= 2);
    _tile_zero(0);
    if constexpr (Blocks == 2) {
        _tile_zero(1);
    }
    if constexpr (RowTiles == 2) {
        _tile_zero(2);
    }
    if constexpr (RowTiles == 2 && Blocks == 2) {
        _tile_zero(3);
    }
    const int64_t block = 16 * stride;
    for (int64_t k = 0; k < stride; k += 64) {
        _tile_loadd(4, x + k, stride);
        _tile_loadd(6, w + 16 * k, 64);
        _tile_dpbusd(0, 4, 6);
        if constexpr (Blocks == 2) {
            _tile_loadd(7, w + block + 16 * k, 64);
            _tile_dpbusd(1, 4, 7);
        }
        if constexpr (RowTiles == 2) {
            _tile_loadd(5, x + 16 * stride + k, stride);
            _tile_dpbusd(2, 5, 6);
        }
        if constexpr (RowTiles == 2 && Blocks == 2) {
            _tile_dpbusd(3, 5, 7);
        }
    }
    const int64_t bytes = outStride * int64_t(sizeof(int32_t));
    _tile_stored(0, out, bytes);
    if constexpr (Blocks == 2) {
        _tile_stored(1, out + 16, bytes);
    }
    if constexpr (RowTiles == 2) {
        _tile_stored(2, out + 16 * outStride, bytes);
    }
    if constexpr (RowTiles == 2 && Blocks == 2) {
        _tile_stored(3, out + 16 * outStride + 16, bytes);
    }
}

template <int Blocks>
void rowPairs(const uint8_t *x, int64_t rowTiles, const int8_t *w, int64_t stride, int32_t *out,
              int64_t outStride)
{
    int64_t t = 0;
    for (; t + 2 <= rowTiles; t += 2) {
        tiles<2, Blocks>(x + 16 * t * stride, w, stride, out + 16 * t * outStride, outStride);
    }
    if (t < rowTiles) {
        tiles<1, Blocks>(x + 16 * t * stride, w, stride, out + 16 * t * outStride, outStride);
    }
}

bool detectAmxInt8()
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    // The operating system saves the extended state (OSXSAVE) ...
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) {
        return false;
    }
    // ... the CPU has AMX-TILE (EDX bit 24) and AMX-INT8 (bit 25) ...
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(d & (1u << 24)) || !(d & (1u << 25))) {
        return false;
    }
    // ... the operating system enabled the tile configuration and data (XCR0 bits 17 and 18) ...
    uint32_t low = 0, high = 0;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    const uint64_t enabled = (uint64_t(high) << 32) | low;
    if ((enabled & (3ull << 17)) != (3ull << 17)) {
        return false;
    }
    // ... and Linux lets this process use them (it refuses, e.g., where a signal stack is too
    // small for the tiles' 8 KB).
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, kXfeatureTileData) == 0;
}

}  // namespace

bool amxInt8Available()
{
    static const bool available = detectAmxInt8();
    return available;
}

void amxInt8Dots(const uint8_t *x, int64_t rowTiles, const int8_t *w, int64_t blocks,
                 int64_t stride, int32_t *out, int64_t outStride)
{
    // The inputs were written by other functions; the tile loads' asm names no memory.
    __asm__ volatile("" ::: "memory");
    _tile_loadconfig(&kConfig);
    int64_t b = 0;
    for (; b + 2 <= blocks; b += 2) {
        rowPairs<2>(x, rowTiles, w + 16 * stride * b, stride, out + 16 * b, outStride);
    }
    if (b < blocks) {
        rowPairs<1>(x, rowTiles, w + 16 * stride * b, stride, out + 16 * b, outStride);
    }
    _tile_release();
}

}  // namespace gyrus::gpu::detail
