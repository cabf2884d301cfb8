#include "core/llm/explainer_settings.h"

#include <QFile>
#include <QSettings>

namespace gyrus {

namespace {

const QString kEndpointKey = QStringLiteral("autointerp/endpoint");
const QString kModelKey = QStringLiteral("autointerp/model");
const QString kApiKeyKey = QStringLiteral("autointerp/api_key");

}  // namespace

ExplainerSettings loadExplainerSettings(const QSettings &settings)
{
    ExplainerSettings explainer;
    explainer.endpoint = settings.value(kEndpointKey).toString();
    explainer.model = settings.value(kModelKey).toString();
    explainer.apiKey = settings.value(kApiKeyKey).toString();
    explainer.rememberKey = !explainer.apiKey.isEmpty();
    return explainer;
}

void saveExplainerSettings(QSettings &settings, const ExplainerSettings &explainer)
{
    settings.setValue(kEndpointKey, explainer.endpoint.trimmed());
    settings.setValue(kModelKey, explainer.model.trimmed());
    if (explainer.rememberKey && !explainer.apiKey.isEmpty()) {
        settings.setValue(kApiKeyKey, explainer.apiKey);
    } else {
        settings.remove(kApiKeyKey);
    }
    settings.sync();
    if (settings.contains(kApiKeyKey) && !settings.fileName().isEmpty()) {
        QFile::setPermissions(settings.fileName(), QFile::ReadOwner | QFile::WriteOwner);
    }
}

Result<ChatEndpoint> explainerEndpoint(const ExplainerSettings &explainer)
{
    const Result<ChatEndpoint> parsed =
            parseChatEndpoint(explainer.endpoint, explainer.model.trimmed());
    if (!parsed) {
        return parsed.status();
    }
    ChatEndpoint endpoint = parsed.value();
    if (!explainer.apiKey.isEmpty()) {
        endpoint.apiKey = explainer.apiKey;
    }
    return endpoint;
}

}  // namespace gyrus
