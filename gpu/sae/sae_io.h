#pragma once
// SAELens directories (ARCHITECTURE.md §5): `cfg.json` + `sae_weights.safetensors` (+ optional
// `sparsity.safetensors`). Gyrus writes inference-ready SAEs: the training input scale and (for
// ReLU) the decoder norms are folded into the weights, `normalize_activations` is "none", and
// the folded scale is recorded under cfg.json "gyrus" for provenance only. Torch-free.

#include "core/status.h"
#include "gpu/sae/sae_config.h"

#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace gyrus::gpu {

namespace detail {
class SaeModule;
}

/// What cfg.json says, plus where the weights are.
struct SaeFileInfo
{
    SaeConfig config;
    QString directory;
    QString savedArchitecture;      ///< as written in cfg.json ("standard", "topk", "jumprelu")
    QString trainedArchitecture;    ///< Gyrus files: "batchtopk" etc.; empty otherwise
    double foldedInputScale = 1.0;  ///< Gyrus files: the scale folded at export
};

/// Reads and checks cfg.json only (no weights): for listings and quick validation.
Result<SaeFileInfo> readSaeInfo(const QString &directory);

/// Loads a SAELens-layout directory written by SAELens (v6 or older cfg.json), Gemma Scope
/// conversions, or Gyrus, onto `device` as float32. A Gemma Scope release directory (params.npz,
/// no cfg.json) or the params.npz file itself loads as a JumpReLU SAE (hook name unset). An input
/// normalisation that SAELens would apply at inference ("expected_average_only_in" with
/// activation_scaler.json) is folded into the weights, so the module takes raw activations. Errors
/// name the file and the key or tensor (missing, wrong shape, unsupported architecture or
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
