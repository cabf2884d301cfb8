#include "gpu/analysis/activation_patching.h"

#include "gpu/analysis/contrasts.h"
#include "gpu/engine/torch_errors.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <set>

namespace gyrus::gpu {

namespace {

constexpr const char *kSites[] = {"resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out"};

/// blocks.L.hook_<site> for every layer.
Result<std::vector<detail::HookPoint>> sitePoints(const LanguageModel &model, const QString &site)
{
    const HookLayout layout = hookLayout(model.config());
    const bool known = std::any_of(std::begin(kSites), std::end(kSites),
                                   [&](const char *name) { return site == QLatin1String(name); });
    std::vector<detail::HookPoint> points;
    for (int layer = 0; known && layer < layout.layers; ++layer) {
        const std::optional<detail::HookPoint> point = detail::HookPoint::parse(
                QStringLiteral("blocks.%1.hook_%2").arg(layer).arg(site), layout);
        if (!point) {
            break;
        }
        points.push_back(*point);
    }
    if (!known || points.size() != static_cast<size_t>(layout.layers)) {
        return Status::invalidInput(
                QStringLiteral("cannot patch the site '%1': give resid_pre, resid_mid, "
                               "resid_post, attn_out or mlp_out (%2)")
                        .arg(site, detail::describeHooks(layout)));
    }
    return points;
}

Status checkTokens(const LanguageModel &model, const std::vector<int> &tokens)
{
    const int vocab = model.config().vocabSize;
    if (tokens.empty()) {
        return Status::invalidInput(QStringLiteral("no tokens to patch"));
    }
    for (const int id : tokens) {
        if (id < 0 || id >= vocab) {
            return Status::invalidInput(QStringLiteral("token id %1 outside the vocabulary [0, %2)")
                                                .arg(id)
                                                .arg(vocab));
        }
    }
    return Status::ok();
}

at::Tensor tokenBatch(const std::vector<int> &tokens, int64_t batch)
{
    const std::vector<int64_t> ids(tokens.begin(), tokens.end());
    const auto count = static_cast<int64_t>(ids.size());
    return at::tensor(ids, at::kLong).view({1, count}).expand({batch, count}).contiguous();
}

/// The last position's logits of one forward, [batch, vocab] float32.
at::Tensor lastLogits(detail::Transformer &net, const at::Tensor &tokens, detail::HookSet *hooks)
{
    return net.forward(tokens, hooks, nullptr, detail::LogitsMode::Last)
            .select(1, 0)
            .to(at::kFloat);
}

std::vector<double> logitDifferences(const at::Tensor &logits, int token, int versus)
{
    const at::Tensor difference =
            (logits.select(-1, token) - logits.select(-1, versus)).to(at::kCPU, at::kDouble);
    const at::Tensor host = difference.contiguous();
    return std::vector<double>(host.data_ptr<double>(), host.data_ptr<double>() + host.numel());
}

/// The partner's last-position logit differences, one per position set: a batch of the partner's
/// forward in which row b has the source's activation at `point` copied in at positionSets[b].
std::vector<double> patchedDifferences(detail::Transformer &net, const at::Tensor &source,
                                       const std::vector<int> &partner,
                                       const detail::HookPoint &point,
                                       const std::vector<std::vector<int>> &positionSets, int token,
                                       int versus)
{
    const auto batch = static_cast<int64_t>(positionSets.size());
    const auto count = static_cast<int64_t>(partner.size());
    at::Tensor mask = at::zeros({batch, count, 1}, at::kBool);
    auto cells = mask.accessor<bool, 3>();
    for (int64_t b = 0; b < batch; ++b) {
        for (const int position : positionSets[static_cast<size_t>(b)]) {
            cells[b][position][0] = true;
        }
    }
    detail::HookSet hooks;
    hooks.add(point, [&mask, &source](const at::Tensor &x, const detail::HookContext &) {
        return at::where(mask.to(x.device()), source.to(x.device(), x.scalar_type()), x);
    });
    return logitDifferences(lastLogits(net, tokenBatch(partner, batch), &hooks), token, versus);
}

/// The partner's last-position logit differences, one per position: a batch of the partner's
/// forward in which row b has delta[b] ([tokens, d]) added to its activation at `point` at
/// position b only.
std::vector<double> addedDifferences(detail::Transformer &net, const at::Tensor &delta,
                                     const std::vector<int> &partner,
                                     const detail::HookPoint &point, int token, int versus)
{
    const auto count = static_cast<int64_t>(partner.size());
    const at::Tensor mask = at::eye(count, at::kFloat).unsqueeze(2);  // [batch, tokens, 1]
    detail::HookSet hooks;
    hooks.add(point, [&mask, &delta](const at::Tensor &x, const detail::HookContext &) {
        return x + (mask.to(x.device()) * delta.unsqueeze(0).to(x.device(), at::kFloat))
                           .to(x.scalar_type());
    });
    return logitDifferences(lastLogits(net, tokenBatch(partner, count), &hooks), token, versus);
}

QString tokenName(const LanguageModel &model, int id)
{
    const Tokenizer &tokenizer = model.tokenizer();
    if (tokenizer.vocabSize() == 0 || id >= tokenizer.vocabSize()) {
        return QString::number(id);
    }
    return QStringLiteral("'%1'").arg(tokenizer.displayPiece(id));
}

}  // namespace

double restoredFraction(double patched, double clean, double corrupted)
{
    return (patched - corrupted) / (clean - corrupted);
}

Result<double> patchedLogitDifference(const LanguageModel &model,
                                      const std::vector<int> &sourceTokens,
                                      const std::vector<int> &partnerTokens,
                                      const QString &hookName, const std::vector<int> &positions,
                                      int token, int versus)
{
    for (const std::vector<int> *tokens : {&sourceTokens, &partnerTokens}) {
        if (Status ok = checkTokens(model, *tokens); !ok.isOk()) {
            return ok;
        }
    }
    if (sourceTokens.size() != partnerTokens.size()) {
        return Status::invalidInput(
                QStringLiteral("the source has %1 tokens and the partner %2: patching needs one "
                               "length")
                        .arg(sourceTokens.size())
                        .arg(partnerTokens.size()));
    }
    const int vocab = model.config().vocabSize;
    if (token < 0 || token >= vocab || versus < 0 || versus >= vocab) {
        return Status::invalidInput(QStringLiteral("logit difference tokens %1 and %2 must be in "
                                                   "the vocabulary [0, %3)")
                                            .arg(token)
                                            .arg(versus)
                                            .arg(vocab));
    }
    for (const int position : positions) {
        if (position < 0 || position >= static_cast<int>(partnerTokens.size())) {
            return Status::invalidInput(QStringLiteral("position %1 is outside the %2 tokens")
                                                .arg(position)
                                                .arg(partnerTokens.size()));
        }
    }
    const std::optional<detail::HookPoint> point =
            detail::HookPoint::parse(hookName, hookLayout(model.config()));
    if (!point) {
        return Status::invalidInput(
                QStringLiteral("'%1' is not a hook point of the model; %2")
                        .arg(hookName, detail::describeHooks(hookLayout(model.config()))));
    }
    try {
        c10::InferenceMode guard;
        detail::Transformer &net = model.tensorModel();
        detail::HookSet capture;
        capture.capture(*point);
        lastLogits(net, tokenBatch(sourceTokens, 1), &capture);
        return patchedDifferences(net, capture.captured(*point), partnerTokens, *point, {positions},
                                  token, versus)
                .front();
    } catch (...) {
        return statusFromException(std::current_exception());
    }
}

struct ActivationPatchingRun::Impl
{
    const LanguageModel *model = nullptr;
    PatchingOptions options;
    QString setName;
    QStringList itemIds;
    std::vector<detail::HookPoint> points;  ///< per layer; SAE features: the SAE's hook only
    /// SAE features: the SAE, and per row which of options.features it patches (each alone, then
    /// all of them); empty for the residual stream.
    std::shared_ptr<const detail::SaeModule> sae;
    std::vector<std::vector<int64_t>> rowFeatures;
    QList<MinimalPair> pairs;
    std::vector<std::vector<int>> itemTokens;  ///< per item of the set

    int pairIndex = 0;
    int layer = -1;                             ///< the row next; -1: the plain forwards
    std::vector<at::Tensor> sourceActivations;  ///< per layer, [1, tokens, d]
    std::vector<at::Tensor> rowDeltas;          ///< SAE features: per row, [tokens, d]
    PairPatching current;

    PatchingResult result;

    bool patchesFeatures() const { return !rowFeatures.empty(); }

    int rows() const
    {
        return static_cast<int>(patchesFeatures() ? rowFeatures.size() : points.size());
    }

    int stepsPerPair() const { return rows() + 1; }

    void skip(const QString &reason)
    {
        result.skipped.push_back(SkippedPair{pairs.at(pairIndex), reason});
        ++pairIndex;
        layer = -1;
    }

    QString pairName(const MinimalPair &pair) const
    {
        return QStringLiteral("'%1' → '%2'").arg(itemIds.at(pair.source), itemIds.at(pair.partner));
    }

    void plainForwards()
    {
        const MinimalPair &pair = pairs.at(pairIndex);
        current = PairPatching{};
        current.pair = pair;
        current.sourceTokens = itemTokens[static_cast<size_t>(pair.source)];
        current.partnerTokens = itemTokens[static_cast<size_t>(pair.partner)];
        if (current.sourceTokens.size() != current.partnerTokens.size()) {
            skip(QStringLiteral("%1: %2 and %3 tokens, so positions do not correspond")
                         .arg(pairName(pair))
                         .arg(current.sourceTokens.size())
                         .arg(current.partnerTokens.size()));
            return;
        }
        detail::Transformer &net = model->tensorModel();
        detail::HookSet capture;
        for (const detail::HookPoint &point : points) {
            capture.capture(point);
        }
        const at::Tensor sourceLogits =
                lastLogits(net, tokenBatch(current.sourceTokens, 1), &capture);
        detail::HookSet partnerCapture;
        if (patchesFeatures()) {
            partnerCapture.capture(points.front());
        }
        const at::Tensor partnerLogits = lastLogits(net, tokenBatch(current.partnerTokens, 1),
                                                    patchesFeatures() ? &partnerCapture : nullptr);
        current.token = options.token;
        current.versus = options.versus;
        if (current.token < 0) {
            current.token = static_cast<int>(sourceLogits.select(0, 0).argmax().item<int64_t>());
            current.versus = static_cast<int>(partnerLogits.select(0, 0).argmax().item<int64_t>());
            if (current.token == current.versus) {
                skip(QStringLiteral("%1: both items' top next token is %2, so there is no "
                                    "default logit difference (give the tokens)")
                             .arg(pairName(pair), tokenName(*model, current.token)));
                return;
            }
        }
        current.clean = logitDifferences(sourceLogits, current.token, current.versus).front();
        current.corrupted = logitDifferences(partnerLogits, current.token, current.versus).front();
        // Equal differences leave nothing to restore: every fraction would divide by ~0.
        const double scale = std::max({1.0, std::abs(current.clean), std::abs(current.corrupted)});
        if (!(std::abs(current.clean - current.corrupted) > 1e-6 * scale)) {
            skip(QStringLiteral("%1: the logit difference is %2 for both items, so there is "
                                "nothing to restore")
                         .arg(pairName(pair))
                         .arg(current.clean));
            return;
        }
        sourceActivations.clear();
        if (patchesFeatures()) {
            rowDeltas = featureDeltas(capture.captured(points.front()),
                                      partnerCapture.captured(points.front()));
        } else {
            for (const detail::HookPoint &point : points) {
                sourceActivations.push_back(capture.captured(point));
            }
        }
        layer = 0;
    }

    /// Per row, Σ_{f in the row} c_f(source, p) − c_f(partner, p) at every position p
    /// ([tokens, d], model units), c_f(x, p) = a_f(x_p)·W_dec[f]·s(x_p).
    std::vector<at::Tensor> featureDeltas(const at::Tensor &source, const at::Tensor &partner) const
    {
        const at::Tensor decoder = sae->weights().wDec;
        const at::Device device = decoder.device();
        const std::vector<int64_t> chosen(options.features.begin(), options.features.end());
        const at::Tensor index = at::tensor(chosen, at::kLong).to(device);
        const at::Tensor directions = decoder.index_select(0, index).to(at::kFloat);  // [k, d]
        const auto contributions = [&](const at::Tensor &x) {
            const at::Tensor flat = x.select(0, 0).to(device, at::kFloat);  // [tokens, d]
            // Only the chosen features' encoder columns: a 262k-feature SAE is not encoded densely.
            const at::Tensor active = sae->encodeFeatures(flat, chosen);     // [tokens, k]
            at::Tensor out = active.unsqueeze(2) * directions.unsqueeze(0);  // [tokens, k, d]
            if (const at::Tensor scale = sae->outputScale(flat); scale.defined()) {
                out = out * scale.unsqueeze(2);
            }
            return out;
        };
        const at::Tensor difference = contributions(source) - contributions(partner);
        std::vector<at::Tensor> out;
        for (const std::vector<int64_t> &row : rowFeatures) {
            out.push_back(difference.index_select(1, at::tensor(row, at::kLong).to(device)).sum(1));
        }
        return out;
    }

    void patchRow()
    {
        std::vector<double> patched;
        if (patchesFeatures()) {
            patched = addedDifferences(model->tensorModel(), rowDeltas[static_cast<size_t>(layer)],
                                       current.partnerTokens, points.front(), current.token,
                                       current.versus);
        } else {
            const int count = static_cast<int>(current.partnerTokens.size());
            std::vector<std::vector<int>> positionSets;
            for (int position = 0; position < count; ++position) {
                positionSets.push_back({position});
            }
            patched = patchedDifferences(model->tensorModel(),
                                         sourceActivations[static_cast<size_t>(layer)],
                                         current.partnerTokens, points[static_cast<size_t>(layer)],
                                         positionSets, current.token, current.versus);
        }
        std::vector<double> restored;
        for (const double value : patched) {
            restored.push_back(restoredFraction(value, current.clean, current.corrupted));
        }
        current.patched.push_back(std::move(patched));
        current.restored.push_back(std::move(restored));
        if (++layer == rows()) {
            result.pairs.push_back(std::move(current));
            sourceActivations.clear();
            rowDeltas.clear();
            ++pairIndex;
            layer = -1;
        }
    }

    void average()
    {
        PatchingMap &map = result.map;
        map.confidence = options.confidence;
        if (patchesFeatures()) {
            map.site = QStringLiteral("sae_features");
            map.saeHook = points.front().name();
            map.features = options.features;
            QStringList all;
            for (const int feature : options.features) {
                map.hooks << QStringLiteral("feature %1").arg(feature);
                all << QString::number(feature);
            }
            if (options.features.size() > 1) {
                map.hooks << QStringLiteral("features %1").arg(all.join(QLatin1Char('+')));
            }
        } else {
            map.site = options.site;
            for (const detail::HookPoint &point : points) {
                map.hooks << point.name();
            }
        }
        for (const PairPatching &pair : result.pairs) {
            map.positions = std::max(map.positions, static_cast<int>(pair.partnerTokens.size()));
        }
        map.alignEnd = options.alignEnd;
        const auto layers = static_cast<size_t>(rows());
        const auto columns = static_cast<size_t>(map.positions);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        map.mean.assign(layers, std::vector<double>(columns, nan));
        map.low = map.mean;
        map.high = map.mean;
        map.count.assign(layers, std::vector<int>(columns, 0));
        for (size_t l = 0; l < layers; ++l) {
            std::vector<std::vector<double>> cells(columns);
            for (const PairPatching &pair : result.pairs) {
                for (size_t p = 0; p < pair.restored[l].size(); ++p) {
                    cells[static_cast<size_t>(map.column(pair, static_cast<int>(p)))].push_back(
                            pair.restored[l][p]);
                }
            }
            for (size_t p = 0; p < columns; ++p) {
                const std::vector<double> &values = cells[p];
                const auto n = static_cast<double>(values.size());
                map.count[l][p] = static_cast<int>(values.size());
                if (values.empty()) {
                    continue;
                }
                double sum = 0.0;
                for (const double v : values) {
                    sum += v;
                }
                const double mean = sum / n;
                map.mean[l][p] = mean;
                if (values.size() < 2) {
                    continue;
                }
                double squares = 0.0;
                for (const double v : values) {
                    squares += (v - mean) * (v - mean);
                }
                const double half = studentTwoSidedCritical(options.confidence, n - 1.0) *
                                    std::sqrt(squares / (n - 1.0) / n);
                map.low[l][p] = mean - half;
                map.high[l][p] = mean + half;
            }
        }
    }
};

ActivationPatchingRun::ActivationPatchingRun(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

ActivationPatchingRun::~ActivationPatchingRun() = default;

namespace {

// Each feature is one batch of patched forwards per pair.
constexpr size_t kMaxPatchedFeatures = 64;

/// The SAE's hook and the rows (each feature, then all of them) for patching SAE features.
Status featureRows(const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
                   const std::vector<int> &features, std::vector<detail::HookPoint> *points,
                   std::vector<std::vector<int64_t>> *rows)
{
    if (!sae) {
        return Status::invalidInput(
                QStringLiteral("patching SAE features needs an SAE: load one (or give --sae)"));
    }
    if (features.size() > kMaxPatchedFeatures) {
        return Status::invalidInput(QStringLiteral("%1 features to patch: at most %2")
                                            .arg(features.size())
                                            .arg(kMaxPatchedFeatures));
    }
    const int64_t width = sae->config().dSae;
    std::set<int> seen;
    for (const int feature : features) {
        if (feature < 0 || feature >= width) {
            return Status::invalidInput(QStringLiteral("feature %1 is outside the SAE's %2 "
                                                       "features")
                                                .arg(feature)
                                                .arg(width));
        }
        if (!seen.insert(feature).second) {
            return Status::invalidInput(QStringLiteral("feature %1 is listed twice").arg(feature));
        }
    }
    const HookLayout layout = hookLayout(model.config());
    const QString hook = sae->config().hookName;
    const std::optional<detail::HookPoint> point = detail::HookPoint::parse(hook, layout);
    if (!point) {
        return Status::invalidInput(QStringLiteral("the SAE reads '%1', which is not a hook "
                                                   "point of the model; %2")
                                            .arg(hook, detail::describeHooks(layout)));
    }
    *points = {*point};
    std::vector<int64_t> all;
    for (size_t i = 0; i < features.size(); ++i) {
        rows->push_back({static_cast<int64_t>(i)});
        all.push_back(static_cast<int64_t>(i));
    }
    if (features.size() > 1) {
        rows->push_back(all);
    }
    return Status::ok();
}

}  // namespace

Result<std::unique_ptr<ActivationPatchingRun>> ActivationPatchingRun::start(
        const LanguageModel &model, const PromptSet &set, const PatchingOptions &options,
        const std::shared_ptr<const detail::SaeModule> &sae)
{
    auto impl = std::make_unique<Impl>();
    impl->model = &model;
    impl->options = options;
    impl->setName = set.displayName();
    if (!options.features.empty()) {
        impl->sae = sae;
        if (Status rows =
                    featureRows(model, sae, options.features, &impl->points, &impl->rowFeatures);
            !rows.isOk()) {
            return rows;
        }
    } else {
        Result<std::vector<detail::HookPoint>> points = sitePoints(model, options.site);
        if (!points) {
            return points.status();
        }
        impl->points = points.value();
    }
    if ((options.token < 0) != (options.versus < 0)) {
        return Status::invalidInput(
                QStringLiteral("give both tokens of the logit difference, or neither (each "
                               "pair's own top next tokens)"));
    }
    const int vocab = model.config().vocabSize;
    if (options.token >= vocab || options.versus >= vocab) {
        return Status::invalidInput(QStringLiteral("logit difference tokens %1 and %2 must be in "
                                                   "the vocabulary [0, %3)")
                                            .arg(options.token)
                                            .arg(options.versus)
                                            .arg(vocab));
    }
    if (!(options.confidence > 0.0 && options.confidence < 1.0)) {
        return Status::invalidInput(
                QStringLiteral("confidence %1 must be between 0 and 1").arg(options.confidence));
    }
    Result<QList<MinimalPair>> pairs = minimalPairs(set);
    if (!pairs) {
        return pairs.status();
    }
    impl->pairs = pairs.value();
    impl->itemTokens.resize(static_cast<size_t>(set.items.size()));
    for (int i = 0; i < set.items.size(); ++i) {
        impl->itemIds << set.items.at(i).id;
    }
    for (const MinimalPair &pair : impl->pairs) {
        for (const int item : {pair.source, pair.partner}) {
            std::vector<int> &tokens = impl->itemTokens[static_cast<size_t>(item)];
            if (!tokens.empty()) {
                continue;
            }
            Result<std::vector<int>> encoded =
                    model.encode(set.items.at(item).text, options.addBos);
            if (!encoded) {
                return encoded.status().withContext(
                        QStringLiteral("%1, item '%2'")
                                .arg(set.displayName(), set.items.at(item).id));
            }
            if (encoded->empty()) {
                return Status::invalidInput(QStringLiteral("%1, item '%2': no tokens")
                                                    .arg(set.displayName(), set.items.at(item).id));
            }
            tokens = encoded.value();
        }
    }
    return std::unique_ptr<ActivationPatchingRun>(new ActivationPatchingRun(std::move(impl)));
}

Status ActivationPatchingRun::step()
{
    Impl &d = *m_impl;
    if (isFinished()) {
        return Status::ok();
    }
    try {
        c10::InferenceMode guard;
        if (d.layer < 0) {
            d.plainForwards();
        } else {
            d.patchRow();
        }
        return Status::ok();
    } catch (...) {
        return statusFromException(std::current_exception());
    }
}

bool ActivationPatchingRun::isFinished() const
{
    return m_impl->pairIndex >= m_impl->pairs.size();
}

double ActivationPatchingRun::fraction() const
{
    const Impl &d = *m_impl;
    const double total = double(d.pairs.size()) * d.stepsPerPair();
    return std::min(1.0, (double(d.pairIndex) * d.stepsPerPair() + (d.layer + 1)) / total);
}

QString ActivationPatchingRun::stage() const
{
    const Impl &d = *m_impl;
    return QStringLiteral("pair %1/%2, %3 %4/%5")
            .arg(std::min(d.pairIndex + 1, static_cast<int>(d.pairs.size())))
            .arg(d.pairs.size())
            .arg(d.patchesFeatures() ? QStringLiteral("row") : QStringLiteral("layer"))
            .arg(std::max(d.layer, 0))
            .arg(d.rows());
}

Result<PatchingResult> ActivationPatchingRun::finish()
{
    Impl &d = *m_impl;
    if (d.result.pairs.empty()) {
        QStringList reasons;
        for (const SkippedPair &skipped : d.result.skipped) {
            if (reasons.size() == 3) {
                reasons << QStringLiteral("...");
                break;
            }
            reasons << skipped.reason;
        }
        return Status::invalidInput(QStringLiteral("%1: none of its %2 pairs could be patched: %3")
                                            .arg(d.setName)
                                            .arg(d.pairs.size())
                                            .arg(reasons.join(QStringLiteral("; "))));
    }
    d.average();
    return std::move(d.result);
}

Result<PatchingResult> patchMinimalPairs(
        const LanguageModel &model, const PromptSet &set, const PatchingOptions &options,
        const std::function<bool(double fraction, const QString &stage)> &progress,
        const std::shared_ptr<const detail::SaeModule> &sae)
{
    Result<std::unique_ptr<ActivationPatchingRun>> run =
            ActivationPatchingRun::start(model, set, options, sae);
    if (!run) {
        return run.status();
    }
    while (!run.value()->isFinished()) {
        if (progress && !progress(run.value()->fraction(), run.value()->stage())) {
            return Status::cancelled();
        }
        if (Status ok = run.value()->step(); !ok.isOk()) {
            return ok;
        }
    }
    return run.value()->finish();
}

}  // namespace gyrus::gpu
