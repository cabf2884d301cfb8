#include "gpu/detail/generation.h"

#include <c10/core/InferenceMode.h>

namespace gyrus::gpu::detail {

GenerationOutput generateTokens(LlamaModel &model, const std::vector<int64_t> &prompt,
                                const GenerationSettings &settings, HookSet *hooks,
                                const TokenSink &sink)
{
    TORCH_CHECK(!prompt.empty(), "generation needs a non-empty prompt");
    c10::InferenceMode guard;
    GenerationOutput output;
    if (settings.maxNewTokens <= 0) {
        return output;
    }
    KvCache cache = model.newCache(static_cast<int64_t>(prompt.size()) + settings.maxNewTokens);
    Sampler sampler(settings.sampling);
    const auto longs = at::TensorOptions().dtype(at::kLong);
    at::Tensor input = at::from_blob(const_cast<int64_t *>(prompt.data()),
                                     {1, static_cast<int64_t>(prompt.size())}, longs)
                               .clone();
    at::Tensor next = at::empty({1, 1}, longs);
    while (true) {
        const at::Tensor logits = model.forward(input, hooks, &cache, LogitsMode::Last);
        const int64_t token = sampler.next(logits[0][0]);
        output.tokens.push_back(token);
        if (sink && !sink(token)) {
            output.reason = StopReason::Cancelled;
            break;
        }
        if (settings.eosId >= 0 && token == settings.eosId) {
            output.reason = StopReason::Eos;
            break;
        }
        if (static_cast<int>(output.tokens.size()) >= settings.maxNewTokens) {
            output.reason = StopReason::MaxTokens;
            break;
        }
        next.fill_(token);
        input = next;
    }
    return output;
}

}  // namespace gyrus::gpu::detail
