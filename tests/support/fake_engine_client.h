#pragma once

#include "core/engine/engine_client.h"

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
    /// Reports `trainSteps` progress slices, then activationsCached() with 1000 rows (writes no
    /// file); a corpus path containing "missing" fails with NotFound.
    RequestId cacheActivations(const ActivationCacheRequest &request) override;
    void cancel(RequestId id) override;
    void cancelAll() override;
    ModelInfo currentModel() const override;
    /// A path containing "missing" fails with NotFound; otherwise the card of sae_info_for().
    RequestId loadSae(const SaeSpec &spec) override;
    SaeInfo currentSae() const override;

    /// The SAE card FakeEngineClient reports: TopK, d_in 256, d_sae 1024, k 16, hook
    /// blocks.2.hook_resid_post.
    static SaeInfo saeCardFor(const SaeSpec &spec);

    // --- token heatmap, feature inspector, steering fakes (fake_engine_client_*.cpp) ---
    /// fake_engine_client_heatmap.cpp: words (split at spaces, each with its leading space)
    /// become tokens after a BOS; token t of a text activates features (h + 97·j) mod d_sae for
    /// j < 4 with value (j + 1)·(1 + h mod 5)/2, h = the word's hash; hook vectors are sin(h + i).
    /// Needs a loaded model and SAE.
    RequestId analyzeText(const TokenAnalysisRequest &request) override;
    /// The fake's activations of one word (what analyzeText reports for it).
    static std::vector<FeatureValue> fakeActivations(const QString &word, int dSae);

    // Steering (fake_engine_client_steering.cpp): steer() streams generatedTokens() as the
    // baseline and the same tokens upper-cased as the steered text; compareNextToken() reports
    // tokens "a", "b" with KL = 0.1 × enabled clamps; sweepStrength() reports log p = −value²
    // and KL = value² per value, one per slice; featureRanges() reports [0, feature / 100].
    RequestId steer(const SteeringRequest &request) override;
    RequestId compareNextToken(const NextTokenRequest &request) override;
    RequestId sweepStrength(const StrengthSweepRequest &request) override;
    RequestId featureRanges(const FeatureRangeRequest &request) override;

    SteeringRequest lastSteeringRequest() const;

    // Feature inspector (fake_engine_client_inspector.cpp). scanCorpus runs `scanSlices` slices
    // of sliceMs (a corpus path containing "missing" fails NotFound); loadCorpusScan succeeds
    // only after setSavedScanAvailable(true); featureDetails needs an SAE (loaded before the
    // call) and a scan, and gives fakeDetailsFor(feature).
    RequestId scanCorpus(const CorpusScanRequest &request) override;
    RequestId loadCorpusScan(const QString &path) override;
    RequestId featureDetails(int feature) override;

    void setScanSlices(int slices) { m_scanSlices = slices; }

    void setSavedScanAvailable(bool available) { m_savedScanAvailable = available; }

    CorpusScanRequest lastScanRequest() const;
    /// Deterministic details: top example activations 10, 9.5, ...; neighbours f+1, f+2, ...
    static FeatureDetails fakeDetailsFor(int feature);

private:
    std::atomic<bool> m_hasScan{false};
    std::atomic<bool> m_savedScanAvailable{false};
    int m_scanSlices = 5;
    CorpusScanRequest m_lastScan;  // guarded by m_logMutex

public:
    // --- contrasts, RSA fakes (fake_engine_client_contrast.cpp, _rsa.cpp) ---
    // Contrasts dock (fake_engine_client_contrast.cpp): synthetic statistics over
    // setContrastFeatures() features (d = 2·sin(0.37·j + 1.3·effect), t = 3d), an RSA map, and a
    // method comparison that takes setComparisonSlices() slices and honours cancel. Need a model.
    RequestId runContrast(const ContrastSource &source) override;
    RequestId computeFeatureRsaMap(const ContrastSource &source) override;
    RequestId compareMethods(const MethodComparisonRequest &request) override;
    /// Writes DIR/report.html ("fake replication") after setComparisonSlices() slices, with
    /// progress and cancel; three "supported" verdicts.
    RequestId replicate(const ReplicationRequest &request) override;
    RequestId rankCorpusTexts(const TextRankingRequest &request) override;

    void setContrastFeatures(int features) { m_contrastFeatures = features; }

    void setComparisonSlices(int slices) { m_comparisonSlices = slices; }

    ContrastSource lastContrastSource() const;
    MethodComparisonRequest lastComparisonRequest() const;
    ReplicationRequest lastReplicationRequest() const;

    /// fake_engine_client_rsa.cpp: an RDM of the set's items grouped by condition (0.2 + noise
    /// within a condition, 1 + noise between), one categorical model per factor, a fixed
    /// comparison, MDS on a circle per condition; with intervention, the RDM plus 0.1 · |i − j|/n.
    /// Fails with InvalidInput when the set has fewer than 3 items.
    RequestId computeRsa(const RsaRequest &request) override;
    RsaRequest lastRsaRequest() const;
    int rsaRequestCount() const;

    // --- workspaces, SAE evaluation fakes (fake_engine_client_workspace.cpp) ---

    /// Reports evaluationFor(request) after three slices; a path containing "missing" fails.
    RequestId evaluateSae(const SaeEvalRequest &request) override;
    static SaeEvalResult evaluationFor(const SaeEvalRequest &request);

    /// Answers with setChatAnswer()'s text after one slice (model "fake-model"); needs a model.
    RequestId chat(const ChatRequest &request) override;

    // The Attribution dock's requests (fake_engine_client_attribution.cpp) have no stand-in:
    // each finishes InvalidInput after one slice (its tests run the demo model on the engine).
    RequestId attribute(const AttributionRequest &request) override;
    RequestId verifyAttribution(const AblationRequest &request) override;
    RequestId computeLogitLens(const LogitLensRequest &request) override;
    RequestId computeAttention(const AttentionRequest &request) override;
    RequestId searchFeatures(const FeatureSearchRequest &request) override;
    RequestId patchMinimalPairs(const PatchingRequest &request) override;
    RequestId sweepConceptSteering(const ConceptSweepRequest &request) override;

    void setChatAnswer(const QString &answer) { m_chatAnswer = answer; }

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
    SaeInfo m_currentSae;                 // GUI thread
    std::atomic<bool> m_hasModel{false};  // set on the worker thread
    std::atomic<bool> m_hasSae{false};    // set on the worker thread
    QStringList m_tokens;
    QString m_chatAnswer = QStringLiteral("Bridges\n\nEXPLANATION: Mentions of bridges.");
    int m_sliceMs = 2;
    int m_loadSlices = 5;
    int m_trainSteps = 20;
    SaeTrainRequest m_lastTrain;     // guarded by m_logMutex
    SteeringRequest m_lastSteering;  // guarded by m_logMutex
    RsaRequest m_lastRsa;            // guarded by m_logMutex
    int m_rsaRequests = 0;           // guarded by m_logMutex
    QSet<RequestId> m_pauses;        // guarded by m_logMutex
    mutable QMutex m_logMutex;
    QStringList m_log;
    int m_contrastFeatures = 64;
    int m_comparisonSlices = 5;
    ContrastSource m_lastContrastSource;       // guarded by m_logMutex
    MethodComparisonRequest m_lastComparison;  // guarded by m_logMutex
    ReplicationRequest m_lastReplication;      // guarded by m_logMutex
};

}  // namespace gyrus::test
