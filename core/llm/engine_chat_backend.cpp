#include "core/llm/engine_chat_backend.h"

#include "core/engine/engine_client.h"

#include <QFileInfo>
#include <QTimer>

namespace gyrus {

EngineChatBackend::EngineChatBackend(EngineClient *engine, ModelSpec judgeModel, QObject *parent)
    : ChatBackend(parent)
    , m_engine(engine)
    , m_judgeModel(std::move(judgeModel))
{
    qRegisterMetaType<gyrus::Status>();
    qRegisterMetaType<gyrus::ChatReply>();
    if (engine) {
        connect(engine, &EngineClient::chatReplied, this, &EngineChatBackend::onReplied);
        connect(engine, &EngineClient::finished, this, &EngineChatBackend::onFinished);
    }
}

quint64 EngineChatBackend::complete(const ChatRequest &request)
{
    const quint64 id = m_nextId++;
    if (!m_engine) {
        failLater(id, Status::invalidInput(QStringLiteral(
                              "the engine endpoint has no engine (it was shut down)")));
        return id;
    }
    if (m_judgeModel.path.isEmpty() || m_judgeLoaded) {
        send(id, request);
        return id;
    }
    m_waiting.append({id, request});
    if (m_load == 0) {
        m_load = m_engine->loadModel(m_judgeModel);
    }
    return id;
}

void EngineChatBackend::send(quint64 id, const ChatRequest &request)
{
    m_requests.insert(m_engine->chat(request), id);
}

void EngineChatBackend::failLater(quint64 id, const Status &status)
{
    QTimer::singleShot(0, this, [this, id, status] { Q_EMIT completed(id, status, ChatReply{}); });
}

void EngineChatBackend::cancel(quint64 id)
{
    for (qsizetype i = 0; i < m_waiting.size(); ++i) {
        if (m_waiting[i].id == id) {
            m_waiting.removeAt(i);
            failLater(id, Status::cancelled());
            return;
        }
    }
    for (auto it = m_requests.cbegin(); it != m_requests.cend(); ++it) {
        if (it.value() == id && m_engine) {
            m_engine->cancel(it.key());
            return;
        }
    }
}

QString EngineChatBackend::describe() const
{
    QString name = QFileInfo(m_judgeModel.path).fileName();
    if (name.isEmpty() && m_engine) {
        name = m_engine->currentModel().name;
    }
    return QStringLiteral("engine model ") +
           (name.isEmpty() ? QStringLiteral("(none loaded)") : name);
}

void EngineChatBackend::onReplied(RequestId request, const ChatReply &reply)
{
    if (m_requests.contains(request)) {
        m_replies.insert(request, reply);
    }
}

void EngineChatBackend::onFinished(RequestId request, const Status &status)
{
    if (request == m_load && m_load != 0) {
        m_load = 0;
        const QList<Waiting> waiting = std::exchange(m_waiting, {});
        if (status.isOk()) {
            m_judgeLoaded = true;
            for (const Waiting &w : waiting) {
                send(w.id, w.request);
            }
            return;
        }
        // Not remembered: the next request tries the load again (the user may fix the path).
        const Status failed = Status::error(status.code(),
                                            QStringLiteral("explainer model ") + m_judgeModel.path +
                                                    QStringLiteral(": ") + status.message());
        for (const Waiting &w : waiting) {
            Q_EMIT completed(w.id, failed, ChatReply{});
        }
        return;
    }
    const auto it = m_requests.find(request);
    if (it == m_requests.end()) {
        return;  // another panel's request
    }
    const quint64 id = it.value();
    m_requests.erase(it);
    const ChatReply reply = m_replies.take(request);
    Status result = status;
    if (result.isOk() && reply.model.isEmpty()) {
        result = Status::internal(QStringLiteral("the engine finished the chat without an answer"));
    }
    Q_EMIT completed(id, result, reply);
}

}  // namespace gyrus
