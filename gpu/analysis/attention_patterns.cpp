#include "gpu/analysis/attention_patterns.h"

#include "gpu/engine/torch_errors.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/transformer.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <exception>

namespace gyrus::gpu {

Result<AttentionPatterns> attentionPatterns(const LanguageModel &model,
                                            const std::vector<int> &tokens,
                                            const QList<int> &layers)
{
    const int count = model.config().numHiddenLayers;
    if (tokens.empty()) {
        return Status::invalidInput(QStringLiteral("no tokens to run"));
    }
    for (const int id : tokens) {
        if (id < 0 || id >= model.config().vocabSize) {
            return Status::invalidInput(QStringLiteral("token id %1 outside the vocabulary [0, %2)")
                                                .arg(id)
                                                .arg(model.config().vocabSize));
        }
    }
    AttentionPatterns result;
    result.tokens = tokens;
    for (const int layer : layers) {
        if (layer < 0 || layer >= count) {
            return Status::invalidInput(QStringLiteral("layer %1 is outside the model's layers "
                                                       "0 to %2")
                                                .arg(layer)
                                                .arg(count - 1));
        }
        result.layers.push_back(layer);
    }
    if (result.layers.empty()) {
        for (int layer = 0; layer < count; ++layer) {
            result.layers.push_back(layer);
        }
    }
    try {
        c10::InferenceMode guard;
        detail::HookSet hooks;
        for (const int layer : result.layers) {
            hooks.capturePattern(layer);
        }
        std::vector<int64_t> ids(tokens.begin(), tokens.end());
        model.tensorModel().forward(
                at::tensor(ids, at::kLong).view({1, static_cast<int64_t>(ids.size())}), &hooks,
                nullptr, detail::LogitsMode::None);
        for (const int layer : result.layers) {
            const at::Tensor pattern = hooks.pattern(layer).select(0, 0).to(at::kCPU).contiguous();
            FloatTensor out;
            out.shape = pattern.sizes().vec();
            const float *data = pattern.data_ptr<float>();
            out.values.assign(data, data + pattern.numel());
            result.patterns.push_back(std::move(out));
        }
        return result;
    } catch (...) {
        return statusFromException(std::current_exception());
    }
}

}  // namespace gyrus::gpu
