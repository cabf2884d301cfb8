// The OpenAI-compatible chat client against a scripted server on 127.0.0.1: success, 429 with
// Retry-After, 500, timeout, malformed JSON, a truncated stream and body, a refused key, an
// unreachable host, the rate limit, and no request at all without a configured endpoint.

#include "core/llm/openai_chat_client.h"
#include "tests/llm/scripted_chat_server.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

using namespace gyrus;
using gyrus::test::ScriptedChatServer;

namespace {

struct Outcome
{
    Status status;
    ChatReply reply;
};

ChatEndpoint endpointFor(const ScriptedChatServer &server)
{
    ChatEndpoint e;
    e.kind = ChatEndpoint::Kind::Http;
    e.baseUrl = QUrl(server.baseUrl());
    e.model = QStringLiteral("judge-7b");
    e.apiKey = QStringLiteral("sk-secret-test-key");
    e.timeoutMs = 5000;
    e.maxRetries = 2;
    e.initialBackoffMs = 10;
    e.maxBackoffMs = 50;
    return e;
}

ChatRequest question()
{
    ChatRequest r;
    r.messages = {{QStringLiteral("system"), QStringLiteral("Answer with one digit.")},
                  {QStringLiteral("user"), QStringLiteral("Rate: \"golden gate\"")}};
    r.temperature = 0;
    r.seed = 1234;
    r.maxTokens = 8;
    return r;
}

Outcome run(OpenAiChatClient &client, const ChatRequest &request, int waitMs = 10000)
{
    QSignalSpy spy(&client, &ChatBackend::completed);
    const quint64 id = client.complete(request);
    if (!spy.wait(waitMs)) {
        return {Status::internal(QStringLiteral("no completed() signal")), {}};
    }
    if (spy.size() != 1 || spy[0][0].toULongLong() != id) {
        return {Status::internal(QStringLiteral("wrong completed() signals")), {}};
    }
    return {spy[0][1].value<Status>(), spy[0][2].value<ChatReply>()};
}

}  // namespace

class TestOpenAiChatClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void success()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({ScriptedChatServer::jsonAnswer(QStringLiteral("3"))});
        OpenAiChatClient client(endpointFor(server));
        const Outcome out = run(client, question());
        QVERIFY2(out.status.isOk(), qPrintable(out.status.message()));
        QCOMPARE(out.reply.text, QStringLiteral("3"));
        QCOMPARE(out.reply.model, QStringLiteral("scripted-judge"));
        QCOMPARE(out.reply.finishReason, QStringLiteral("stop"));
        QCOMPARE(out.reply.attempts, 1);
        QCOMPARE(server.received().size(), 1);
        const auto &sent = server.received()[0];
        QVERIFY(sent.headers.startsWith("POST /v1/chat/completions HTTP/1.1"));
        QVERIFY(sent.headers.contains("Authorization: Bearer sk-secret-test-key"));
        const QJsonObject body = QJsonDocument::fromJson(sent.body).object();
        QCOMPARE(body[QStringLiteral("model")].toString(), QStringLiteral("judge-7b"));
        QCOMPARE(body[QStringLiteral("temperature")].toDouble(), 0.0);
        QCOMPARE(body[QStringLiteral("seed")].toInt(), 1234);
        QCOMPARE(body[QStringLiteral("max_tokens")].toInt(), 8);
        QCOMPARE(body[QStringLiteral("messages")][1][QStringLiteral("content")].toString(),
                 QStringLiteral("Rate: \"golden gate\""));
        QVERIFY(!client.describe().contains(QStringLiteral("sk-secret")));
    }

    void tooManyRequestsHonoursRetryAfter()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({ScriptedChatServer::httpResponse(429, "application/json",
                                                      R"({"error":{"message":"slow down"}})",
                                                      "Retry-After: 1\r\n")});
        server.push({ScriptedChatServer::jsonAnswer(QStringLiteral("ok"))});
        OpenAiChatClient client(endpointFor(server));  // backoff alone would be 10 ms
        const Outcome out = run(client, question());
        QVERIFY2(out.status.isOk(), qPrintable(out.status.message()));
        QCOMPARE(out.reply.attempts, 2);
        QCOMPARE(server.received().size(), 2);
        const qint64 gap = server.received()[1].atMs - server.received()[0].atMs;
        QVERIFY2(gap >= 950, qPrintable(QString::number(gap)));
    }

    void serverErrorRetriesThenGivesUp()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        for (int i = 0; i < 3; ++i) {
            server.push({ScriptedChatServer::httpResponse(500, "application/json",
                                                          R"({"error":{"message":"boom"}})")});
        }
        OpenAiChatClient client(endpointFor(server));
        const Outcome out = run(client, question());
        QVERIFY(!out.status.isOk());
        QVERIFY2(out.status.message().contains(QStringLiteral("HTTP 500: boom")),
                 qPrintable(out.status.message()));
        QVERIFY(out.status.message().contains(QStringLiteral("gave up after 3 attempts")));
        QCOMPARE(server.received().size(), 3);  // 1 + maxRetries
    }

    void timeout()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({{}, 0, true});
        ChatEndpoint e = endpointFor(server);
        e.timeoutMs = 300;
        e.maxRetries = 0;
        OpenAiChatClient client(e);
        QElapsedTimer clock;
        clock.start();
        const Outcome out = run(client, question());
        QVERIFY(!out.status.isOk());
        QVERIFY2(out.status.message().contains(QStringLiteral("no answer within 0.3 s")),
                 qPrintable(out.status.message()));
        QVERIFY(clock.elapsed() >= 250);  // the timeout timer is coarse (up to 5 % early)
    }

    void malformedJsonIsNotRetried()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({ScriptedChatServer::httpResponse(200, "application/json",
                                                      "{\"choices\": [ not json")});
        OpenAiChatClient client(endpointFor(server));
        const Outcome out = run(client, question());
        QVERIFY(!out.status.isOk());
        QVERIFY2(out.status.message().contains(QStringLiteral("not valid JSON")),
                 qPrintable(out.status.message()));
        QCOMPARE(server.received().size(), 1);

        server.push(
                {ScriptedChatServer::httpResponse(200, "application/json", R"({"choices": []})")});
        const Outcome empty = run(client, question());
        QVERIFY(empty.status.message().contains(QStringLiteral("no choices[0].message.content")));
    }

    void truncatedStreamIsRetried()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({ScriptedChatServer::streamAnswer(
                {QStringLiteral("Golden"), QStringLiteral(" Gate")}, false)});
        server.push({ScriptedChatServer::streamAnswer(
                {QStringLiteral("Golden"), QStringLiteral(" Gate"), QStringLiteral(" Bridge")},
                true)});
        ChatEndpoint e = endpointFor(server);
        e.stream = true;
        OpenAiChatClient client(e);
        const Outcome out = run(client, question());
        QVERIFY2(out.status.isOk(), qPrintable(out.status.message()));
        QCOMPARE(out.reply.text, QStringLiteral("Golden Gate Bridge"));
        QCOMPARE(out.reply.attempts, 2);
        QVERIFY(QJsonDocument::fromJson(server.received()[0].body)
                        .object()[QStringLiteral("stream")]
                        .toBool());

        e.maxRetries = 0;
        OpenAiChatClient once(e);
        server.push({ScriptedChatServer::streamAnswer({QStringLiteral("Gol")}, false)});
        const Outcome cut = run(once, question());
        QVERIFY(!cut.status.isOk());
        QVERIFY2(cut.status.message().contains(QStringLiteral("ended before [DONE]")),
                 qPrintable(cut.status.message()));
    }

    void truncatedBodyIsRetried()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        const QByteArray full = ScriptedChatServer::jsonAnswer(QStringLiteral("2"));
        QByteArray cut = full;
        cut.chop(20);  // Content-Length promises more than arrives
        server.push({cut});
        server.push({full});
        OpenAiChatClient client(endpointFor(server));
        const Outcome out = run(client, question());
        QVERIFY2(out.status.isOk(), qPrintable(out.status.message()));
        QCOMPARE(out.reply.text, QStringLiteral("2"));
        QCOMPARE(out.reply.attempts, 2);
    }

    void refusedKeyIsNotRetriedNorEchoed()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({ScriptedChatServer::httpResponse(
                401, "application/json",
                R"({"error":{"message":"Incorrect API key provided: sk-secret-test-key"}})")});
        OpenAiChatClient client(endpointFor(server));
        const Outcome out = run(client, question());
        QVERIFY(!out.status.isOk());
        QVERIFY2(out.status.message().contains(QStringLiteral("refused the API key (HTTP 401")),
                 qPrintable(out.status.message()));
        QVERIFY(!out.status.message().contains(QStringLiteral("sk-secret-test-key")));
        QCOMPARE(server.received().size(), 1);
    }

    void unreachableEndpoint()
    {
        quint16 port = 0;
        {
            QTcpServer probe;  // a port that was free a moment ago and now has no listener
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            port = probe.serverPort();
        }
        ChatEndpoint e;
        e.kind = ChatEndpoint::Kind::Http;
        e.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(port));
        e.model = QStringLiteral("m");
        e.maxRetries = 1;
        e.initialBackoffMs = 10;
        OpenAiChatClient client(e);
        const Outcome out = run(client, question());
        QVERIFY(!out.status.isOk());
        QVERIFY2(out.status.message().startsWith(QStringLiteral("cannot reach openai http://")),
                 qPrintable(out.status.message()));
        QVERIFY(out.status.message().contains(QStringLiteral("gave up after 2 attempts")));
    }

    void rateLimitSpacesRequests()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        for (int i = 0; i < 3; ++i) {
            server.push({ScriptedChatServer::jsonAnswer(QString::number(i))});
        }
        ChatEndpoint e = endpointFor(server);
        // One every 500 ms; arrival times jitter by a TCP connect each, far less than that.
        e.requestsPerMinute = 120;
        OpenAiChatClient client(e);
        QSignalSpy spy(&client, &ChatBackend::completed);
        for (int i = 0; i < 3; ++i) {
            client.complete(question());
        }
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 3, 8000);
        QCOMPARE(server.received().size(), 3);
        for (int i = 1; i < 3; ++i) {
            const qint64 gap = server.received()[i].atMs - server.received()[i - 1].atMs;
            QVERIFY2(gap >= 400, qPrintable(QString::number(gap)));
        }
    }

    void offlineUnlessConfigured()
    {
        const Result<ChatEndpoint> none = parseChatEndpoint(QString(), QString());
        QVERIFY(none);
        QVERIFY(!none->isConfigured());
        QVERIFY(none->validate().message().contains(QStringLiteral("no language-model endpoint")));
        OpenAiChatClient client(none.value());
        const Outcome out = run(client, question());
        QVERIFY(!out.status.isOk());
        QVERIFY(out.status.message().contains(QStringLiteral("no language-model endpoint")));

        QVERIFY(!parseChatEndpoint(QStringLiteral("ftp://x/v1"), QStringLiteral("m")));
        QVERIFY(!parseChatEndpoint(QStringLiteral("http://127.0.0.1:1/v1"), QString()));
        QVERIFY(parseChatEndpoint(QStringLiteral("engine"), QString())->kind ==
                ChatEndpoint::Kind::Engine);
        QCOMPARE(parseChatEndpoint(QStringLiteral("http://h:8080/v1/"), QStringLiteral("m"))
                         ->completionsUrl()
                         .toString(),
                 QStringLiteral("http://h:8080/v1/chat/completions"));
    }

    void retryAfterHeader()
    {
        QCOMPARE(retryAfterMs("2"), 2000);
        QCOMPARE(retryAfterMs(" 0.5 "), 500);
        QCOMPARE(retryAfterMs(""), -1);
        QCOMPARE(retryAfterMs("soon"), -1);
        const QByteArray inTenSeconds =
                QLocale::c()
                        .toString(QDateTime::currentDateTimeUtc().addSecs(10),
                                  QStringLiteral("ddd, dd MMM yyyy HH:mm:ss"))
                        .toLatin1() +
                " GMT";
        const int ms = retryAfterMs(inTenSeconds);
        QVERIFY2(ms > 8000 && ms <= 10000, qPrintable(QString::number(ms)));
    }
};

QTEST_GUILESS_MAIN(TestOpenAiChatClient)
#include "tst_openai_chat_client.moc"
