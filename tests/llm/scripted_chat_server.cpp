#include "tests/llm/scripted_chat_server.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTimer>

namespace gyrus::test {

ScriptedChatServer::ScriptedChatServer(QObject *parent)
    : QObject(parent)
{
    m_clock.start();
    connect(&m_server, &QTcpServer::newConnection, this, &ScriptedChatServer::onConnection);
}

bool ScriptedChatServer::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QString ScriptedChatServer::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1/v1").arg(port());
}

QByteArray ScriptedChatServer::httpResponse(int status, const QByteArray &contentType,
                                            const QByteArray &body, const QByteArray &extraHeaders)
{
    return "HTTP/1.1 " + QByteArray::number(status) + " Scripted\r\nContent-Type: " + contentType +
           "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n" +
           extraHeaders + "\r\n" + body;
}

QByteArray ScriptedChatServer::jsonAnswer(const QString &text, int status,
                                          const QByteArray &extraHeaders)
{
    const QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("content"), text}};
    const QJsonObject choice{{QStringLiteral("index"), 0},
                             {QStringLiteral("message"), message},
                             {QStringLiteral("finish_reason"), QStringLiteral("stop")}};
    const QJsonObject body{{QStringLiteral("id"), QStringLiteral("chatcmpl-1")},
                           {QStringLiteral("object"), QStringLiteral("chat.completion")},
                           {QStringLiteral("model"), QStringLiteral("scripted-judge")},
                           {QStringLiteral("choices"), QJsonArray{choice}}};
    return httpResponse(status, "application/json", QJsonDocument(body).toJson(), extraHeaders);
}

QByteArray ScriptedChatServer::streamAnswer(const QStringList &pieces, bool withDone)
{
    // No Content-Length: the body ends when the connection closes, as a stream does.
    QByteArray raw =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
    for (const QString &piece : pieces) {
        const QJsonObject delta{{QStringLiteral("content"), piece}};
        const QJsonObject choice{{QStringLiteral("index"), 0}, {QStringLiteral("delta"), delta}};
        const QJsonObject event{{QStringLiteral("model"), QStringLiteral("scripted-judge")},
                                {QStringLiteral("choices"), QJsonArray{choice}}};
        raw += "data: " + QJsonDocument(event).toJson(QJsonDocument::Compact) + "\n\n";
    }
    if (withDone) {
        raw += "data: [DONE]\n\n";
    }
    return raw;
}

void ScriptedChatServer::onConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        auto *buffer = new QByteArray;
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QObject::destroyed, this, [buffer] { delete buffer; });
        connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer] {
            *buffer += socket->readAll();
            const qsizetype headerEnd = buffer->indexOf("\r\n\r\n");
            if (headerEnd < 0) {
                return;
            }
            const QByteArray headers = buffer->left(headerEnd);
            qsizetype length = 0;
            for (const QByteArray &line : headers.split('\n')) {
                if (line.toLower().startsWith("content-length:")) {
                    length = line.mid(15).trimmed().toLongLong();
                }
            }
            if (buffer->size() < headerEnd + 4 + length) {
                return;
            }
            m_received.append({headers, buffer->mid(headerEnd + 4, length), m_clock.elapsed()});
            buffer->clear();
            const Response response =
                    !m_script.isEmpty() ? m_script.dequeue()
                    : m_responder       ? Response{m_responder(m_received.back().body)}
                                  : Response{httpResponse(500, "text/plain", "script exhausted")};
            if (response.hang) {
                return;
            }
            QTimer::singleShot(response.delayMs, socket, [socket, raw = response.raw] {
                socket->write(raw);
                socket->disconnectFromHost();
            });
        });
    }
}

}  // namespace gyrus::test
