#pragma once
// Fixtures shared by the tests in tests/gpu: a tiny random-weight Llama that uses the demo
// tokenizer, and an SAE whose reconstruction is known exactly.

#include "core/base/status.h"
#include "gpu/sae/sae_module.h"

#include <QString>

namespace gyrus::test {

/// Writes a random Llama (2 layers, d_model `width`, 4 heads over 2 KV heads, SwiGLU 2·width,
/// vocabulary 4096, tied) with datasets/demo/tokenizer/tokenizer.model into `directory`.
Status writeTinyDemoVocabModel(const QString &directory, int width, quint64 seed);

/// A ReLU SAE on `hook` with W_enc = [I, −I] and W_dec = scale·[I; −I]: relu(x) − relu(−x) = x,
/// so scale 1 reconstructs perfectly, 0 reconstructs nothing, and feature j (j < width) is
/// relu(x_j), feature width + j is relu(−x_j).
gpu::detail::SaeModule mirrorSae(int width, double decoderScale = 1.0,
                                 const QString &hook = QStringLiteral("blocks.1.hook_resid_post"));

/// The same mirror SAE of `like`'s width on `hook`, keeping `like`'s other settings (BOS,
/// normalisation, dtype…) so it can sit beside a loaded SAE of that kind; b_dec is not subtracted
/// from the input.
gpu::detail::SaeModule mirrorSae(SaeConfig like, double decoderScale, const QString &hook);

}  // namespace gyrus::test
