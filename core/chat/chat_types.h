#pragma once
// A chat conversation sent to a language model and its answer: what the explainer/judge of
// auto-interpretation exchanges with an OpenAI-compatible server (core/llm) or with the model
// loaded in Gyrus's own engine (EngineClient::chat).

#include "core/chat/chat_template.h"

#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace gyrus {

struct ChatRequest
{
    QList<ChatMessage> messages;
    /// 0 = greedy. Judges run at 0 with a fixed seed so that a score can be reproduced.
    double temperature = 0;
    std::optional<qint64> seed = 0;
    int maxTokens = 256;
};

struct ChatReply
{
    QString text;
    QString model;         ///< the model that answered, as the backend names it
    QString finishReason;  ///< "stop", "length", ...
    int attempts = 1;      ///< HTTP attempts it took (retries + 1)
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::ChatReply)
