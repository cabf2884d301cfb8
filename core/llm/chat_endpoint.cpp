#include "core/llm/chat_endpoint.h"

#include <QFile>
#include <QSslSocket>

namespace gyrus {

QUrl ChatEndpoint::completionsUrl() const
{
    QUrl url = baseUrl;
    QString path = url.path();
    if (!path.endsWith(QLatin1String("/chat/completions"))) {
        if (!path.endsWith(QLatin1Char('/'))) {
            path += QLatin1Char('/');
        }
        path += QLatin1String("chat/completions");
    }
    url.setPath(path);
    return url;
}

QString ChatEndpoint::describe() const
{
    switch (kind) {
        case Kind::None:
            return QStringLiteral("no endpoint");
        case Kind::Engine:
            return QStringLiteral("engine model ") + model;
        case Kind::Http:
            break;
    }
    QUrl shown = baseUrl;
    shown.setUserInfo({});  // a key can hide in user:password@host
    return QStringLiteral("openai ") + shown.toString() +
           (model.isEmpty() ? QString() : QStringLiteral(" model ") + model);
}

Status ChatEndpoint::validate() const
{
    switch (kind) {
        case Kind::None:
            return Status::invalidInput(
                    QStringLiteral("no language-model endpoint configured: auto-interpretation is "
                                   "off until you name one (Settings, or --endpoint URL|engine)"));
        case Kind::Engine:
            return Status::ok();
        case Kind::Http:
            break;
    }
    if (!baseUrl.isValid() || baseUrl.host().isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("endpoint '") + baseUrl.toString() +
                QStringLiteral("' is not a URL (expected http://host:port/v1)"));
    }
    const QString scheme = baseUrl.scheme();
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https")) {
        return Status::invalidInput(QStringLiteral("endpoint '") + baseUrl.toString() +
                                    QStringLiteral("': only http and https are supported"));
    }
    if (scheme == QLatin1String("https") && !QSslSocket::supportsSsl()) {
        return Status::invalidInput(
                QStringLiteral("endpoint '") + baseUrl.toString() +
                QStringLiteral("' needs TLS, but Qt has no TLS backend here (install the Qt "
                               "OpenSSL plugin)"));
    }
    if (model.isEmpty()) {
        return Status::invalidInput(QStringLiteral("endpoint '") + baseUrl.toString() +
                                    QStringLiteral("': no model named (--model)"));
    }
    return Status::ok();
}

Result<ChatEndpoint> parseChatEndpoint(const QString &spec, const QString &model,
                                       const QString &keyFile)
{
    ChatEndpoint endpoint;
    endpoint.model = model;
    const QString trimmed = spec.trimmed();
    if (trimmed.isEmpty()) {
        return endpoint;
    }
    if (trimmed == QLatin1String("engine")) {
        endpoint.kind = ChatEndpoint::Kind::Engine;
        return endpoint;
    }
    endpoint.kind = ChatEndpoint::Kind::Http;
    endpoint.baseUrl = QUrl(trimmed, QUrl::StrictMode);
    if (!keyFile.isEmpty()) {
        QFile file(keyFile);
        if (!file.open(QIODevice::ReadOnly)) {
            return Status::notFound(keyFile + QStringLiteral(": cannot read the API key file (") +
                                    file.errorString() + QLatin1Char(')'));
        }
        endpoint.apiKey = QString::fromUtf8(file.readAll()).trimmed();
    } else {
        endpoint.apiKey = qEnvironmentVariable("GYRUS_LLM_API_KEY");
    }
    const Status valid = endpoint.validate();
    if (!valid.isOk()) {
        return valid;
    }
    return endpoint;
}

QString redactKey(QString text, const QString &key)
{
    if (key.size() >= 4) {
        text.replace(key, QStringLiteral("<api key>"));
    }
    return text;
}

}  // namespace gyrus
