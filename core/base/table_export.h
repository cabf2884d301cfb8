#pragma once
// Any table the user sees (an item model) written out as data: CSV for a spreadsheet, HDF5 for
// numpy/h5py. Numbers are written as numbers at full precision (the model's `numberRole`, e.g.
// a SortRole that holds the double behind a rounded "0.012"), text as text.

#include "core/base/status.h"

#include <QString>

class QAbstractItemModel;

namespace gyrus {

/// All rows and columns of `model` as CSV: the horizontal header, then one line per row. A cell
/// is its `numberRole` value when that is a number (the shortest text that reads back exactly), its
/// display text otherwise; cells with a comma, quote or newline are quoted.
Status writeTableCsv(const QAbstractItemModel &model, const QString &path,
                     int numberRole = Qt::DisplayRole);

/// The same table as HDF5: one dataset per column, named after its header (lower-case, other
/// characters as '_', made unique): float64 [rows] when every cell is a number, UTF-8 strings
/// otherwise; the headers in order as the root attribute "columns" (JSON).
Status writeTableHdf5(const QAbstractItemModel &model, const QString &path,
                      int numberRole = Qt::DisplayRole);

/// writeTableCsv() or writeTableHdf5() by the suffix (.csv, .h5/.hdf5); another is refused.
Status writeTable(const QAbstractItemModel &model, const QString &path,
                  int numberRole = Qt::DisplayRole);

}  // namespace gyrus
