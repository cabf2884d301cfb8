// bench_rsa: times an RDM (N × F, correlation distance) and a Spearman RSA with item-label
// permutations, and the same two jobs in scipy (scipy_peer.py) in the same run; prints JSON with
// the ratios (ARCHITECTURE.md §8: a peer in the same run, never a fixed time).

#include "core/base/float_matrix.h"
#include "core/rsa/rdm.h"
#include "gpu/analysis/rdm_compute.h"
#include "gpu/analysis/rsa_compare.h"
#include "gpu/runtime_info.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <chrono>
#include <cstdio>
#include <random>

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

gyrus::FloatMatrix randomMatrix(int64_t rows, int64_t cols, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> normal(0.0F, 1.0F);
    gyrus::FloatMatrix x{rows, cols, std::vector<float>(static_cast<size_t>(rows * cols))};
    for (float &v : x.values) {
        v = normal(rng);
    }
    return x;
}

int fail(const QString &message)
{
    std::fprintf(stderr, "bench_rsa: %s\n", qPrintable(message));
    return 1;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("RDM and RSA timings next to scipy."));
    parser.addHelpOption();
    const QCommandLineOption nRdm(QStringLiteral("n-rdm"), QStringLiteral("RDM stimuli."),
                                  QStringLiteral("N"), QStringLiteral("2000"));
    const QCommandLineOption features(QStringLiteral("features"), QStringLiteral("RDM features."),
                                      QStringLiteral("F"), QStringLiteral("16384"));
    const QCommandLineOption nRsa(QStringLiteral("n-rsa"), QStringLiteral("RSA stimuli."),
                                  QStringLiteral("N"), QStringLiteral("200"));
    const QCommandLineOption permutations(QStringLiteral("permutations"),
                                          QStringLiteral("RSA permutations."), QStringLiteral("P"),
                                          QStringLiteral("10000"));
    const QCommandLineOption measured(
            QStringLiteral("peer-permutations"),
            QStringLiteral("Permutations scipy actually runs (extrapolated to --permutations)."),
            QStringLiteral("K"), QStringLiteral("500"));
    const QCommandLineOption python(QStringLiteral("python"), QStringLiteral("Peer interpreter."),
                                    QStringLiteral("PATH"), QStringLiteral("/usr/bin/python3"));
    const QCommandLineOption noPeer(QStringLiteral("no-peer"), QStringLiteral("Skip scipy."));
    parser.addOptions({nRdm, features, nRsa, permutations, measured, python, noPeer});
    parser.process(app);
    gyrus::gpu::configureThreads();
    const int64_t n = parser.value(nRdm).toLongLong();
    const int64_t f = parser.value(features).toLongLong();
    const int64_t m = parser.value(nRsa).toLongLong();
    const int64_t p = parser.value(permutations).toLongLong();

    QJsonObject json;
    const gyrus::gpu::RuntimeInfo info = gyrus::gpu::runtimeInfo();
    json[QStringLiteral("torch")] = info.torchVersion;
    json[QStringLiteral("blas")] = info.blasLibrary;
    json[QStringLiteral("threads")] = info.intraOpThreads;
    json[QStringLiteral("device")] =
            info.cudaAvailable ? QStringLiteral("cuda") : QStringLiteral("cpu");

    // 1. RDM, correlation distance, float64 (scipy's precision) and float32.
    const gyrus::FloatMatrix x = randomMatrix(n, f, 1);
    QJsonObject rdmJson;
    rdmJson[QStringLiteral("n")] = static_cast<qint64>(n);
    rdmJson[QStringLiteral("features")] = static_cast<qint64>(f);
    gyrus::gpu::RdmOptions options;
    auto start = Clock::now();
    const auto rdm64 = gyrus::gpu::computeRdm(x, {}, options);
    rdmJson[QStringLiteral("gyrus_float64_s")] = secondsSince(start);
    options.doublePrecision = false;
    start = Clock::now();
    const auto rdm32 = gyrus::gpu::computeRdm(x, {}, options);
    rdmJson[QStringLiteral("gyrus_float32_s")] = secondsSince(start);
    if (!rdm64 || !rdm32) {
        return fail((rdm64 ? rdm32 : rdm64).status().message());
    }
    double maxDifference = 0.0;
    for (size_t k = 0; k < rdm64->condensed().size(); ++k) {
        maxDifference = std::max(
                maxDifference,
                static_cast<double>(std::abs(rdm64->condensed()[k] - rdm32->condensed()[k])));
    }
    rdmJson[QStringLiteral("float32_max_abs_difference")] = maxDifference;

    // 2. Spearman RSA with p item-label permutations.
    const auto a = gyrus::gpu::computeRdm(randomMatrix(m, 64, 2), {});
    gyrus::gpu::RdmOptions euclidean;
    euclidean.metric = gyrus::RdmMetric::Euclidean;
    const auto b = gyrus::gpu::computeRdm(randomMatrix(m, 64, 3), {}, euclidean);
    if (!a || !b) {
        return fail(QStringLiteral("RSA input"));
    }
    gyrus::gpu::RsaOptions rsaOptions;
    rsaOptions.permutations = p;
    start = Clock::now();
    const auto rsa = gyrus::gpu::compareRdms(*a, *b, rsaOptions);
    QJsonObject rsaJson;
    rsaJson[QStringLiteral("n")] = static_cast<qint64>(m);
    rsaJson[QStringLiteral("permutations")] = static_cast<qint64>(p);
    rsaJson[QStringLiteral("gyrus_s")] = secondsSince(start);
    if (!rsa) {
        return fail(rsa.status().message());
    }
    rsaJson[QStringLiteral("p")] = rsa->p;

    if (!parser.isSet(noPeer)) {
        QProcess peer;
        peer.start(parser.value(python),
                   {QStringLiteral(GYRUS_SCIPY_PEER), QString::number(n), QString::number(f),
                    QString::number(m), QString::number(p), parser.value(measured)});
        if (!peer.waitForFinished(-1) || peer.exitCode() != 0) {
            return fail(QStringLiteral("scipy peer failed: ") +
                        QString::fromUtf8(peer.readAllStandardError()));
        }
        const QJsonObject scipy = QJsonDocument::fromJson(peer.readAllStandardOutput()).object();
        const double scipyRdm = scipy.value(QStringLiteral("rdm_seconds")).toDouble();
        const double scipyRsa = scipy.value(QStringLiteral("rsa_seconds_extrapolated")).toDouble();
        rdmJson[QStringLiteral("scipy_pdist_s")] = scipyRdm;
        rdmJson[QStringLiteral("speedup_float64")] =
                scipyRdm / rdmJson[QStringLiteral("gyrus_float64_s")].toDouble();
        rdmJson[QStringLiteral("speedup_float32")] =
                scipyRdm / rdmJson[QStringLiteral("gyrus_float32_s")].toDouble();
        rsaJson[QStringLiteral("scipy_s_extrapolated")] = scipyRsa;
        rsaJson[QStringLiteral("scipy_permutations_measured")] =
                scipy.value(QStringLiteral("rsa_measured_permutations"));
        rsaJson[QStringLiteral("scipy_measured_s")] =
                scipy.value(QStringLiteral("rsa_measured_seconds"));
        rsaJson[QStringLiteral("speedup")] =
                scipyRsa / rsaJson[QStringLiteral("gyrus_s")].toDouble();
    }
    json[QStringLiteral("rdm_correlation")] = rdmJson;
    json[QStringLiteral("rsa_spearman_permutations")] = rsaJson;
    std::fputs(QJsonDocument(json).toJson(QJsonDocument::Indented).constData(), stdout);
    return 0;
}
