#pragma once

#include "core/base/status.h"
#include "core/chat/chat_types.h"
#include "core/contrasts/contrast_requests.h"
#include "core/contrasts/method_text_ranking.h"
#include "core/engine/engine_types.h"
#include "core/engine/job_runner.h"
#include "core/features/attribution_types.h"
#include "core/features/feature_inspector_types.h"
#include "core/features/feature_search_types.h"
#include "core/features/token_analysis_types.h"
#include "core/rsa/rsa_requests.h"
#include "core/sae/sae_evaluation_types.h"
#include "core/sae/sae_training_types.h"
#include "core/steering/concept_sweep_types.h"
#include "core/steering/patching_types.h"
#include "core/steering/steering_types.h"

#include <QObject>

namespace gyrus {

/// The UI's only way to the engine (ARCHITECTURE.md §3). Every call returns a RequestId at once
/// and never blocks; results arrive as queued signals on the thread that owns the client; every
/// request ends with exactly one finished(id, status). Results are broadcast; a panel routes
/// them to itself with a RequestTracker (core/engine/request_tracker.h), which keeps the ids, drops
/// superseded results and cancels a slot's older request. The torch implementation lives in
/// gyrus_gpu (TorchEngineClient); tests use FakeEngineClient (tests/support).
class EngineClient : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~EngineClient() override = default;

    /// Loads a model, replacing the current one once loading succeeded.
    virtual RequestId loadModel(const ModelSpec &spec) = 0;

    /// Generates a continuation of request.prompt with the current model, streaming
    /// tokenGenerated() as each token is produced. Tagged "generate": a newer request replaces a
    /// queued one.
    virtual RequestId generate(const GenerateRequest &request) = 0;

    /// Trains an SAE in slices (other requests are served between them), reporting
    /// saeTrainingProgress() and, at the end, saeTrainingEnded(). Ends Cancelled when stopped.
    virtual RequestId trainSae(const SaeTrainRequest &request) = 0;

    /// Pauses a running training: it writes a checkpoint, reports saeTrainingEnded() with
    /// paused = true and the checkpoint, and finishes Cancelled ("paused"). Resume by submitting
    /// trainSae() with resumeCheckpoint set.
    virtual void pauseTraining(RequestId id) = 0;

    /// Caches the loaded model's activations at request.hookName over request.corpusPath into
    /// an HDF5 file, one batch of windows per slice (progress with stage and ETA; cancel between
    /// batches). Reports activationsCached() when the file is complete; a cancelled or failed
    /// run leaves no file at request.outPath.
    virtual RequestId cacheActivations(const ActivationCacheRequest &request) = 0;

    /// Loads an SAE (replacing the current one once loading succeeded). Its hook must be one of
    /// the loaded model's; analyses that take "SAE features" use it.
    virtual RequestId loadSae(const SaeSpec &spec) = 0;

    // --- token heatmap, feature inspector, steering ---

    /// Tokenises each text, runs the model to the loaded SAE's hook and encodes every token:
    /// tokenAnalysisReady() carries all nonzero feature activations per token (and the raw hook
    /// vectors when asked). Items are batched (padding never changes a value). Tagged
    /// "token-analysis" (latest wins). Fails without a model or an SAE, when the SAE's hook is
    /// not the model's, or for an empty text (the message names the item).
    virtual RequestId analyzeText(const TokenAnalysisRequest &request) = 0;
    /// Feature inspector: scans a corpus with the loaded model and SAE in slices (progress,
    /// cancel; other requests are served between slices), keeps the scan for featureDetails()
    /// and saves it to request.savePath when set. Emits corpusScanReady() at the end.
    virtual RequestId scanCorpus(const CorpusScanRequest &request) = 0;

    /// Loads a scan saved by scanCorpus() for the loaded SAE. NotFound when there is none (or it
    /// belongs to other SAE weights); emits corpusScanReady() on success.
    virtual RequestId loadCorpusScan(const QString &path) = 0;

    /// The inspector's view of one feature from the current scan (tagged latest-wins): emits
    /// featureDetailsReady(). Fails InvalidInput when no SAE is loaded or the feature is out of
    /// range, NotFound when there is no scan yet (the panel then offers "Scan corpus").
    virtual RequestId featureDetails(int feature) = 0;

    /// Steering (torch_engine_steering.cpp): the baseline (no clamp) then the steered (the clamp
    /// set spliced in at the SAE's hook) continuation of request.prompt with the same sampling
    /// settings and seed, each token streamed by steeringToken() with its stream, then
    /// steeringFinished() with both texts. Tagged "steer" (latest-wins).
    virtual RequestId steer(const SteeringRequest &request) = 0;

    /// The next-token distribution after request.prompt without and with the clamp set:
    /// nextTokenShift(). Tagged "steer-next-token".
    virtual RequestId compareNextToken(const NextTokenRequest &request) = 0;

    /// For each value of request.values, the swept feature's clamp at that value (the rest of
    /// the set unchanged): log p(target) after the prompt and KL to the unclamped distribution.
    /// A sliced job (progress, cancel): strengthSweepPoint() per value, then
    /// strengthSweepFinished(). Tagged "steer-sweep".
    virtual RequestId sweepStrength(const StrengthSweepRequest &request) = 0;

    /// Minimum, maximum and last-token activation of features on a prompt (BOS excluded):
    /// featureRangesReady(). Tagged "steer-ranges".
    virtual RequestId featureRanges(const FeatureRangeRequest &request) = 0;

    // --- contrasts, RSA, method comparison ---

    /// RSA dock: the item × item RDM of request.set at a hook (raw or SAE features, pooled,
    /// feature subset), the model RDMs of its factors compared by item-label permutations and a
    /// bootstrap CI, a 2-D MDS embedding, and with request.intervention the RDM recomputed with
    /// the clamp set spliced in. Runs in slices (progress, cancel); emits rsaComputed() once.
    /// Tagged "rsa": a newer request replaces a queued one.
    virtual RequestId computeRsa(const RsaRequest &request) = 0;
    /// Contrasts dock: a univariate contrast per feature (two levels, or the 2 × 2 main effects
    /// and interaction) of the items × features table that `source` describes; emits
    /// contrastReady. Tagged "contrast" (latest wins).
    virtual RequestId runContrast(const ContrastSource &source) = 0;
    /// Discriminative and categorical RSA and the max-activation contrast of every feature
    /// between the source's two levels; emits featureRsaMapReady. Tagged "feature-rsa-map".
    virtual RequestId computeFeatureRsaMap(const ContrastSource &source) = 0;
    /// The cross-validated comparison of selection methods as a long job (slices, progress,
    /// cancel); emits methodComparisonReady at the end.
    virtual RequestId compareMethods(const MethodComparisonRequest &request) = 0;
    /// The replication report of the original project's three claims on request.source's prompt
    /// set with the loaded model and SAE (gpu/analysis/replication_run.h, the code of `gyrus-cli
    /// replicate`): four representations, a method comparison on each, the paired tests, then
    /// the report written to request.outputDirectory. Slices with stage progress and ETA;
    /// cancel stops it between slices. Emits replicationWritten at the end.
    virtual RequestId replicate(const ReplicationRequest &request) = 0;
    /// The model's part of the LLM-judged method comparison (core/contrasts/method_text_ranking.h,
    /// the stepper `gyrus-cli judge-methods` drives): for raw activations at the SAE's hook and the
    /// SAE's features, each method's k features, their classifier and the corpus lines it ranks
    /// highest. Slices with stage progress and ETA; cancel stops it between slices. Emits
    /// textRankingReady at the end.
    virtual RequestId rankCorpusTexts(const TextRankingRequest &request) = 0;

    // --- workspaces, checkpoints ---

    /// Evaluates an SAE directory on held-out text with the loaded model (the SAE must read one
    /// of its hooks): caches request.tokens activations at the SAE's hook for explained
    /// variance, MSE, L0, dead and dense fractions, then splices it into the model on
    /// request.sequences windows for CE-loss recovered. Runs in slices with progress; cancel
    /// stops it between slices. Reports saeEvaluated() once.
    virtual RequestId evaluateSae(const SaeEvalRequest &request) = 0;

    // --- auto-interpretation ---

    /// The loaded model answers a conversation as an instruct model (the explainer/judge's
    /// "engine" endpoint, core/llm/engine_chat_backend.h): the messages rendered with the chat
    /// template of its tokenizer_config.json, then generated one token per slice (greedy at
    /// temperature 0, seeded sampling otherwise) until EOS, the end-of-turn token or
    /// request.maxTokens; emits chatReplied() once. InvalidInput when the model has no chat
    /// template. Untagged: every request is answered.
    virtual RequestId chat(const ChatRequest &request) = 0;

    // --- why the model said that (the Attribution dock; gpu/analysis/attribution.h,
    // logit_lens.h and attention_patterns.h, the functions of `gyrus-cli attribute`, `logit-lens`
    // and `attention`) ---

    /// Attributes one output on request.prompt to every active feature of the loaded SAE at
    /// every position (one forward and one backward): attributionReady(). Tagged "attribute"
    /// (latest wins). Fails without a model and SAE, or for a target token that is not one token.
    virtual RequestId attribute(const AttributionRequest &request) = 0;
    /// Ablates the largest features of an attribution one at a time, a few per slice (progress,
    /// cancel): ablationChecked() for each, the real change beside the linear estimate. Fails
    /// when the SAE or model that made the attribution was replaced.
    virtual RequestId verifyAttribution(const AblationRequest &request) = 0;
    /// Every layer's residual stream decoded at every position: logitLensReady(). Tagged
    /// "logit-lens".
    virtual RequestId computeLogitLens(const LogitLensRequest &request) = 0;
    /// Every layer's attention patterns on request.prompt: attentionReady(). Tagged
    /// "attention".
    virtual RequestId computeAttention(const AttentionRequest &request) = 0;

    /// Activation patching across request.set's minimal pairs (gpu/analysis/
    /// activation_patching.h, the code of `gyrus-cli patch`): one pair's forwards or one layer of
    /// patched forwards per slice (progress with ETA, cancel), then patchingReady(). Tagged
    /// "patch". Fails without a model, for a set without pairs, or for a token that is not one.
    virtual RequestId patchMinimalPairs(const PatchingRequest &request) = 0;

    // --- the Features dock's search and the Steering dock's concept sweep ---

    /// Searches the loaded SAE's features (gpu/analysis/feature_search.h, the code of `gyrus-cli
    /// search-features`) with the inspector's corpus scan when it has one; with request.concept,
    /// by decoder cosine with that contrast's concept vector at the SAE's hook. One slice:
    /// featureSearchReady(). Tagged "feature-search".
    virtual RequestId searchFeatures(const FeatureSearchRequest &request) = 0;
    /// Steering by a concept vector vs by its top contrast features over α (gpu/sae/
    /// concept_sweep.h, the code of `gyrus-cli concept-sweep`): the vector and features, the
    /// baseline, then one α per slice (progress with ETA, cancel); conceptSweepReady() at the
    /// end. Tagged "steer-concept-sweep". Fails without a model and SAE.
    virtual RequestId sweepConceptSteering(const ConceptSweepRequest &request) = 0;

    /// Thread-safe, non-blocking. A running job stops at its next check point.
    virtual void cancel(RequestId id) = 0;
    virtual void cancelAll() = 0;

    /// The model now loaded (empty name when none). GUI thread.
    virtual ModelInfo currentModel() const = 0;
    /// The SAE now loaded (empty path when none). GUI thread.
    virtual SaeInfo currentSae() const = 0;

Q_SIGNALS:
    void started(gyrus::RequestId id, const QString &what);
    void progress(gyrus::RequestId id, const gyrus::JobProgress &progress);
    void finished(gyrus::RequestId id, const gyrus::Status &status);
    void modelLoaded(gyrus::RequestId id, const gyrus::ModelInfo &info);
    /// One generated token's text (its display form), in order.
    void tokenGenerated(gyrus::RequestId id, const QString &text);
    void saeTrainingProgress(gyrus::RequestId id, const gyrus::SaeTrainMetrics &progress);
    void saeTrainingEnded(gyrus::RequestId id, const gyrus::SaeTrainOutcome &outcome);
    void activationsCached(gyrus::RequestId id, const gyrus::ActivationCacheOutcome &outcome);
    void saeLoaded(gyrus::RequestId id, const gyrus::SaeInfo &info);

    // --- token heatmap, feature inspector, steering signals ---
    void tokenAnalysisReady(gyrus::RequestId id, const gyrus::TokenAnalysisPtr &analysis);
    void corpusScanReady(gyrus::RequestId id, const gyrus::CorpusScanSummary &summary);
    void featureDetailsReady(gyrus::RequestId id, const gyrus::FeatureDetailsPtr &details);

    void steeringToken(gyrus::RequestId id, gyrus::SteeringStream stream, const QString &text);
    void steeringFinished(gyrus::RequestId id, const gyrus::SteeringOutcome &outcome);
    void nextTokenShift(gyrus::RequestId id, const gyrus::NextTokenShift &shift);
    void strengthSweepPoint(gyrus::RequestId id, const gyrus::StrengthSweepPoint &point);
    void strengthSweepFinished(gyrus::RequestId id, const gyrus::StrengthSweepResult &result);
    void featureRangesReady(gyrus::RequestId id, const gyrus::FeatureRanges &ranges);

    // --- contrasts, RSA signals ---
    void contrastReady(gyrus::RequestId id, const gyrus::ContrastAnalysisResultPtr &result);
    void featureRsaMapReady(gyrus::RequestId id, const gyrus::FeatureRsaMapPtr &map);
    void methodComparisonReady(gyrus::RequestId id, const gyrus::MethodComparisonResultPtr &result);
    void replicationWritten(gyrus::RequestId id, const gyrus::ReplicationOutcome &outcome);
    void textRankingReady(gyrus::RequestId id, const gyrus::MethodTextRankingsPtr &rankings);

    void rsaComputed(gyrus::RequestId id, std::shared_ptr<const gyrus::RsaResult> result);

    // --- workspaces, checkpoints signals ---

    void saeEvaluated(gyrus::RequestId id, const gyrus::SaeEvalResult &result);

    void chatReplied(gyrus::RequestId id, const gyrus::ChatReply &reply);

    void attributionReady(gyrus::RequestId id, const gyrus::AttributionOutcomePtr &outcome);
    void ablationChecked(gyrus::RequestId id, const gyrus::AblationCheck &check);
    void logitLensReady(gyrus::RequestId id, const gyrus::LogitLensOutcomePtr &outcome);
    void attentionReady(gyrus::RequestId id, const gyrus::AttentionOutcomePtr &outcome);
    void patchingReady(gyrus::RequestId id, const gyrus::PatchingOutcomePtr &outcome);
    void featureSearchReady(gyrus::RequestId id, const gyrus::FeatureSearchResult &result);
    void conceptSweepReady(gyrus::RequestId id, const gyrus::ConceptSweepResult &result);

    /// No request is queued or running.
    void idle();
};

}  // namespace gyrus
