// gyrus-cli compare-methods: {raw, SAE} × {selection methods}, each scored by cross-validated
// decoding with selection inside the folds.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/comparison_cli_options.h"
#include "app/cli/comparison_runs.h"
#include "app/cli/feature_table.h"
#include "gpu/analysis/method_comparison.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

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
            "(raw; without --hook, the hook in the --sae's cfg) and --sae (SAE). Every method sees "
            "the same splits and permutations; a method "
            "whose "
            "features equal an earlier one's in every fold says so (same_selections_as). Tables "
            "with aligned windows (--pooling window, or /X in the file) also offer the temporal "
            "methods (--methods). --preset seed-six runs the original project's six combinations "
            "({temporal discriminative RSA, temporal categorical RSA, max-activation} × {SAE, "
            "raw}) twice from --model --prompts --hook --sae: with its left-first 50-token "
            "zero-padded window and its formulas (version seed), and with a masked window and the "
            "corrected formulas (version corrected). Progress goes to stderr."));
    const QCommandLineOption methodsOption(
            QStringLiteral("methods"),
            QStringLiteral("Comma-separated selection methods (default: mean-difference, "
                           "univariate, pooled-separation-r, pooled-separation-d; with aligned "
                           "windows also temporal-discriminative-rsa, temporal-categorical-rsa, "
                           "feature-set-rsa)."),
            QStringLiteral("LIST"));
    const QCommandLineOption preset(QStringLiteral("preset"),
                                    QStringLiteral("seed-six: the original project's six "
                                                   "combinations, as it ran them and corrected."),
                                    QStringLiteral("NAME"));
    const QCommandLineOption rawInput(QStringLiteral("raw-input"),
                                      QStringLiteral("HDF5 table of raw hook activations."),
                                      QStringLiteral("FILE.h5"));
    const QCommandLineOption saeInput(QStringLiteral("sae-input"),
                                      QStringLiteral("HDF5 table of SAE features."),
                                      QStringLiteral("FILE.h5"));
    parser.addOptions({rawInput, saeInput});
    const ComparisonCliOptions crossValidation(parser);
    parser.addOptions({methodsOption, preset});
    const FeatureTableOptions tables(parser, QStringLiteral("compare-methods"));
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    gpu::ComparisonOptions options;
    if (Status read = crossValidation.read(parser, &options); !read.isOk()) {
        return failWith(name, read);
    }
    std::vector<SelectionMethod> chosen;
    for (const QString &method :
         parser.value(methodsOption).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const std::optional<SelectionMethod> known = fromName<SelectionMethod>(method.trimmed());
        if (!known) {
            return fail(name, QStringLiteral("unknown method '%1' (known: %2)")
                                      .arg(method,
                                           namesOf<SelectionMethod>().join(QStringLiteral(", "))));
        }
        chosen.push_back(*known);
    }

    // (representation, version, the table, methods)
    struct Stage
    {
        QString representation;
        QString version;
        Result<FeatureTable> table;
        std::vector<SelectionMethod> methods;
    };

    QList<Stage> stages;
    const std::vector<SelectionMethod> pooled = {
            SelectionMethod::MeanDifference, SelectionMethod::Univariate,
            SelectionMethod::PooledSeparationR, SelectionMethod::PooledSeparationD};
    auto methodsFor = [&](const Result<FeatureTable> &table) {
        if (!chosen.empty()) {
            return chosen;
        }
        std::vector<SelectionMethod> methods = pooled;
        if (table && table->windows.items > 0) {
            methods.insert(methods.end(), {SelectionMethod::TemporalDiscriminativeRsa,
                                           SelectionMethod::TemporalCategoricalRsa,
                                           SelectionMethod::FeatureSetRsa});
        }
        return methods;
    };
    if (parser.isSet(preset)) {
        if (parser.value(preset) != QLatin1String("seed-six")) {
            return fail(name, QStringLiteral("unknown preset '%1' (known: seed-six)")
                                      .arg(parser.value(preset)));
        }
        if (!tables.fromPrompts(parser) || !parser.isSet(tables.saeOption())) {
            return fail(name, QStringLiteral("--preset seed-six needs --model --prompts --hook "
                                             "--sae (it computes its own windows)"));
        }
        for (bool sae : {true, false}) {
            const QString representation = sae ? QStringLiteral("sae") : QStringLiteral("raw");
            std::vector<SelectionMethod> seedMethods;
            std::vector<SelectionMethod> correctedMethods;
            for (const SeedCombination &combination : seedCombinations()) {
                if (combination.sae == sae) {
                    seedMethods.push_back(combination.seedMethod);
                    correctedMethods.push_back(combination.correctedMethod);
                }
            }
            stages.append({representation, QStringLiteral("seed"),
                           tables.readPooled(parser, sae, QStringLiteral("legacy-left-first"),
                                             kSeedWindow),
                           seedMethods});
            stages.append({representation, QStringLiteral("corrected"),
                           tables.readPooled(parser, sae, QStringLiteral("window"), kSeedWindow),
                           correctedMethods});
        }
    } else if (tables.fromPrompts(parser)) {
        stages.append(
                {QStringLiteral("raw"), QString(), tables.read(parser, QString(), false), {}});
        if (parser.isSet(tables.saeOption())) {
            stages.append(
                    {QStringLiteral("sae"), QString(), tables.read(parser, QString(), true), {}});
        }
    } else {
        if (parser.isSet(rawInput)) {
            stages.append({QStringLiteral("raw"),
                           QString(),
                           tables.read(parser, parser.value(rawInput), false),
                           {}});
        }
        if (parser.isSet(saeInput)) {
            stages.append({QStringLiteral("sae"),
                           QString(),
                           tables.read(parser, parser.value(saeInput), false),
                           {}});
        }
    }
    if (stages.isEmpty()) {
        return fail(name, QStringLiteral("give --raw-input and/or --sae-input, or --model "
                                         "--prompts and --hook or --sae"));
    }
    QJsonArray rows;
    const int count = int(stages.size());
    for (int stage = 0; stage < count; ++stage) {
        const Stage &current = stages[stage];
        if (!current.table) {
            return failWith(name, current.table.status());
        }
        const QString label = current.version.isEmpty()
                                      ? current.representation
                                      : current.representation + QLatin1Char(' ') + current.version;
        Result<std::vector<ComparisonRow>> result = runComparison(
                current.table.value(), current.representation, current.version,
                current.methods.empty() ? methodsFor(current.table) : current.methods, options,
                stderrProgress(name, QStringLiteral("stage %1 of %2 (%3)")
                                             .arg(stage + 1)
                                             .arg(count)
                                             .arg(label)));
        if (!result) {
            return failWith(name, result.status());
        }
        for (const ComparisonRow &row : result.value()) {
            rows.append(comparisonRowJson(row));
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
