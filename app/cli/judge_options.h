#pragma once
// The options every command that talks to a language-model explainer/judge shares: where it is
// (--endpoint; nothing is sent without one), its model, key file, timeout, retries, rate limit,
// and the judging protocol (repeats, seed, temperature).

#include "core/llm/chat_backend.h"
#include "core/llm/scoring.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <memory>

namespace gyrus::cli {

class JudgeOptions
{
public:
    explicit JudgeOptions(QCommandLineParser &parser);

    /// The backend the options name; a clear InvalidInput without an endpoint or with a bad one.
    Result<std::unique_ptr<ChatBackend>> backend(const QCommandLineParser &parser) const;
    /// --repeats, --seed, --temperature, --batch.
    Result<gyrus::JudgeOptions> protocol(const QCommandLineParser &parser) const;

private:
    QCommandLineOption m_endpoint;
    QCommandLineOption m_model;
    QCommandLineOption m_judgeDevice;
    QCommandLineOption m_judgeDtype;
    QCommandLineOption m_keyFile;
    QCommandLineOption m_timeout;
    QCommandLineOption m_retries;
    QCommandLineOption m_rpm;
    QCommandLineOption m_stream;
    QCommandLineOption m_repeats;
    QCommandLineOption m_seed;
    QCommandLineOption m_temperature;
    QCommandLineOption m_batch;
};

}  // namespace gyrus::cli
