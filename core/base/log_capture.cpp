#include "core/base/log_capture.h"

#include <atomic>
#include <cstdio>

namespace gyrus {

namespace {
// The handler is a plain function pointer, so it finds its capture through this pointer.
std::atomic<LogCapture *> g_activeCapture{nullptr};
std::atomic<QtMessageHandler> g_previousHandler{nullptr};
}  // namespace

QString logLevelName(QtMsgType type)
{
    switch (type) {
        case QtDebugMsg:
            return QStringLiteral("debug");
        case QtInfoMsg:
            return QStringLiteral("info");
        case QtWarningMsg:
            return QStringLiteral("warning");
        case QtCriticalMsg:
            return QStringLiteral("critical");
        case QtFatalMsg:
            return QStringLiteral("fatal");
    }
    return QStringLiteral("unknown");
}

LogCapture::LogCapture(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<gyrus::LogEntry>();
    g_activeCapture.store(this);
    m_previous = qInstallMessageHandler(&LogCapture::handleMessage);
    g_previousHandler.store(m_previous);
}

LogCapture::~LogCapture()
{
    g_activeCapture.store(nullptr);
    qInstallMessageHandler(m_previous);
}

void LogCapture::handleMessage(QtMsgType type, const QMessageLogContext &context,
                               const QString &message)
{
    if (QtMessageHandler previous = g_previousHandler.load()) {
        previous(type, context, message);
    } else {
        // qInstallMessageHandler returns null for Qt's default handler; format as it would.
        fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, message)));
    }
    if (LogCapture *capture = g_activeCapture.load()) {
        LogEntry entry;
        entry.time = QDateTime::currentDateTime();
        entry.type = type;
        entry.category = QString::fromUtf8(context.category ? context.category : "default");
        entry.message = message;
        Q_EMIT capture->messageLogged(entry);
    }
}

}  // namespace gyrus
