#include "core/rsa/rdm.h"

#include <QSet>

#include <algorithm>
#include <cmath>

namespace gyrus {

namespace {

Status checkIds(const QStringList &ids)
{
    QSet<QString> seen;
    for (int i = 0; i < ids.size(); ++i) {
        if (seen.contains(ids[i])) {
            return Status::invalidInput(QStringLiteral("stimulus id '%1' appears twice (column %2)")
                                                .arg(ids[i])
                                                .arg(i));
        }
        seen.insert(ids[i]);
    }
    return Status::ok();
}

}  // namespace

Result<Rdm> Rdm::fromCondensed(QStringList ids, std::vector<float> condensed, QString metric)
{
    const int64_t n = ids.size();
    if (static_cast<int64_t>(condensed.size()) != condensedSize(n)) {
        return Status::invalidInput(
                QStringLiteral("condensed RDM of %1 stimuli needs %2 values, got %3")
                        .arg(n)
                        .arg(condensedSize(n))
                        .arg(condensed.size()));
    }
    if (Status ok = checkIds(ids); !ok.isOk()) {
        return ok;
    }
    for (size_t k = 0; k < condensed.size(); ++k) {
        if (!std::isfinite(condensed[k])) {
            return Status::invalidInput(
                    QStringLiteral("RDM value %1 (condensed position %2) is not finite")
                            .arg(static_cast<double>(condensed[k]))
                            .arg(k));
        }
    }
    Rdm rdm;
    rdm.m_ids = std::move(ids);
    rdm.m_condensed = std::move(condensed);
    rdm.m_metric = std::move(metric);
    return rdm;
}

Result<Rdm> Rdm::fromSquare(QStringList ids, const std::vector<float> &square, QString metric,
                            double tolerance)
{
    const int64_t n = ids.size();
    if (static_cast<int64_t>(square.size()) != n * n) {
        return Status::invalidInput(QStringLiteral("RDM of %1 stimuli needs %1 × %1 values, got %2")
                                            .arg(n)
                                            .arg(square.size()));
    }
    // Rows and columns are reported 1-based, as a spreadsheet shows them.
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            const double v = square[static_cast<size_t>(i * n + j)];
            if (!std::isfinite(v)) {
                return Status::invalidInput(QStringLiteral("row %1, column %2: value %3 is not "
                                                           "finite")
                                                    .arg(i + 1)
                                                    .arg(j + 1)
                                                    .arg(v));
            }
        }
        const double diagonal = square[static_cast<size_t>(i * n + i)];
        if (std::abs(diagonal) > tolerance) {
            return Status::invalidInput(
                    QStringLiteral("row %1, column %1: diagonal is %2, expected 0")
                            .arg(i + 1)
                            .arg(diagonal));
        }
    }
    std::vector<float> condensed(static_cast<size_t>(condensedSize(n)));
    size_t k = 0;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            const double upper = square[static_cast<size_t>(i * n + j)];
            const double lower = square[static_cast<size_t>(j * n + i)];
            const double scale = std::max({1.0, std::abs(upper), std::abs(lower)});
            if (std::abs(upper - lower) > tolerance * scale) {
                return Status::invalidInput(QStringLiteral("not symmetric: row %1, column %2 is "
                                                           "%3 but row %2, column %1 is %4")
                                                    .arg(i + 1)
                                                    .arg(j + 1)
                                                    .arg(upper)
                                                    .arg(lower));
            }
            condensed[k++] = static_cast<float>(0.5 * (upper + lower));
        }
    }
    return fromCondensed(std::move(ids), std::move(condensed), std::move(metric));
}

std::vector<float> Rdm::toSquare() const
{
    const int64_t n = size();
    std::vector<float> square(static_cast<size_t>(n * n), 0.0F);
    size_t k = 0;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            square[static_cast<size_t>(i * n + j)] = m_condensed[k];
            square[static_cast<size_t>(j * n + i)] = m_condensed[k];
            ++k;
        }
    }
    return square;
}

Result<Rdm> Rdm::subset(const std::vector<int64_t> &items) const
{
    QStringList ids;
    for (int64_t item : items) {
        if (item < 0 || item >= size()) {
            return Status::invalidInput(
                    QStringLiteral("stimulus index %1 out of range [0, %2)").arg(item).arg(size()));
        }
        ids.append(m_ids[static_cast<int>(item)]);
    }
    const int64_t m = static_cast<int64_t>(items.size());
    std::vector<float> condensed;
    condensed.reserve(static_cast<size_t>(condensedSize(m)));
    for (int64_t a = 0; a < m; ++a) {
        for (int64_t b = a + 1; b < m; ++b) {
            condensed.push_back(at(items[static_cast<size_t>(a)], items[static_cast<size_t>(b)]));
        }
    }
    return fromCondensed(std::move(ids), std::move(condensed), m_metric);
}

}  // namespace gyrus
