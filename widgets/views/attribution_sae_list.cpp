#include "widgets/views/attribution_sae_list.h"

#include <QBrush>
#include <QColor>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace gyrus::widgets {

namespace {

// Why the last attribution left the SAE out (empty: it did not).
constexpr int kProblemRole = Qt::UserRole + 1;

}  // namespace

AttributionSaeList::AttributionSaeList(QWidget *parent)
    : QWidget(parent)
{
    m_list = new QListWidget(this);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    // Long directories keep their two ends (where, and which SAE) visible; the tooltip has all.
    m_list->setTextElideMode(Qt::ElideMiddle);
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Two rows: the list is a setting, not a view; it scrolls beyond that.
    m_list->setMaximumHeight(m_list->fontMetrics().height() * 2 + 10);
    m_list->setToolTip(
            tr("SAEs at other hooks (e.g. one per layer), attributed in the same forward and "
               "backward as the Model dock's SAE; each keeps its own error node"));
    m_add = new QPushButton(tr("Add SAE…"), this);
    m_add->setToolTip(tr("Choose an SAE directory (SAELens, Gemma Scope or Llama Scope)"));
    connect(m_add, &QPushButton::clicked, this, &AttributionSaeList::chooseDirectory);
    m_remove = new QPushButton(tr("Remove"), this);
    connect(m_remove, &QPushButton::clicked, this, &AttributionSaeList::removeSelected);
    connect(m_list, &QListWidget::currentRowChanged, this,
            [this](int row) { m_remove->setEnabled(row >= 0); });
    m_remove->setEnabled(false);

    auto *buttons = new QVBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_add);
    buttons->addWidget(m_remove);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("Other layers"), this));
    layout->addWidget(m_list, 1);
    layout->addLayout(buttons);
}

QStringList AttributionSaeList::paths() const
{
    QStringList paths;
    for (int row = 0; row < m_list->count(); ++row) {
        paths.append(m_list->item(row)->data(Qt::UserRole).toString());
    }
    return paths;
}

void AttributionSaeList::setPaths(const QStringList &paths)
{
    m_list->clear();
    for (const QString &given : paths) {
        // Absolute, as the workspace keeps the model's and SAE's paths.
        const QString path =
                given.isEmpty() ? QString() : QDir::cleanPath(QFileInfo(given).absoluteFilePath());
        if (!path.isEmpty() && !this->paths().contains(path)) {
            auto *item = new QListWidgetItem(QDir::toNativeSeparators(path), m_list);
            item->setData(Qt::UserRole, path);
            item->setToolTip(path);
        }
    }
    Q_EMIT changed();
}

void AttributionSaeList::markSkipped(const QStringList &skipped)
{
    for (int row = 0; row < m_list->count(); ++row) {
        QListWidgetItem *item = m_list->item(row);
        const QString path = item->data(Qt::UserRole).toString();
        QString problem;
        for (const QString &message : skipped) {
            if (message.contains(path)) {
                problem = message;
                break;
            }
        }
        item->setData(kProblemRole, problem);
        item->setToolTip(problem.isEmpty() ? path : problem);
        item->setForeground(problem.isEmpty() ? palette().text()
                                              : QBrush(QColor(0xb0, 0x20, 0x20)));
    }
}

QString AttributionSaeList::problem(const QString &path) const
{
    for (int row = 0; row < m_list->count(); ++row) {
        if (m_list->item(row)->data(Qt::UserRole).toString() == path) {
            return m_list->item(row)->data(kProblemRole).toString();
        }
    }
    return QString();
}

void AttributionSaeList::addPath(const QString &path)
{
    if (!path.isEmpty()) {
        setPaths(paths() << path);
    }
}

void AttributionSaeList::chooseDirectory()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("SAE directory"));
    addPath(path);
}

void AttributionSaeList::removeSelected()
{
    const int row = m_list->currentRow();
    if (row < 0) {
        return;
    }
    QStringList kept = paths();
    kept.removeAt(row);
    setPaths(kept);
}

}  // namespace gyrus::widgets
