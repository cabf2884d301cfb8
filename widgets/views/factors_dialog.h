#pragma once

#include "core/base/status.h"
#include "core/prompts/prompt_set.h"

#include <QDialog>
#include <QList>

class QTableWidget;

namespace gyrus::widgets {

/// Edits a prompt set's factors as a small grid: one row per factor, its name in the first
/// column and its levels, in order (the first level is condition A), in the next ones. Empty
/// level cells are ignored; "Add level" adds a column.
class FactorsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit FactorsDialog(const QList<PromptFactor> &factors, QWidget *parent = nullptr);

    /// The factors as the grid shows them, or why they cannot be used (a row without a name, a
    /// factor with fewer than two levels, a name or level given twice).
    Result<QList<PromptFactor>> factors() const;

    QTableWidget *table() const { return m_table; }

    void addFactor();
    void removeSelectedFactors();
    void addLevelColumn();

    void accept() override;

private:
    void setHeaders();

    QTableWidget *m_table;
};

}  // namespace gyrus::widgets
