// gyrus-cli compare-methods: {raw, SAE} × {selection methods}, each scored by cross-validated
// decoding with selection inside the folds.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "core/hdf5_reader.h"
#include "gpu/analysis/method_comparison.h"

#include <QJsonArray>
#include <QJsonObject>

#include <set>

namespace gyrus::cli {

namespace {

struct Table
{
    QString representation;
    FloatMatrix x;
    std::vector<int64_t> labels;
};

Result<Table> readTable(const QString &representation, const QString &path, const QString &dataset,
                        const QString &labelsDataset)
{
    auto reader = Hdf5Reader::open(path);
    if (!reader) {
        return reader.status();
    }
    Result<FloatMatrix> x = reader.value()->readFloatMatrix(dataset);
    Result<std::vector<int64_t>> raw = reader.value()->readIntVector(labelsDataset);
    if (!x || !raw) {
        return !x ? x.status() : raw.status();
    }
    const std::set<int64_t> values(raw->begin(), raw->end());
    if (values.size() != 2) {
        return Status::invalidInput(
                QStringLiteral("%1: %2 must take exactly two values").arg(path, labelsDataset));
    }
    Table table{representation, std::move(x).value(), {}};
    for (int64_t v : raw.value()) {
        table.labels.push_back(v == *values.begin() ? 0 : 1);
    }
    return table;
}

int runCompareMethods(const QStringList &arguments)
{
    const QString name = QStringLiteral("compare-methods");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "For each feature table (--raw, --sae: HDF5 files as `gyrus-cli represent` writes "
            "them) "
            "and each selection method (max-activation, univariate, discriminative-rsa, "
            "categorical-rsa): select --k features inside each training fold of --repeats × "
            "stratified --folds cross-validation, fit an L2 logistic regression on the "
            "standardised training fold, and report balanced accuracy and AUC (mean and 95% "
            "interval over repeats) with a label-permutation p. Prints JSON."));
    const QCommandLineOption raw(QStringLiteral("raw"),
                                 QStringLiteral("Feature table of raw hook activations."),
                                 QStringLiteral("FILE.h5"));
    const QCommandLineOption sae(QStringLiteral("sae"),
                                 QStringLiteral("Feature table of SAE features."),
                                 QStringLiteral("FILE.h5"));
    const QCommandLineOption dataset(QStringLiteral("dataset"), QStringLiteral("Table name."),
                                     QStringLiteral("NAME"), QStringLiteral("features"));
    const QCommandLineOption labels(QStringLiteral("labels-dataset"),
                                    QStringLiteral("Two-valued labels."), QStringLiteral("NAME"),
                                    QStringLiteral("labels"));
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
    parser.addOptions({raw, sae, dataset, labels, k, folds, repeats, permutations, seed});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(raw) && !parser.isSet(sae)) {
        return fail(name, QStringLiteral("give --raw and/or --sae"));
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
    QList<Table> tables;
    for (const auto &[label, option] :
         {std::pair{QStringLiteral("raw"), &raw}, std::pair{QStringLiteral("sae"), &sae}}) {
        if (parser.isSet(*option)) {
            Result<Table> table = readTable(label, parser.value(*option), parser.value(dataset),
                                            parser.value(labels));
            if (!table) {
                return failWith(name, table.status());
            }
            tables.append(std::move(table).value());
        }
    }
    QJsonArray rows;
    for (const Table &table : tables) {
        for (gpu::SelectionMethod method :
             {gpu::SelectionMethod::MaxActivation, gpu::SelectionMethod::Univariate,
              gpu::SelectionMethod::DiscriminativeRsa, gpu::SelectionMethod::CategoricalRsa}) {
            Result<gpu::MethodScore> score =
                    gpu::crossValidatedScore(table.x, table.labels, method, options);
            if (!score) {
                return failWith(name, score.status());
            }
            rows.append(QJsonObject{
                    {QStringLiteral("representation"), table.representation},
                    {QStringLiteral("method"), gpu::selectionMethodName(method)},
                    {QStringLiteral("balanced_accuracy"), score->balancedAccuracy},
                    {QStringLiteral("balanced_accuracy_ci"),
                     QJsonArray{score->balancedAccuracyLow, score->balancedAccuracyHigh}},
                    {QStringLiteral("auc"), score->auc},
                    {QStringLiteral("auc_ci"), QJsonArray{score->aucLow, score->aucHigh}},
                    {QStringLiteral("null_balanced_accuracy"), score->nullMean},
                    {QStringLiteral("p"), score->p}});
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
