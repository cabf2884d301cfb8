#pragma once
// A ChatBackend whose answers are a function of the request: a judge whose every answer is known,
// so that scores computed from it have exact expected values.

#include "core/llm/chat_backend.h"

#include <QTimer>

#include <functional>

namespace gyrus::test {

class ScriptedJudge : public ChatBackend
{
    Q_OBJECT
public:
    using Answer = std::function<QString(const ChatRequest &)>;

    explicit ScriptedJudge(Answer answer, QObject *parent = nullptr)
        : ChatBackend(parent)
        , m_answer(std::move(answer))
    {}

    quint64 complete(const ChatRequest &request) override
    {
        const quint64 id = m_next++;
        requests.append(request);
        const QString text = m_answer(request);
        QTimer::singleShot(0, this, [this, id, text] {
            ChatReply reply;
            reply.text = text;
            reply.model = QStringLiteral("scripted");
            Q_EMIT completed(id, Status::ok(), reply);
        });
        return id;
    }

    void cancel(quint64) override {}

    QString describe() const override { return QStringLiteral("scripted judge"); }

    QList<ChatRequest> requests;

private:
    Answer m_answer;
    quint64 m_next = 1;
};

/// A judge that never answers until cancelled (then, like every backend, with Cancelled): for
/// cancelling a run while the judge thinks.
class SilentJudge : public ChatBackend
{
public:
    using ChatBackend::ChatBackend;

    quint64 complete(const ChatRequest &) override { return quint64(++asked); }

    void cancel(quint64 id) override
    {
        QTimer::singleShot(0, this,
                           [this, id] { Q_EMIT completed(id, Status::cancelled(), ChatReply{}); });
    }

    QString describe() const override { return QStringLiteral("silent judge"); }

    int asked = 0;
};

}  // namespace gyrus::test
