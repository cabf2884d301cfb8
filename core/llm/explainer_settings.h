#pragma once
// The explainer/judge the GUI uses, as the user chose it (Settings ▸ Language model endpoint…,
// or gyrus --llm-endpoint/--llm-model): kept in the application's QSettings, never in a
// workspace. The API key is stored only when the user asks for it (in the per-user settings
// file, readable by that user only); otherwise it comes from GYRUS_LLM_API_KEY. Nothing is
// configured by default, so nothing leaves the machine.

#include "core/base/status.h"
#include "core/llm/chat_endpoint.h"

#include <QString>

class QSettings;

namespace gyrus {

struct ExplainerSettings
{
    QString endpoint;  ///< "", "engine" or an OpenAI-compatible base URL (http://host:port/v1)
    /// With an URL: the served model's name. With "engine": an instruct model directory loaded
    /// beside the studied model, or empty for the model loaded in the Model dock.
    QString model;
    QString apiKey;            ///< empty: GYRUS_LLM_API_KEY
    bool rememberKey = false;  ///< store apiKey in the settings file

    bool operator==(const ExplainerSettings &o) const
    {
        return endpoint == o.endpoint && model == o.model && apiKey == o.apiKey &&
               rememberKey == o.rememberKey;
    }
};

ExplainerSettings loadExplainerSettings(const QSettings &settings);

/// Writes the endpoint and model; the key only with rememberKey (a stored key is removed
/// otherwise). Makes the file readable by its owner only when it holds a key.
void saveExplainerSettings(QSettings &settings, const ExplainerSettings &explainer);

/// The endpoint these settings describe (unconfigured when endpoint is empty); the key from the
/// settings, else from GYRUS_LLM_API_KEY. A clear InvalidInput for an unusable URL.
Result<ChatEndpoint> explainerEndpoint(const ExplainerSettings &explainer);

}  // namespace gyrus
