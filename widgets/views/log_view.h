#pragma once

#include <QWidget>

class QComboBox;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace gyrus {
class LogModel;
}

namespace gyrus::widgets {

/// The Log dock's contents: the application log as a table, filtered by minimum level and by
/// text, following new messages while the view is scrolled to the bottom.
class LogView : public QWidget
{
    Q_OBJECT
public:
    explicit LogView(gyrus::LogModel *model, QWidget *parent = nullptr);

    /// Rows shown after filtering (for tests and the dock title).
    int visibleRowCount() const;

    void setMinimumLevel(QtMsgType level);
    void setFilterText(const QString &text);

private:
    void followIfAtBottom();

    gyrus::LogModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QComboBox *m_level;
    QLineEdit *m_filter;
};

}  // namespace gyrus::widgets
