#pragma once

#include "core/base/status.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace gyrus {

/// A representational dissimilarity matrix over n stimuli: symmetric, zero diagonal, finite.
/// Stored condensed (the n(n-1)/2 upper-triangle values row by row, scipy's pdist order), which
/// halves the memory of an N = 10,000 RDM. Values may be negative (crossnobis estimates are
/// unbiased, so they scatter around zero for identical conditions).
class Rdm
{
public:
    Rdm() = default;

    /// Number of upper-triangle entries of an n × n matrix.
    static int64_t condensedSize(int64_t n) { return n * (n - 1) / 2; }

    /// Position of (i, j), i != j, in the condensed vector.
    static int64_t condensedIndex(int64_t n, int64_t i, int64_t j)
    {
        if (i > j) {
            std::swap(i, j);
        }
        return n * i - i * (i + 1) / 2 + (j - i - 1);
    }

    /// `ids` names the n stimuli (unique); `condensed` holds n(n-1)/2 finite values.
    static Result<Rdm> fromCondensed(QStringList ids, std::vector<float> condensed, QString metric);

    /// `square` is n × n row-major. Checks that it is symmetric (within `tolerance`, relative to
    /// the larger magnitude, at least absolute), has a zero diagonal (|d_ii| <= tolerance) and is
    /// finite; messages name the row and column.
    static Result<Rdm> fromSquare(QStringList ids, const std::vector<float> &square, QString metric,
                                  double tolerance = 1e-5);

    int64_t size() const { return m_ids.size(); }

    const QStringList &ids() const { return m_ids; }

    /// How the dissimilarities were computed ("correlation", "model:factor", "csv", ...).
    const QString &metric() const { return m_metric; }

    const std::vector<float> &condensed() const { return m_condensed; }

    float at(int64_t i, int64_t j) const
    {
        return i == j ? 0.0F : m_condensed[static_cast<size_t>(condensedIndex(size(), i, j))];
    }

    /// n × n row-major with an exact zero diagonal.
    std::vector<float> toSquare() const;

    /// The RDM of the stimuli `items` (indices into ids(), in that order, no repeats).
    Result<Rdm> subset(const std::vector<int64_t> &items) const;

private:
    QStringList m_ids;
    std::vector<float> m_condensed;
    QString m_metric;
};

/// The architecture's name for an RDM produced by an analysis.
using RdmResult = Rdm;

}  // namespace gyrus
