#pragma once
// The "engine" endpoint: an instruct model in Gyrus's own engine answers the explainer's and
// judge's conversations (EngineClient::chat: the model's chat template, one token per slice on
// the engine thread). Nothing leaves the machine.
//
// Either the model the engine has loaded answers (the model under study is itself an instruct
// model), or the backend is given a model of its own, which it loads into its engine before the
// first request (an explainer beside the studied model: give it an engine of its own).

#include "core/engine/engine_types.h"
#include "core/engine/job_runner.h"
#include "core/llm/chat_backend.h"

#include <QHash>
#include <QList>
#include <QPointer>

namespace gyrus {

class EngineClient;

class EngineChatBackend : public ChatBackend
{
    Q_OBJECT
public:
    /// `engine` is not owned; requests made after it is gone fail with a clear message. With
    /// `judgeModel.path` set, that model is loaded into `engine` before the first request.
    explicit EngineChatBackend(EngineClient *engine, ModelSpec judgeModel = {},
                               QObject *parent = nullptr);

    quint64 complete(const ChatRequest &request) override;
    void cancel(quint64 id) override;
    /// "engine model <directory name>".
    QString describe() const override;

private:
    struct Waiting
    {
        quint64 id = 0;
        ChatRequest request;
    };

    void send(quint64 id, const ChatRequest &request);
    void failLater(quint64 id, const Status &status);
    void onReplied(RequestId request, const ChatReply &reply);
    void onFinished(RequestId request, const Status &status);

    QPointer<EngineClient> m_engine;
    ModelSpec m_judgeModel;
    bool m_judgeLoaded = false;
    RequestId m_load = 0;                  ///< the judge model's load in flight (0: none)
    QList<Waiting> m_waiting;              ///< requests made while it loads
    QHash<RequestId, quint64> m_requests;  ///< engine request -> our id
    QHash<RequestId, ChatReply> m_replies;
    quint64 m_nextId = 1;
};

}  // namespace gyrus
