// gyrus-cli replicate: the original project's three claims (RSA-based selection beats maximum
// activation; SAE features beat raw activations; with RSA, discriminative beats categorical) as
// paired statistics on one prompt set, written as a report (HTML with figures, JSON, SVG).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/comparison_cli_options.h"
#include "app/cli/feature_table.h"
#include "app/cli/method_claims.h"
#include "app/cli/replication_report.h"
#include "core/file_fingerprint.h"
#include "core/file_sha256.h"
#include "core/prompt_set_io.h"
#include "core/version.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

namespace gyrus::cli {

namespace {

using gpu::SelectionMethod;

Status writeText(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    return Status::ok();
}

// The paired tests of the three claims: for each, a primary comparison (SAE features and the
// corrected formulas, where the seed made its headline claim) and secondary ones.
struct ClaimSpec
{
    int claim;
    bool primary;
    QString representationA;
    SelectionMethod methodA;
    QString versionA;
    QString representationB;
    SelectionMethod methodB;
    QString versionB;
};

std::vector<ClaimSpec> claimSpecs()
{
    const QString sae = QStringLiteral("sae");
    const QString raw = QStringLiteral("raw");
    const QString fixed = QStringLiteral("corrected");
    const QString seed = QStringLiteral("seed");
    return {
            {0, true, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, sae,
             SelectionMethod::MeanDifference, fixed},
            {1, true, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, raw,
             SelectionMethod::TemporalDiscriminativeRsa, fixed},
            {2, true, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, sae,
             SelectionMethod::TemporalCategoricalRsa, fixed},
            {0, false, raw, SelectionMethod::TemporalDiscriminativeRsa, fixed, raw,
             SelectionMethod::MeanDifference, fixed},
            {0, false, sae, SelectionMethod::TemporalDiscriminativeRsa, fixed, sae,
             SelectionMethod::SeedMaxActivation, fixed},
            {0, false, sae, SelectionMethod::FeatureSetRsa, fixed, sae,
             SelectionMethod::MeanDifference, fixed},
            {0, false, sae, SelectionMethod::SeedTemporalDiscriminativeRsa, seed, sae,
             SelectionMethod::SeedMaxActivation, seed},
            {1, false, sae, SelectionMethod::MeanDifference, fixed, raw,
             SelectionMethod::MeanDifference, fixed},
            {1, false, sae, SelectionMethod::SeedTemporalDiscriminativeRsa, seed, raw,
             SelectionMethod::SeedTemporalDiscriminativeRsa, seed},
            {2, false, raw, SelectionMethod::TemporalDiscriminativeRsa, fixed, raw,
             SelectionMethod::TemporalCategoricalRsa, fixed},
            {2, false, sae, SelectionMethod::SeedTemporalDiscriminativeRsa, seed, sae,
             SelectionMethod::SeedTemporalCategoricalRsa, seed},
    };
}

QString rowName(const QString &representation, SelectionMethod method, const QString &version)
{
    return QStringLiteral("%1/%2%3").arg(
            representation, gpu::selectionMethodName(method),
            version == QLatin1String("seed") ? QStringLiteral(" (seed windows)") : QString());
}

int runReplicate(const QStringList &arguments)
{
    const QString name = QStringLiteral("replicate");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Tests the original project's three claims on a two-level prompt set: (1) RSA-based "
            "selection beats maximum activation, (2) SAE features beat raw activations, (3) with "
            "RSA, discriminative beats categorical. Runs the cross-validated method comparison "
            "(selection inside the folds, permutation null) on raw and SAE representations with "
            "corrected windows and formulas and with the seed's own, then tests each claim as a "
            "paired difference between methods on the same splits (bootstrap CI over items, "
            "sign-flip p, Holm over the three primary tests). Writes DIR/report.html (figures "
            "inlined), DIR/report.json and DIR/figures/*.svg, and prints the JSON."));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Report directory."),
                                 QStringLiteral("DIR"));
    parser.addOption(out);
    const ComparisonCliOptions crossValidation(parser);
    const QCommandLineOption flips(QStringLiteral("sign-flips"),
                                   QStringLiteral("Sign flips of the paired tests."),
                                   QStringLiteral("N"), QStringLiteral("9999"));
    const QCommandLineOption bootstrap(QStringLiteral("bootstrap"),
                                       QStringLiteral("Item resamples of the paired CIs."),
                                       QStringLiteral("N"), QStringLiteral("4000"));
    parser.addOptions({flips, bootstrap});
    const FeatureTableOptions tables(parser, QStringLiteral("replicate"));
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(out) || !tables.fromPrompts(parser) || !parser.isSet(tables.saeOption())) {
        return fail(name, QStringLiteral("give --out DIR, --model, --prompts, --hook and --sae"));
    }
    ReplicationReport report;
    ReplicationInputs &in = report.inputs;
    bool ok[3] = {};
    ok[0] = crossValidation.read(parser, &in.options);
    in.paired.signFlips = parser.value(flips).toInt(&ok[1]);
    in.paired.bootstrap = parser.value(bootstrap).toInt(&ok[2]);
    in.paired.seed = in.options.seed;
    if (!std::all_of(std::begin(ok), std::end(ok), [](bool b) { return b; })) {
        return fail(name, QStringLiteral("--k, --folds, --repeats, --permutations, --seed, "
                                         "--sign-flips and --bootstrap take integers"));
    }
    const int window = parser.isSet(QStringLiteral("window"))
                               ? parser.value(QStringLiteral("window")).toInt()
                               : kSeedWindow;
    in.window = window;
    QElapsedTimer clock;
    clock.start();

    // Provenance first: a missing file fails before minutes of work.
    in.promptSet = QFileInfo(parser.value(tables.promptsOption())).absoluteFilePath();
    in.promptSetSha256 = QString::fromLatin1(fileSha256(in.promptSet));
    in.model = QFileInfo(tables.modelDirectory(parser)).absoluteFilePath();
    in.sae = QFileInfo(parser.value(tables.saeOption())).absoluteFilePath();
    in.hook = parser.value(tables.hookOption());
    for (auto [path, fingerprint] :
         {std::pair{in.model, &in.modelFingerprint}, std::pair{in.sae, &in.saeFingerprint}}) {
        Result<DirectoryFingerprint> print = fingerprintDirectory(path);
        if (!print) {
            return failWith(name, print.status());
        }
        *fingerprint = print->sha256;
    }
    Result<PromptSetLoad> loaded = loadPromptSet(in.promptSet);
    if (!loaded) {
        return failWith(name, loaded.status());
    }
    const QString factorName = parser.isSet(QStringLiteral("factor"))
                                       ? parser.value(QStringLiteral("factor"))
                                       : loaded->set.factors.value(0).name;
    if (const PromptFactor *factor = loaded->set.factor(factorName);
        factor && factor->levels.size() == 2) {
        in.factor = factor->name;
        in.levelA = factor->levels[0];
        in.levelB = factor->levels[1];
    }
    in.gyrusVersion = versionString();

    // Four tables: {SAE, raw} × {corrected windows, the seed's windows}.
    const std::vector<SelectionMethod> corrected = {SelectionMethod::MeanDifference,
                                                    SelectionMethod::SeedMaxActivation,
                                                    SelectionMethod::Univariate,
                                                    SelectionMethod::TemporalDiscriminativeRsa,
                                                    SelectionMethod::TemporalCategoricalRsa,
                                                    SelectionMethod::FeatureSetRsa};
    const std::vector<SelectionMethod> seedMethods = {
            SelectionMethod::SeedTemporalDiscriminativeRsa,
            SelectionMethod::SeedTemporalCategoricalRsa, SelectionMethod::SeedMaxActivation};
    std::vector<int64_t> labels;
    int stage = 0;
    for (const auto &[version, pooling, size] :
         {std::tuple{QStringLiteral("corrected"), QStringLiteral("window"), window},
          std::tuple{QStringLiteral("seed"), QStringLiteral("legacy-left-first"), kSeedWindow}}) {
        for (bool sae : {true, false}) {
            ++stage;
            const QString representation = sae ? QStringLiteral("sae") : QStringLiteral("raw");
            std::fprintf(stderr, "%s: stage %d of 4 (%s %s): representations\n", qPrintable(name),
                         stage, qPrintable(representation), qPrintable(version));
            Result<FeatureTable> table = tables.readPooled(parser, sae, pooling, size);
            if (!table) {
                return failWith(name, table.status());
            }
            if (labels.empty()) {
                labels = table->labels;
            } else if (labels != table->labels) {
                return fail(name, QStringLiteral("the %1 %2 window kept different items than the "
                                                 "first table (items too short for it?)")
                                          .arg(version, representation));
            }
            Result<std::vector<ComparisonRow>> rows = runComparison(
                    table.value(), representation, version,
                    version == QLatin1String("seed") ? seedMethods : corrected, in.options,
                    stderrProgress(name, QStringLiteral("stage %1 of 4 (%2 %3)")
                                                 .arg(stage)
                                                 .arg(representation, version)));
            if (!rows) {
                return failWith(name, rows.status());
            }
            report.rows.insert(report.rows.end(), rows->begin(), rows->end());
        }
    }
    in.itemsA = int(std::count(labels.begin(), labels.end(), 0));
    in.itemsB = int(std::count(labels.begin(), labels.end(), 1));

    const QStringList claims = claimNames();
    std::vector<double> primaryP;
    std::vector<double> secondaryP;
    for (const ClaimSpec &spec : claimSpecs()) {
        const ComparisonRow *a =
                findRow(report.rows, spec.representationA, spec.methodA, spec.versionA);
        const ComparisonRow *b =
                findRow(report.rows, spec.representationB, spec.methodB, spec.versionB);
        if (!a || !b) {
            return fail(name, QStringLiteral("internal: a claim's method is missing"),
                        kExitInternalError);
        }
        Result<gpu::PairedDifference> difference =
                gpu::pairedDifference(a->score, b->score, labels, in.paired);
        if (!difference) {
            return failWith(name, difference.status());
        }
        ClaimTest test;
        test.claim = claims[spec.claim];
        test.a = rowName(spec.representationA, spec.methodA, spec.versionA);
        test.b = rowName(spec.representationB, spec.methodB, spec.versionB);
        test.difference = difference.value();
        test.primary = spec.primary;
        (spec.primary ? primaryP : secondaryP).push_back(test.difference.p);
        report.tests.push_back(test);
    }
    const std::vector<double> primaryHolm = gpu::holmAdjusted(primaryP);
    const std::vector<double> secondaryHolm = gpu::holmAdjusted(secondaryP);
    size_t primaryIndex = 0;
    size_t secondaryIndex = 0;
    for (ClaimTest &test : report.tests) {
        test.holmP = test.primary ? primaryHolm[primaryIndex++] : secondaryHolm[secondaryIndex++];
    }
    in.seconds = double(clock.elapsed()) / 1000.0;
    in.date = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);

    const QString directory = parser.value(out);
    if (!QDir().mkpath(directory + QStringLiteral("/figures"))) {
        return fail(name, QStringLiteral("%1: cannot create the directory").arg(directory));
    }
    const QJsonObject json = replicationJson(report);
    for (const auto &[file, bytes] :
         {std::pair{QStringLiteral("report.html"), replicationHtml(report).toUtf8()},
          std::pair{QStringLiteral("report.json"),
                    QJsonDocument(json).toJson(QJsonDocument::Indented)},
          std::pair{QStringLiteral("figures/accuracy.svg"),
                    accuracyFigureSvg(report.rows).toUtf8()},
          std::pair{QStringLiteral("figures/differences.svg"),
                    differencesFigureSvg(report.tests).toUtf8()}}) {
        if (Status written = writeText(directory + QLatin1Char('/') + file, bytes);
            !written.isOk()) {
            return failWith(name, written);
        }
    }
    printJson(json);
    return kExitOk;
}

}  // namespace

Command replicateCommand()
{
    return {QStringLiteral("replicate"),
            QStringLiteral("The original study's three claims as paired statistics, as a report."),
            &runReplicate};
}

}  // namespace gyrus::cli
