// gyrus-cli replicate: the original project's three claims (RSA-based selection beats maximum
// activation; SAE features beat raw activations; with RSA, discriminative beats categorical) as
// paired statistics on one prompt set, written as a report (HTML with figures, JSON, SVG).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/comparison_cli_options.h"
#include "app/cli/comparison_runs.h"
#include "app/cli/feature_table.h"
#include "app/cli/number_options.h"
#include "core/base/file_fingerprint.h"
#include "core/base/file_sha256.h"
#include "core/base/version.h"
#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/replication_run.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>

#include <cstdio>

namespace gyrus::cli {

namespace {

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
    gpu::ReplicationInputs in;
    if (Status read = crossValidation.read(parser, &in.options); !read.isOk()) {
        return failWith(name, read);
    }
    const Result<int64_t> signFlips = integerValue(parser, flips, 0);
    const Result<int64_t> resamples = integerValue(parser, bootstrap, 0);
    if (!signFlips || !resamples) {
        return failWith(name, !signFlips ? signFlips.status() : resamples.status());
    }
    in.paired.signFlips = int(*signFlips);
    in.paired.bootstrap = int(*resamples);
    in.paired.seed = in.options.seed;
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

    // Four tables, {SAE, raw} × {corrected windows, the seed's windows}, computed when the run
    // reaches them.
    const QString directory = parser.value(out);
    gpu::ReplicationRun run(
            in, [&](const gpu::ReplicationStage &stage) -> Result<gpu::ReplicationTable> {
                Result<FeatureTable> table =
                        tables.readPooled(parser, stage.sae(), nameOf(stage.pooling), stage.window);
                if (!table) {
                    return table.status();
                }
                return gpu::ReplicationTable{std::move(table->x), std::move(table->windows),
                                             std::move(table->labels)};
            });
    QElapsedTimer sinceLine;
    sinceLine.start();
    QString lastStage;
    const int splitsPerStep = gpu::comparisonSplitsPerStep();
    while (!run.isFinished()) {
        if (Status stepped = run.step(splitsPerStep); !stepped.isOk()) {
            return failWith(name, stepped);
        }
        const QString stage = run.stageText();
        const QString head = stage.section(QLatin1Char(':'), 0, 0);
        if (head != lastStage || sinceLine.elapsed() >= 1000) {
            const double fraction = run.fraction();
            const double eta =
                    fraction > 0 ? double(clock.elapsed()) / 1000.0 * (1.0 - fraction) / fraction
                                 : 0.0;
            std::fprintf(stderr, "%s: %s, ETA %.0f s\n", qPrintable(name), qPrintable(stage), eta);
            lastStage = head;
            sinceLine.restart();
        }
    }
    gpu::ReplicationReport &report = run.report();
    report.inputs.seconds = double(clock.elapsed()) / 1000.0;
    report.inputs.date = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
    if (Status written = gpu::writeReplicationReport(directory, report); !written.isOk()) {
        return failWith(name, written);
    }
    printJson(gpu::replicationJson(report));
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
