// gyrus-cli contrast: per-feature Welch t tests between two conditions, with BH q-values.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "core/hdf5/hdf5_reader.h"
#include "gpu/analysis/contrasts.h"

#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>

namespace gyrus::cli {

namespace {

QByteArray number(double value)
{
    return QByteArray::number(value, 'g', 12);
}

Status writeContrastCsv(const ContrastResult &result, const QString &path)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    // The first five columns are the stable contract; the rest may grow.
    QByteArray header("feature,t,p,d,q,g,df,mean_diff,zero_variance");
    if (result.hasPaired()) {
        header += ",paired_t,paired_p,paired_q";
    }
    file.write(header + '\n');
    for (int64_t j = 0; j < result.featureCount(); ++j) {
        const size_t k = static_cast<size_t>(j);
        QByteArray line = QByteArray::number(static_cast<qlonglong>(j));
        for (double value : {result.t[k], result.p[k], result.d[k], result.q[k], result.g[k],
                             result.df[k], result.meanDiff[k]}) {
            line += ',' + number(value);
        }
        line += result.zeroVariance[k] ? ",1" : ",0";
        if (result.hasPaired()) {
            line += ',' + number(result.pairedT[k]) + ',' + number(result.pairedP[k]) + ',' +
                    number(result.pairedQ[k]);
        }
        file.write(line + '\n');
    }
    if (!file.commit()) {
        return Status::invalidInput(
                QStringLiteral("%1: cannot write (%2)").arg(path, file.errorString()));
    }
    return Status::ok();
}

int runContrast(const QStringList &arguments)
{
    const QString name = QStringLiteral("contrast");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Per-feature univariate contrast between two conditions: Welch t, two-sided p "
            "(Welch–Satterthwaite df), Cohen's d, Hedges' g and Benjamini–Hochberg q across "
            "features. Condition A is the smaller label (with `gyrus-cli represent`'s labels, the "
            "prompt "
            "set's first level, as in the app) unless --a-label names the other; t > 0 means A "
            "is higher.\n"
            "Writes a CSV (feature,t,p,d,q,g,df,mean_diff,zero_variance[,paired_t,paired_p,"
            "paired_q]) and prints a JSON summary."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("HDF5 file."),
                                   QStringLiteral("FILE.h5"));
    const QCommandLineOption dataset(QStringLiteral("dataset"),
                                     QStringLiteral("[N, F] feature table (items × features)."),
                                     QStringLiteral("X"));
    const QCommandLineOption labels(QStringLiteral("labels-dataset"),
                                    QStringLiteral("[N] integer labels with exactly two values."),
                                    QStringLiteral("Y"));
    const QCommandLineOption pairs(
            QStringLiteral("pairs-dataset"),
            QStringLiteral("Optional [N] integer pair ids: the two items (one per condition) "
                           "sharing an id form a pair for the paired t test; -1 for none."),
            QStringLiteral("P"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("CSV file to write."),
                                 QStringLiteral("FILE.csv"));
    const QCommandLineOption aLabel(
            QStringLiteral("a-label"),
            QStringLiteral("The label of condition A (default: the smaller of the two)."),
            QStringLiteral("N"));
    parser.addOptions({input, dataset, labels, pairs, out, aLabel});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QCommandLineOption *required : {&input, &dataset, &labels, &out}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required (see --help)")
                                      .arg(required->names().constFirst()));
        }
    }
    const auto file = Hdf5Reader::open(parser.value(input));
    if (!file) {
        return failWith(name, file.status());
    }
    const Result<FloatMatrix> x = file.value()->readFloatMatrix(parser.value(dataset));
    if (!x) {
        return failWith(name, x.status());
    }
    const Result<std::vector<int64_t>> y = file.value()->readIntVector(parser.value(labels));
    if (!y) {
        return failWith(name, y.status());
    }
    std::vector<int64_t> values = *y;
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (values.size() != 2) {
        return fail(name, QStringLiteral("%1: dataset '%2' has %3 distinct labels; a contrast "
                                         "needs exactly 2")
                                  .arg(parser.value(input), parser.value(labels))
                                  .arg(values.size()));
    }
    int64_t labelA = values[0];
    int64_t labelB = values[1];
    if (parser.isSet(aLabel)) {
        bool ok = false;
        const qint64 chosen = parser.value(aLabel).toLongLong(&ok);
        if (!ok || (chosen != values[0] && chosen != values[1])) {
            return fail(name, QStringLiteral("--a-label %1 is not one of the labels (%2, %3)")
                                      .arg(parser.value(aLabel))
                                      .arg(values[0])
                                      .arg(values[1]));
        }
        labelB = chosen == values[0] ? values[1] : values[0];
        labelA = chosen;
    }
    gpu::ContrastOptions options;
    if (parser.isSet(pairs)) {
        const Result<std::vector<int64_t>> ids = file.value()->readIntVector(parser.value(pairs));
        if (!ids) {
            return failWith(name, ids.status());
        }
        if (ids->size() != y->size()) {
            return fail(name, QStringLiteral("%1: %2 pair ids for %3 items")
                                      .arg(parser.value(input))
                                      .arg(ids->size())
                                      .arg(y->size()));
        }
        // Match each A item to the B item with the same pair id.
        std::vector<std::pair<int64_t, int64_t>> byId;  // (pair id, item) of condition B
        for (size_t i = 0; i < ids->size(); ++i) {
            if ((*ids)[i] >= 0 && (*y)[i] == labelB) {
                byId.emplace_back((*ids)[i], static_cast<int64_t>(i));
            }
        }
        std::sort(byId.begin(), byId.end());
        for (size_t i = 0; i < ids->size(); ++i) {
            if ((*ids)[i] < 0 || (*y)[i] != labelA) {
                continue;
            }
            const auto match = std::lower_bound(byId.begin(), byId.end(),
                                                std::make_pair((*ids)[i], int64_t{-1}));
            if (match != byId.end() && match->first == (*ids)[i]) {
                options.pairs.emplace_back(static_cast<int64_t>(i), match->second);
            }
        }
    }
    const Result<ContrastResult> result = gpu::twoGroupContrast(*x, *y, labelA, labelB, options);
    if (!result) {
        return failWith(name, result.status().withContext(parser.value(input)));
    }
    if (Status written = writeContrastCsv(*result, parser.value(out)); !written.isOk()) {
        return failWith(name, written);
    }
    QJsonObject json;
    json[QStringLiteral("out")] = parser.value(out);
    json[QStringLiteral("features")] = static_cast<qint64>(result->featureCount());
    json[QStringLiteral("label_a")] = static_cast<qint64>(labelA);
    json[QStringLiteral("label_b")] = static_cast<qint64>(labelB);
    json[QStringLiteral("n_a")] = static_cast<qint64>(result->countA);
    json[QStringLiteral("n_b")] = static_cast<qint64>(result->countB);
    json[QStringLiteral("pairs")] = static_cast<qint64>(result->pairCount);
    json[QStringLiteral("significant_q05")] = static_cast<qint64>(
            std::count_if(result->q.begin(), result->q.end(), [](double q) { return q < 0.05; }));
    json[QStringLiteral("zero_variance_features")] = static_cast<qint64>(
            std::count(result->zeroVariance.begin(), result->zeroVariance.end(), true));
    printJson(json);
    return kExitOk;
}

}  // namespace

Command contrastCommand()
{
    return {QStringLiteral("contrast"),
            QStringLiteral("Per-feature Welch t tests between two conditions (with BH q)."),
            &runContrast};
}

}  // namespace gyrus::cli
