#pragma once
// What the engine thread holds between requests: the model, the SAE, and caches the request
// handlers share. Every member is touched on the engine thread only (the runner's worker), so it
// needs no lock. Each area's requests live in their own torch_engine_*.cpp.

#include "core/base/status.h"
#include "core/engine/engine_types.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/steering/steering_run.h"

#include <map>
#include <memory>
#include <vector>

namespace gyrus::gpu {

struct CorpusScan;

namespace detail {
class SaeModule;
}

struct ContrastMemo;  // gpu/analysis/contrast_analysis.h

struct EngineState
{
    std::unique_ptr<LanguageModel> model;
    ModelInfo modelCard;  ///< the card of `model`
    std::shared_ptr<detail::SaeModule> sae;
    SaeInfo saeInfo;  ///< the card of `sae` (engine-thread copy)
    /// Bumped by every setModel()/setSae(): a request that spans slices remembers the epoch it
    /// started with and stops when it changed (a new object may reuse the old one's address, so
    /// pointers are not compared).
    quint64 modelEpoch = 0;
    quint64 saeEpoch = 0;
    /// The Attribution dock's extra SAEs (other layers), by directory, loaded for the model of
    /// `attributionSaesEpoch` (a new model empties it: its device or hooks may differ).
    std::map<QString, std::shared_ptr<detail::SaeModule>> attributionSaes;
    quint64 attributionSaesEpoch = 0;
    /// The Contrasts dock's last prompt representations (reused across its tabs).
    std::shared_ptr<ContrastMemo> contrastMemo;
    /// The steering dock's last baseline (keyed by prompt, sampling, seed and model epoch).
    SteeringBaselineMemo steeringBaseline;

    /// The feature inspector's corpus scan, valid only while `scanSae` is `sae` (a newly loaded
    /// SAE makes it stale without anyone having to clear it).
    std::shared_ptr<const CorpusScan> scan;
    std::weak_ptr<detail::SaeModule> scanSae;

    bool hasScanForCurrentSae() const { return scan && sae && scanSae.lock() == sae; }

    /// Replaces the model (after a successful load) and drops what was computed with the old one.
    void setModel(std::unique_ptr<LanguageModel> loaded);
    /// Replaces the SAE and its card, and drops what was computed with the old one.
    void setSae(std::shared_ptr<detail::SaeModule> loaded, const SaeInfo &info);

    /// Gives the model the current SAE's conventions (BOS rule, centring); called by setModel()
    /// and setSae().
    void applySaeConventions();

    /// The one readiness check of every request, with one set of messages: a model is loaded.
    Status requireModel() const;
    /// A model and an SAE that fits it (its hook is a hook point of the model, its input width
    /// is the model's d_model); with `hook` given, the SAE also reads that hook.
    Status requireSae(const QString &hook = QString()) const;

    /// Destroys every torch object (engine thread, at shutdown).
    void clear()
    {
        scan.reset();
        contrastMemo.reset();
        attributionSaes.clear();
        steeringBaseline = SteeringBaselineMemo();
        sae.reset();
        model.reset();
    }
};

}  // namespace gyrus::gpu
