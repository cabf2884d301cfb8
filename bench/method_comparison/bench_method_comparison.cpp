// bench_method_comparison: the method comparison with its defaults (mean-difference, univariate
// and both pooled separations on raw activations and on SAE features: 8 methods; 5 folds × 10
// repeats, 100 permutations, k = 8) on a prompt set, timed three ways in one run (and, on
// aligned 32-position windows, the same with the temporal methods and feature-set RSA added):
// - Gyrus as it is (compareSelectionMethods, all cores);
// - the code it replaced (legacy_method_comparison.cpp), timed on a reduced number of splits and
//   scaled by the split count (every split costs the same: one cross-validation), and checked to
//   give the same numbers as the new code on those splits;
// - the same procedure in plain numpy (numpy_peer.py) on the same splits, whose balanced
//   accuracies and AUCs are compared with Gyrus's.
// Prints JSON (ARCHITECTURE.md §8).

#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/method_comparison.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/model/language_model.h"
#include "gpu/runtime_info.h"
#include "gpu/sae/sae_io.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "bench/method_comparison/legacy_method_comparison.h"

namespace {

using namespace gyrus;
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of the whole process (all threads): on a shared machine the wall time says how
// busy the others were, this says what the work cost.
double cpuSeconds()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

int fail(const QString &message)
{
    std::fprintf(stderr, "bench_method_comparison: %s\n", qPrintable(message));
    return 1;
}

const std::vector<SelectionMethod> kMethods = {
        SelectionMethod::MeanDifference, SelectionMethod::Univariate,
        SelectionMethod::PooledSeparationR, SelectionMethod::PooledSeparationD};

struct Table
{
    QString name;
    FloatMatrix x;
    std::vector<int64_t> labels;
    gpu::TemporalTable windows;  ///< aligned windows (the temporal run only)
};

// The defaults plus the methods that need aligned windows (a 32-position left-aligned window,
// as the Contrasts dock's "Aligned window" pooling gives them).
const std::vector<SelectionMethod> kTemporalMethods = {SelectionMethod::MeanDifference,
                                                       SelectionMethod::Univariate,
                                                       SelectionMethod::PooledSeparationR,
                                                       SelectionMethod::PooledSeparationD,
                                                       SelectionMethod::TemporalDiscriminativeRsa,
                                                       SelectionMethod::TemporalCategoricalRsa,
                                                       SelectionMethod::FeatureSetRsa};

bool writeBytes(const QString &path, const void *data, qint64 size)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) &&
           file.write(static_cast<const char *>(data), size) == size;
}

// The numpy peer on `splits` of `table`; fills per split and method (balanced accuracy, AUC).
Result<double> runPeer(const QString &python, const Table &table,
                       const std::vector<gpu::ComparisonSplit> &splits,
                       const gpu::ComparisonOptions &options, std::vector<double> *results,
                       QString *numpyVersion)
{
    QTemporaryDir dir;
    const QString matrix = dir.filePath(QStringLiteral("x.f32"));
    const QString splitFile = dir.filePath(QStringLiteral("splits.i64"));
    const QString out = dir.filePath(QStringLiteral("out.f64"));
    std::vector<int64_t> flat;
    for (const gpu::ComparisonSplit &split : splits) {
        flat.insert(flat.end(), split.labels.begin(), split.labels.end());
        for (int fold : split.fold) {
            flat.push_back(fold);
        }
    }
    if (!writeBytes(matrix, table.x.values.data(), qint64(table.x.values.size() * 4)) ||
        !writeBytes(splitFile, flat.data(), qint64(flat.size() * 8))) {
        return Status::internal(QStringLiteral("cannot write the peer's inputs"));
    }
    QProcess peer;
    peer.start(python, {QStringLiteral(GYRUS_NUMPY_PEER), matrix, QString::number(table.x.rows),
                        QString::number(table.x.cols), splitFile, QString::number(splits.size()),
                        QString::number(options.k), QString::number(options.l2), out});
    if (!peer.waitForFinished(-1) || peer.exitCode() != 0) {
        return Status::internal(QStringLiteral("numpy peer failed: ") +
                                QString::fromUtf8(peer.readAllStandardError()));
    }
    const QJsonObject json = QJsonDocument::fromJson(peer.readAllStandardOutput()).object();
    *numpyVersion = json.value(QStringLiteral("numpy")).toString();
    QFile file(out);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::internal(QStringLiteral("the numpy peer wrote nothing"));
    }
    const QByteArray bytes = file.readAll();
    const auto *values = reinterpret_cast<const double *>(bytes.constData());
    results->assign(values, values + bytes.size() / qsizetype(sizeof(double)));
    return json.value(QStringLiteral("seconds")).toDouble();
}

Result<Table> representation(const gpu::LanguageModel &model, const PromptSet &set,
                             const QString &hook,
                             const std::shared_ptr<const gpu::detail::SaeModule> &sae,
                             bool windows = false)
{
    gpu::RepresentationOptions options;
    options.hookName = hook;
    options.pooling = windows ? Pooling::Window : Pooling::Mean;
    options.window = windows ? 32 : 0;
    options.sae = sae;
    Result<gpu::PromptRepresentations> r = gpu::promptRepresentations(model, set, options);
    if (!r) {
        return r.status();
    }
    Table table;
    table.name = sae ? QStringLiteral("sae") : QStringLiteral("raw");
    table.x = r->values;
    table.windows = r->patterns;
    const PromptFactor &factor = set.factors.front();
    for (int item : r->items) {
        table.labels.push_back(factor.levels.indexOf(set.items[item].levels.value(factor.name)));
    }
    return table;
}

}  // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Method comparison timings: Gyrus, the code it replaced, numpy."));
    parser.addHelpOption();
    const QString source = QStringLiteral(GYRUS_SOURCE_DIR);
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Model directory."),
                                   QStringLiteral("DIR"),
                                   source + QStringLiteral("/datasets/demo/model"));
    const QCommandLineOption sae(QStringLiteral("sae"), QStringLiteral("SAE directory."),
                                 QStringLiteral("DIR"),
                                 source + QStringLiteral("/datasets/demo/sae"));
    const QCommandLineOption prompts(
            QStringLiteral("prompts"), QStringLiteral("Two-level prompt set."),
            QStringLiteral("FILE"),
            source + QStringLiteral("/datasets/prompt-sets/seed/SR_TOPIC_1_SUCCESS_CONTINUATION/"
                                    "unifactorial_achievements_fixed.json"));
    const QCommandLineOption hook(QStringLiteral("hook"), QStringLiteral("Hook point."),
                                  QStringLiteral("NAME"),
                                  QStringLiteral("blocks.2.hook_resid_post"));
    const QCommandLineOption legacySplits(
            QStringLiteral("legacy-splits"),
            QStringLiteral("Splits the old code runs (then scaled to all of them)."),
            QStringLiteral("N"), QStringLiteral("4"));
    const QCommandLineOption peerSplits(QStringLiteral("peer-splits"),
                                        QStringLiteral("Splits numpy runs (0: all)."),
                                        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption python(QStringLiteral("python"), QStringLiteral("Peer interpreter."),
                                    QStringLiteral("PATH"), QStringLiteral("/usr/bin/python3"));
    const QCommandLineOption onlyGyrus(QStringLiteral("only-gyrus"),
                                       QStringLiteral("Time Gyrus alone (no legacy, no numpy)."));
    parser.addOptions({model, sae, prompts, hook, legacySplits, peerSplits, python, onlyGyrus});
    parser.process(app);
    const int threads = gpu::configureThreads();

    Result<PromptSetLoad> set = loadPromptSet(parser.value(prompts));
    if (!set) {
        return fail(set.status().message());
    }
    auto languageModel = gpu::LanguageModel::load(parser.value(model));
    if (!languageModel) {
        return fail(languageModel.status().message());
    }
    auto saeModule = gpu::loadSae(parser.value(sae));
    if (!saeModule) {
        return fail(saeModule.status().message());
    }
    std::vector<Table> tables;
    for (const auto &module : {std::shared_ptr<const gpu::detail::SaeModule>(),
                               std::shared_ptr<const gpu::detail::SaeModule>(saeModule.value())}) {
        Result<Table> table =
                representation(*languageModel.value(), set->set, parser.value(hook), module);
        if (!table) {
            return fail(table.status().message());
        }
        tables.push_back(std::move(table).value());
    }

    const gpu::ComparisonOptions defaults;  // 5 folds, 10 repeats, 100 permutations, k = 8
    const int totalSplits = defaults.repeats + defaults.permutations;
    QJsonObject json;
    json[QStringLiteral("threads")] = threads;
    json[QStringLiteral("omp_num_threads")] = qEnvironmentVariable("OMP_NUM_THREADS");
    json[QStringLiteral("items")] = qint64(tables[0].x.rows);
    json[QStringLiteral("features_raw")] = qint64(tables[0].x.cols);
    json[QStringLiteral("features_sae")] = qint64(tables[1].x.cols);
    json[QStringLiteral("methods")] = int(kMethods.size() * tables.size());
    json[QStringLiteral("splits")] = totalSplits;

    // Gyrus with its defaults.
    std::vector<std::vector<MethodScore>> current;
    const auto start = Clock::now();
    const double cpuStart = cpuSeconds();
    for (const Table &table : tables) {
        auto scores = gpu::compareSelectionMethods(table.x, table.labels, kMethods, defaults);
        if (!scores) {
            return fail(scores.status().message());
        }
        current.push_back(std::move(scores).value());
    }
    const double gyrusSeconds = secondsSince(start);
    const double gyrusCpu = cpuSeconds() - cpuStart;
    json[QStringLiteral("gyrus_s")] = gyrusSeconds;
    json[QStringLiteral("gyrus_cpu_s")] = gyrusCpu;
    json[QStringLiteral("limit_s")] = 20.0;
    json[QStringLiteral("within_limit")] = gyrusSeconds <= 20.0;
    QJsonArray rows;
    for (size_t t = 0; t < tables.size(); ++t) {
        for (const MethodScore &score : current[t]) {
            QJsonObject row{{QStringLiteral("representation"), tables[t].name},
                            {QStringLiteral("method"), nameOf(score.method)},
                            {QStringLiteral("balanced_accuracy"), score.balancedAccuracy},
                            {QStringLiteral("auc"), score.auc},
                            {QStringLiteral("p"), score.p}};
            if (!score.sameSelectionsAs.isEmpty()) {
                row[QStringLiteral("same_selections_as")] = score.sameSelectionsAs;
            }
            rows.append(row);
        }
    }
    json[QStringLiteral("results")] = rows;

    // The same with aligned windows and the temporal methods (7 methods per representation).
    {
        std::vector<Table> windowed;
        for (const auto &module :
             {std::shared_ptr<const gpu::detail::SaeModule>(),
              std::shared_ptr<const gpu::detail::SaeModule>(saeModule.value())}) {
            Result<Table> table = representation(*languageModel.value(), set->set,
                                                 parser.value(hook), module, true);
            if (!table) {
                return fail(table.status().message());
            }
            windowed.push_back(std::move(table).value());
        }
        const auto temporalStart = Clock::now();
        const double temporalCpuStart = cpuSeconds();
        for (const Table &table : windowed) {
            auto scores = gpu::compareSelectionMethods(table.windows, table.labels,
                                                       kTemporalMethods, defaults);
            if (!scores) {
                return fail(scores.status().message());
            }
        }
        const double temporalSeconds = secondsSince(temporalStart);
        json[QStringLiteral("with_temporal_methods")] = QJsonObject{
                {QStringLiteral("window"), 32},
                {QStringLiteral("methods"), int(kTemporalMethods.size() * windowed.size())},
                {QStringLiteral("gyrus_s"), temporalSeconds},
                {QStringLiteral("gyrus_cpu_s"), cpuSeconds() - temporalCpuStart},
                {QStringLiteral("limit_s"), 20.0},
                {QStringLiteral("within_limit"), temporalSeconds <= 20.0}};
    }
    if (parser.isSet(onlyGyrus)) {
        std::fputs(QJsonDocument(json).toJson(QJsonDocument::Indented).constData(), stdout);
        return 0;
    }

    // The old code on the first splits (repeats first, as it runs them), scaled.
    gpu::ComparisonOptions reduced = defaults;
    const int legacyCount = std::max(2, parser.value(legacySplits).toInt());
    reduced.repeats = legacyCount / 2;
    reduced.permutations = legacyCount - reduced.repeats;
    bool identical = true;
    const auto legacyStart = Clock::now();
    const double legacyCpuStart = cpuSeconds();
    std::vector<std::vector<MethodScore>> legacy(tables.size());
    for (size_t t = 0; t < tables.size(); ++t) {
        for (SelectionMethod method : kMethods) {
            auto score = bench::legacyCrossValidatedScore(tables[t].x, tables[t].labels, method,
                                                          reduced);
            if (!score) {
                return fail(score.status().message());
            }
            legacy[t].push_back(std::move(score).value());
        }
    }
    const double legacySeconds = secondsSince(legacyStart);
    const double legacyCpu = cpuSeconds() - legacyCpuStart;
    for (size_t t = 0; t < tables.size(); ++t) {
        auto scores =
                gpu::compareSelectionMethods(tables[t].x, tables[t].labels, kMethods, reduced);
        if (!scores) {
            return fail(scores.status().message());
        }
        for (size_t m = 0; m < kMethods.size(); ++m) {
            const MethodScore &a = scores.value()[m];
            const MethodScore &b = legacy[t][m];
            identical = identical && a.repeatAccuracies == b.repeatAccuracies &&
                        a.repeatAucs == b.repeatAucs && a.nullAccuracies == b.nullAccuracies &&
                        a.p == b.p;
        }
    }
    const double legacyScaled = legacySeconds * double(totalSplits) / double(legacyCount);
    json[QStringLiteral("legacy")] = QJsonObject{
            {QStringLiteral("how"),
             QStringLiteral(
                     "the replaced code (bench/method_comparison/legacy_method_comparison.cpp) "
                     "timed on the first %1 splits of each method and scaled to %2")
                     .arg(legacyCount)
                     .arg(totalSplits)},
            {QStringLiteral("measured_s"), legacySeconds},
            {QStringLiteral("scaled_s"), legacyScaled},
            {QStringLiteral("measured_cpu_s"), legacyCpu},
            {QStringLiteral("scaled_cpu_s"), legacyCpu * double(totalSplits) / double(legacyCount)},
            {QStringLiteral("identical_numbers_on_those_splits"), identical}};
    json[QStringLiteral("speedup_vs_legacy")] = legacyScaled / gyrusSeconds;
    json[QStringLiteral("cpu_speedup_vs_legacy")] =
            legacyCpu * double(totalSplits) / double(legacyCount) / gyrusCpu;

    // numpy on the same splits.
    const std::vector<gpu::ComparisonSplit> allSplits =
            gpu::comparisonSplits(tables[0].labels, defaults);
    const int peerCount = parser.value(peerSplits).toInt() > 0
                                  ? std::min(totalSplits, parser.value(peerSplits).toInt())
                                  : totalSplits;
    const std::vector<gpu::ComparisonSplit> peerSet(allSplits.begin(),
                                                    allSplits.begin() + peerCount);
    double peerSeconds = 0;
    double largest = 0;
    QString numpyVersion;
    for (size_t t = 0; t < tables.size(); ++t) {
        std::vector<double> peer;
        Result<double> seconds =
                runPeer(parser.value(python), tables[t], peerSet, defaults, &peer, &numpyVersion);
        if (!seconds) {
            return fail(seconds.status().message());
        }
        peerSeconds += seconds.value();
        for (int s = 0; s < peerCount; ++s) {
            for (size_t m = 0; m < kMethods.size(); ++m) {
                const MethodScore &ours = current[t][m];
                const double accuracy = s < defaults.repeats
                                                ? ours.repeatAccuracies[size_t(s)]
                                                : ours.nullAccuracies[size_t(s - defaults.repeats)];
                largest = std::max(
                        largest, std::abs(accuracy - peer[(size_t(s) * kMethods.size() + m) * 2]));
                if (s < defaults.repeats) {
                    largest = std::max(largest,
                                       std::abs(ours.repeatAucs[size_t(s)] -
                                                peer[(size_t(s) * kMethods.size() + m) * 2 + 1]));
                }
            }
        }
    }
    const double peerScaled = peerSeconds * double(totalSplits) / double(peerCount);
    json[QStringLiteral("numpy")] = QJsonObject{{QStringLiteral("version"), numpyVersion},
                                                {QStringLiteral("splits"), peerCount},
                                                {QStringLiteral("measured_s"), peerSeconds},
                                                {QStringLiteral("scaled_s"), peerScaled},
                                                {QStringLiteral("max_abs_difference"), largest}};
    json[QStringLiteral("speedup_vs_numpy")] = peerScaled / gyrusSeconds;
    std::fputs(QJsonDocument(json).toJson(QJsonDocument::Indented).constData(), stdout);
    return 0;
}
