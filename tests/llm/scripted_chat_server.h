#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 that answers each request with the next scripted response
// (raw bytes, after a delay, or never), and records what it was sent and when. Enough of the
// OpenAI chat-completions protocol to test a client against success and every failure mode.

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QQueue>
#include <QTcpServer>

#include <functional>

namespace gyrus::test {

class ScriptedChatServer : public QObject
{
    Q_OBJECT
public:
    struct Response
    {
        QByteArray raw;  ///< status line, headers and body, sent as is; then the socket closes
        int delayMs = 0;
        bool hang = false;  ///< never answer (a timeout)
    };

    explicit ScriptedChatServer(QObject *parent = nullptr);

    bool listen();

    quint16 port() const { return m_server.serverPort(); }

    QString baseUrl() const;

    void push(Response response) { m_script.enqueue(std::move(response)); }

    /// Once the script is used up, each request is answered with responder(request body): a
    /// server whose answers depend on what it is asked, whatever order requests arrive in.
    void setResponder(std::function<QByteArray(const QByteArray &body)> responder)
    {
        m_responder = std::move(responder);
    }

    /// A complete JSON or server-sent-events answer with `text` as the assistant's message.
    static QByteArray jsonAnswer(const QString &text, int status = 200,
                                 const QByteArray &extraHeaders = {});
    static QByteArray streamAnswer(const QStringList &pieces, bool withDone);
    static QByteArray httpResponse(int status, const QByteArray &contentType,
                                   const QByteArray &body, const QByteArray &extraHeaders = {});

    struct Received
    {
        QByteArray headers;
        QByteArray body;
        qint64 atMs = 0;
    };

    const QList<Received> &received() const { return m_received; }

private:
    void onConnection();

    QTcpServer m_server;
    QQueue<Response> m_script;
    std::function<QByteArray(const QByteArray &)> m_responder;
    QList<Received> m_received;
    QElapsedTimer m_clock;
};

}  // namespace gyrus::test
