#pragma once

#include "core/base/log_capture.h"

#include <QAbstractTableModel>

#include <deque>

namespace gyrus {

/// The application log as a table (time, level, category, message), bounded so a chatty job
/// cannot grow it without limit: past capacity() the oldest rows are removed. GUI thread only.
class LogModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        TimeColumn,
        LevelColumn,
        CategoryColumn,
        MessageColumn,
        ColumnCount
    };

    enum Role
    {
        LevelRole = Qt::UserRole + 1,  ///< QtMsgType as int, for filtering and colouring
    };

    explicit LogModel(int capacity = 10000, QObject *parent = nullptr);

    int capacity() const { return m_capacity; }

    const LogEntry &entry(int row) const { return m_entries.at(static_cast<size_t>(row)); }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

public Q_SLOTS:
    void append(const gyrus::LogEntry &entry);
    void clear();

private:
    int m_capacity;
    std::deque<LogEntry> m_entries;
};

}  // namespace gyrus
