#include "core/rsa/rdm_hdf5.h"

#include "core/hdf5/hdf5_reader.h"
#include "core/hdf5/hdf5_writer.h"
#include "core/rsa/rdm_csv.h"

#include <QFileInfo>

namespace gyrus {

Status writeRdmDatasets(Hdf5Writer &writer, const QString &name, const Rdm &rdm)
{
    const int64_t n = rdm.size();
    Status status = writer.writeFloat32(name, {n, n}, rdm.toSquare().data());
    if (status.isOk()) {
        status = writer.writeStrings(name + QStringLiteral("_ids"), rdm.ids());
    }
    if (status.isOk()) {
        status = writer.writeText(name + QStringLiteral("_metric"), rdm.metric().toUtf8());
    }
    return status;
}

Result<Rdm> readRdmDatasets(const Hdf5Reader &reader, const QString &name)
{
    Result<std::vector<int64_t>> shape = reader.shape(name);
    if (!shape) {
        return shape.status();
    }
    if (shape->size() != 2 || shape->at(0) != shape->at(1)) {
        return Status::invalidInput(
                QStringLiteral("%1: /%2 must be a square [n, n] matrix").arg(reader.path(), name));
    }
    Result<std::vector<double>> values = reader.readDoubles(name);
    Result<QStringList> ids = reader.readStrings(name + QStringLiteral("_ids"));
    if (!values || !ids) {
        return !values ? values.status() : ids.status();
    }
    if (ids->size() != shape->at(0)) {
        return Status::invalidInput(QStringLiteral("%1: /%2_ids has %3 ids for %4 rows")
                                            .arg(reader.path(), name)
                                            .arg(ids->size())
                                            .arg(shape->at(0)));
    }
    Result<QByteArray> metric = reader.readText(name + QStringLiteral("_metric"));
    const std::vector<float> square(values->begin(), values->end());
    Result<Rdm> rdm = Rdm::fromSquare(*ids, square,
                                      metric ? QString::fromUtf8(*metric) : QStringLiteral("hdf5"));
    if (!rdm) {
        return rdm.status().withContext(reader.path());
    }
    return rdm;
}

Status writeRdmHdf5(const Rdm &rdm, const QString &path,
                    const QList<std::pair<QString, QString>> &attributes)
{
    auto writer = Hdf5Writer::create(path);
    if (!writer) {
        return writer.status();
    }
    Status status = writeRdmDatasets(*writer.value(), QStringLiteral("rdm"), rdm);
    for (const auto &[key, value] : attributes) {
        if (status.isOk()) {
            status = writer.value()->setAttribute(key, value);
        }
    }
    return status.isOk() ? writer.value()->commit() : status;
}

Result<Rdm> readRdmHdf5(const QString &path)
{
    auto reader = Hdf5Reader::open(path);
    if (!reader) {
        return reader.status();
    }
    return readRdmDatasets(*reader.value(), QStringLiteral("rdm"));
}

bool isHdf5Path(const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("h5") || suffix == QLatin1String("hdf5");
}

namespace {

Status unknownSuffix(const QString &path)
{
    return Status::invalidInput(
            QStringLiteral("%1: an RDM file ends in .csv or .h5 (.hdf5)").arg(path));
}

bool isCsvPath(const QString &path)
{
    return QFileInfo(path).suffix().toLower() == QLatin1String("csv");
}

}  // namespace

Status writeRdmFile(const Rdm &rdm, const QString &path,
                    const QList<std::pair<QString, QString>> &attributes)
{
    if (isHdf5Path(path)) {
        return writeRdmHdf5(rdm, path, attributes);
    }
    return isCsvPath(path) ? writeRdmCsv(rdm, path) : unknownSuffix(path);
}

Result<Rdm> readRdmFile(const QString &path)
{
    if (isHdf5Path(path)) {
        return readRdmHdf5(path);
    }
    return isCsvPath(path) ? readRdmCsv(path) : Result<Rdm>(unknownSuffix(path));
}

}  // namespace gyrus
