#include "gpu/sae/steering/concept_sweep.h"

#include "gpu/analysis/concept_vector.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/engine/torch_errors.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/steering.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>

namespace gyrus::gpu {

struct ConceptSweepRun::Impl
{
    const LanguageModel *model = nullptr;
    std::shared_ptr<const detail::SaeModule> sae;
    ConceptSweepRequest request;
    Pooling pooling = Pooling::LastToken;
    std::vector<int> tokens;
    int requestedTarget = -1;  ///< -1: the baseline's top token
    std::vector<float> direction;
    ClampSet featureClamps;  ///< the k features, Add mode, value Δ_f (scaled by α per step)
    std::vector<float> baseline;
    int stepsDone = 0;  ///< 0: nothing; 1: vector and features; 2: baseline; 2 + i: α i done
    bool failed = false;
    ConceptSweepResult result;

    int totalSteps() const { return 2 + static_cast<int>(request.alphas.size()); }

    Status prepareConcept();
    Status prepareBaseline();
    Status runAlpha(int index);
};

namespace {

/// Σ Δ_f · W_dec[f] over the chosen features, its norm and cosine with `direction`.
void featureVectorGeometry(const detail::SaeModule &sae, const QList<ConceptSweepFeature> &features,
                           const std::vector<float> &direction, ConceptSweepResult &result)
{
    c10::InferenceMode guard;
    // Only the chosen rows in float64: the whole decoder would be 4.8 GB at 262k x 2304.
    std::vector<int64_t> ids;
    for (const ConceptSweepFeature &feature : features) {
        ids.push_back(feature.feature);
    }
    const at::Tensor decoder = sae.weights().wDec;
    const at::Tensor index = at::tensor(at::ArrayRef<int64_t>(ids), at::kLong);
    const at::Tensor rows =
            decoder.index_select(0, index.to(decoder.device())).to(at::kCPU, at::kDouble);
    at::Tensor sum = at::zeros({decoder.size(1)}, at::kDouble);
    for (int64_t i = 0; i < int64_t(ids.size()); ++i) {
        sum.add_(rows.select(0, i) * features[int(i)].difference);
    }
    const at::Tensor v = at::tensor(at::ArrayRef<float>(direction), at::kFloat).to(at::kDouble);
    result.featuresNorm = sum.norm().item<double>();
    const double denominator = result.featuresNorm * result.conceptNorm;
    result.cosine = denominator > 0 ? at::dot(sum, v).item<double>() / denominator : 0.0;
}

}  // namespace

Status ConceptSweepRun::Impl::prepareConcept()
{
    const QString hook = sae->config().hookName;
    ConceptVectorOptions options;
    options.hookName = hook;
    options.pooling = pooling;
    options.sideA = request.concept.sideA;
    options.sideB = request.concept.sideB;
    options.topFeatures = 0;
    Result<ConceptVector> concept = conceptVector(*model, request.concept.set, options);
    if (!concept) {
        return concept.status();
    }
    direction = concept->direction;
    result.hook = hook;
    result.sideA = concept->sideA;
    result.sideB = concept->sideB;
    result.itemsA = concept->itemsA;
    result.itemsB = concept->itemsB;
    result.conceptNorm = concept->norm;

    // The features' mean difference on the same items and pooling as the vector.
    RepresentationOptions representation;
    representation.hookName = hook;
    representation.pooling = pooling;
    representation.sae = sae;
    Result<PromptRepresentations> rows =
            promptRepresentations(*model, request.concept.set, representation);
    if (!rows) {
        return rows.status();
    }
    Result<QList<int>> itemsA = itemsOfSide(request.concept.set, request.concept.sideA);
    Result<QList<int>> itemsB = itemsOfSide(request.concept.set, request.concept.sideB);
    if (!itemsA || !itemsB) {
        return itemsA ? itemsB.status() : itemsA.status();
    }
    QList<int> rowsA;
    QList<int> rowsB;
    for (int row = 0; row < rows->items.size(); ++row) {
        if (itemsA->contains(rows->items[row])) {
            rowsA << row;
        }
        if (itemsB->contains(rows->items[row])) {
            rowsB << row;
        }
    }
    if (rowsA.isEmpty() || rowsB.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("'%1' has no items left to average")
                        .arg(rowsA.isEmpty() ? request.concept.sideA : request.concept.sideB));
    }
    const std::vector<float> difference = meanDifference(rows->values, rowsA, rowsB);
    std::vector<int> order(difference.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t k = std::min(order.size(), static_cast<size_t>(request.topFeatures));
    // Largest |Δ| first; ties by index, so a run is reproducible.
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](int a, int b) {
                          const float da = std::abs(difference[size_t(a)]);
                          const float db = std::abs(difference[size_t(b)]);
                          return da != db ? da > db : a < b;
                      });
    featureClamps = ClampSet();
    featureClamps.name = QStringLiteral("top contrast features");
    result.features.clear();
    for (size_t i = 0; i < k; ++i) {
        const int feature = order[i];
        const double delta = difference[size_t(feature)];
        if (delta == 0.0) {
            break;  // a feature that does not differ steers nothing
        }
        result.features.append(ConceptSweepFeature{feature, delta});
        FeatureClamp clamp;
        clamp.feature = feature;
        clamp.mode = ClampMode::Add;
        clamp.value = delta;
        featureClamps.clamps.append(clamp);
    }
    if (result.features.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("no SAE feature's mean activation differs between '%1' and '%2'")
                        .arg(request.concept.sideA, request.concept.sideB));
    }
    try {
        featureVectorGeometry(*sae, result.features, direction, result);
    } catch (...) {
        return statusFromException(std::current_exception());
    }
    return Status::ok();
}

Status ConceptSweepRun::Impl::prepareBaseline()
{
    Result<std::vector<float>> plain = nextTokenLogProbabilities(*model, sae, ClampSet(), tokens);
    if (!plain) {
        return plain.status();
    }
    baseline = plain.value();
    int target = requestedTarget;
    if (target < 0) {
        target = static_cast<int>(std::max_element(baseline.begin(), baseline.end()) -
                                  baseline.begin());
    }
    result.targetId = target;
    result.targetPiece = model->tokenizer().displayPiece(target);
    result.baselineLogProbability = baseline[size_t(target)];
    return Status::ok();
}

Status ConceptSweepRun::Impl::runAlpha(int index)
{
    const double alpha = request.alphas.at(index);
    Interventions vector;
    SteeringVector steering;
    steering.hook = result.hook;
    steering.label = QStringLiteral("%1 − %2").arg(result.sideA, result.sideB);
    steering.direction = direction;
    steering.alpha = alpha;
    vector.vectors.append(steering);
    Result<std::vector<float>> byVector =
            nextTokenLogProbabilities(*model, sae, ClampSet(), tokens, vector);
    if (!byVector) {
        return byVector.status();
    }
    ClampSet clamps = featureClamps;
    for (FeatureClamp &clamp : clamps.clamps) {
        clamp.value *= alpha;
    }
    Result<std::vector<float>> byFeatures = nextTokenLogProbabilities(*model, sae, clamps, tokens);
    if (!byFeatures) {
        return byFeatures.status();
    }
    ConceptSweepPoint point;
    point.alpha = alpha;
    point.conceptLogProbability = byVector.value()[size_t(result.targetId)];
    point.conceptKl = klDivergence(baseline, byVector.value());
    point.featuresLogProbability = byFeatures.value()[size_t(result.targetId)];
    point.featuresKl = klDivergence(baseline, byFeatures.value());
    result.points.append(point);
    return Status::ok();
}

ConceptSweepRun::ConceptSweepRun(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{}

ConceptSweepRun::~ConceptSweepRun() = default;

Result<std::unique_ptr<ConceptSweepRun>> ConceptSweepRun::start(
        const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
        const ConceptSweepRequest &request)
{
    if (!sae) {
        return Status::invalidInput(
                QStringLiteral("the feature side of the sweep needs an SAE: load one"));
    }
    if (request.alphas.isEmpty()) {
        return Status::invalidInput(QStringLiteral("the sweep needs at least one strength α"));
    }
    for (const double alpha : request.alphas) {
        if (!std::isfinite(alpha)) {
            return Status::invalidInput(QStringLiteral("strength α %1 is not finite").arg(alpha));
        }
    }
    if (request.topFeatures < 1) {
        return Status::invalidInput(QStringLiteral("the sweep needs at least one feature (k = %1)")
                                            .arg(request.topFeatures));
    }
    if (request.concept.pooling == Pooling::Window) {
        return Status::invalidInput(
                QStringLiteral("pooling '%1' does not give one vector per item (last, mean, "
                               "target, legacy-centred, legacy-left-first)")
                        .arg(nameOf(request.concept.pooling)));
    }
    for (const QString &side : {request.concept.sideA, request.concept.sideB}) {
        if (Result<QList<int>> items = itemsOfSide(request.concept.set, side); !items) {
            return items.status();
        }
    }
    if (request.concept.sideA == request.concept.sideB) {
        return Status::invalidInput(
                QStringLiteral("sides A and B are both '%1'").arg(request.concept.sideA));
    }
    Result<std::vector<int>> tokens = model.encode(request.prompt);
    if (!tokens) {
        return tokens.status();
    }
    if (request.prompt.trimmed().isEmpty() || tokens->empty()) {
        return Status::invalidInput(QStringLiteral("the prompt is empty"));
    }
    auto impl = std::make_unique<Impl>();
    if (!request.targetToken.isEmpty()) {
        Result<std::vector<int>> ids = model.encode(request.targetToken, false);
        if (!ids || ids->empty()) {
            return Status::invalidInput(QStringLiteral("target token '%1' encodes to no token")
                                                .arg(request.targetToken));
        }
        impl->requestedTarget = ids->front();
    }
    impl->model = &model;
    impl->sae = sae;
    impl->request = request;
    impl->pooling = request.concept.pooling;
    impl->tokens = tokens.value();
    return std::unique_ptr<ConceptSweepRun>(new ConceptSweepRun(std::move(impl)));
}

Status ConceptSweepRun::step()
{
    Impl &d = *m_impl;
    if (isFinished()) {
        return Status::ok();
    }
    Status status;
    if (d.stepsDone == 0) {
        status = d.prepareConcept();
    } else if (d.stepsDone == 1) {
        status = d.prepareBaseline();
    } else {
        status = d.runAlpha(d.stepsDone - 2);
    }
    if (!status.isOk()) {
        d.failed = true;
        return status;
    }
    ++d.stepsDone;
    return Status::ok();
}

bool ConceptSweepRun::isFinished() const
{
    return m_impl->failed || m_impl->stepsDone >= m_impl->totalSteps();
}

double ConceptSweepRun::fraction() const
{
    return double(m_impl->stepsDone) / double(m_impl->totalSteps());
}

QString ConceptSweepRun::stage() const
{
    const Impl &d = *m_impl;
    if (d.stepsDone == 0) {
        return QStringLiteral("concept vector and contrast features");
    }
    if (d.stepsDone == 1) {
        return QStringLiteral("baseline");
    }
    return QStringLiteral("α %1 / %2").arg(d.stepsDone - 1).arg(d.request.alphas.size());
}

const ConceptSweepResult &ConceptSweepRun::result() const
{
    return m_impl->result;
}

Result<ConceptSweepResult> sweepConceptSteering(
        const LanguageModel &model, const std::shared_ptr<const detail::SaeModule> &sae,
        const ConceptSweepRequest &request,
        const std::function<bool(double fraction, const QString &stage)> &progress)
{
    Result<std::unique_ptr<ConceptSweepRun>> run = ConceptSweepRun::start(model, sae, request);
    if (!run) {
        return run.status();
    }
    while (!(*run)->isFinished()) {
        if (progress && !progress((*run)->fraction(), (*run)->stage())) {
            return Status::cancelled(QStringLiteral("concept sweep cancelled"));
        }
        if (Status status = (*run)->step(); !status.isOk()) {
            return status;
        }
    }
    return (*run)->result();
}

}  // namespace gyrus::gpu
