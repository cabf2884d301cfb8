#pragma once

#include "core/base/status.h"
#include "core/rsa/rdm.h"

#include <QList>
#include <QString>

#include <utility>

namespace gyrus {

class Hdf5Reader;
class Hdf5Writer;

/// RDMs in HDF5 (ARCHITECTURE.md §5): `/<name>` float32 [n, n] (square, exact zero diagonal)
/// with the stimulus ids in `/<name>_ids` (strings) and the metric in `/<name>_metric`, so one
/// file can hold several RDMs (the RSA dock writes the model RDMs beside the data RDM).

/// Adds `rdm` under `name` to an open writer.
Status writeRdmDatasets(Hdf5Writer &writer, const QString &name, const Rdm &rdm);

/// Reads what writeRdmDatasets() wrote (and checks it as Rdm::fromSquare does).
Result<Rdm> readRdmDatasets(const Hdf5Reader &reader, const QString &name);

/// Writes one RDM as `/rdm` to a new file at `path`, with `attributes` on the root group
/// (provenance: metric, hook, prompt set ...).
Status writeRdmHdf5(const Rdm &rdm, const QString &path,
                    const QList<std::pair<QString, QString>> &attributes = {});

/// Reads `/rdm` of a file writeRdmHdf5() wrote; errors name the file.
Result<Rdm> readRdmHdf5(const QString &path);

/// Whether `path` names an HDF5 file by its suffix (.h5, .hdf5).
bool isHdf5Path(const QString &path);

/// An RDM file of either format, chosen by the suffix: .h5/.hdf5 as writeRdmHdf5(), .csv as
/// writeRdmCsv(); any other suffix is refused with a message naming the two, so that a file is
/// never written in a format its name does not say.
Status writeRdmFile(const Rdm &rdm, const QString &path,
                    const QList<std::pair<QString, QString>> &attributes = {});
Result<Rdm> readRdmFile(const QString &path);

}  // namespace gyrus
