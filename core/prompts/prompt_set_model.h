#pragma once

#include "core/prompts/prompt_set.h"
#include "core/prompts/prompt_set_validation.h"

#include <QAbstractTableModel>
#include <QList>

namespace gyrus {

/// A prompt set as an editable table: one row per item; columns id, text, one per factor, pair,
/// target. Edits are checked before they are applied (setData() returns false for a value the
/// set cannot hold: an empty or repeated id, a level the factor does not have, an unknown pair,
/// a target that does not parse); problems that only show in context (a regex that no longer
/// matches the edited text, an unbalanced design) are kept as issues, re-computed after every
/// change and exposed per row through IssuesRole/SeverityRole. GUI thread only.
class PromptSetModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role
    {
        ConditionRole = Qt::UserRole + 1,  ///< QString: the item's condition label
        ItemIdRole,                        ///< QString: the item's id, on every column
        LevelsRole,                        ///< QVariantMap factor -> level
        TargetRole,    ///< QVariantMap {"begin","end"} or {"regex"}; invalid QVariant when unset
        IssuesRole,    ///< QStringList: the row's issue messages
        SeverityRole,  ///< int: -1 no issue, else the worst PromptIssue::Severity of the row
    };

    explicit PromptSetModel(QObject *parent = nullptr);

    /// Replaces the whole set (a model reset).
    void setPromptSet(const PromptSet &set);

    const PromptSet &promptSet() const { return m_set; }

    /// Issues of the whole set (validatePromptSet()) after the last change.
    const QList<PromptIssue> &issues() const { return m_issues; }

    /// The column of each fixed field and of factor `f`.
    static constexpr int idColumn() { return 0; }

    static constexpr int textColumn() { return 1; }

    int factorColumn(int factor) const { return 2 + factor; }

    int pairColumn() const { return 2 + static_cast<int>(m_set.factors.size()); }

    int targetColumn() const { return pairColumn() + 1; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    /// New rows get a fresh id ("item_<n>"), empty text (an error until typed) and the first
    /// level of every factor.
    bool insertRows(int row, int count, const QModelIndex &parent = QModelIndex()) override;
    bool removeRows(int row, int count, const QModelIndex &parent = QModelIndex()) override;

Q_SIGNALS:
    /// The set changed through the model (an edit, an insertion, a removal), not setPromptSet().
    void edited();

private:
    bool setField(int row, int column, const QString &value);
    QString uniqueNewId() const;
    void revalidate();

    PromptSet m_set;
    QList<PromptIssue> m_issues;
    QList<QStringList> m_rowMessages;  // per row
    QList<int> m_rowSeverity;          // per row; -1 when clean
};

}  // namespace gyrus
