#include "core/rsa/rsa_statistics_model.h"

#include <cmath>

namespace gyrus {

void RsaStatisticsModel::setResult(std::shared_ptr<const RsaResult> result)
{
    beginResetModel();
    m_result = std::move(result);
    endResetModel();
}

int RsaStatisticsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_result ? 0 : int(m_result->models.size());
}

int RsaStatisticsModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid()) {
        return 0;
    }
    return m_result && m_result->hasIntervention ? Change + 1 : Interval + 1;
}

QString RsaStatisticsModel::formatNumber(double value, int digits)
{
    return std::isfinite(value) ? QString::number(value, 'f', digits) : QStringLiteral("–");
}

QString RsaStatisticsModel::formatP(double p)
{
    if (!std::isfinite(p)) {
        return QStringLiteral("–");
    }
    return p < 0.001 ? QString::number(p, 'g', 2) : QString::number(p, 'f', 3);
}

QVariant RsaStatisticsModel::data(const QModelIndex &index, int role) const
{
    if (!m_result || !index.isValid() || index.row() >= rowCount() ||
        index.column() >= columnCount()) {
        return {};
    }
    const RsaModelFit &fit = m_result->models[index.row()];
    const RsaComparison &c = fit.comparison;
    if (role == Qt::TextAlignmentRole) {
        return int(index.column() == Model ? Qt::AlignLeft | Qt::AlignVCenter
                                           : Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role == Qt::ToolTipRole && index.column() == PValue && c.permutations > 0) {
        return tr("(k + 1) / (%1 + 1): k item-label permutations at least as extreme")
                .arg(c.permutations);
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (index.column()) {
        case Model:
            return fit.name;
        case Statistic:
            return formatNumber(c.r);
        case PValue:
            return formatP(c.p);
        case Interval:
            return c.bootstraps > 0 ? QStringLiteral("[%1, %2]")
                                              .arg(formatNumber(c.ciLow), formatNumber(c.ciHigh))
                                    : QStringLiteral("–");
        case Clamped:
            return formatNumber(fit.clampedComparison.r);
        case Change:
            return formatNumber(fit.clampedComparison.r - c.r);
        default:
            return {};
    }
}

QVariant RsaStatisticsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
        case Model:
            return tr("Model RDM");
        case Statistic:
            return m_result ? labelOf(m_result->request.comparisonMethod) : tr("r");
        case PValue:
            return tr("p (items permuted)");
        case Interval:
            return m_result ? tr("%1 % CI (bootstrap)")
                                      .arg(m_result->models.isEmpty()
                                                   ? 95.0
                                                   : 100.0 * m_result->models[0].comparison.ciLevel)
                            : tr("CI");
        case Clamped:
            return tr("clamped");
        case Change:
            return tr("Δ");
        default:
            return {};
    }
}

}  // namespace gyrus
