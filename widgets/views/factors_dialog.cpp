#include "widgets/views/factors_dialog.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSet>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace gyrus::widgets {

FactorsDialog::FactorsDialog(const QList<PromptFactor> &factors, QWidget *parent)
    : QDialog(parent)
    , m_table(new QTableWidget(this))
{
    setWindowTitle(tr("Factors"));
    setObjectName(QStringLiteral("factorsDialog"));
    int levels = 2;
    for (const PromptFactor &factor : factors) {
        levels = std::max(levels, int(factor.levels.size()));
    }
    m_table->setObjectName(QStringLiteral("factorsTable"));
    m_table->setRowCount(int(factors.size()));
    m_table->setColumnCount(1 + levels);
    for (int row = 0; row < factors.size(); ++row) {
        m_table->setItem(row, 0, new QTableWidgetItem(factors[row].name));
        for (int level = 0; level < factors[row].levels.size(); ++level) {
            m_table->setItem(row, 1 + level, new QTableWidgetItem(factors[row].levels[level]));
        }
    }
    setHeaders();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->verticalHeader()->hide();

    auto *explanation = new QLabel(
            tr("One factor per row, its levels in order: the first level is condition A in the "
               "analyses. Items keep their level when it still exists, otherwise they get the "
               "factor's first level."),
            this);
    explanation->setWordWrap(true);
    auto *addFactorButton = new QPushButton(tr("Add factor"), this);
    auto *removeButton = new QPushButton(tr("Remove factor"), this);
    auto *addLevelButton = new QPushButton(tr("Add level"), this);
    connect(addFactorButton, &QPushButton::clicked, this, &FactorsDialog::addFactor);
    connect(removeButton, &QPushButton::clicked, this, &FactorsDialog::removeSelectedFactors);
    connect(addLevelButton, &QPushButton::clicked, this, &FactorsDialog::addLevelColumn);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &FactorsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &FactorsDialog::reject);

    auto *rowButtons = new QHBoxLayout;
    rowButtons->addWidget(addFactorButton);
    rowButtons->addWidget(removeButton);
    rowButtons->addWidget(addLevelButton);
    rowButtons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(explanation);
    layout->addWidget(m_table, 1);
    layout->addLayout(rowButtons);
    layout->addWidget(buttons);
    resize(520, 260);
}

void FactorsDialog::setHeaders()
{
    QStringList headers{tr("Factor")};
    for (int level = 1; level < m_table->columnCount(); ++level) {
        headers << (level == 1 ? tr("Level 1 (A)") : tr("Level %1").arg(level));
    }
    m_table->setHorizontalHeaderLabels(headers);
}

void FactorsDialog::addFactor()
{
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    auto *name = new QTableWidgetItem();
    m_table->setItem(row, 0, name);
    m_table->setCurrentItem(name);
    m_table->editItem(name);
}

void FactorsDialog::removeSelectedFactors()
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedIndexes()) {
        if (!rows.contains(index.row())) {
            rows << index.row();
        }
    }
    std::sort(rows.begin(), rows.end(), std::greater<>());
    for (int row : rows) {
        m_table->removeRow(row);
    }
}

void FactorsDialog::addLevelColumn()
{
    m_table->setColumnCount(m_table->columnCount() + 1);
    setHeaders();
}

Result<QList<PromptFactor>> FactorsDialog::factors() const
{
    auto text = [this](int row, int column) {
        const QTableWidgetItem *item = m_table->item(row, column);
        return item ? item->text().trimmed() : QString();
    };
    QList<PromptFactor> factors;
    QSet<QString> names;
    for (int row = 0; row < m_table->rowCount(); ++row) {
        PromptFactor factor;
        factor.name = text(row, 0);
        for (int column = 1; column < m_table->columnCount(); ++column) {
            const QString level = text(row, column);
            if (level.isEmpty()) {
                continue;
            }
            if (factor.levels.contains(level)) {
                return Status::invalidInput(
                        tr("row %1: level '%2' is given twice").arg(row + 1).arg(level));
            }
            factor.levels << level;
        }
        if (factor.name.isEmpty() && factor.levels.isEmpty()) {
            continue;  // an empty row added and not used
        }
        if (factor.name.isEmpty()) {
            return Status::invalidInput(tr("row %1: the factor needs a name").arg(row + 1));
        }
        if (factor.levels.size() < 2) {
            return Status::invalidInput(
                    tr("factor '%1' needs at least two levels").arg(factor.name));
        }
        if (names.contains(factor.name)) {
            return Status::invalidInput(tr("factor '%1' is given twice").arg(factor.name));
        }
        names.insert(factor.name);
        factors << factor;
    }
    if (factors.isEmpty()) {
        return Status::invalidInput(tr("a prompt set needs at least one factor"));
    }
    return factors;
}

void FactorsDialog::accept()
{
    const Result<QList<PromptFactor>> result = factors();
    if (!result) {
        QMessageBox::warning(this, tr("Factors"), result.status().message());
        return;  // stay open: the user fixes the grid
    }
    QDialog::accept();
}

}  // namespace gyrus::widgets
