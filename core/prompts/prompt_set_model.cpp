#include "core/prompts/prompt_set_model.h"

#include <QVariantMap>

namespace gyrus {

PromptSetModel::PromptSetModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

void PromptSetModel::setPromptSet(const PromptSet &set)
{
    beginResetModel();
    m_set = set;
    m_rowMessages = QList<QStringList>(m_set.items.size());
    m_rowSeverity = QList<int>(m_set.items.size(), -1);
    m_issues.clear();
    endResetModel();
    revalidate();
}

int PromptSetModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_set.items.size());
}

int PromptSetModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : targetColumn() + 1;
}

QVariant PromptSetModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const int row = index.row();
    const PromptItem &item = m_set.items.at(row);
    switch (role) {
        case ConditionRole:
            return m_set.conditionOf(row);
        case ItemIdRole:
            return item.id;
        case LevelsRole: {
            QVariantMap levels;
            for (auto it = item.levels.cbegin(); it != item.levels.cend(); ++it) {
                levels.insert(it.key(), it.value());
            }
            return levels;
        }
        case TargetRole:
            if (item.target.kind == PromptTarget::Kind::Span) {
                return QVariantMap{{QStringLiteral("begin"), item.target.span.begin},
                                   {QStringLiteral("end"), item.target.span.end}};
            }
            if (item.target.kind == PromptTarget::Kind::Regex) {
                return QVariantMap{{QStringLiteral("regex"), item.target.regex}};
            }
            return {};
        case IssuesRole:
            return m_rowMessages.value(row);
        case SeverityRole:
            return m_rowSeverity.value(row, -1);
        case Qt::ToolTipRole:
            if (!m_rowMessages.value(row).isEmpty()) {
                return m_rowMessages.value(row).join(QLatin1Char('\n'));
            }
            break;
        case Qt::DisplayRole:
        case Qt::EditRole:
            break;
        default:
            return {};
    }
    const int column = index.column();
    if (column == idColumn()) {
        return item.id;
    }
    if (column == textColumn()) {
        return item.text;
    }
    if (column == pairColumn()) {
        return item.pair;
    }
    if (column == targetColumn()) {
        return item.target.toString();
    }
    return item.levels.value(m_set.factors.at(column - factorColumn(0)).name);
}

QVariant PromptSetModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
        section >= columnCount()) {
        return QAbstractTableModel::headerData(section, orientation, role);
    }
    if (section == idColumn()) {
        return tr("id");
    }
    if (section == textColumn()) {
        return tr("text");
    }
    if (section == pairColumn()) {
        return tr("pair");
    }
    if (section == targetColumn()) {
        return tr("target");
    }
    return m_set.factors.at(section - factorColumn(0)).name;
}

Qt::ItemFlags PromptSetModel::flags(const QModelIndex &index) const
{
    if (!index.isValid() ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return Qt::NoItemFlags;
    }
    return Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsEditable | Qt::ItemNeverHasChildren;
}

bool PromptSetModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !index.isValid() ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        !value.canConvert<QString>()) {
        return false;
    }
    if (!setField(index.row(), index.column(), value.toString())) {
        return false;
    }
    // The whole row: a new level changes ConditionRole and a new id ItemIdRole on every column.
    Q_EMIT dataChanged(this->index(index.row(), 0), this->index(index.row(), targetColumn()));
    revalidate();
    Q_EMIT edited();
    return true;
}

bool PromptSetModel::setField(int row, int column, const QString &value)
{
    PromptItem &item = m_set.items[row];
    if (column == idColumn()) {
        const QString id = value.trimmed();
        if (id.isEmpty()) {
            return false;
        }
        if (id == item.id) {
            return true;
        }
        if (m_set.indexOfId(id) >= 0) {
            return false;
        }
        // Keep minimal pairs pointing at the item under its new name.
        const QString old = item.id;
        item.id = id;
        for (int other = 0; other < m_set.items.size(); ++other) {
            if (other != row && !old.isEmpty() && m_set.items.at(other).pair == old) {
                m_set.items[other].pair = id;
                const QModelIndex pairIndex = index(other, pairColumn());
                Q_EMIT dataChanged(pairIndex, pairIndex);
            }
        }
        return true;
    }
    if (column == textColumn()) {
        if (value.trimmed().isEmpty()) {
            return false;
        }
        item.text = value;
        return true;
    }
    if (column == pairColumn()) {
        const QString pair = value.trimmed();
        if (!pair.isEmpty() && (pair == item.id || m_set.indexOfId(pair) < 0)) {
            return false;
        }
        item.pair = pair;
        return true;
    }
    if (column == targetColumn()) {
        const std::optional<PromptTarget> target = PromptTarget::parse(value);
        if (!target) {
            return false;
        }
        if (target->kind == PromptTarget::Kind::Span) {
            const TextSpan span = target->span;
            if (span.begin < 0 || span.end <= span.begin || span.end > codePointCount(item.text)) {
                return false;
            }
        } else if (target->kind == PromptTarget::Kind::Regex &&
                   !resolveTarget(*target, item.text)) {
            return false;  // invalid, or anchors nothing in this text
        }
        item.target = *target;
        return true;
    }
    const PromptFactor &factor = m_set.factors.at(column - factorColumn(0));
    if (!factor.levels.contains(value)) {
        return false;
    }
    item.levels.insert(factor.name, value);
    return true;
}

bool PromptSetModel::insertRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || row < 0 || row > m_set.items.size() || count <= 0) {
        return false;
    }
    beginInsertRows(parent, row, row + count - 1);
    for (int i = 0; i < count; ++i) {
        PromptItem item;
        item.id = uniqueNewId();
        for (const PromptFactor &factor : m_set.factors) {
            if (!factor.levels.isEmpty()) {
                item.levels.insert(factor.name, factor.levels.first());
            }
        }
        // uniqueNewId() looks at the set, so each new item is added before the next id is made.
        m_set.items.insert(row + i, item);
        m_rowMessages.insert(row + i, QStringList());
        m_rowSeverity.insert(row + i, -1);
    }
    endInsertRows();
    revalidate();
    Q_EMIT edited();
    return true;
}

bool PromptSetModel::removeRows(int row, int count, const QModelIndex &parent)
{
    if (parent.isValid() || row < 0 || count <= 0 || row + count > m_set.items.size()) {
        return false;
    }
    QStringList removedIds;
    beginRemoveRows(parent, row, row + count - 1);
    for (int i = 0; i < count; ++i) {
        removedIds << m_set.items.at(row).id;
        m_set.items.removeAt(row);
        m_rowMessages.removeAt(row);
        m_rowSeverity.removeAt(row);
    }
    endRemoveRows();
    // A pair with a removed item is gone with it, rather than left dangling.
    for (int other = 0; other < m_set.items.size(); ++other) {
        if (!m_set.items.at(other).pair.isEmpty() &&
            removedIds.contains(m_set.items.at(other).pair)) {
            m_set.items[other].pair.clear();
            const QModelIndex pairIndex = index(other, pairColumn());
            Q_EMIT dataChanged(pairIndex, pairIndex);
        }
    }
    revalidate();
    Q_EMIT edited();
    return true;
}

QString PromptSetModel::uniqueNewId() const
{
    for (qsizetype n = m_set.items.size() + 1;; ++n) {
        const QString id = QStringLiteral("item_%1").arg(n);
        if (m_set.indexOfId(id) < 0) {
            return id;
        }
    }
}

void PromptSetModel::revalidate()
{
    m_issues = validatePromptSet(m_set);
    QList<QStringList> messages(m_set.items.size());
    QList<int> severity(m_set.items.size(), -1);
    for (const PromptIssue &issue : std::as_const(m_issues)) {
        if (issue.itemIndex < 0 || issue.itemIndex >= messages.size()) {
            continue;
        }
        messages[issue.itemIndex].append(issue.message);
        severity[issue.itemIndex] =
                qMax(severity.at(issue.itemIndex), static_cast<int>(issue.severity));
    }
    for (int row = 0; row < messages.size(); ++row) {
        if (messages.at(row) != m_rowMessages.value(row) ||
            severity.at(row) != m_rowSeverity.value(row, -1)) {
            m_rowMessages[row] = messages.at(row);
            m_rowSeverity[row] = severity.at(row);
            Q_EMIT dataChanged(index(row, 0), index(row, targetColumn()),
                               {IssuesRole, SeverityRole, Qt::ToolTipRole});
        }
    }
}

}  // namespace gyrus
