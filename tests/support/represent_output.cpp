#include "tests/support/represent_output.h"

#include "core/hdf5/hdf5_reader.h"
#include "tests/support/cli_run.h"

#include <QTemporaryDir>

namespace gyrus::test {

Result<RepresentedItems> representItems(const QStringList &arguments, const QString &factor)
{
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("represent.h5"));
    const ProcessRun run = runCli(QStringList{QStringLiteral("represent")} + arguments +
                                  QStringList{QStringLiteral("--out"), out});
    if (run.exitCode != 0) {
        return Status::internal(
                QStringLiteral("gyrus-cli represent: exit %1: %2").arg(run.exitCode).arg(run.err));
    }
    auto reader = Hdf5Reader::open(out);
    if (!reader) {
        return reader.status();
    }
    Result<FloatMatrix> features = reader.value()->readFloatMatrix(QStringLiteral("features"));
    if (!features) {
        return features.status();
    }
    Result<std::vector<int64_t>> labels =
            reader.value()->readIntVector(QStringLiteral("labels_") + factor);
    if (!labels) {
        return labels.status();
    }
    return RepresentedItems{std::move(features).value(), std::move(labels).value()};
}

LevelDifference levelMeanDifference(const FloatMatrix &features, const std::vector<int64_t> &labels)
{
    LevelDifference result;
    result.difference.assign(size_t(features.cols), 0.0);
    for (int64_t r = 0; r < features.rows; ++r) {
        (labels[size_t(r)] == 0 ? result.rowsA : result.rowsB) += 1;
    }
    for (int64_t r = 0; r < features.rows; ++r) {
        const double weight = labels[size_t(r)] == 0 ? 1.0 / result.rowsA : -1.0 / result.rowsB;
        for (int64_t c = 0; c < features.cols; ++c) {
            result.difference[size_t(c)] += weight * double(features.at(r, c));
        }
    }
    return result;
}

}  // namespace gyrus::test
