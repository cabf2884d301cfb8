#include "widgets/panels/result_freshness.h"

#include "core/session/session_state.h"
#include "widgets/views/contrast_settings_form.h"

#include <QUuid>

namespace gyrus::widgets {

ResultFreshness::ResultFreshness(const SessionState *session, const ContrastSettingsForm *form,
                                 bool twoGroup)
    : m_session(session)
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
    if (m_session) {
        provenance.modelPath = m_session->model().path;
        provenance.saePath = m_session->sae().path;
    }
    return provenance;
}

void ResultFreshness::started()
{
    m_pending = now();
    m_pending.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
}

}  // namespace gyrus::widgets
