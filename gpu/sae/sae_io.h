#pragma once
// SAELens directories (ARCHITECTURE.md §5): `cfg.json` + `sae_weights.safetensors` (+ optional
// `sparsity.safetensors`). Gyrus writes inference-ready SAEs: the training input scale and (for
// ReLU) the decoder norms are folded into the weights, `normalize_activations` is "none", and
// the folded scale is recorded under cfg.json "gyrus" for provenance only. Torch-free.

#include "core/base/status.h"
#include "core/sae/sae_config.h"
#include "gpu/sae/sae_directory.h"

#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

/// Loads a published or Gyrus-trained SAE onto `device` as float32, so that it encodes exactly
/// as it was trained (shared/reference/sae_sota.md §4, model_families.md §8):
/// - a SAELens directory (cfg.json + sae_weights.safetensors) of any SAELens version: standard
///   (ReLU), topk (also pre-6 "activation_fn_str": "topk" and rescale_acts_by_decoder_norm),
///   jumprelu (also BatchTopK and Matryoshka exports); normalize_activations none,
///   expected_average_only_in (activation_scaler.json, folded), constant_norm_rescale and
///   layer_norm (per token, in the module); model_from_pretrained_kwargs.center_writing_weights
///   (the module centres its input); prepend_bos; hook_name/hook_point;
/// - a Gemma Scope release directory (params.npz, or params.safetensors of Gemma Scope 2) or the
///   params.npz file itself: JumpReLU without b_dec on the input; hook and model are read from a
///   release path such as gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82 when it has one;
/// - a Llama Scope directory (hyperparams.json + checkpoints/final.safetensors): JumpReLU with one
///   threshold after the dataset-norm input scaling √d_model / dataset_average_activation_norm.
/// Errors name the file and the key or tensor (missing, wrong shape, unsupported architecture or
/// normalisation).
Result<std::shared_ptr<detail::SaeModule>> loadSae(const QString &directory,
                                                   const QString &device = QStringLiteral("cpu"));

struct SaeSaveExtras
{
    QString trainedArchitecture;  ///< "batchtopk" when a BatchTopK SAE is saved as JumpReLU
    double foldedInputScale = 1.0;
    std::vector<float> featureDensity;  ///< [d_sae] fraction of tokens; writes sparsity.safetensors
    int64_t trainingTokens = 0;
};

/// Writes `module` (raw units, as loadSae() returns) to `directory` (created if needed). A
/// BatchTopK module is written as architecture "jumprelu" with its threshold.
Status saveSae(const detail::SaeModule &module, const QString &directory,
               const SaeSaveExtras &extras = {});

}  // namespace gyrus::gpu
