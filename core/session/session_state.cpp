#include "core/session/session_state.h"

#include "core/engine/engine_client.h"

namespace gyrus {

SessionState::SessionState(QObject *parent)
    : QObject(parent)
    , m_saeRuns(new SaeRuns(this))
{}

void SessionState::follow(EngineClient *engine)
{
    if (!engine) {
        return;
    }
    connect(engine, &EngineClient::modelLoaded, this,
            [this](RequestId, const ModelInfo &model) { setModel(model); });
    connect(engine, &EngineClient::saeLoaded, this,
            [this](RequestId, const SaeInfo &sae) { setSae(sae); });
    if (const ModelInfo model = engine->currentModel(); !model.path.isEmpty()) {
        setModel(model);
    }
    if (const SaeInfo sae = engine->currentSae(); !sae.path.isEmpty()) {
        setSae(sae);
    }
}

void SessionState::setPromptSet(const PromptSet &set)
{
    // The content and where it came from: the same items reopened from another file are a
    // change (results name the file).
    if (set == m_promptSet && set.sourceFile == m_promptSet.sourceFile &&
        set.format == m_promptSet.format) {
        return;
    }
    m_promptSet = set;
    Q_EMIT promptSetChanged(m_promptSet);
}

void SessionState::setModel(const ModelInfo &model)
{
    m_model = model;
    ++m_modelEpoch;
    Q_EMIT modelChanged(m_model);
}

void SessionState::setSae(const SaeInfo &sae)
{
    m_sae = sae;
    ++m_saeEpoch;
    Q_EMIT saeChanged(m_sae);
}

SessionState *sessionOrFollowing(SessionState *session, EngineClient *engine, QObject *owner)
{
    if (session) {
        return session;
    }
    auto *own = new SessionState(owner);
    own->follow(engine);
    return own;
}

}  // namespace gyrus
