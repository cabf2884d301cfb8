// bench_job_eta: is the ETA the SAE training dock shows right? For each of its long jobs (SAE
// training streamed from the loaded model over a corpus; "Create activation cache"), run through
// TorchEngineClient as the GUI does, take the ETA shown at the first report after 10% of the
// work and compare it with the time the job then actually took. Prints JSON; "ok" is
// |ETA − actual| ≤ 20% of actual. The training also reports what the trainer's former estimate
// (remaining tokens over tokens/s since the run was created) would have shown.
//
//   bench_job_eta [--tokens N] [--batch B] [--cache-tokens N] [--corpus FILE]
//
// OMP_NUM_THREADS=1 is advisable on a shared machine (the figure is a ratio within one run).

#include "core/engine/engine_client.h"
#include "gpu/engine/torch_engine_client.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimer>

#include <cmath>
#include <cstdio>
#include <optional>

using namespace gyrus;

namespace {

constexpr double kLimit = 0.2;

struct Sample
{
    double atSeconds = -1;   // when the ETA was shown
    double etaSeconds = -1;  // what it said
    double formerEta = -1;   // training: the former estimate at the same report
    double fraction = 0;     // of the work done then
    double endSeconds = -1;  // when the job finished
    Status status = Status::ok();
};

// Waits for request `id` to finish, calling `onProgress` for its progress reports.
Status waitFor(EngineClient &engine, RequestId id, int timeoutMs)
{
    QEventLoop loop;
    Status result = Status::internal(QStringLiteral("timed out"));
    QObject::connect(&engine, &EngineClient::finished, &loop,
                     [&](RequestId done, const Status &status) {
                         if (done == id) {
                             result = status;
                             loop.quit();
                         }
                     });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return result;
}

QJsonObject report(const Sample &s)
{
    const double actual = s.endSeconds - s.atSeconds;
    const double error = actual > 0 ? std::abs(s.etaSeconds - actual) / actual : NAN;
    QJsonObject json{
            {QStringLiteral("status"), s.status.isOk() ? QStringLiteral("ok") : s.status.message()},
            {QStringLiteral("fraction_at_eta"), s.fraction},
            {QStringLiteral("eta_shown_s"), s.etaSeconds},
            {QStringLiteral("actual_remaining_s"), actual},
            {QStringLiteral("total_s"), s.endSeconds},
            {QStringLiteral("relative_error"), error},
            {QStringLiteral("limit"), kLimit},
            {QStringLiteral("ok"), s.status.isOk() && error <= kLimit},
    };
    if (s.formerEta >= 0 && actual > 0) {
        json[QStringLiteral("former_estimate_s")] = s.formerEta;
        json[QStringLiteral("former_relative_error")] = std::abs(s.formerEta - actual) / actual;
    }
    return json;
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOptions({
            {QStringLiteral("tokens"), QStringLiteral("Training tokens."), QStringLiteral("N"),
             QStringLiteral("102400")},
            {QStringLiteral("batch"), QStringLiteral("Training batch."), QStringLiteral("B"),
             QStringLiteral("1024")},
            {QStringLiteral("cache-tokens"), QStringLiteral("Activations to cache."),
             QStringLiteral("N"), QStringLiteral("30000")},
            {QStringLiteral("corpus"), QStringLiteral("Text the model reads."),
             QStringLiteral("FILE"),
             QStringLiteral(GYRUS_SOURCE_DIR "/datasets/corpus/heldout.txt")},
    });
    parser.process(app);
    const QString model = QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/model");
    QTemporaryDir scratch;
    gpu::TorchEngineClient engine;
    const RequestId load = engine.loadModel(ModelSpec{model});
    if (Status loaded = waitFor(engine, load, 300000); !loaded.isOk()) {
        std::fprintf(stderr, "bench_job_eta: %s\n", qPrintable(loaded.message()));
        return 1;
    }
    const QString hook = QStringLiteral("blocks.2.hook_resid_post");

    // 1. SAE training streamed from the model, as the dock's "Stream from the loaded model".
    SaeTrainRequest train;
    train.corpusPath = parser.value(QStringLiteral("corpus"));
    train.sae.hookName = hook;
    train.sae.architecture = SaeArchitecture::TopK;
    train.sae.dSae = 768;
    train.sae.k = 32;
    train.batchSize = parser.value(QStringLiteral("batch")).toInt();
    train.totalTokens = parser.value(QStringLiteral("tokens")).toLongLong();
    train.bufferTokens = 8192;
    train.normalisationTokens = 8192;
    train.outDirectory = scratch.filePath(QStringLiteral("sae"));
    Sample training;
    QElapsedTimer clock;
    clock.start();
    const RequestId trainId = engine.trainSae(train);
    QObject::connect(&engine, &EngineClient::saeTrainingProgress, &app,
                     [&](RequestId id, const SaeTrainMetrics &p) {
                         const double fraction =
                                 double(p.step) / double(qMax<qint64>(1, p.totalSteps));
                         if (id != trainId || training.atSeconds >= 0 || fraction < 0.1) {
                             return;
                         }
                         training.atSeconds = clock.elapsed() / 1000.0;
                         training.etaSeconds = p.etaSeconds;
                         training.fraction = fraction;
                         training.formerEta = p.tokensPerSecond > 0
                                                      ? double(p.totalSteps - p.step) *
                                                                train.batchSize / p.tokensPerSecond
                                                      : -1;
                     });
    training.status = waitFor(engine, trainId, 3600000);
    training.endSeconds = clock.elapsed() / 1000.0;

    // 2. The activation cache, as "Create activation cache…"; the ETA is the one in the text
    // the dock shows.
    ActivationCacheRequest cache;
    cache.corpusPath = train.corpusPath;
    cache.hookName = hook;
    cache.tokens = parser.value(QStringLiteral("cache-tokens")).toLongLong();
    cache.outPath = scratch.filePath(QStringLiteral("cache.h5"));
    Sample caching;
    const QRegularExpression etaPattern(
            QStringLiteral("ETA (?:(\\d+) h )?(?:(\\d+) min )?(\\d+) ?(s|min)?"));
    clock.restart();
    const RequestId cacheId = engine.cacheActivations(cache);
    QObject::connect(
            &engine, &EngineClient::progress, &app, [&](RequestId id, const JobProgress &p) {
                if (id != cacheId || caching.atSeconds >= 0 || p.fraction < 0.1) {
                    return;
                }
                const QRegularExpressionMatch m = etaPattern.match(p.message);
                if (!m.hasMatch()) {
                    return;
                }
                // "ETA 42 s", "ETA 3 min 5 s", "ETA 1 h 2 min".
                double seconds = 0;
                if (!m.captured(1).isEmpty()) {
                    seconds = m.captured(1).toDouble() * 3600 + m.captured(3).toDouble() * 60;
                } else {
                    seconds = m.captured(2).toDouble() * 60 + m.captured(3).toDouble();
                }
                caching.atSeconds = clock.elapsed() / 1000.0;
                caching.etaSeconds = seconds;
                caching.fraction = p.fraction;
            });
    caching.status = waitFor(engine, cacheId, 3600000);
    caching.endSeconds = clock.elapsed() / 1000.0;

    const QJsonObject out{
            {QStringLiteral("bench"), QStringLiteral("job_eta")},
            {QStringLiteral("model"), QStringLiteral("datasets/demo/model")},
            {QStringLiteral("corpus"),
             QDir(QStringLiteral(GYRUS_SOURCE_DIR)).relativeFilePath(train.corpusPath)},
            {QStringLiteral("omp_num_threads"), qEnvironmentVariable("OMP_NUM_THREADS")},
            {QStringLiteral("sae_training_streamed"),
             QJsonObject{{QStringLiteral("tokens"), double(train.totalTokens)},
                         {QStringLiteral("batch"), qint64(train.batchSize)},
                         {QStringLiteral("buffer_tokens"), double(train.bufferTokens)},
                         {QStringLiteral("eta"), report(training)}}},
            {QStringLiteral("activation_cache"),
             QJsonObject{{QStringLiteral("tokens"), double(cache.tokens)},
                         {QStringLiteral("eta"), report(caching)}}},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
    return training.status.isOk() && caching.status.isOk() ? 0 : 1;
}
