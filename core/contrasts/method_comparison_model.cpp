#include "core/contrasts/method_comparison_model.h"

#include <QLocale>

namespace gyrus {

namespace {

QString fixed(double value)
{
    return QString::number(value, 'f', 3);
}

QString interval(double low, double high)
{
    return QStringLiteral("[%1, %2]").arg(fixed(low), fixed(high));
}

QString pValue(double p)
{
    return p < 0.001 ? QString::number(p, 'e', 1) : QString::number(p, 'g', 2);
}

QByteArray number(double value)
{
    // The shortest text that reads back as the same double.
    return QString::number(value, 'g', QLocale::FloatingPointShortest).toUtf8();
}

}  // namespace

int MethodComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_result ? 0 : int(m_result->rows.size());
}

int MethodComparisonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MethodComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_result || index.row() >= m_result->rows.size()) {
        return QVariant();
    }
    const MethodComparisonRow &row = m_result->rows.at(index.row());
    if (role == SortRole) {
        switch (index.column()) {
            case MethodColumn:
                return labelOf(row.method);
            case AccuracyColumn:
            case AccuracyIntervalColumn:
                return row.balancedAccuracy;
            case AucColumn:
            case AucIntervalColumn:
                return row.auc;
            case NullMeanColumn:
            case NullBandColumn:
                return row.nullMean;
            case PColumn:
                return row.p;
            default:
                return QVariant();
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != MethodColumn) {
        return int(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role == Qt::ToolTipRole && index.column() == MethodColumn) {
        return nameOf(row.method);
    }
    if (role != Qt::DisplayRole) {
        return QVariant();
    }
    switch (index.column()) {
        case MethodColumn:
            return labelOf(row.method);
        case AccuracyColumn:
            return fixed(row.balancedAccuracy);
        case AccuracyIntervalColumn:
            return interval(row.balancedAccuracyLow, row.balancedAccuracyHigh);
        case AucColumn:
            return fixed(row.auc);
        case AucIntervalColumn:
            return interval(row.aucLow, row.aucHigh);
        case NullMeanColumn:
            return fixed(row.nullMean);
        case NullBandColumn:
            return interval(row.nullLow, row.nullHigh);
        case PColumn:
            return m_result->settings.permutations > 0 ? pValue(row.p) : QStringLiteral("—");
        default:
            return QVariant();
    }
}

QVariant MethodComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case AccuracyColumn:
                return tr("Balanced accuracy on the held-out folds, mean over repeats");
            case AccuracyIntervalColumn:
            case AucIntervalColumn:
                return tr("2.5th and 97.5th percentile over the repeats");
            case AucColumn:
                return tr("Area under the ROC curve on the held-out folds, mean over repeats");
            case NullMeanColumn:
                return tr(
                        "Balanced accuracy with shuffled labels (selection redone in each "
                        "fold), mean over permutations");
            case NullBandColumn:
                return tr("2.5th and 97.5th percentile of the permutation null");
            case PColumn:
                return tr("(1 + permutations at least as accurate) / (1 + permutations)");
            default:
                return QVariant();
        }
    }
    if (role != Qt::DisplayRole) {
        return QVariant();
    }
    switch (section) {
        case MethodColumn:
            return tr("Method");
        case AccuracyColumn:
            return tr("Bal. acc.");
        case AccuracyIntervalColumn:
            return tr("95% CI");
        case AucColumn:
            return tr("AUC");
        case AucIntervalColumn:
            return tr("95% CI");
        case NullMeanColumn:
            return tr("Null mean");
        case NullBandColumn:
            return tr("Null 95%");
        case PColumn:
            return tr("p");
        default:
            return QVariant();
    }
}

void MethodComparisonModel::setResult(const MethodComparisonResultPtr &result)
{
    beginResetModel();
    m_result = result;
    endResetModel();
}

QByteArray methodComparisonCsv(const MethodComparisonResult &result)
{
    const MethodComparisonRequest &s = result.settings;
    QByteArray csv;
    csv += "# representation: " + result.representation.toUtf8() + '\n';
    csv += "# A: " + result.sideA.toUtf8() + ", B: " + result.sideB.toUtf8() +
           ", items: " + QByteArray::number(qlonglong(result.itemCount)) + '\n';
    csv += "# k: " + QByteArray::number(s.k) + ", folds: " + QByteArray::number(s.folds) +
           ", repeats: " + QByteArray::number(s.repeats) +
           ", permutations: " + QByteArray::number(s.permutations) + '\n';
    csv += "method,balanced_accuracy,balanced_accuracy_low,balanced_accuracy_high,auc,auc_low,"
           "auc_high,null_mean,null_low,null_high,p,selected_features\n";
    for (const MethodComparisonRow &row : result.rows) {
        QByteArray line = nameOf(row.method).toUtf8();
        for (double value :
             {row.balancedAccuracy, row.balancedAccuracyLow, row.balancedAccuracyHigh, row.auc,
              row.aucLow, row.aucHigh, row.nullMean, row.nullLow, row.nullHigh, row.p}) {
            line += ',' + number(value);
        }
        QByteArrayList features;
        for (int feature : row.selectedFeatures) {
            features << QByteArray::number(feature);
        }
        line += ',' + features.join(' ');
        csv += line + '\n';
    }
    return csv;
}

}  // namespace gyrus
