// FakeEngineClient's RSA request: a deterministic result shaped by the request's prompt set, so
// widget tests see the real grouping, ids and texts without a model.

#include "core/rsa/model_rdm.h"
#include "tests/support/fake_engine_client.h"

#include <QThread>

#include <cmath>

namespace gyrus::test {

namespace {

std::shared_ptr<const RsaResult> fakeRsa(const RsaRequest &request, Status *status)
{
    auto result = std::make_shared<RsaResult>();
    result->request = request;
    if (result->request.hookName.isEmpty()) {
        result->request.hookName = QStringLiteral("blocks.2.hook_resid_post");
    }
    const PromptSet &set = request.set;
    result->items = rsaItemOrder(set);
    const QStringList ids = rsaItemIds(set, result->items);
    for (int item : result->items) {
        result->texts << set.items[item].text;
        result->conditions << set.conditionOf(item);
    }
    const int64_t n = result->items.size();
    std::vector<float> condensed;
    std::vector<float> clamped;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            const bool same = result->conditions[int(i)] == result->conditions[int(j)];
            const float noise = 0.05F * float(std::sin(double(i * 7 + j * 3)));
            condensed.push_back((same ? 0.2F : 1.0F) + noise);
            clamped.push_back(condensed.back() + 0.1F * float(j - i) / float(n));
        }
    }
    Result<Rdm> rdm = Rdm::fromCondensed(ids, condensed, nameOf(request.metric));
    if (!rdm) {
        *status = rdm.status();
        return nullptr;
    }
    result->rdm = *rdm;
    if (request.intervention) {
        result->clampedRdm = *Rdm::fromCondensed(ids, clamped, nameOf(request.metric));
        result->hasIntervention = true;
    }
    for (const PromptFactor &factor : set.factors) {
        std::vector<int64_t> levels;
        for (int item : result->items) {
            levels.push_back(factor.levels.indexOf(set.items[item].levels.value(factor.name)));
        }
        Result<Rdm> model = categoricalModelRdm(ids, levels, factor.name);
        if (!model) {
            continue;
        }
        RsaModelFit fit{factor.name, *model, {}, {}};
        fit.comparison.method = request.comparisonMethod;
        fit.comparison.r = 0.5;
        fit.comparison.p = 1.0 / (request.permutations + 1);
        fit.comparison.permutations = request.permutations;
        fit.comparison.bootstraps = request.bootstraps;
        fit.comparison.ciLow = 0.4;
        fit.comparison.ciHigh = 0.6;
        if (request.intervention) {
            fit.clampedComparison = fit.comparison;
            fit.clampedComparison.r = 0.3;
        }
        result->models << fit;
    }
    // Conditions on a circle, items on a small circle around their condition.
    const QList<PromptCondition> conditions = set.conditions();
    for (int64_t i = 0; i < n; ++i) {
        int c = 0;
        while (c < conditions.size() && conditions[c].label != result->conditions[int(i)]) {
            ++c;
        }
        const double angle = 2.0 * M_PI * c / std::max<qsizetype>(1, conditions.size());
        result->mdsX.push_back(std::cos(angle) + 0.1 * std::cos(double(i)));
        result->mdsY.push_back(std::sin(angle) + 0.1 * std::sin(double(i)));
    }
    result->mdsExplained = 0.8;
    result->featureCount = request.subset == RsaFeatureSubset::Explicit
                                   ? int(request.features.size())
                                   : (request.saeFeatures ? 1024 : 256);
    result->features = request.features;
    return result;
}

}  // namespace

RequestId FakeEngineClient::computeRsa(const RsaRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("rsa ") + request.set.name;
        m_lastRsa = request;
        ++m_rsaRequests;
    }
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{QStringLiteral("RSA"), QStringLiteral("rsa"),
                               [this, request, sliceMs](JobContext &context, Status *status) {
                                   if (context.isCancelled()) {
                                       return JobStep::Done;
                                   }
                                   if (request.set.items.size() < 3) {
                                       *status = Status::invalidInput(QStringLiteral(
                                               "an RDM comparison needs at least 3 items"));
                                       return JobStep::Done;
                                   }
                                   QThread::msleep(static_cast<unsigned long>(sliceMs));
                                   std::shared_ptr<const RsaResult> result =
                                           fakeRsa(request, status);
                                   if (result) {
                                       Q_EMIT rsaComputed(context.id(), result);
                                   }
                                   return JobStep::Done;
                               }});
}

RsaRequest FakeEngineClient::lastRsaRequest() const
{
    QMutexLocker lock(&m_logMutex);
    return m_lastRsa;
}

int FakeEngineClient::rsaRequestCount() const
{
    QMutexLocker lock(&m_logMutex);
    return m_rsaRequests;
}

}  // namespace gyrus::test
