#include "gpu/model/generation.h"

#include <c10/core/InferenceMode.h>

namespace gyrus::gpu::detail {

GenerationStepper::GenerationStepper(Transformer &model, const std::vector<int64_t> &prompt,
                                     const GenerationSettings &settings, HookSet *hooks)
    : m_model(model)
    , m_hooks(hooks)
    , m_settings(settings)
    , m_cache(model.newCache(static_cast<int64_t>(prompt.size()) +
                             std::max(0, settings.maxNewTokens)))
    , m_sampler(settings.sampling)
{
    TORCH_CHECK(!prompt.empty(), "generation needs a non-empty prompt");
    c10::InferenceMode guard;
    const auto longs = at::TensorOptions().dtype(at::kLong);
    m_input = at::from_blob(const_cast<int64_t *>(prompt.data()),
                            {1, static_cast<int64_t>(prompt.size())}, longs)
                      .clone();
    m_finished = settings.maxNewTokens <= 0;
}

int64_t GenerationStepper::step()
{
    TORCH_CHECK(!m_finished, "generation step after the end");
    c10::InferenceMode guard;
    const at::Tensor logits = m_model.forward(m_input, m_hooks, &m_cache, LogitsMode::Last);
    const int64_t token = m_sampler.next(logits[0][0]);
    m_output.tokens.push_back(token);
    if (m_settings.eosId >= 0 && token == m_settings.eosId) {
        m_output.reason = StopReason::Eos;
        m_finished = true;
    } else if (static_cast<int>(m_output.tokens.size()) >= m_settings.maxNewTokens) {
        m_output.reason = StopReason::MaxTokens;
        m_finished = true;
    } else {
        // A fresh [1, 1] tensor each step: the previous one may still be referenced by hooks.
        m_input = at::full({1, 1}, token, at::TensorOptions().dtype(at::kLong));
    }
    return token;
}

void GenerationStepper::cancel()
{
    if (!m_finished) {
        m_output.reason = StopReason::Cancelled;
        m_finished = true;
    }
}

GenerationOutput generateTokens(Transformer &model, const std::vector<int64_t> &prompt,
                                const GenerationSettings &settings, HookSet *hooks,
                                const TokenSink &sink)
{
    GenerationStepper stepper(model, prompt, settings, hooks);
    while (!stepper.isFinished()) {
        const int64_t token = stepper.step();
        if (sink && !sink(token)) {
            GenerationOutput stopped = stepper.output();
            stopped.reason = StopReason::Cancelled;  // even on the last token, as always
            return stopped;
        }
    }
    return stepper.output();
}

}  // namespace gyrus::gpu::detail
