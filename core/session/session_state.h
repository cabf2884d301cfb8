#pragma once
// What the session has open: the prompt set, the loaded model and SAE (each with an epoch that
// every load bumps, so a reload of the same directory is a change too), and the SAE training
// runs (core/sae/sae_runs.h). The one source of truth
// that docks observe instead of asking one another (RenderDoc's CaptureContext): the Prompt sets
// dock writes the set, the engine's loads write the model and SAE. Owned by the main window,
// next to the SelectionHub (what the user selects and clamps).

#include "core/engine/engine_types.h"
#include "core/prompts/prompt_set.h"
#include "core/sae/sae_runs.h"

#include <QObject>

namespace gyrus {

class EngineClient;

class SessionState : public QObject
{
    Q_OBJECT
public:
    explicit SessionState(QObject *parent = nullptr);

    /// Takes every model and SAE `engine` loads from now on (its modelLoaded / saeLoaded), and
    /// the ones it has loaded already.
    void follow(EngineClient *engine);

    const PromptSet &promptSet() const { return m_promptSet; }

    const ModelInfo &model() const { return m_model; }

    const SaeInfo &sae() const { return m_sae; }

    bool hasModel() const { return m_modelEpoch > 0; }

    bool hasSae() const { return m_saeEpoch > 0; }

    /// Loads so far: 0 before the first; each load, even of the same directory, adds one.
    quint64 modelEpoch() const { return m_modelEpoch; }

    quint64 saeEpoch() const { return m_saeEpoch; }

    /// The SAE training dock's runs.
    SaeRuns *saeRuns() const { return m_saeRuns; }

public Q_SLOTS:
    /// The open prompt set; promptSetChanged only when it differs from the one held (its
    /// content, file or format).
    void setPromptSet(const gyrus::PromptSet &set);
    /// A model was loaded (a new epoch, whatever it is).
    void setModel(const gyrus::ModelInfo &model);
    /// An SAE was loaded (a new epoch, whatever it is).
    void setSae(const gyrus::SaeInfo &sae);

Q_SIGNALS:
    void promptSetChanged(const gyrus::PromptSet &set);
    void modelChanged(const gyrus::ModelInfo &model);
    void saeChanged(const gyrus::SaeInfo &sae);

private:
    PromptSet m_promptSet;
    ModelInfo m_model;
    SaeInfo m_sae;
    quint64 m_modelEpoch = 0;
    quint64 m_saeEpoch = 0;
    SaeRuns *m_saeRuns;
};

/// The session a dock observes: `session` (the main window's), or, when null (a panel on its own
/// in a test or a benchmark), a new one owned by `owner` that follows `engine`.
SessionState *sessionOrFollowing(SessionState *session, EngineClient *engine, QObject *owner);

}  // namespace gyrus
