#pragma once
// Results a workspace keeps as data, not as JSON text: each section may hand the Workspace
// named arrays (float64 with a shape, or UTF-8 strings), written as HDF5 datasets
// /data/<section>/<name> of the .gyrus file, where h5py and numpy read them directly.

#include <QMap>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace gyrus {

struct WorkspaceArray
{
    std::vector<int64_t> shape;   ///< numbers: the dimensions (empty: one dimension)
    std::vector<double> numbers;  ///< row-major
    QStringList strings;          ///< text: a one-dimensional array of strings
    bool isText = false;

    static WorkspaceArray ofNumbers(std::vector<double> values, std::vector<int64_t> shape = {})
    {
        WorkspaceArray array;
        array.shape = shape.empty() ? std::vector<int64_t>{int64_t(values.size())} : shape;
        array.numbers = std::move(values);
        return array;
    }

    static WorkspaceArray ofStrings(QStringList values)
    {
        WorkspaceArray array;
        array.strings = std::move(values);
        array.isText = true;
        return array;
    }

    friend bool operator==(const WorkspaceArray &a, const WorkspaceArray &b)
    {
        return a.isText == b.isText && a.shape == b.shape && a.numbers == b.numbers &&
               a.strings == b.strings;
    }
};

/// A section's arrays by name ([a-z0-9_.-]+, as section names).
using WorkspaceData = QMap<QString, WorkspaceArray>;

}  // namespace gyrus
