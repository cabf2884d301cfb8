#pragma once
// Private to gyrus_gpu (and tests/gpu). Autoregressive generation with a KV cache.

#include "gpu/model/hook_set.h"
#include "gpu/model/kv_cache.h"
#include "gpu/model/sampler.h"
#include "gpu/model/transformer.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace gyrus::gpu::detail {

struct GenerationSettings
{
    int maxNewTokens = 32;
    SamplingOptions sampling;
    int64_t eosId = -1;  ///< stop after this token; < 0: never
};

enum class StopReason
{
    MaxTokens,
    Eos,
    Cancelled,
};

struct GenerationOutput
{
    std::vector<int64_t> tokens;  ///< the new tokens (an EOS that stopped it included)
    StopReason reason = StopReason::MaxTokens;
};

/// Generation one token at a time, holding the KV cache between steps (GenerationSession and
/// generateTokens() both run on it, so stepwise and one-shot generation give the same tokens).
/// `model` and `hooks` must outlive the stepper.
class GenerationStepper
{
public:
    GenerationStepper(Transformer &model, const std::vector<int64_t> &prompt,
                      const GenerationSettings &settings, HookSet *hooks = nullptr);

    /// Runs the model once (the prompt's prefill on the first call, one decode step after) and
    /// returns the chosen token. Only while !isFinished().
    int64_t step();

    /// Ends the generation early (reason Cancelled).
    void cancel();

    bool isFinished() const { return m_finished; }

    const GenerationOutput &output() const { return m_output; }

private:
    Transformer &m_model;
    HookSet *m_hooks;
    GenerationSettings m_settings;
    KvCache m_cache;
    Sampler m_sampler;
    at::Tensor m_input;
    GenerationOutput m_output;
    bool m_finished = false;
};

/// Receives each new token as soon as it is chosen; returning false stops the generation.
using TokenSink = std::function<bool(int64_t token)>;

/// Prefills `prompt` (non-empty) into a fresh KV cache, then decodes one token at a time. The
/// hooks run at every step (prefill and decode) with absolute positions, so an intervention
/// limited to a position range applies exactly there, prompt or continuation.
GenerationOutput generateTokens(Transformer &model, const std::vector<int64_t> &prompt,
                                const GenerationSettings &settings, HookSet *hooks = nullptr,
                                const TokenSink &sink = {});

}  // namespace gyrus::gpu::detail
