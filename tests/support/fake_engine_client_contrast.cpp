// FakeEngineClient's Contrasts-dock requests: synthetic but deterministic results whose numbers
// depend on the feature and the effect, so widget tests can tell effects and rows apart.

#include "tests/support/fake_engine_client.h"

#include <QDir>
#include <QFile>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace gyrus::test {

namespace {

std::vector<double> bhQ(const std::vector<double> &p)
{
    const size_t n = p.size();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
    std::vector<double> q(n, 1.0);
    double running = 1.0;
    for (size_t rank = n; rank-- > 0;) {
        running = std::min(running, p[order[rank]] * double(n) / double(rank + 1));
        q[order[rank]] = running;
    }
    return q;
}

ContrastEffect syntheticEffect(int features, int effect, const QString &name, const QString &a,
                               const QString &b)
{
    ContrastEffect out;
    out.name = name;
    out.sideA = a;
    out.sideB = b;
    ContrastResult &s = out.stats;
    for (int j = 0; j < features; ++j) {
        const double d = 2.0 * std::sin(0.37 * j + 1.3 * effect);
        const double t = 3.0 * d;
        s.d.push_back(d);
        s.g.push_back(0.98 * d);
        s.t.push_back(t);
        s.df.push_back(30);
        s.p.push_back(std::min(1.0, std::exp(-std::abs(t))));
        s.meanDiff.push_back(0.5 * d);
        s.zeroVariance.push_back(false);
        out.meanA.push_back(1.0 + 0.5 * d);
        out.meanB.push_back(1.0);
    }
    s.q = bhQ(s.p);
    s.name = name;
    s.countA = 20;
    s.countB = 20;
    return out;
}

}  // namespace

RequestId FakeEngineClient::runContrast(const ContrastSource &source)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("contrast ") + source.factor;
        m_lastContrastSource = source;
    }
    const int features = m_contrastFeatures;
    return m_runner.submit(Job{
            QStringLiteral("contrast"), QStringLiteral("contrast"),
            [this, source, features](JobContext &context, Status *status) {
                if (!m_hasModel) {
                    *status = Status::invalidInput(QStringLiteral("no model loaded"));
                    return JobStep::Done;
                }
                auto result = std::make_shared<ContrastAnalysisResult>();
                result->representation = source.saeFeatures
                                                 ? QStringLiteral("SAE features")
                                                 : QStringLiteral("raw ") + source.hookName;
                result->featureCount = features;
                result->itemCount = source.promptSet.items.size();
                if (source.factorial) {
                    result->effects = {syntheticEffect(features, 0, QStringLiteral("main A"),
                                                       QStringLiteral("a1"), QStringLiteral("a0")),
                                       syntheticEffect(features, 1, QStringLiteral("main B"),
                                                       QStringLiteral("b1"), QStringLiteral("b0")),
                                       syntheticEffect(features, 2, QStringLiteral("interaction"),
                                                       QStringLiteral("diagonal"),
                                                       QStringLiteral("off-diagonal"))};
                } else {
                    result->effects = {syntheticEffect(features, 0, source.factor, source.levelA,
                                                       source.levelB)};
                }
                Q_EMIT contrastReady(context.id(), result);
                return JobStep::Done;
            }});
}

RequestId FakeEngineClient::computeFeatureRsaMap(const ContrastSource &source)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("rsa-map ") + source.factor;
        m_lastContrastSource = source;
    }
    const int features = m_contrastFeatures;
    return m_runner.submit(Job{QStringLiteral("feature RSA map"), QStringLiteral("feature-rsa-map"),
                               [this, source, features](JobContext &context, Status *status) {
                                   if (!m_hasModel) {
                                       *status = Status::invalidInput(
                                               QStringLiteral("no model loaded"));
                                       return JobStep::Done;
                                   }
                                   auto map = std::make_shared<FeatureRsaMap>();
                                   map->sideA = source.levelA;
                                   map->sideB = source.levelB;
                                   map->itemCount = source.promptSet.items.size();
                                   for (int j = 0; j < features; ++j) {
                                       const double x = std::abs(std::sin(0.37 * j));
                                       map->maxActivation.push_back(x);
                                       map->pooledSeparationR.push_back(0.8 * x - 0.1);
                                       map->pooledSeparationD.push_back(1.5 * x * x);
                                       if (source.pooling == Pooling::Window) {
                                           map->temporalDiscriminativeRsa.push_back(0.5 - x);
                                           map->temporalCategoricalRsa.push_back(x - 0.25);
                                       }
                                   }
                                   Q_EMIT featureRsaMapReady(context.id(), map);
                                   return JobStep::Done;
                               }});
}

RequestId FakeEngineClient::compareMethods(const MethodComparisonRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("compare-methods");
        m_lastComparison = request;
    }
    const QList<SelectionMethod> methods =
            request.methods.isEmpty() ? QList<SelectionMethod>{SelectionMethod::MeanDifference,
                                                               SelectionMethod::Univariate,
                                                               SelectionMethod::PooledSeparationR,
                                                               SelectionMethod::PooledSeparationD}
                                      : request.methods;
    auto done = std::make_shared<int>(0);
    const int slices = m_comparisonSlices;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(
            Job{QStringLiteral("compare methods"), QString(),
                [this, request, methods, done, slices, sliceMs](JobContext &context, Status *) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (*done < slices) {
                        QThread::msleep(static_cast<unsigned long>(sliceMs));
                        ++*done;
                        context.reportProgress(double(*done) / slices, QStringLiteral("fake"));
                        return JobStep::Continue;
                    }
                    auto result = std::make_shared<MethodComparisonResult>();
                    result->sideA = request.source.levelA;
                    result->sideB = request.source.levelB;
                    result->settings = request;
                    for (int m = 0; m < methods.size(); ++m) {
                        MethodComparisonRow row;
                        row.method = methods[m];
                        row.balancedAccuracy = 0.9 - 0.05 * m;
                        row.balancedAccuracyLow = row.balancedAccuracy - 0.04;
                        row.balancedAccuracyHigh = row.balancedAccuracy + 0.03;
                        row.auc = 0.95 - 0.04 * m;
                        row.aucLow = row.auc - 0.03;
                        row.aucHigh = row.auc + 0.02;
                        row.nullMean = 0.5;
                        row.nullLow = 0.4;
                        row.nullHigh = 0.6;
                        row.p = 0.01;
                        for (int f = 0; f < request.k; ++f) {
                            row.selectedFeatures.push_back(10 * m + f);
                            if (request.source.saeFeatures) {  // weights 1, −0.5, 1, …
                                row.ensembleWeights.push_back(f % 2 == 0 ? 1.0 : -0.5);
                                row.ensembleSds.push_back(0.25 * (f + 1));
                            }
                        }
                        result->rows.append(row);
                    }
                    Q_EMIT methodComparisonReady(context.id(), result);
                    return JobStep::Done;
                }});
}

RequestId FakeEngineClient::replicate(const ReplicationRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("replicate");
        m_lastReplication = request;
    }
    auto done = std::make_shared<int>(0);
    const int slices = m_comparisonSlices;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(
            Job{QStringLiteral("replication report"), QString(),
                [this, request, done, slices, sliceMs](JobContext &context, Status *status) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (*done < slices) {
                        QThread::msleep(static_cast<unsigned long>(sliceMs));
                        ++*done;
                        context.reportProgress(
                                double(*done) / slices,
                                QStringLiteral("stage %1 of %2 · ETA 1 s").arg(*done).arg(slices));
                        return JobStep::Continue;
                    }
                    QDir().mkpath(request.outputDirectory);
                    QFile html(request.outputDirectory + QStringLiteral("/report.html"));
                    if (!html.open(QIODevice::WriteOnly) || html.write("fake replication") < 0) {
                        *status = Status::invalidInput(
                                QStringLiteral("%1: cannot write").arg(html.fileName()));
                        return JobStep::Done;
                    }
                    ReplicationOutcome outcome;
                    outcome.directory = request.outputDirectory;
                    outcome.htmlPath = html.fileName();
                    outcome.verdicts = {QStringLiteral("(1): supported"),
                                        QStringLiteral("(2): supported"),
                                        QStringLiteral("(3): supported")};
                    Q_EMIT replicationWritten(context.id(), outcome);
                    return JobStep::Done;
                }});
}

// Each representation × method ranks the lines from its own offset on (raw first, then SAE),
// with features 3m, 3m + 1, ... and weights 1, -0.5, ...; slices like the comparison's.
RequestId FakeEngineClient::rankCorpusTexts(const TextRankingRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        QStringList names;
        for (SelectionMethod method : request.methods) {
            names << nameOf(method);
        }
        m_log << QStringLiteral("rank-texts ") + names.join(QLatin1Char(','));
    }
    auto done = std::make_shared<int>(0);
    const int slices = m_comparisonSlices;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{
            QStringLiteral("rank corpus texts"), QString(),
            [this, request, done, slices, sliceMs](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (request.corpus.size() < request.top || request.methods.isEmpty()) {
                    *status = Status::invalidInput(QStringLiteral("too few corpus lines"));
                    return JobStep::Done;
                }
                if (*done < slices) {
                    QThread::msleep(static_cast<unsigned long>(sliceMs));
                    ++*done;
                    context.reportProgress(
                            double(*done) / slices,
                            QStringLiteral("ranking %1 of %2 · ETA 1 s").arg(*done).arg(slices));
                    return JobStep::Continue;
                }
                auto rankings = std::make_shared<MethodTextRankings>();
                int offset = 0;
                for (const QString &representation :
                     {QStringLiteral("raw"), QStringLiteral("sae")}) {
                    for (int m = 0; m < request.methods.size(); ++m, ++offset) {
                        MethodTextRanking r;
                        r.representation = representation;
                        r.method = request.methods[m];
                        for (int j = 0; j < request.k; ++j) {
                            r.features.push_back(3 * m + j);
                            r.weights.push_back(j % 2 == 0 ? 1.0 : -0.5);
                        }
                        for (int i = 0; i < request.top; ++i) {
                            r.top << int((offset + i) % request.corpus.size());
                        }
                        rankings->append(r);
                    }
                }
                Q_EMIT textRankingReady(context.id(), rankings);
                return JobStep::Done;
            }});
}

ReplicationRequest FakeEngineClient::lastReplicationRequest() const
{
    QMutexLocker lock(&m_logMutex);
    return m_lastReplication;
}

ContrastSource FakeEngineClient::lastContrastSource() const
{
    QMutexLocker lock(&m_logMutex);
    return m_lastContrastSource;
}

MethodComparisonRequest FakeEngineClient::lastComparisonRequest() const
{
    QMutexLocker lock(&m_logMutex);
    return m_lastComparison;
}

}  // namespace gyrus::test
