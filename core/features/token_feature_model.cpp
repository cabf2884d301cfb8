#include "core/features/token_feature_model.h"

#include "core/session/selection_hub.h"

namespace gyrus {

TokenFeatureModel::TokenFeatureModel(SelectionHub *hub, QObject *parent)
    : QAbstractTableModel(parent)
    , m_hub(hub)
{
    if (hub) {
        connect(hub, &SelectionHub::annotationChanged, this, [this] {
            if (!m_features.empty()) {
                Q_EMIT dataChanged(index(0, LabelColumn), index(rowCount() - 1, LabelColumn));
            }
        });
    }
}

void TokenFeatureModel::setFeatures(const std::vector<FeatureValue> &features)
{
    beginResetModel();
    m_features = features;
    endResetModel();
}

int TokenFeatureModel::featureAt(int row) const
{
    return row >= 0 && row < rowCount() ? m_features[size_t(row)].feature : -1;
}

int TokenFeatureModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_features.size());
}

int TokenFeatureModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TokenFeatureModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount()) {
        return {};
    }
    const FeatureValue &entry = m_features[size_t(index.row())];
    switch (role) {
        case FeatureRole:
            return entry.feature;
        case ValueRole:
            return double(entry.value);
        case Qt::DisplayRole:
            switch (index.column()) {
                case FeatureColumn:
                    return QStringLiteral("#%1").arg(entry.feature);
                case LabelColumn:
                    return m_hub ? m_hub->annotation(entry.feature).label : QString();
                case ActivationColumn:
                    return QString::number(double(entry.value), 'f', 3);
                default:
                    return {};
            }
        case Qt::TextAlignmentRole:
            return index.column() == ActivationColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                      : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
        case Qt::ToolTipRole:
            return tr("Click to select feature %1 everywhere; Shift+click to clamp it")
                    .arg(entry.feature);
        default:
            return {};
    }
}

QVariant TokenFeatureModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
        case FeatureColumn:
            return tr("Feature");
        case LabelColumn:
            return tr("Label");
        case ActivationColumn:
            return tr("Activation");
        default:
            return {};
    }
}

}  // namespace gyrus
