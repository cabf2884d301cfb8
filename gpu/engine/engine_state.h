#pragma once
// What the engine thread holds between requests: the model, the SAE, and caches the request
// handlers share. Every member is touched on the engine thread only (the runner's worker), so it
// needs no lock. Each area's requests live in their own torch_engine_*.cpp.

#include "core/engine_types.h"
#include "gpu/model/language_model.h"

#include <memory>
#include <vector>

namespace gyrus::gpu {

struct CorpusScan;

namespace detail {
class SaeModule;
}

struct ContrastMemo;  // torch_engine_contrast.cpp

struct EngineState
{
    std::unique_ptr<LanguageModel> model;
    std::shared_ptr<detail::SaeModule> sae;
    SaeInfo saeInfo;  ///< the card of `sae` (engine-thread copy)
    /// The Contrasts dock's last prompt representations (reused across its tabs).
    std::shared_ptr<ContrastMemo> contrastMemo;

    /// The feature inspector's corpus scan, valid only while `scanSae` is `sae` (a newly loaded
    /// SAE makes it stale without anyone having to clear it).
    std::shared_ptr<const CorpusScan> scan;
    std::weak_ptr<detail::SaeModule> scanSae;

    bool hasScanForCurrentSae() const { return scan && sae && scanSae.lock() == sae; }

    /// Destroys every torch object (engine thread, at shutdown).
    void clear()
    {
        scan.reset();
        contrastMemo.reset();
        sae.reset();
        model.reset();
    }
};

}  // namespace gyrus::gpu
