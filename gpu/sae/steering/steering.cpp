#include "gpu/sae/steering/steering.h"

#include "gpu/analysis/concept_vector.h"
#include "gpu/engine/torch_errors.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"
#include "gpu/sae/steering/intervention_hooks.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace gyrus::gpu {

namespace {

bool startsWithBos(const LanguageModel &model, const std::vector<int> &tokens)
{
    const int bos = model.tokenizer().bosId();
    return bos >= 0 && !tokens.empty() && tokens.front() == bos;
}

Status checkPrompt(const LanguageModel &model, const std::vector<int> &tokens)
{
    if (tokens.empty()) {
        return Status::invalidInput(QStringLiteral("the prompt has no tokens"));
    }
    const int vocab = model.config().vocabSize;
    for (int id : tokens) {
        if (id < 0 || id >= vocab) {
            return Status::invalidInput(
                    QStringLiteral("prompt token %1 is outside the vocabulary (%2)")
                            .arg(id)
                            .arg(vocab));
        }
    }
    return Status::ok();
}

at::Tensor tokenTensor(const LanguageModel &model, const std::vector<int> &tokens)
{
    std::vector<int64_t> ids(tokens.begin(), tokens.end());
    return at::tensor(ids, at::kLong).view({1, -1}).to(model.tensorModel().device());
}

}  // namespace

Result<GenerateResult> generateClamped(const LanguageModel &model,
                                       const std::shared_ptr<const detail::SaeModule> &sae,
                                       const ClampSet &clamps, const QString &prompt,
                                       const GenerateOptions &options,
                                       const TokenCallback &callback,
                                       const Interventions &interventions)
{
    Result<std::vector<int>> tokens = model.encode(prompt, options.addBos);
    if (!tokens) {
        return tokens.status();
    }
    detail::HookSet hooks;
    const ClampScope scope = clampScopeForPrompt(static_cast<int64_t>(tokens->size()),
                                                 startsWithBos(model, *tokens));
    if (Status added =
                detail::addClampSplice(hooks, hookLayout(model.config()), sae, clamps, scope);
        !added.isOk()) {
        return added;
    }
    if (Status added =
                detail::addInterventions(hooks, model.tensorModel(), interventions, *tokens, scope);
        !added.isOk()) {
        return added;
    }
    return model.generateFromTokens(*tokens, options, callback, hooks.empty() ? nullptr : &hooks);
}

Result<std::vector<float>> nextTokenLogProbabilities(
        const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
        const ClampSet &clamps, const std::vector<int> &promptTokens,
        const Interventions &interventions)
{
    if (Status ok = checkPrompt(model, promptTokens); !ok.isOk()) {
        return ok;
    }
    detail::HookSet hooks;
    const ClampScope scope = clampScopeForPrompt(static_cast<int64_t>(promptTokens.size()),
                                                 startsWithBos(model, promptTokens));
    if (Status added =
                detail::addClampSplice(hooks, hookLayout(model.config()), sae, clamps, scope);
        !added.isOk()) {
        return added;
    }
    if (Status added = detail::addInterventions(hooks, model.tensorModel(), interventions,
                                                promptTokens, scope);
        !added.isOk()) {
        return added;
    }
    return catchingExceptions<std::vector<float>>(QStringLiteral("next-token distribution"), [&] {
        c10::InferenceMode guard;
        const at::Tensor logits = model.tensorModel().forward(tokenTensor(model, promptTokens),
                                                              hooks.empty() ? nullptr : &hooks,
                                                              nullptr, detail::LogitsMode::Last);
        const at::Tensor logProbs =
                at::log_softmax(logits.reshape({-1}).to(at::kCPU, at::kFloat), 0).contiguous();
        const float *data = logProbs.data_ptr<float>();
        return std::vector<float>(data, data + logProbs.numel());
    });
}

Result<Interventions> withConceptVectors(const LanguageModel &model,
                                         const Interventions &interventions)
{
    Interventions resolved = interventions;
    for (SteeringVector &vector : resolved.vectors) {
        if (!vector.concept || !vector.direction.empty()) {
            continue;
        }
        const ConceptSource &source = *vector.concept;
        ConceptVectorOptions options;
        options.hookName = vector.hook;
        if (source.pooling == Pooling::Window) {
            return Status::invalidInput(
                    QStringLiteral("concept vector: pooling '%1' does not give one vector per item")
                            .arg(nameOf(source.pooling)));
        }
        options.pooling = source.pooling;
        options.sideA = source.sideA;
        options.sideB = source.sideB;
        options.topFeatures = 0;
        Result<ConceptVector> concept = conceptVector(model, source.set, options);
        if (!concept) {
            return concept.status();
        }
        vector.direction = concept->direction;
        if (vector.label.isEmpty()) {
            vector.label = QStringLiteral("%1 − %2").arg(concept->sideA, concept->sideB);
        }
    }
    return resolved;
}

double klDivergence(const std::vector<float> &logP, const std::vector<float> &logQ)
{
    double sum = 0.0;
    const size_t n = std::min(logP.size(), logQ.size());
    for (size_t i = 0; i < n; ++i) {
        const double p = std::exp(double(logP[i]));
        if (p > 0.0) {
            sum += p * (double(logP[i]) - double(logQ[i]));
        }
    }
    return std::max(0.0, sum);
}

NextTokenShift compareNextToken(const std::vector<float> &before, const std::vector<float> &after,
                                int top, const Tokenizer &tokenizer)
{
    const auto topOf = [top](const std::vector<float> &values) {
        std::vector<int> order(values.size());
        for (size_t i = 0; i < order.size(); ++i) {
            order[i] = static_cast<int>(i);
        }
        const size_t count = std::min(order.size(), static_cast<size_t>(std::max(top, 0)));
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count),
                          order.end(), [&](int a, int b) { return values[a] > values[b]; });
        order.resize(count);
        return order;
    };
    std::set<int> ids;
    for (int id : topOf(before)) {
        ids.insert(id);
    }
    for (int id : topOf(after)) {
        ids.insert(id);
    }
    NextTokenShift shift;
    for (int id : ids) {
        TokenShift token;
        token.id = id;
        token.piece = tokenizer.vocabSize() > 0 ? tokenizer.displayPiece(id) : QString::number(id);
        token.probabilityBefore = std::exp(double(before[id]));
        token.probabilityAfter = std::exp(double(after[id]));
        shift.tokens.append(token);
    }
    std::stable_sort(shift.tokens.begin(), shift.tokens.end(),
                     [](const TokenShift &a, const TokenShift &b) {
                         return a.probabilityBefore > b.probabilityBefore;
                     });
    shift.kl = klDivergence(before, after);
    return shift;
}

Result<FeatureRanges> featureRangesOnPrompt(const LanguageModel &model,
                                            const detail::SaeModule &sae,
                                            const std::vector<int> &promptTokens,
                                            const QList<int> &features)
{
    if (Status ok = checkPrompt(model, promptTokens); !ok.isOk()) {
        return ok;
    }
    const int64_t first = startsWithBos(model, promptTokens) ? 1 : 0;
    if (static_cast<int64_t>(promptTokens.size()) <= first) {
        return Status::invalidInput(QStringLiteral("the prompt has no tokens besides BOS"));
    }
    for (int feature : features) {
        if (feature < 0 || feature >= sae.config().dSae) {
            return Status::invalidInput(
                    QStringLiteral("feature %1 is outside the SAE's %2 features")
                            .arg(feature)
                            .arg(sae.config().dSae));
        }
    }
    const std::optional<detail::HookPoint> point =
            detail::HookPoint::parse(sae.config().hookName, hookLayout(model.config()));
    if (!point) {
        return Status::invalidInput(QStringLiteral("the SAE's hook '%1' is not a hook point of "
                                                   "the model")
                                            .arg(sae.config().hookName));
    }
    return catchingExceptions<FeatureRanges>(QStringLiteral("feature ranges"), [&] {
        c10::InferenceMode guard;
        detail::HookSet hooks;
        hooks.capture(*point, detail::PositionRange{first});
        model.tensorModel().forward(tokenTensor(model, promptTokens), &hooks, nullptr,
                                    detail::LogitsMode::None);
        const at::Tensor h = hooks.captured(*point);
        // Only the asked features' encoder columns (a 262k-feature SAE's dense codes are 1 MB
        // per token).
        const std::vector<int64_t> ids(features.begin(), features.end());
        const at::Tensor activations =
                sae.encodeFeatures(
                           h.reshape({-1, h.size(-1)}).to(sae.weights().wEnc.device(), at::kFloat),
                           ids)
                        .to(at::kCPU);
        FeatureRanges ranges;
        int64_t column = 0;
        for (int feature : features) {
            const at::Tensor values = activations.select(1, column++);
            FeatureRange range;
            range.feature = feature;
            range.minimum = values.min().item<double>();
            range.maximum = values.max().item<double>();
            range.last = values[-1].item<double>();
            ranges.ranges.append(range);
        }
        return ranges;
    });
}

}  // namespace gyrus::gpu
