// bench_feature_rsa_map: times the feature-wise RSA map of the Contrasts dock (discriminative and
// categorical RSA and the max-activation contrast of every feature; featureScores) on ITEMS ×
// FEATURES, and the same two RSA scores in numpy (numpy_peer.py) on the same matrix in the same
// run; prints JSON with the ratio and the largest difference between the two (ARCHITECTURE.md §8).

#include "core/base/float_matrix.h"
#include "gpu/analysis/feature_selection.h"
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

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail(const QString &message)
{
    std::fprintf(stderr, "bench_feature_rsa_map: %s\n", qPrintable(message));
    return 1;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Feature-wise RSA map timings next to numpy."));
    parser.addHelpOption();
    const QCommandLineOption items(QStringLiteral("items"), QStringLiteral("Items (two classes)."),
                                   QStringLiteral("N"), QStringLiteral("64"));
    const QCommandLineOption features(QStringLiteral("features"), QStringLiteral("Features."),
                                      QStringLiteral("F"), QStringLiteral("32768"));
    const QCommandLineOption python(QStringLiteral("python"), QStringLiteral("Peer interpreter."),
                                    QStringLiteral("PATH"), QStringLiteral("/usr/bin/python3"));
    const QCommandLineOption noPeer(QStringLiteral("no-peer"), QStringLiteral("Skip numpy."));
    parser.addOptions({items, features, python, noPeer});
    parser.process(app);
    gyrus::gpu::configureThreads();
    const int64_t n = parser.value(items).toLongLong();
    const int64_t f = parser.value(features).toLongLong();

    // Sparse, non-negative, like SAE features: most are zero on most items; a few carry the
    // condition.
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<float> uniform(0.0F, 1.0F);
    std::exponential_distribution<float> magnitude(1.0F);
    gyrus::FloatMatrix x{n, f, std::vector<float>(static_cast<size_t>(n * f), 0.0F)};
    std::vector<int64_t> labels(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        labels[size_t(i)] = i % 2;
        for (int64_t j = 0; j < f; ++j) {
            const float rate = j % 50 == 0 && labels[size_t(i)] == 1 ? 0.6F : 0.1F;
            if (uniform(rng) < rate) {
                x.values[size_t(i * f + j)] = magnitude(rng);
            }
        }
    }

    QJsonObject json;
    const gyrus::gpu::RuntimeInfo info = gyrus::gpu::runtimeInfo();
    json[QStringLiteral("torch")] = info.torchVersion;
    json[QStringLiteral("threads")] = info.intraOpThreads;
    json[QStringLiteral("items")] = static_cast<qint64>(n);
    json[QStringLiteral("features")] = static_cast<qint64>(f);
    std::vector<double> scores[3];
    double seconds[3] = {};
    const gyrus::SelectionMethod methods[3] = {gyrus::SelectionMethod::PooledSeparationR,
                                               gyrus::SelectionMethod::PooledSeparationD,
                                               gyrus::SelectionMethod::MeanDifference};
    for (int m = 0; m < 3; ++m) {
        const auto start = Clock::now();
        auto result = gyrus::gpu::featureScores(x, labels, methods[m]);
        seconds[m] = secondsSince(start);
        if (!result) {
            return fail(result.status().message());
        }
        scores[m] = std::move(result).value();
    }
    json[QStringLiteral("gyrus_discriminative_s")] = seconds[0];
    json[QStringLiteral("gyrus_categorical_s")] = seconds[1];
    json[QStringLiteral("gyrus_max_activation_s")] = seconds[2];
    json[QStringLiteral("gyrus_map_s")] = seconds[0] + seconds[1] + seconds[2];

    if (!parser.isSet(noPeer)) {
        QTemporaryDir dir;
        QFile matrix(dir.filePath(QStringLiteral("x.f32")));
        if (!matrix.open(QIODevice::WriteOnly) ||
            matrix.write(reinterpret_cast<const char *>(x.values.data()),
                         qint64(x.values.size() * sizeof(float))) !=
                    qint64(x.values.size() * sizeof(float))) {
            return fail(QStringLiteral("cannot write the matrix for the peer"));
        }
        matrix.close();
        const QString out = dir.filePath(QStringLiteral("scores.f64"));
        QProcess peer;
        peer.start(parser.value(python), {QStringLiteral(GYRUS_NUMPY_PEER), matrix.fileName(),
                                          QString::number(n), QString::number(f), out});
        if (!peer.waitForFinished(-1) || peer.exitCode() != 0) {
            return fail(QStringLiteral("numpy peer failed: ") +
                        QString::fromUtf8(peer.readAllStandardError()));
        }
        const QJsonObject numpy = QJsonDocument::fromJson(peer.readAllStandardOutput()).object();
        const double peerSeconds = numpy.value(QStringLiteral("seconds")).toDouble();
        QFile result(out);
        if (!result.open(QIODevice::ReadOnly)) {
            return fail(QStringLiteral("the numpy peer wrote no scores"));
        }
        const QByteArray bytes = result.readAll();
        const auto *peerScores = reinterpret_cast<const double *>(bytes.constData());
        if (bytes.size() != qint64(2 * f * sizeof(double))) {
            return fail(QStringLiteral("the numpy peer wrote %1 bytes").arg(bytes.size()));
        }
        double largest = 0.0;
        for (int64_t j = 0; j < f; ++j) {
            largest = std::max({largest, std::abs(scores[0][size_t(j)] - peerScores[j]),
                                std::abs(scores[1][size_t(j)] - peerScores[f + j])});
        }
        json[QStringLiteral("numpy")] = numpy.value(QStringLiteral("numpy"));
        json[QStringLiteral("numpy_rsa_s")] = peerSeconds;
        json[QStringLiteral("speedup_rsa")] = peerSeconds / (seconds[0] + seconds[1]);
        json[QStringLiteral("max_abs_difference")] = largest;
    }
    std::fputs(QJsonDocument(json).toJson(QJsonDocument::Indented).constData(), stdout);
    return 0;
}
