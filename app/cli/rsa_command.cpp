// gyrus-cli rsa: compare two RDMs with an item-label permutation test.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "core/rsa/rdm_hdf5.h"
#include "gpu/analysis/rsa_compare.h"

#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runRsa(const QStringList &arguments)
{
    const QString name = QStringLiteral("rsa");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Correlate the upper triangles of two RDMs (CSV or HDF5, same stimuli in the same "
            "order) and "
            "test it by permuting the item labels of the second (rows and columns together). "
            "p = (k + 1) / (permutations + 1). Prints JSON: r, p, n_pairs, ..."));
    const QCommandLineOption rdm(QStringLiteral("rdm"),
                                 QStringLiteral("RDM (.csv or .h5); give exactly two."),
                                 QStringLiteral("FILE.csv"));
    const QCommandLineOption method(QStringLiteral("method"),
                                    QStringLiteral("spearman (default), kendall_tau_a or "
                                                   "pearson."),
                                    QStringLiteral("METHOD"), QStringLiteral("spearman"));
    const QCommandLineOption permutations(QStringLiteral("permutations"),
                                          QStringLiteral("Item-label permutations (default "
                                                         "10000; 0: no p)."),
                                          QStringLiteral("N"), QStringLiteral("10000"));
    const QCommandLineOption seed(QStringLiteral("seed"),
                                  QStringLiteral("Random seed (default 0)."), QStringLiteral("S"),
                                  QStringLiteral("0"));
    const QCommandLineOption bootstraps(QStringLiteral("bootstraps"),
                                        QStringLiteral("Bootstrap resamples of the items for a "
                                                       "95 % percentile CI (default 0: none)."),
                                        QStringLiteral("B"), QStringLiteral("0"));
    const QCommandLineOption alternative(QStringLiteral("alternative"),
                                         QStringLiteral("greater (default) or two-sided."),
                                         QStringLiteral("H1"), QStringLiteral("greater"));
    parser.addOptions({rdm, method, permutations, seed, bootstraps, alternative});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QStringList files = parser.values(rdm);
    if (files.size() != 2) {
        return fail(name, QStringLiteral("give exactly two --rdm files, got %1 (see --help)")
                                  .arg(files.size()));
    }
    gpu::RsaOptions options;
    const std::optional<RsaMethod> parsed = fromName<RsaMethod>(parser.value(method));
    if (!parsed) {
        return fail(name, QStringLiteral("unknown method '%1'; use spearman, kendall_tau_a or "
                                         "pearson")
                                  .arg(parser.value(method)));
    }
    options.method = *parsed;
    const Result<int64_t> permutationCount = integerValue(parser, permutations, 0, kInt64Max);
    const Result<int64_t> bootstrapCount = integerValue(parser, bootstraps, 0, kInt64Max);
    const Result<int64_t> seedValue = integerValue(parser, seed, 0, kInt64Max);
    for (const Status &status :
         {permutationCount.status(), bootstrapCount.status(), seedValue.status()}) {
        if (!status.isOk()) {
            return failWith(name, status);
        }
    }
    options.permutations = *permutationCount;
    options.bootstraps = *bootstrapCount;
    options.seed = static_cast<uint64_t>(*seedValue);
    const std::optional<RsaAlternative> sided = fromName<RsaAlternative>(parser.value(alternative));
    if (!sided) {
        return fail(name, QStringLiteral("--alternative must be greater or two-sided, got '%1'")
                                  .arg(parser.value(alternative)));
    }
    options.alternative = *sided;
    const Result<Rdm> first = readRdmFile(files[0]);
    if (!first) {
        return failWith(name, first.status());
    }
    const Result<Rdm> second = readRdmFile(files[1]);
    if (!second) {
        return failWith(name, second.status());
    }
    const Result<RsaComparison> result = gpu::compareRdms(*first, *second, options);
    if (!result) {
        return failWith(name,
                        result.status().withContext(files[0] + QStringLiteral(" vs ") + files[1]));
    }
    QJsonObject json;
    json[QStringLiteral("method")] = nameOf(result->method);
    json[QStringLiteral("r")] = result->r;
    if (result->permutations > 0) {
        json[QStringLiteral("p")] = result->p;
    }
    json[QStringLiteral("n_pairs")] = static_cast<qint64>(result->nPairs);
    json[QStringLiteral("items")] = static_cast<qint64>(result->items);
    json[QStringLiteral("permutations")] = static_cast<qint64>(result->permutations);
    json[QStringLiteral("alternative")] = nameOf(result->alternative);
    json[QStringLiteral("seed")] = static_cast<qint64>(result->seed);
    if (result->bootstraps > 0) {
        json[QStringLiteral("bootstraps")] = static_cast<qint64>(result->bootstraps);
        json[QStringLiteral("ci_level")] = result->ciLevel;
        json[QStringLiteral("ci_low")] = result->ciLow;
        json[QStringLiteral("ci_high")] = result->ciHigh;
    }
    printJson(json);
    return kExitOk;
}

}  // namespace

Command rsaCommand()
{
    return {QStringLiteral("rsa"),
            QStringLiteral("Compare two RDMs (Spearman/Kendall τ-a/Pearson, item permutations)."),
            &runRsa};
}

}  // namespace gyrus::cli
