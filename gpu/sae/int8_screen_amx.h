#pragma once
// Private to int8_screen.cpp: the int8 screen's AMX kernel, in a file of its own because it is
// compiled with -mamx-tile -mamx-int8 (gpu/sae/CMakeLists.txt) and the rest of the build is not.
// No torch.

#include <cstdint>

namespace gyrus::gpu::detail {

/// True when this CPU has AMX-TILE and AMX-INT8 (CPUID), the operating system saves their state
/// (XCR0 bits 17 and 18), and Linux granted this process the tile data (arch_prctl, asked once).
bool amxInt8Available();

/// out[t·outStride + 16·b + c] = Σ_i x[t·stride + i]·v(16·b + c, i) (u8 x s8, int32) for rows
/// t < 16·rowTiles and latents c < 16 of the blocks b < blocks, where `w` holds the blocks in
/// Int8Encoder's layout (block b at w + 16·stride·b) and `stride` is a multiple of 64.
/// Requires amxInt8Available().
void amxInt8Dots(const uint8_t *x, int64_t rowTiles, const int8_t *w, int64_t blocks,
                 int64_t stride, int32_t *out, int64_t outStride);

}  // namespace gyrus::gpu::detail
