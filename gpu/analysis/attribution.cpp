#include "gpu/analysis/attribution.h"

#include "gpu/engine/torch_errors.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <map>
#include <optional>

namespace gyrus::gpu {

namespace {

std::vector<double> toDoubles(const at::Tensor &t)
{
    const at::Tensor host = t.to(at::kCPU, at::kDouble).contiguous();
    const double *data = host.data_ptr<double>();
    return std::vector<double>(data, data + host.numel());
}

Result<detail::HookPoint> saeHook(const LanguageModel &model, const detail::SaeModule &sae)
{
    const std::optional<detail::HookPoint> point =
            detail::HookPoint::parse(sae.config().hookName, hookLayout(model.config()));
    if (!point) {
        return Status::invalidInput(
                QStringLiteral("the SAE's hook '%1' is not a hook point of the model; %2")
                        .arg(sae.config().hookName,
                             detail::describeHooks(hookLayout(model.config()))));
    }
    if (point->site == detail::HookSite::FinalNormalized) {
        return Status::invalidInput(
                QStringLiteral("attribution needs an SAE on the residual stream or a block "
                               "output, not on ln_final.hook_normalized"));
    }
    return *point;
}

/// Checks the tokens and the target, and fills in the position (-1: the last).
Result<AttributionTarget> checkTarget(const LanguageModel &model, const std::vector<int> &tokens,
                                      AttributionTarget target)
{
    const int vocab = model.config().vocabSize;
    if (tokens.empty()) {
        return Status::invalidInput(QStringLiteral("no tokens to attribute"));
    }
    for (const int id : tokens) {
        if (id < 0 || id >= vocab) {
            return Status::invalidInput(QStringLiteral("token id %1 outside the vocabulary [0, %2)")
                                                .arg(id)
                                                .arg(vocab));
        }
    }
    const int count = static_cast<int>(tokens.size());
    if (target.position < 0) {
        target.position = count - 1;
    }
    if (target.position >= count) {
        return Status::invalidInput(
                QStringLiteral("target position %1 is past the prompt's %2 tokens (0 to %3)")
                        .arg(target.position)
                        .arg(count)
                        .arg(count - 1));
    }
    for (const int id : {target.token, target.versus}) {
        if (id >= vocab) {
            return Status::invalidInput(
                    QStringLiteral("target token %1 outside the vocabulary [0, %2)")
                            .arg(id)
                            .arg(vocab));
        }
    }
    if (target.kind == AttributionTarget::Kind::LogitDifference && target.versus < 0) {
        return Status::invalidInput(
                QStringLiteral("a logit difference needs the token it subtracts (versus)"));
    }
    return target;
}

/// The target's value from one position's logits [..., vocab] (float32).
at::Tensor targetValue(const at::Tensor &logits, const AttributionTarget &target)
{
    if (target.kind == AttributionTarget::Kind::LogProbability) {
        return at::log_softmax(logits, -1).select(-1, target.token);
    }
    return logits.select(-1, target.token) - logits.select(-1, target.versus);
}

at::Tensor tokenTensor(const std::vector<int> &tokens, int64_t count)
{
    std::vector<int64_t> ids(tokens.begin(), tokens.begin() + count);
    return at::tensor(ids, at::kLong).view({1, count});
}

/// One hook's splice: the activations pass through unchanged, and the gradient of the target
/// with respect to them is kept. The first spliced site the forward reaches (nothing upstream
/// records gradients) becomes a leaf, so the backward stops there; a later one adds a zero that
/// requires grad, so the gradient reaches the upstream sites through it (and the forward's
/// values are unchanged: x + 0 = x).
class HookGradient
{
public:
    at::Tensor splice(const at::Tensor &x)
    {
        if (!x.requires_grad()) {
            m_leaf = x.detach().clone().requires_grad_(true);
            return m_leaf;
        }
        m_input = x.detach();
        m_leaf = at::zeros_like(m_input).requires_grad_(true);
        return x + m_leaf;
    }

    at::Tensor input() const { return m_input.defined() ? m_input : m_leaf.detach(); }

    /// Zero where the target does not depend on the site at all.
    at::Tensor gradient() const
    {
        const at::Tensor g = m_leaf.grad();
        return g.defined() ? g : at::zeros_like(input());
    }

private:
    at::Tensor m_leaf;
    at::Tensor m_input;  ///< the activations, when m_leaf is the added zero
};

/// One SAE's nodes from its hook's activations `hookInput` and gradient `hookGradient`
/// ([1, tokens, d]): features, error, bias and total per position, largest |attribution| first.
AttributionResult decompose(const detail::SaeModule &sae, const at::Tensor &hookInput,
                            const at::Tensor &hookGradient)
{
    AttributionResult result;
    result.hook = sae.config().hookName;

    at::NoGradGuard noGrad;
    const at::Device device = sae.weights().wDec.device();
    const at::Tensor x = hookInput.select(0, 0).to(device, at::kFloat);
    const at::Tensor g = hookGradient.select(0, 0).to(device, at::kFloat);
    const at::Tensor f = sae.encode(x);
    const at::Tensor reconstruction = sae.decodeFor(f, x);
    const at::Tensor bias = sae.decodeFor(at::zeros_like(f), x);
    // ∂target/∂f_ti = outScale_t · (g_t · W_dec,i): the decoder is linear in f.
    at::Tensor featureGradient = sae.projectOntoDecoder(g);
    const at::Tensor outScale = sae.outputScale(x);
    if (outScale.defined()) {
        featureGradient = featureGradient * outScale;
    }
    const at::Tensor xd = x.to(at::kDouble);
    const at::Tensor gd = g.to(at::kDouble);
    result.totalAttribution = toDoubles((xd * gd).sum(-1));
    result.errorAttribution = toDoubles(((xd - reconstruction.to(at::kDouble)) * gd).sum(-1));
    result.biasAttribution = toDoubles((bias.to(at::kDouble) * gd).sum(-1));

    // nonzero() may return a transposed layout: contiguous before reading it.
    const at::Tensor active = at::nonzero(f).to(at::kCPU).contiguous();  // [n, 2]: t, i
    const at::Tensor rows = active.select(1, 0).to(device);
    const at::Tensor columns = active.select(1, 1).to(device);
    const at::Tensor activations = f.index({rows, columns}).to(at::kCPU, at::kFloat).contiguous();
    const at::Tensor gradients =
            featureGradient.index({rows, columns}).to(at::kCPU, at::kFloat).contiguous();
    const int64_t *index = active.data_ptr<int64_t>();
    const float *a = activations.data_ptr<float>();
    const float *d = gradients.data_ptr<float>();
    result.features.resize(static_cast<size_t>(active.size(0)));
    for (int64_t i = 0; i < active.size(0); ++i) {
        FeatureAttribution &out = result.features[static_cast<size_t>(i)];
        out.position = static_cast<int>(index[2 * i]);
        out.feature = static_cast<int>(index[2 * i + 1]);
        out.activation = a[i];
        out.gradient = d[i];
        out.attribution = a[i] * d[i];
    }
    std::stable_sort(result.features.begin(), result.features.end(),
                     [](const FeatureAttribution &p, const FeatureAttribution &q) {
                         return std::abs(p.attribution) > std::abs(q.attribution);
                     });
    return result;
}

}  // namespace

Result<AttributionResult> attributeFeatures(const LanguageModel &model,
                                            const detail::SaeModule &sae,
                                            const std::vector<int> &tokens,
                                            const AttributionTarget &requested)
{
    Result<std::vector<AttributionResult>> results = attributeFeatures(
            model, std::vector<const detail::SaeModule *>{&sae}, tokens, requested);
    if (!results) {
        return results.status();
    }
    return std::move(results.value().front());
}

Result<std::vector<AttributionResult>> attributeFeatures(
        const LanguageModel &model, const std::vector<const detail::SaeModule *> &saes,
        const std::vector<int> &tokens, const AttributionTarget &requested)
{
    if (saes.empty()) {
        return Status::invalidInput(QStringLiteral("no SAE to attribute to"));
    }
    std::vector<detail::HookPoint> points;
    for (const detail::SaeModule *sae : saes) {
        const Result<detail::HookPoint> point = saeHook(model, *sae);
        if (!point) {
            return point.status();
        }
        points.push_back(point.value());
    }
    Result<AttributionTarget> checked = checkTarget(model, tokens, requested);
    if (!checked) {
        return checked.status();
    }
    AttributionTarget target = checked.value();
    try {
        // Autograd on even when the caller runs under InferenceMode.
        c10::InferenceMode recording(false);
        at::AutoGradMode gradientMode(true);
        detail::HookSet hooks;
        hooks.setRecordsGradients(true);
        std::map<detail::HookPoint, HookGradient> sites;
        for (const detail::HookPoint &point : points) {
            if (sites.count(point) > 0) {
                continue;  // two SAEs at one hook share its activations and gradient
            }
            HookGradient &site = sites[point];
            hooks.add(point, [&site](const at::Tensor &x, const detail::HookContext &) {
                return site.splice(x);
            });
        }
        const auto count = static_cast<int64_t>(tokens.size());
        const at::Tensor logits = model.tensorModel().forward(tokenTensor(tokens, count), &hooks,
                                                              nullptr, detail::LogitsMode::All);
        const at::Tensor row = logits.select(0, 0).select(0, target.position).to(at::kFloat);
        if (target.token < 0) {
            target.token = static_cast<int>(row.detach().argmax().item<int64_t>());
        }
        const at::Tensor value = targetValue(row, target);
        value.backward();

        std::vector<AttributionResult> results;
        for (size_t i = 0; i < saes.size(); ++i) {
            const HookGradient &site = sites.at(points[i]);
            results.push_back(decompose(*saes[i], site.input(), site.gradient()));
            AttributionResult &result = results.back();
            result.tokens = tokens;
            result.target = target;
            result.value = value.item<double>();
        }
        return results;
    } catch (...) {
        return statusFromException(std::current_exception());
    }
}

Result<std::vector<double>> targetUnderEdits(const LanguageModel &model,
                                             const detail::SaeModule &sae,
                                             const std::vector<int> &tokens,
                                             const AttributionTarget &target,
                                             const std::vector<FeatureEdit> &edits)
{
    const Result<detail::HookPoint> point = saeHook(model, sae);
    if (!point) {
        return point.status();
    }
    Result<AttributionTarget> checked = checkTarget(model, tokens, target);
    if (!checked) {
        return checked.status();
    }
    if (checked->token < 0) {
        return Status::invalidInput(QStringLiteral("the target's token is not resolved"));
    }
    const int position = checked->position;
    for (const FeatureEdit &edit : edits) {
        if (edit.feature < 0 || edit.feature >= sae.config().dSae || edit.position < 0 ||
            edit.position >= static_cast<int>(tokens.size()) || !std::isfinite(edit.value)) {
            return Status::invalidInput(
                    QStringLiteral("edit of feature %1 at position %2 is outside the SAE's %3 "
                                   "features or the prompt's %4 tokens, or not finite")
                            .arg(edit.feature)
                            .arg(edit.position)
                            .arg(sae.config().dSae)
                            .arg(tokens.size()));
        }
    }
    try {
        c10::InferenceMode guard;
        const int64_t length = position + 1;
        const at::Tensor ids = tokenTensor(tokens, length);
        std::vector<double> values;
        constexpr size_t kBatch = 16;
        for (size_t first = 0; first < edits.size(); first += kBatch) {
            const size_t end = std::min(edits.size(), first + kBatch);
            const auto batch = static_cast<int64_t>(end - first);
            detail::HookSet hooks;
            hooks.add(*point, [&](const at::Tensor &x, const detail::HookContext &) {
                const at::Device device = sae.weights().wDec.device();
                const at::Tensor h = x.select(0, 0).to(device, at::kFloat);
                const at::Tensor f = sae.encode(h);
                const at::Tensor outScale = sae.outputScale(h);
                at::Tensor delta = at::zeros({batch, length, h.size(-1)}, h.options());
                for (int64_t b = 0; b < batch; ++b) {
                    const FeatureEdit &edit = edits[first + static_cast<size_t>(b)];
                    if (edit.position > position) {
                        continue;
                    }
                    at::Tensor step = (edit.value - f[edit.position][edit.feature]) *
                                      sae.weights().wDec[edit.feature];
                    if (outScale.defined()) {
                        step = step * outScale[edit.position];
                    }
                    delta[b][edit.position] += step;
                }
                return x + delta.to(x.device(), x.scalar_type());
            });
            const at::Tensor logits =
                    model.tensorModel().forward(ids.expand({batch, length}).contiguous(), &hooks,
                                                nullptr, detail::LogitsMode::Last);
            const std::vector<double> chunk =
                    toDoubles(targetValue(logits.select(1, 0).to(at::kFloat), *checked));
            values.insert(values.end(), chunk.begin(), chunk.end());
        }
        return values;
    } catch (...) {
        return statusFromException(std::current_exception());
    }
}

Result<std::vector<AblationCheck>> verifyByAblation(const LanguageModel &model,
                                                    const detail::SaeModule &sae,
                                                    const AttributionResult &attribution, int count)
{
    std::vector<AblationCheck> checks;
    std::vector<FeatureEdit> edits;
    for (const FeatureAttribution &feature : attribution.features) {
        if (static_cast<int>(checks.size()) >= count) {
            break;
        }
        AblationCheck check;
        check.feature = feature;
        check.estimatedChange = -feature.attribution;
        checks.push_back(check);
        edits.push_back(FeatureEdit{feature.position, feature.feature, 0.0f});
    }
    if (edits.empty()) {
        return checks;
    }
    Result<std::vector<double>> values =
            targetUnderEdits(model, sae, attribution.tokens, attribution.target, edits);
    if (!values) {
        return values.status();
    }
    for (size_t i = 0; i < checks.size(); ++i) {
        checks[i].actualChange = values.value()[i] - attribution.value;
    }
    return checks;
}

}  // namespace gyrus::gpu
