// FakeEngineClient's feature inspector requests: scans in slices, made-up but deterministic
// feature details.

#include "tests/support/fake_engine_client.h"

#include <QThread>

#include <cmath>

namespace gyrus::test {

FeatureDetails FakeEngineClient::fakeDetailsFor(int feature)
{
    FeatureDetails d;
    d.feature = feature;
    d.corpusPath = QStringLiteral("fake/heldout.txt");
    d.scannedTokens = 10000;
    d.density = 0.01 + (feature % 10) * 0.001;
    for (int j = 0; j < 5; ++j) {
        d.top.append({10.0 - 0.5 * j, qint64(100 * j + feature), QStringLiteral("The jury said"),
                      QStringLiteral(" f%1").arg(feature), QStringLiteral(" was fair.")});
    }
    d.maxActivation = d.top.front().activation;
    d.histogramLog10Low = -1;
    d.histogramLog10High = 1;
    for (int b = 0; b < 4; ++b) {
        d.histogram.append(40 - 10 * b);
        FeatureBinExamples bin;
        bin.low = std::pow(10.0, -1 + 0.5 * b);
        bin.high = std::pow(10.0, -0.5 + 0.5 * b);
        bin.count = 40 - 10 * b;
        bin.examples.append({bin.high * 0.9, qint64(b), QStringLiteral("It rained"),
                             QStringLiteral(" bin%1").arg(b), QStringLiteral(" all day.")});
        d.bins.append(bin);
    }
    for (int j = 0; j < 3; ++j) {
        d.boosted.append({j, QStringLiteral("up%1").arg(j), 2.0 - j * 0.5});
        d.suppressed.append({10 + j, QStringLiteral("down%1").arg(j), -2.0 + j * 0.5});
    }
    for (int j = 1; j <= 4; ++j) {
        d.neighbours.append({(feature + j) % 1024, 0.9 - 0.1 * j});
    }
    return d;
}

CorpusScanRequest FakeEngineClient::lastScanRequest() const
{
    QMutexLocker lock(&m_logMutex);
    return m_lastScan;
}

RequestId FakeEngineClient::scanCorpus(const CorpusScanRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("scan ") + request.corpusPath;
        m_lastScan = request;
    }
    const bool hasSae = !m_currentSae.path.isEmpty();
    auto slice = std::make_shared<int>(0);
    const int slices = m_scanSlices;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{
            QStringLiteral("scan corpus"), QString(),
            [this, request, hasSae, slice, slices, sliceMs](JobContext &context, Status *status) {
                if (!hasSae) {
                    *status = Status::invalidInput(QStringLiteral("no SAE loaded"));
                    return JobStep::Done;
                }
                if (request.corpusPath.contains(QLatin1String("missing"))) {
                    *status =
                            Status::notFound(request.corpusPath + QStringLiteral(": no such file"));
                    return JobStep::Done;
                }
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                QThread::msleep(static_cast<unsigned long>(sliceMs));
                context.reportProgress(double(++*slice) / slices,
                                       QStringLiteral("slice %1 of %2").arg(*slice).arg(slices));
                if (*slice < slices) {
                    return JobStep::Continue;
                }
                m_hasScan = true;
                CorpusScanSummary summary;
                summary.corpusPath = request.corpusPath;
                summary.scannedTokens = 10000;
                summary.features = 1024;
                summary.densestFeature = 7;
                summary.savedPath = request.savePath;
                Q_EMIT corpusScanReady(context.id(), summary);
                return JobStep::Done;
            }});
}

RequestId FakeEngineClient::loadCorpusScan(const QString &path)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("load-scan ") + path;
    }
    const int width = m_currentSae.path.isEmpty() ? 1024 : m_currentSae.dSae;
    return m_runner.submit(
            Job{QStringLiteral("load corpus scan"), QStringLiteral("load-corpus-scan"),
                [this, path, width](JobContext &context, Status *status) {
                    if (!m_savedScanAvailable) {
                        *status = Status::notFound(path + QStringLiteral(": no scan"));
                        return JobStep::Done;
                    }
                    m_hasScan = true;
                    CorpusScanSummary summary;
                    summary.corpusPath = QStringLiteral("fake/heldout.txt");
                    summary.scannedTokens = 10000;
                    summary.features = width;
                    summary.densestFeature = 7;
                    summary.loadedFromFile = true;
                    summary.savedPath = path;
                    Q_EMIT corpusScanReady(context.id(), summary);
                    return JobStep::Done;
                }});
}

RequestId FakeEngineClient::featureDetails(int feature)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("details %1").arg(feature);
    }
    const int features = m_currentSae.path.isEmpty() ? 0 : m_currentSae.dSae;
    return m_runner.submit(Job{
            QStringLiteral("feature details"), QStringLiteral("feature-details"),
            [this, feature, features](JobContext &context, Status *status) {
                if (features == 0) {
                    *status = Status::invalidInput(QStringLiteral("no SAE loaded"));
                } else if (feature < 0 || feature >= features) {
                    *status = Status::invalidInput(
                            QStringLiteral("feature %1 is out of range").arg(feature));
                } else if (!m_hasScan) {
                    *status = Status::notFound(QStringLiteral("no corpus scan yet"));
                } else {
                    Q_EMIT featureDetailsReady(context.id(), std::make_shared<const FeatureDetails>(
                                                                     fakeDetailsFor(feature)));
                }
                return JobStep::Done;
            }});
}

}  // namespace gyrus::test
