#pragma once
// Where the explainer/judge lives. Offline by default: nothing is configured, and no request
// leaves the machine until the user names an endpoint (settings or --endpoint). The API key is
// never stored with the rest: it comes from the environment variable GYRUS_LLM_API_KEY or a
// key file, and is never written to workspaces, settings files or logs.

#include "core/base/status.h"

#include <QString>
#include <QUrl>

namespace gyrus {

struct ChatEndpoint
{
    enum class Kind
    {
        None,    ///< not configured: auto-interpretation is off
        Http,    ///< an OpenAI-compatible server (llama.cpp, vLLM, Ollama, a hosted API)
        Engine,  ///< the instruct model loaded in Gyrus's own engine
    };

    Kind kind = Kind::None;
    QUrl baseUrl;  ///< e.g. http://127.0.0.1:8080/v1; requests go to <baseUrl>/chat/completions
    QString model;
    QString apiKey;  ///< in memory only
    int timeoutMs = 120000;
    int maxRetries = 3;
    int initialBackoffMs = 500;
    int maxBackoffMs = 30000;
    double requestsPerMinute = 0;  ///< 0: no limit
    bool stream = false;           ///< ask for server-sent events

    bool isConfigured() const { return kind != Kind::None; }

    /// The URL requests are POSTed to.
    QUrl completionsUrl() const;
    /// For provenance and logs: kind, URL and model, never the key.
    QString describe() const;
    /// A clear message when the endpoint cannot be used (no URL, not http(s), no TLS support).
    Status validate() const;
};

/// Parses "http://host:port/v1" (or "engine" for the local model); an empty string gives an
/// unconfigured endpoint. The key is read from GYRUS_LLM_API_KEY, or from keyFile when given.
Result<ChatEndpoint> parseChatEndpoint(const QString &spec, const QString &model,
                                       const QString &keyFile = {});

/// Replaces every occurrence of the key in text (server error bodies may echo it).
QString redactKey(QString text, const QString &key);

}  // namespace gyrus
