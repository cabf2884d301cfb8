#include "gpu/analysis/logit_lens.h"

#include "gpu/engine/torch_errors.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/transformer.h"
#include "gpu/model/transformer_ops.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <exception>

namespace gyrus::gpu {

namespace {

/// What the model's head does to its last residual stream: the final norm, the unembedding and
/// the final soft-cap (Gemma-2).
at::Tensor decodeResidual(const detail::Transformer &net, const at::Tensor &residual)
{
    const ModelConfig &config = net.config();
    const detail::TransformerWeights &w = net.weights();
    const at::Tensor normed = detail::normalize(residual, config.norm, w.finalNorm.weight,
                                                w.finalNorm.bias, config.rmsNormEps);
    at::Tensor logits = detail::project(normed, w.lmHead);
    if (config.finalLogitSoftcap > 0.0) {
        logits = at::tanh(logits / config.finalLogitSoftcap) * config.finalLogitSoftcap;
    }
    return logits.to(at::kFloat);
}

}  // namespace

Result<LogitLensResult> logitLens(const LanguageModel &model, const std::vector<int> &tokens,
                                  int top, bool keepLogProbabilities)
{
    const ModelConfig &config = model.config();
    if (tokens.empty()) {
        return Status::invalidInput(QStringLiteral("no tokens to run"));
    }
    for (const int id : tokens) {
        if (id < 0 || id >= config.vocabSize) {
            return Status::invalidInput(QStringLiteral("token id %1 outside the vocabulary [0, %2)")
                                                .arg(id)
                                                .arg(config.vocabSize));
        }
    }
    top = std::clamp(top, 1, config.vocabSize);
    std::vector<detail::HookPoint> points{detail::HookPoint::block(detail::HookSite::ResidPre, 0)};
    for (int layer = 0; layer < config.numHiddenLayers; ++layer) {
        points.push_back(detail::HookPoint::block(detail::HookSite::ResidPost, layer));
    }
    try {
        c10::InferenceMode guard;
        detail::HookSet hooks;
        for (const detail::HookPoint &point : points) {
            hooks.capture(point);
        }
        const auto count = static_cast<int64_t>(tokens.size());
        std::vector<int64_t> ids(tokens.begin(), tokens.end());
        detail::Transformer &net = model.tensorModel();
        net.forward(at::tensor(ids, at::kLong).view({1, count}), &hooks, nullptr,
                    detail::LogitsMode::None);
        // A forward without logits leaves a lazily loaded head unread.
        net.ensureWeights(config.numHiddenLayers - 1, true);
        const at::Tensor next =
                count > 1 ? at::tensor(std::vector<int64_t>(ids.begin() + 1, ids.end()), at::kLong)
                          : at::Tensor();
        LogitLensResult result;
        result.tokens = tokens;
        std::vector<at::Tensor> kept;
        for (const detail::HookPoint &point : points) {
            result.rows << point.name();
            const at::Tensor logProbs =
                    at::log_softmax(decodeResidual(net, hooks.captured(point).select(0, 0)), -1)
                            .to(at::kCPU);
            if (keepLogProbabilities) {
                kept.push_back(logProbs);
            }
            const auto [values, indices] = logProbs.topk(top, -1);
            const at::Tensor probabilities = values.exp().contiguous();
            const at::Tensor topIds = indices.contiguous();
            std::vector<LogitLensCell> row(static_cast<size_t>(count));
            at::Tensor nextLogProb;
            at::Tensor nextRank;
            if (next.defined()) {
                const at::Tensor body = logProbs.narrow(0, 0, count - 1);
                nextLogProb = body.gather(1, next.unsqueeze(1));
                nextRank = (body > nextLogProb).sum(1).contiguous();
                nextLogProb = nextLogProb.exp().reshape({-1}).contiguous();
            }
            for (int64_t t = 0; t < count; ++t) {
                LogitLensCell &cell = row[static_cast<size_t>(t)];
                const float *p = probabilities[t].data_ptr<float>();
                const int64_t *id = topIds[t].data_ptr<int64_t>();
                cell.topProbabilities.assign(p, p + top);
                cell.topTokens.assign(id, id + top);
                if (t + 1 < count) {
                    cell.nextProbability = nextLogProb.data_ptr<float>()[t];
                    cell.nextRank = static_cast<int>(nextRank.data_ptr<int64_t>()[t]);
                }
            }
            result.cells.push_back(std::move(row));
        }
        if (keepLogProbabilities) {
            const at::Tensor all = at::stack(kept).contiguous();
            result.logProbabilities.shape = all.sizes().vec();
            const float *data = all.data_ptr<float>();
            result.logProbabilities.values.assign(data, data + all.numel());
        }
        return result;
    } catch (...) {
        return statusFromException(std::current_exception());
    }
}

}  // namespace gyrus::gpu
