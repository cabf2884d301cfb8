#pragma once

#include "core/engine_client.h"

#include <QMutex>
#include <QSet>

#include <atomic>

namespace gyrus::test {

/// An EngineClient without torch for widget and app tests. It runs its fake work on a real
/// JobRunner thread, so panels see the same asynchronous, queued behaviour as with the engine.
/// - loadModel: a path containing "missing" fails with NotFound; otherwise a model card whose
///   numbers are fixed (4 layers, d_model 256, ...) after `loadSlices` slices of `sliceMs`.
/// - generate: streams generatedTokens() one per `sliceMs`, honouring cancel.
class FakeEngineClient : public EngineClient
{
    Q_OBJECT
public:
    explicit FakeEngineClient(QObject *parent = nullptr);
    ~FakeEngineClient() override;

    RequestId loadModel(const ModelSpec &spec) override;
    RequestId generate(const GenerateRequest &request) override;
    /// Reports one metrics point per slice (loss falling as 1/step), `trainSteps` in all; an
    /// activations path containing "missing" fails with NotFound.
    RequestId trainSae(const SaeTrainRequest &request) override;
    void pauseTraining(RequestId id) override;
    void cancel(RequestId id) override;
    void cancelAll() override;
    ModelInfo currentModel() const override;

    void setGeneratedTokens(const QStringList &tokens);

    void setSliceMs(int ms) { m_sliceMs = ms; }

    void setLoadSlices(int slices) { m_loadSlices = slices; }

    void setTrainSteps(int steps) { m_trainSteps = steps; }

    SaeTrainRequest lastTrainRequest() const;

    /// The card FakeEngineClient reports for a model directory.
    static ModelInfo cardFor(const ModelSpec &spec);

    /// Requests received, for assertions ("generate" with its prompt, ...).
    QStringList log() const;

private:
    JobRunner m_runner;
    ModelInfo m_current;                  // GUI thread
    std::atomic<bool> m_hasModel{false};  // set on the worker thread
    QStringList m_tokens;
    int m_sliceMs = 2;
    int m_loadSlices = 5;
    int m_trainSteps = 20;
    SaeTrainRequest m_lastTrain;  // guarded by m_logMutex
    QSet<RequestId> m_pauses;     // guarded by m_logMutex
    mutable QMutex m_logMutex;
    QStringList m_log;
};

}  // namespace gyrus::test
