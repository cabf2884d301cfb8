// bench_temporal_rsa: times temporal per-feature RSA (discriminative model, temporalRsaScores) on
// ITEMS × POSITIONS × FEATURES of sparse, SAE-like activations with left-aligned windows of
// varied length, and the same maths in vectorised numpy/scipy (numpy_peer.py) on the same table
// in the same run; prints JSON with the ratio and the largest difference (ARCHITECTURE.md §8).

#include "gpu/analysis/temporal_rsa.h"
#include "gpu/runtime_info.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

namespace {

int fail(const QString &message)
{
    std::fprintf(stderr, "bench_temporal_rsa: %s\n", qPrintable(message));
    return 1;
}

bool writeBytes(const QString &path, const void *data, qint64 size)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) &&
           file.write(static_cast<const char *>(data), size) == size;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Temporal RSA timings next to numpy."));
    parser.addHelpOption();
    const QCommandLineOption items(QStringLiteral("items"), QStringLiteral("Items (two classes)."),
                                   QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption positions(QStringLiteral("positions"), QStringLiteral("Positions."),
                                       QStringLiteral("T"), QStringLiteral("32"));
    const QCommandLineOption features(QStringLiteral("features"), QStringLiteral("Features."),
                                      QStringLiteral("F"), QStringLiteral("16384"));
    const QCommandLineOption python(QStringLiteral("python"), QStringLiteral("Peer interpreter."),
                                    QStringLiteral("PATH"), QStringLiteral("/usr/bin/python3"));
    const QCommandLineOption noPeer(QStringLiteral("no-peer"), QStringLiteral("Skip numpy."));
    parser.addOptions({items, positions, features, python, noPeer});
    parser.process(app);
    const int threads = gyrus::gpu::configureThreads();
    gyrus::gpu::TemporalTable table;
    table.items = parser.value(items).toLongLong();
    table.positions = parser.value(positions).toLongLong();
    table.features = parser.value(features).toLongLong();
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<float> uniform(0.f, 1.f);
    std::exponential_distribution<float> magnitude(1.f);
    std::vector<int64_t> labels;
    table.values.assign(size_t(table.items * table.positions * table.features), 0.f);
    for (int64_t i = 0; i < table.items; ++i) {
        labels.push_back(i % 2);
        const auto length = int64_t(table.positions * (0.4 + 0.6 * uniform(rng)));
        for (int64_t t = 0; t < table.positions; ++t) {
            table.mask.push_back(t < length ? 1 : 0);
            for (int64_t f = 0; t < length && f < table.features; ++f) {
                if (uniform(rng) < 0.15f) {
                    table.values[size_t((i * table.positions + t) * table.features + f)] =
                            magnitude(rng);
                }
            }
        }
    }

    QJsonObject json;
    json[QStringLiteral("threads")] = threads;
    json[QStringLiteral("items")] = qint64(table.items);
    json[QStringLiteral("positions")] = qint64(table.positions);
    json[QStringLiteral("features")] = qint64(table.features);
    const auto start = std::chrono::steady_clock::now();
    auto scores = gyrus::gpu::temporalRsaScores(table, labels,
                                                gyrus::gpu::TemporalRsaModel::Discriminative);
    const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!scores) {
        return fail(scores.status().message());
    }
    json[QStringLiteral("gyrus_s")] = seconds;

    if (!parser.isSet(noPeer)) {
        QTemporaryDir dir;
        const QString x = dir.filePath(QStringLiteral("x.f32"));
        const QString mask = dir.filePath(QStringLiteral("mask.u8"));
        const QString labelFile = dir.filePath(QStringLiteral("labels.i64"));
        const QString out = dir.filePath(QStringLiteral("scores.f64"));
        if (!writeBytes(x, table.values.data(), qint64(table.values.size() * 4)) ||
            !writeBytes(mask, table.mask.data(), qint64(table.mask.size())) ||
            !writeBytes(labelFile, labels.data(), qint64(labels.size() * 8))) {
            return fail(QStringLiteral("cannot write the peer's inputs"));
        }
        QProcess peer;
        peer.start(
                parser.value(python),
                {QStringLiteral(GYRUS_NUMPY_PEER), x, mask, labelFile, QString::number(table.items),
                 QString::number(table.positions), QString::number(table.features), out});
        if (!peer.waitForFinished(-1) || peer.exitCode() != 0) {
            return fail(QStringLiteral("numpy peer failed: ") +
                        QString::fromUtf8(peer.readAllStandardError()));
        }
        const QJsonObject numpy = QJsonDocument::fromJson(peer.readAllStandardOutput()).object();
        QFile result(out);
        if (!result.open(QIODevice::ReadOnly)) {
            return fail(QStringLiteral("the numpy peer wrote no scores"));
        }
        const QByteArray bytes = result.readAll();
        if (bytes.size() != qint64(table.features * 8)) {
            return fail(QStringLiteral("the numpy peer wrote %1 bytes").arg(bytes.size()));
        }
        const auto *peerScores = reinterpret_cast<const double *>(bytes.constData());
        double largest = 0.0;
        for (int64_t f = 0; f < table.features; ++f) {
            largest = std::max(largest, std::abs(scores->scores[size_t(f)] - peerScores[f]));
        }
        json[QStringLiteral("numpy")] = numpy.value(QStringLiteral("numpy"));
        json[QStringLiteral("numpy_s")] = numpy.value(QStringLiteral("seconds")).toDouble();
        json[QStringLiteral("speedup_vs_numpy")] =
                numpy.value(QStringLiteral("seconds")).toDouble() / seconds;
        json[QStringLiteral("max_abs_difference")] = largest;
    }
    std::fputs(QJsonDocument(json).toJson(QJsonDocument::Indented).constData(), stdout);
    return 0;
}
