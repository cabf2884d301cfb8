#include "widgets/result_freshness.h"

#include "core/engine_client.h"
#include "widgets/contrast_settings_form.h"

#include <QUuid>

namespace gyrus::widgets {

ResultFreshness::ResultFreshness(EngineClient *engine, const ContrastSettingsForm *form,
                                 bool twoGroup)
    : m_engine(engine)
    , m_form(form)
    , m_twoGroup(twoGroup)
{}

ResultProvenance ResultFreshness::now() const
{
    ResultProvenance provenance;
    provenance.source = m_form->source();
    if (m_twoGroup) {
        provenance.source.factorial = false;
    }
    if (m_engine) {
        provenance.modelPath = m_engine->currentModel().path;
        provenance.saePath = m_engine->currentSae().path;
    }
    return provenance;
}

void ResultFreshness::started()
{
    m_pending = now();
    m_pending.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
}

}  // namespace gyrus::widgets
