// gyrus-cli compare-methods: {raw, SAE} × {selection methods}, each scored by cross-validated
// decoding with selection inside the folds.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/feature_table.h"
#include "gpu/analysis/method_comparison.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>

namespace gyrus::cli {

namespace {

// Progress on stderr, at most about once a second: the stage, the splits done and an ETA.
class ComparisonProgress
{
public:
    ComparisonProgress(QString command, QString stage)
        : m_command(std::move(command))
        , m_stage(std::move(stage))
    {
        m_clock.start();
        m_sinceLine.start();
    }

    void report(int done, int total)
    {
        if (done < total && m_sinceLine.elapsed() < 1000) {
            return;
        }
        m_sinceLine.restart();
        const double eta = double(m_clock.elapsed()) / 1000.0 / done * (total - done);
        std::fprintf(stderr, "%s: %s: %d / %d splits, ETA %.0f s\n", qPrintable(m_command),
                     qPrintable(m_stage), done, total, eta);
    }

private:
    QString m_command;
    QString m_stage;
    QElapsedTimer m_clock;
    QElapsedTimer m_sinceLine;
};

int runCompareMethods(const QStringList &arguments)
{
    const QString name = QStringLiteral("compare-methods");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "For each representation (raw hook activations and SAE features) and each selection "
            "method (mean-difference, univariate, pooled-separation-r, pooled-separation-d; see "
            "select-features --help): select --k "
            "features inside each training fold of --repeats × stratified --folds "
            "cross-validation, fit an L2 logistic regression on the standardised training fold, "
            "and report balanced accuracy and AUC (mean and 95% interval over repeats) with a "
            "label-permutation p, as JSON. The tables come from --raw-input / --sae-input (HDF5 as "
            "`gyrus-cli represent` writes them) or are computed from --model --prompts --hook "
            "(raw) and --sae (SAE). Every method sees the same splits and permutations; a method "
            "whose "
            "features equal an earlier one's in every fold says so (same_selections_as). Progress "
            "goes to stderr."));
    const QCommandLineOption rawInput(QStringLiteral("raw-input"),
                                      QStringLiteral("HDF5 table of raw hook activations."),
                                      QStringLiteral("FILE.h5"));
    const QCommandLineOption saeInput(QStringLiteral("sae-input"),
                                      QStringLiteral("HDF5 table of SAE features."),
                                      QStringLiteral("FILE.h5"));
    const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("Features per fold."),
                               QStringLiteral("K"), QStringLiteral("8"));
    const QCommandLineOption folds(QStringLiteral("folds"), QStringLiteral("Folds."),
                                   QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption repeats(QStringLiteral("repeats"),
                                     QStringLiteral("Repeats of the split."), QStringLiteral("N"),
                                     QStringLiteral("10"));
    const QCommandLineOption permutations(QStringLiteral("permutations"),
                                          QStringLiteral("Label permutations for the null."),
                                          QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Seed."),
                                  QStringLiteral("S"), QStringLiteral("0"));
    parser.addOptions({rawInput, saeInput, k, folds, repeats, permutations, seed});
    const FeatureTableOptions tables(parser, QStringLiteral("compare-methods"));
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    gpu::ComparisonOptions options;
    bool ok[5] = {};
    options.k = parser.value(k).toInt(&ok[0]);
    options.folds = parser.value(folds).toInt(&ok[1]);
    options.repeats = parser.value(repeats).toInt(&ok[2]);
    options.permutations = parser.value(permutations).toInt(&ok[3]);
    options.seed = parser.value(seed).toULongLong(&ok[4]);
    if (!(ok[0] && ok[1] && ok[2] && ok[3] && ok[4])) {
        return fail(
                name,
                QStringLiteral("--k, --folds, --repeats, --permutations and --seed take integers"));
    }
    // (label, from a file, the file or the SAE directory)
    QList<std::pair<QString, Result<FeatureTable>>> inputs;
    if (tables.fromPrompts(parser)) {
        inputs.append({QStringLiteral("raw"), tables.read(parser, QString(), false)});
        if (parser.isSet(tables.saeOption())) {
            inputs.append({QStringLiteral("sae"), tables.read(parser, QString(), true)});
        }
    } else {
        if (parser.isSet(rawInput)) {
            inputs.append(
                    {QStringLiteral("raw"), tables.read(parser, parser.value(rawInput), false)});
        }
        if (parser.isSet(saeInput)) {
            inputs.append(
                    {QStringLiteral("sae"), tables.read(parser, parser.value(saeInput), false)});
        }
    }
    if (inputs.isEmpty()) {
        return fail(
                name,
                QStringLiteral("give --raw-input and/or --sae-input, or --model --prompts --hook"));
    }
    const std::vector<gpu::SelectionMethod> methods = {
            gpu::SelectionMethod::MeanDifference, gpu::SelectionMethod::Univariate,
            gpu::SelectionMethod::PooledSeparationR, gpu::SelectionMethod::PooledSeparationD};
    QJsonArray rows;
    QElapsedTimer clock;
    clock.start();
    const int stages = int(inputs.size());
    for (int stage = 0; stage < stages; ++stage) {
        const auto &[representation, table] = inputs[stage];
        if (!table) {
            return failWith(name, table.status());
        }
        ComparisonProgress progress(name, QStringLiteral("stage %1 of %2 (%3)")
                                                  .arg(stage + 1)
                                                  .arg(stages)
                                                  .arg(representation));
        Result<std::vector<gpu::MethodScore>> scores = gpu::compareSelectionMethods(
                table->x, table->labels, methods, options, [&](int done, int total) {
                    progress.report(done, total);
                    return true;
                });
        if (!scores) {
            return failWith(name, scores.status());
        }
        for (const gpu::MethodScore &score : scores.value()) {
            QJsonObject row{{QStringLiteral("representation"), representation},
                            {QStringLiteral("method"), gpu::selectionMethodName(score.method)},
                            {QStringLiteral("balanced_accuracy"), score.balancedAccuracy},
                            {QStringLiteral("balanced_accuracy_ci"),
                             QJsonArray{score.balancedAccuracyLow, score.balancedAccuracyHigh}},
                            {QStringLiteral("auc"), score.auc},
                            {QStringLiteral("auc_ci"), QJsonArray{score.aucLow, score.aucHigh}},
                            {QStringLiteral("null_balanced_accuracy"), score.nullMean},
                            {QStringLiteral("p"), score.p}};
            if (!score.sameSelectionsAs.isEmpty()) {
                row.insert(QStringLiteral("same_selections_as"), score.sameSelectionsAs);
            }
            rows.append(row);
        }
    }
    printJson(QJsonObject{{QStringLiteral("k"), options.k},
                          {QStringLiteral("folds"), options.folds},
                          {QStringLiteral("repeats"), options.repeats},
                          {QStringLiteral("permutations"), options.permutations},
                          {QStringLiteral("seed"), QString::number(options.seed)},
                          {QStringLiteral("results"), rows}});
    return kExitOk;
}

}  // namespace

Command compareMethodsCommand()
{
    return {QStringLiteral("compare-methods"),
            QStringLiteral("Cross-validated comparison of feature-selection methods."),
            &runCompareMethods};
}

}  // namespace gyrus::cli
