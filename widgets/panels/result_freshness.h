#pragma once

#include "core/session/result_archive.h"

namespace gyrus {
class SessionState;
}

namespace gyrus::widgets {

class ContrastSettingsForm;

/// What a Contrasts-dock result was computed from (the form's settings, the model and SAE), so
/// that a view can say when the result on screen no longer matches them, and a workspace can
/// store it beside the result.
class ResultFreshness
{
public:
    /// `twoGroup`: the view ignores the form's 2 × 2 option (RSA map, method comparison).
    /// The model and SAE come from `session` (what is loaded now).
    ResultFreshness(const SessionState *session, const ContrastSettingsForm *form, bool twoGroup);

    /// The inputs as they are now.
    ResultProvenance now() const;

    /// A run starts with the current inputs (a fresh id).
    void started();

    /// Its result arrived: it was computed from what started() saw.
    void arrived() { m_computed = m_pending; }

    /// A result restored from a workspace, computed from `computed`.
    void restored(const ResultProvenance &computed) { m_computed = computed; }

    const ResultProvenance &computed() const { return m_computed; }

    /// Why the result no longer matches the inputs; empty when it does.
    QString staleReason() const { return gyrus::staleReason(m_computed, now()); }

private:
    const SessionState *m_session;
    const ContrastSettingsForm *m_form;
    bool m_twoGroup;
    ResultProvenance m_pending;
    ResultProvenance m_computed;
};

}  // namespace gyrus::widgets
