#pragma once
// Private to gyrus_gpu (and tests/gpu): SAE releases that do not come as SAELens directories,
// read with the semantics their authors trained them with (model_families.md §2, §3, §4, §8).

#include "core/base/status.h"
#include "gpu/sae/sae_io.h"

#include <QString>

#include <memory>

namespace gyrus::gpu::detail {

class SaeModule;

/// Hook and model of a Gemma Scope (1 or 2) SAE, read from its release path the way SAELens
/// reads them from the repository id and folder: ".../gemma-scope-2b-pt-res/layer_12/width_16k/
/// average_l0_82" is blocks.12.hook_resid_post of gemma-2-2b. Empty fields when the path does not
/// say (a file copied elsewhere); `embedding` is true for the embedding SAEs (hook_embed).
struct GemmaScopeRelease
{
    QString hookName;
    QString modelName;
    bool embedding = false;
};

GemmaScopeRelease gemmaScopeReleaseFromPath(const QString &path);

/// A Gemma Scope params.npz (W_enc [d, n], W_dec [n, d], b_enc, b_dec, threshold; lower-case w_
/// accepted) or Gemma Scope 2 params.safetensors (w_enc, w_dec, b_enc, b_dec, threshold).
Result<std::shared_ptr<SaeModule>> loadGemmaScope(const QString &path, const QString &device);

/// A Llama Scope directory: hyperparams.json (readLlamaScopeInfo, gpu/sae/sae_directory.h) +
/// checkpoints/final.safetensors (encoder.weight
/// [d_sae, d_model], encoder.bias, decoder.weight [d_model, d_sae], decoder.bias).
Result<std::shared_ptr<SaeModule>> loadLlamaScope(const QString &directory, const QString &device);

}  // namespace gyrus::gpu::detail
