#include "core/llm/openai_chat_client.h"

#include "core/base/logging.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

#include <algorithm>

namespace gyrus {

struct OpenAiChatClient::Pending
{
    ChatRequest request;
    QByteArray body;
    int attempts = 0;
    qint64 notBeforeMs = 0;  ///< earliest next attempt, on nowMs()'s clock
    QPointer<QNetworkReply> reply;
    QTimer *timeout = nullptr;
    bool timedOut = false;
    bool cancelled = false;
};

namespace {

// One monotonic clock for retry times.
qint64 nowMs()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.elapsed();
}

QString serverMessage(const QByteArray &body)
{
    const QJsonObject object = QJsonDocument::fromJson(body).object();
    const QJsonValue error = object.value(QStringLiteral("error"));
    QString message = error.isObject()
                              ? error.toObject().value(QStringLiteral("message")).toString()
                              : error.toString();
    if (message.isEmpty()) {
        message = QString::fromUtf8(body.left(200)).simplified();
    }
    return message;
}

bool isTransientNetworkError(QNetworkReply::NetworkError error)
{
    switch (error) {
        case QNetworkReply::ConnectionRefusedError:
        case QNetworkReply::RemoteHostClosedError:
        case QNetworkReply::HostNotFoundError:
        case QNetworkReply::TimeoutError:
        case QNetworkReply::TemporaryNetworkFailureError:
        case QNetworkReply::NetworkSessionFailedError:
        case QNetworkReply::ProxyConnectionRefusedError:
        case QNetworkReply::ProxyConnectionClosedError:
        case QNetworkReply::ProxyTimeoutError:
        case QNetworkReply::UnknownNetworkError:
            return true;
        default:
            return false;
    }
}

}  // namespace

int retryAfterMs(const QByteArray &header)
{
    const QByteArray value = header.trimmed();
    if (value.isEmpty()) {
        return -1;
    }
    bool ok = false;
    const double seconds = value.toDouble(&ok);
    if (ok) {
        return seconds < 0 ? -1 : int(std::min(seconds, 3600.0) * 1000);
    }
    // An HTTP date: "Wed, 21 Oct 2015 07:28:00 GMT".
    const QDateTime when = QLocale::c().toDateTime(QString::fromLatin1(value).chopped(4),
                                                   QStringLiteral("ddd, dd MMM yyyy HH:mm:ss"));
    if (!when.isValid()) {
        return -1;
    }
    QDateTime utc = when;
    utc.setTimeSpec(Qt::UTC);
    const qint64 ms = QDateTime::currentDateTimeUtc().msecsTo(utc);
    return int(std::clamp<qint64>(ms, 0, 3600 * 1000));
}

Result<ChatReply> parseChatCompletion(const QByteArray &body, bool stream)
{
    ChatReply reply;
    if (!stream) {
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(body, &error);
        if (!document.isObject()) {
            return Status::invalidInput(
                    QStringLiteral("the endpoint's answer is not valid JSON (") +
                    error.errorString() + QStringLiteral(" at byte ") +
                    QString::number(error.offset) + QStringLiteral("): ") +
                    QString::fromUtf8(body.left(120)).simplified());
        }
        const QJsonObject object = document.object();
        const QJsonObject choice =
                object.value(QStringLiteral("choices")).toArray().first().toObject();
        const QJsonValue content =
                choice.value(QStringLiteral("message")).toObject().value(QStringLiteral("content"));
        if (!content.isString()) {
            return Status::invalidInput(
                    QStringLiteral("the endpoint's answer has no choices[0].message.content: ") +
                    QString::fromUtf8(body.left(120)).simplified());
        }
        reply.text = content.toString();
        reply.model = object.value(QStringLiteral("model")).toString();
        reply.finishReason = choice.value(QStringLiteral("finish_reason")).toString();
        return reply;
    }
    bool done = false;
    for (const QByteArray &rawLine : body.split('\n')) {
        const QByteArray line = rawLine.trimmed();
        if (!line.startsWith("data:")) {
            continue;  // comments, event names, blank separators
        }
        const QByteArray payload = line.mid(5).trimmed();
        if (payload == "[DONE]") {
            done = true;
            break;
        }
        QJsonParseError error{};
        const QJsonDocument event = QJsonDocument::fromJson(payload, &error);
        if (!event.isObject()) {
            return Status::invalidInput(QStringLiteral("the endpoint's stream has an event that "
                                                       "is not valid JSON (") +
                                        error.errorString() + QStringLiteral("): ") +
                                        QString::fromUtf8(payload.left(120)));
        }
        const QJsonObject choice =
                event.object().value(QStringLiteral("choices")).toArray().first().toObject();
        reply.text += choice.value(QStringLiteral("delta"))
                              .toObject()
                              .value(QStringLiteral("content"))
                              .toString();
        const QString finish = choice.value(QStringLiteral("finish_reason")).toString();
        if (!finish.isEmpty()) {
            reply.finishReason = finish;
        }
        if (reply.model.isEmpty()) {
            reply.model = event.object().value(QStringLiteral("model")).toString();
        }
    }
    if (!done) {
        return Status::invalidInput(QStringLiteral("the endpoint's stream ended before [DONE] (") +
                                    QString::number(body.size()) +
                                    QStringLiteral(" bytes received): the answer is incomplete"));
    }
    return reply;
}

OpenAiChatClient::OpenAiChatClient(ChatEndpoint endpoint, QObject *parent)
    : ChatBackend(parent)
    , m_endpoint(std::move(endpoint))
    , m_network(new QNetworkAccessManager(this))
    , m_dispatchTimer(new QTimer(this))
{
    qRegisterMetaType<gyrus::Status>();
    qRegisterMetaType<gyrus::ChatReply>();
    m_dispatchTimer->setSingleShot(true);
    // A coarse timer may fire 5 % early: never before a server's Retry-After.
    m_dispatchTimer->setTimerType(Qt::PreciseTimer);
    connect(m_dispatchTimer, &QTimer::timeout, this, &OpenAiChatClient::dispatch);
}

OpenAiChatClient::~OpenAiChatClient()
{
    for (Pending *p : std::as_const(m_pending)) {
        if (p->reply) {
            p->reply->disconnect(this);
            p->reply->abort();
        }
        delete p;
    }
}

QString OpenAiChatClient::describe() const
{
    return m_endpoint.describe();
}

QByteArray OpenAiChatClient::requestBody(const ChatRequest &request, const QString &model,
                                         bool stream)
{
    QJsonArray messages;
    for (const ChatMessage &m : request.messages) {
        messages.append(QJsonObject{{QStringLiteral("role"), m.role},
                                    {QStringLiteral("content"), m.content}});
    }
    QJsonObject body{{QStringLiteral("model"), model},
                     {QStringLiteral("messages"), messages},
                     {QStringLiteral("temperature"), request.temperature},
                     {QStringLiteral("max_tokens"), request.maxTokens},
                     {QStringLiteral("stream"), stream}};
    if (request.seed) {
        body.insert(QStringLiteral("seed"), double(*request.seed));
    }
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

quint64 OpenAiChatClient::complete(const ChatRequest &request)
{
    const quint64 id = m_nextId++;
    auto *p = new Pending;
    p->request = request;
    m_pending.insert(id, p);
    const Status valid = m_endpoint.kind != ChatEndpoint::Kind::Engine
                                 ? m_endpoint.validate()
                                 : Status::invalidInput(QStringLiteral(
                                           "the HTTP client needs an http(s) endpoint"));
    if (!valid.isOk()) {  // offline unless configured: nothing is sent
        QTimer::singleShot(0, this, [this, id, valid] { finish(id, valid, {}); });
        return id;
    }
    p->body = requestBody(request, m_endpoint.model, m_endpoint.stream);
    m_queue.enqueue(id);
    m_dispatchTimer->start(0);
    return id;
}

void OpenAiChatClient::cancel(quint64 id)
{
    Pending *p = m_pending.value(id);
    if (!p || p->cancelled) {
        return;
    }
    p->cancelled = true;
    if (p->reply) {
        p->reply->abort();  // onFinished reports the cancellation
    } else {
        m_queue.removeAll(id);
        QTimer::singleShot(0, this, [this, id] { finish(id, Status::cancelled(), {}); });
    }
}

void OpenAiChatClient::dispatch()
{
    const qint64 interval =
            m_endpoint.requestsPerMinute > 0 ? qint64(60000.0 / m_endpoint.requestsPerMinute) : 0;
    qint64 wait = -1;
    for (int i = 0; i < m_queue.size();) {
        const quint64 id = m_queue[i];
        Pending *p = m_pending.value(id);
        const qint64 untilRetry = p->notBeforeMs - nowMs();
        const qint64 untilRate =
                m_started && interval > 0 ? interval - m_sinceLastStart.elapsed() : 0;
        const qint64 needed = std::max(untilRetry, untilRate);
        if (needed > 0) {
            wait = wait < 0 ? needed : std::min(wait, needed);
            ++i;
            continue;
        }
        m_queue.removeAt(i);
        m_sinceLastStart.start();
        m_started = true;
        startAttempt(id);
    }
    if (wait >= 0) {
        m_dispatchTimer->start(int(wait));
    }
}

void OpenAiChatClient::startAttempt(quint64 id)
{
    Pending *p = m_pending.value(id);
    ++p->attempts;
    p->timedOut = false;
    QNetworkRequest request(m_endpoint.completionsUrl());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", m_endpoint.stream ? "text/event-stream" : "application/json");
    if (!m_endpoint.apiKey.isEmpty()) {
        request.setRawHeader("Authorization", "Bearer " + m_endpoint.apiKey.toUtf8());
    }
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    qCDebug(lcIo) << "chat request" << id << "attempt" << p->attempts << "to"
                  << m_endpoint.describe();
    QNetworkReply *reply = m_network->post(request, p->body);
    p->reply = reply;
    if (!p->timeout) {
        p->timeout = new QTimer(this);
        p->timeout->setSingleShot(true);
        connect(p->timeout, &QTimer::timeout, this, [this, id] { onTimeout(id); });
    }
    p->timeout->start(m_endpoint.timeoutMs);
    connect(reply, &QNetworkReply::finished, this, [this, id, reply] { onFinished(id, reply); });
}

void OpenAiChatClient::onTimeout(quint64 id)
{
    Pending *p = m_pending.value(id);
    if (p && p->reply) {
        p->timedOut = true;
        p->reply->abort();
    }
}

void OpenAiChatClient::onFinished(quint64 id, QNetworkReply *reply)
{
    reply->deleteLater();
    Pending *p = m_pending.value(id);
    if (!p) {
        return;
    }
    p->reply = nullptr;
    p->timeout->stop();
    const QString where = m_endpoint.describe();
    if (p->cancelled) {
        finish(id, Status::cancelled(), {});
        return;
    }
    if (p->timedOut) {
        retryOrFail(id,
                    Status::invalidInput(where + QStringLiteral(": no answer within ") +
                                         QString::number(m_endpoint.timeoutMs / 1000.0) +
                                         QStringLiteral(" s")),
                    -1);
        return;
    }
    const int http = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    const QNetworkReply::NetworkError error = reply->error();
    if (http == 0) {  // no HTTP answer at all
        const Status status = Status::invalidInput(
                QStringLiteral("cannot reach ") + where + QStringLiteral(": ") +
                redactKey(reply->errorString(), m_endpoint.apiKey));
        if (isTransientNetworkError(error)) {
            retryOrFail(id, status, -1);
        } else {
            finish(id, status, {});
        }
        return;
    }
    const QString serverText = redactKey(serverMessage(body), m_endpoint.apiKey);
    if (http == 401 || http == 403) {
        finish(id,
               Status::invalidInput(where +
                                    QStringLiteral(": the endpoint refused the API key "
                                                   "(HTTP ") +
                                    QString::number(http) +
                                    QStringLiteral("; set "
                                                   "GYRUS_LLM_API_KEY): ") +
                                    serverText),
               {});
        return;
    }
    if (http == 408 || http == 429 || http >= 500) {
        retryOrFail(id,
                    Status::invalidInput(where + QStringLiteral(": HTTP ") + QString::number(http) +
                                         QStringLiteral(": ") + serverText),
                    retryAfterMs(reply->rawHeader("Retry-After")));
        return;
    }
    if (http < 200 || http >= 300) {
        finish(id,
               Status::invalidInput(where + QStringLiteral(": HTTP ") + QString::number(http) +
                                    QStringLiteral(": ") + serverText),
               {});
        return;
    }
    if (error != QNetworkReply::NoError && isTransientNetworkError(error)) {  // cut short
        retryOrFail(id,
                    Status::invalidInput(where + QStringLiteral(": the answer was cut short (") +
                                         reply->errorString() + QLatin1Char(')')),
                    -1);
        return;
    }
    Result<ChatReply> parsed = parseChatCompletion(body, m_endpoint.stream);
    if (!parsed) {
        const Status status = parsed.status().withContext(where);
        if (m_endpoint.stream && !body.contains("[DONE]")) {  // a stream cut short: transient
            retryOrFail(id, status, -1);
        } else {
            finish(id, status, {});
        }
        return;
    }
    ChatReply answer = std::move(parsed).value();
    answer.attempts = p->attempts;
    finish(id, Status::ok(), answer);
}

void OpenAiChatClient::retryOrFail(quint64 id, const Status &status, int retryAfter)
{
    Pending *p = m_pending.value(id);
    if (p->attempts > m_endpoint.maxRetries) {
        finish(id,
               Status::invalidInput(status.message() + QStringLiteral(" (gave up after ") +
                                    QString::number(p->attempts) +
                                    (p->attempts == 1 ? QStringLiteral(" attempt)")
                                                      : QStringLiteral(" attempts)"))),
               {});
        return;
    }
    // Exponential backoff; a server's Retry-After is a floor, never shortened.
    const qint64 backoff =
            std::min<qint64>(qint64(m_endpoint.initialBackoffMs) << std::min(p->attempts - 1, 20),
                             m_endpoint.maxBackoffMs);
    const qint64 wait = std::max<qint64>(backoff, retryAfter);
    qCInfo(lcIo).noquote() << status.message() << "- retrying in" << wait << "ms";
    p->notBeforeMs = nowMs() + wait;
    m_queue.enqueue(id);
    m_dispatchTimer->start(0);
}

void OpenAiChatClient::finish(quint64 id, const Status &status, const ChatReply &reply)
{
    Pending *p = m_pending.take(id);
    if (!p) {
        return;
    }
    if (p->timeout) {
        p->timeout->deleteLater();
    }
    delete p;
    Q_EMIT completed(id, status, reply);
}

}  // namespace gyrus
