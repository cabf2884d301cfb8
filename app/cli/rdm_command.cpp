// gyrus-cli rdm: the representational dissimilarity matrix of an items × features table.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "core/hdf5/hdf5_reader.h"
#include "core/rsa/rdm_hdf5.h"
#include "gpu/analysis/rdm_compute.h"

#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runRdm(const QStringList &arguments)
{
    const QString name = QStringLiteral("rdm");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Compute the RDM of the rows of an [N, F] dataset and write it as CSV (--out x.csv: a "
            "header row of the N stimulus ids, then N rows of N dissimilarities) or HDF5 (--out "
            "x.h5: /rdm float32 [N, N], /rdm_ids, /rdm_metric). Prints a JSON summary."));
    const QCommandLineOption input(QStringLiteral("input"), QStringLiteral("HDF5 file."),
                                   QStringLiteral("FILE.h5"));
    const QCommandLineOption dataset(QStringLiteral("dataset"),
                                     QStringLiteral("[N, F] feature table (items × features)."),
                                     QStringLiteral("X"));
    const QCommandLineOption metric(
            QStringLiteral("metric"),
            QStringLiteral("correlation (default), cosine, euclidean or sqeuclidean."),
            QStringLiteral("METRIC"), QStringLiteral("correlation"));
    const QCommandLineOption ids(QStringLiteral("ids-dataset"),
                                 QStringLiteral("Optional [N] stimulus ids (strings or "
                                                "integers); default 0 … N−1."),
                                 QStringLiteral("D"));
    const QCommandLineOption single(QStringLiteral("float32"),
                                    QStringLiteral("Compute in single precision (faster, "
                                                   "~1e-6 relative)."));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("File to write: .csv or .h5 (.hdf5)."),
                                 QStringLiteral("FILE"));
    parser.addOptions({input, dataset, metric, ids, single, out});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QCommandLineOption *required : {&input, &dataset, &out}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required (see --help)")
                                      .arg(required->names().constFirst()));
        }
    }
    if (!isHdf5Path(parser.value(out)) &&
        !parser.value(out).endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) {
        return fail(name, QStringLiteral("--out must end in .csv or .h5 (.hdf5), not '%1'")
                                  .arg(parser.value(out)));
    }
    gpu::RdmOptions options;
    const std::optional<RdmMetric> parsed = fromName<RdmMetric>(parser.value(metric));
    if (!parsed) {
        return fail(name, QStringLiteral("unknown metric '%1'; use correlation, cosine, "
                                         "euclidean or sqeuclidean")
                                  .arg(parser.value(metric)));
    }
    options.metric = *parsed;
    options.doublePrecision = !parser.isSet(single);
    const auto file = Hdf5Reader::open(parser.value(input));
    if (!file) {
        return failWith(name, file.status());
    }
    const Result<FloatMatrix> x = file.value()->readFloatMatrix(parser.value(dataset));
    if (!x) {
        return failWith(name, x.status());
    }
    QStringList stimulusIds;
    if (parser.isSet(ids)) {
        const Result<QStringList> read = file.value()->readStrings(parser.value(ids));
        if (!read) {
            return failWith(name, read.status());
        }
        stimulusIds = *read;
    }
    const Result<Rdm> rdm = gpu::computeRdm(*x, stimulusIds, options);
    if (!rdm) {
        return failWith(name, rdm.status().withContext(parser.value(input)));
    }
    if (Status written = writeRdmFile(*rdm, parser.value(out),
                                      {{QStringLiteral("input"), parser.value(input)},
                                       {QStringLiteral("dataset"), parser.value(dataset)}});
        !written.isOk()) {
        return failWith(name, written);
    }
    QJsonObject json;
    json[QStringLiteral("out")] = parser.value(out);
    json[QStringLiteral("format")] =
            isHdf5Path(parser.value(out)) ? QStringLiteral("hdf5") : QStringLiteral("csv");
    json[QStringLiteral("stimuli")] = static_cast<qint64>(rdm->size());
    json[QStringLiteral("features")] = static_cast<qint64>(x->cols);
    json[QStringLiteral("metric")] = rdm->metric();
    printJson(json);
    return kExitOk;
}

}  // namespace

Command rdmCommand()
{
    return {QStringLiteral("rdm"),
            QStringLiteral("Representational dissimilarity matrix of a feature table (CSV/HDF5)."),
            &runRdm};
}

}  // namespace gyrus::cli
