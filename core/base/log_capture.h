#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QObject>
#include <QString>

namespace gyrus {

/// One message that went through Qt's logging (qDebug/qCInfo/qWarning/...).
struct LogEntry
{
    QDateTime time;
    QtMsgType type = QtDebugMsg;
    QString category;
    QString message;
};

/// Short level name: "debug", "info", "warning", "critical", "fatal".
QString logLevelName(QtMsgType type);

/// Routes every Qt log message to the previous handler (stderr) and to the messageLogged
/// signal, so that a Log dock can show it. Install one on the GUI thread, for the lifetime of the
/// application; messages may come from any thread and reach receivers queued on their own thread.
/// The destructor restores the previous handler.
class LogCapture : public QObject
{
    Q_OBJECT
public:
    explicit LogCapture(QObject *parent = nullptr);
    ~LogCapture() override;

    LogCapture(const LogCapture &) = delete;
    LogCapture &operator=(const LogCapture &) = delete;

Q_SIGNALS:
    /// Emitted on the thread that logged; connect with Qt::AutoConnection from GUI objects.
    void messageLogged(const gyrus::LogEntry &entry);

private:
    static void handleMessage(QtMsgType type, const QMessageLogContext &context,
                              const QString &message);
    QtMessageHandler m_previous = nullptr;
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::LogEntry)
