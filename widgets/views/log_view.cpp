#include "widgets/views/log_view.h"

#include "core/base/log_model.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace gyrus::widgets {

namespace {

// Qt's QtMsgType order is not severity order (QtInfoMsg == 4), so rank explicitly.
int severity(QtMsgType type)
{
    switch (type) {
        case QtDebugMsg:
            return 0;
        case QtInfoMsg:
            return 1;
        case QtWarningMsg:
            return 2;
        case QtCriticalMsg:
            return 3;
        case QtFatalMsg:
            return 4;
    }
    return 0;
}

class LogFilterProxy : public QSortFilterProxyModel
{
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setMinimumSeverity(int minimum)
    {
        m_minimum = minimum;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override
    {
        const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
        const auto type = static_cast<QtMsgType>(index.data(LogModel::LevelRole).toInt());
        if (severity(type) < m_minimum) {
            return false;
        }
        return QSortFilterProxyModel::filterAcceptsRow(sourceRow, sourceParent);
    }

private:
    int m_minimum = 0;
};

}  // namespace

LogView::LogView(LogModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_proxy(new LogFilterProxy(this))
    , m_table(new QTableView(this))
    , m_level(new QComboBox(this))
    , m_filter(new QLineEdit(this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_table->setModel(m_proxy);
    m_table->setObjectName(QStringLiteral("logTable"));
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 4);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setWordWrap(false);
    m_table->setColumnWidth(LogModel::TimeColumn, 96);
    m_table->setColumnWidth(LogModel::LevelColumn, 64);
    m_table->setColumnWidth(LogModel::CategoryColumn, 110);

    m_level->addItem(tr("Debug and above"), static_cast<int>(QtDebugMsg));
    m_level->addItem(tr("Info and above"), static_cast<int>(QtInfoMsg));
    m_level->addItem(tr("Warnings and errors"), static_cast<int>(QtWarningMsg));
    m_level->addItem(tr("Errors only"), static_cast<int>(QtCriticalMsg));
    m_level->setCurrentIndex(1);
    static_cast<LogFilterProxy *>(m_proxy)->setMinimumSeverity(severity(QtInfoMsg));
    connect(m_level, &QComboBox::currentIndexChanged, this, [this](int) {
        setMinimumLevel(static_cast<QtMsgType>(m_level->currentData().toInt()));
    });

    m_filter->setPlaceholderText(tr("Filter messages"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, &LogView::setFilterText);

    auto *clear = new QPushButton(tr("Clear"), this);
    connect(clear, &QPushButton::clicked, model, &LogModel::clear);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_level);
    bar->addWidget(m_filter, 1);
    bar->addWidget(clear);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addLayout(bar);
    layout->addWidget(m_table);

    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &LogView::followIfAtBottom);
}

int LogView::visibleRowCount() const
{
    return m_proxy->rowCount();
}

void LogView::setMinimumLevel(QtMsgType level)
{
    const int index = m_level->findData(static_cast<int>(level));
    if (index >= 0 && index != m_level->currentIndex()) {
        m_level->setCurrentIndex(index);  // re-enters through currentIndexChanged
        return;
    }
    static_cast<LogFilterProxy *>(m_proxy)->setMinimumSeverity(severity(level));
}

void LogView::setFilterText(const QString &text)
{
    if (m_filter->text() != text) {
        m_filter->setText(text);
    }
    m_proxy->setFilterFixedString(text);
}

void LogView::followIfAtBottom()
{
    QScrollBar *bar = m_table->verticalScrollBar();
    // Only follow when the user has not scrolled up to read something.
    if (bar->value() >= bar->maximum() - 2) {
        m_table->scrollToBottom();
    }
}

}  // namespace gyrus::widgets
