#pragma once

#include "core/engine/engine_client.h"

#include <QMutex>
#include <QSet>

#include <memory>

namespace gyrus::gpu {

struct EngineState;

/// The EngineClient of the real application: one worker thread ("gyrus-engine") owns the
/// LanguageModel and every other torch object; they are created, used and destroyed there.
/// Create and use the client on the GUI thread.
class TorchEngineClient : public EngineClient
{
    Q_OBJECT
public:
    explicit TorchEngineClient(QObject *parent = nullptr);
    ~TorchEngineClient() override;

    RequestId loadModel(const ModelSpec &spec) override;
    RequestId generate(const GenerateRequest &request) override;
    RequestId trainSae(const SaeTrainRequest &request) override;
    void pauseTraining(RequestId id) override;
    RequestId cacheActivations(const ActivationCacheRequest &request) override;  // _activations
    void cancel(RequestId id) override;
    void cancelAll() override;
    ModelInfo currentModel() const override;
    SaeInfo currentSae() const override;
    RequestId loadSae(const SaeSpec &spec) override;

    // --- token heatmap, feature inspector, steering: torch_engine_{heatmap,inspector,steering}.cpp
    // ---
    RequestId analyzeText(const TokenAnalysisRequest &request) override;  // torch_engine_heatmap
    // Feature inspector: torch_engine_inspector.cpp
    RequestId scanCorpus(const CorpusScanRequest &request) override;
    RequestId loadCorpusScan(const QString &path) override;
    RequestId featureDetails(int feature) override;

    // Steering: torch_engine_steering.cpp.
    RequestId steer(const SteeringRequest &request) override;
    RequestId compareNextToken(const NextTokenRequest &request) override;
    RequestId sweepStrength(const StrengthSweepRequest &request) override;
    RequestId featureRanges(const FeatureRangeRequest &request) override;

    // --- contrasts, RSA: torch_engine_{contrast,rsa}.cpp ---
    // Contrasts dock: torch_engine_contrast.cpp
    RequestId runContrast(const ContrastSource &source) override;
    RequestId computeFeatureRsaMap(const ContrastSource &source) override;
    RequestId compareMethods(const MethodComparisonRequest &request) override;
    RequestId replicate(const ReplicationRequest &request) override;  // torch_engine_replication
    RequestId rankCorpusTexts(const TextRankingRequest &request) override;  // torch_engine_judge

    RequestId computeRsa(const RsaRequest &request) override;  // torch_engine_rsa.cpp

    // --- workspaces, checkpoints: torch_engine_evaluation.cpp ---

    RequestId evaluateSae(const SaeEvalRequest &request) override;
    /// torch_engine_chat.cpp.
    RequestId chat(const ChatRequest &request) override;

    // Attribution dock: torch_engine_attribution.cpp.
    RequestId attribute(const AttributionRequest &request) override;
    RequestId verifyAttribution(const AblationRequest &request) override;
    RequestId computeLogitLens(const LogitLensRequest &request) override;
    RequestId computeAttention(const AttentionRequest &request) override;
    RequestId patchMinimalPairs(const PatchingRequest &request) override;

    // Feature search and the concept sweep: torch_engine_studies.cpp.
    RequestId searchFeatures(const FeatureSearchRequest &request) override;
    RequestId sweepConceptSteering(const ConceptSweepRequest &request) override;

    /// Devices a model can be loaded on: "cpu", then "cuda:N" for each CUDA device.
    static QStringList availableDevices();

private:
    std::shared_ptr<EngineState> m_state;  // engine-thread state (model, SAE, caches)
    JobRunner m_runner;
    ModelInfo m_current;   // GUI thread copy of the loaded model's card
    SaeInfo m_currentSae;  // GUI thread copy of the loaded SAE's card
    QMutex m_pauseMutex;
    QSet<RequestId> m_pauseRequested;  // trainings asked to pause rather than stop
};

}  // namespace gyrus::gpu
