// TorchEngineClient's Attribution dock requests: thin adapters over gpu/analysis/attribution.h,
// logit_lens.h, attention_patterns.h and activation_patching.h, the functions `gyrus-cli
// attribute`, `logit-lens`, `attention` and `patch` call, so the dock and the CLI agree.
// Attribution, the logit lens and the patterns are one forward (and one backward) each: one
// slice. Verification is one forward per feature, batched a few per slice so it shows progress
// and stops on cancel; patching drives its stepper, one pair's forwards or one layer of patched
// forwards per slice.

#include "core/base/remaining_time.h"
#include "core/engine/hook_layer.h"
#include "core/sae/sae_model_check.h"
#include "gpu/analysis/activation_patching.h"
#include "gpu/analysis/attention_patterns.h"
#include "gpu/analysis/attribution.h"
#include "gpu/analysis/logit_lens.h"
#include "gpu/engine/cards.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/stepped_job.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/sae_io.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>

namespace gyrus::gpu {

namespace {

// Ablations per slice of a verification: each is a forward up to the target position.
constexpr int kAblationsPerSlice = 4;

/// What every request of the dock starts with: the readiness check (a model, and with
/// `needsSae` an SAE that fits it) and the prompt's tokens.
Result<std::vector<int>> readyPrompt(const EngineState &state, const QString &prompt, bool needsSae)
{
    if (Status ready = needsSae ? state.requireSae() : state.requireModel(); !ready.isOk()) {
        return ready;
    }
    const LanguageModel &model = *state.model;
    if (prompt.trimmed().isEmpty()) {
        return Status::invalidInput(QStringLiteral("the prompt is empty: type one"));
    }
    if (!model.info().hasTokenizer) {
        return Status::invalidInput(QStringLiteral(
                "the loaded model has no tokenizer: a typed prompt cannot be encoded"));
    }
    return model.encode(prompt, /*addBos=*/true);
}

// One token from its text (as `gyrus-cli attribute --target`); -1 for an empty text.
Result<int> singleToken(const LanguageModel &model, const QString &text, const QString &what)
{
    if (text.isEmpty()) {
        return -1;
    }
    Result<std::vector<int>> ids = model.encode(text, /*addBos=*/false);
    if (!ids) {
        return ids.status();
    }
    if (ids->size() != 1) {
        return Status::invalidInput(QStringLiteral("the %1 '%2' is %3 tokens, not one")
                                            .arg(what, text)
                                            .arg(ids->size()));
    }
    return ids->front();
}

void addPieces(const LanguageModel &model, const std::vector<int> &tokens, TokenPieces *pieces)
{
    for (const int id : tokens) {
        if (id >= 0 && !pieces->contains(id)) {
            pieces->insert(id, model.tokenizer().displayPiece(id));
        }
    }
}

/// An extra SAE of the Attribution dock (another layer's), loaded once per model onto the
/// model's device and checked against it like the Model dock's: its hook and width fit, and it
/// tokenises as the loaded SAE does (the SAEs share one forward).
Result<std::shared_ptr<detail::SaeModule>> attributionSae(EngineState &state, const QString &path)
{
    if (state.attributionSaesEpoch != state.modelEpoch) {
        state.attributionSaes.clear();
        state.attributionSaesEpoch = state.modelEpoch;
    }
    std::shared_ptr<detail::SaeModule> &cached = state.attributionSaes[path];
    if (!cached) {
        const QString device = state.modelCard.device;
        Result<std::shared_ptr<detail::SaeModule>> loaded = gpu::loadSae(path, device);
        if (!loaded) {
            state.attributionSaes.erase(path);
            return loaded.status();
        }
        cached = loaded.value();
    }
    const SaeInfo card = saeCard(*cached, path, state.modelCard.device);
    if (card.hookName.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("%1: names no hook point, so it cannot be spliced into the model")
                        .arg(path));
    }
    // Its messages name the SAE's directory.
    const SaeModelCheck check = checkSaeAgainstModel(card, state.modelCard);
    if (!check.ok()) {
        return Status::invalidInput(check.errors.join(QStringLiteral("; ")));
    }
    const SaeConventions own = saeConventions(card);
    const SaeConventions loadedOne = saeConventions(state.saeInfo);
    if (own.prependBos != loadedOne.prependBos ||
        own.centreResiduals != loadedOne.centreResiduals) {
        return Status::invalidInput(
                QStringLiteral("%1: its prepend_bos or centring differs from the loaded SAE's, "
                               "so it cannot share its forward")
                        .arg(path));
    }
    return cached;
}

}  // namespace

RequestId TorchEngineClient::attribute(const AttributionRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("attribute"), QStringLiteral("attribute"),
            [this, state, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                Result<std::vector<int>> tokens =
                        readyPrompt(*state, request.prompt, /*needsSae=*/true);
                if (!tokens) {
                    *status = tokens.status();
                    return JobStep::Done;
                }
                const LanguageModel &model = *state->model;
                Result<int> token =
                        singleToken(model, request.targetToken, QStringLiteral("target token"));
                Result<int> versus =
                        singleToken(model, request.versusToken, QStringLiteral("subtracted token"));
                if (!token || !versus) {
                    *status = !token ? token.status() : versus.status();
                    return JobStep::Done;
                }
                AttributionTarget target;
                target.position = request.position;
                target.token = token.value();
                target.versus = versus.value();
                if (target.versus >= 0) {
                    target.kind = AttributionTarget::Kind::LogitDifference;
                }
                // An extra SAE that cannot join (missing, unreadable, made for another model,
                // tokenising unlike the loaded one) is left out with a line naming it; the loaded
                // SAE and the other extras are attributed anyway.
                auto outcome = std::make_shared<AttributionOutcome>();
                std::vector<std::shared_ptr<detail::SaeModule>> extra;
                QStringList extraPaths;
                for (const QString &path : request.extraSaes) {
                    Result<std::shared_ptr<detail::SaeModule>> sae = attributionSae(*state, path);
                    if (!sae) {
                        outcome->skippedSaes.append(sae.status().message());
                        continue;
                    }
                    extra.push_back(sae.value());
                    extraPaths.append(path);
                }
                std::vector<const detail::SaeModule *> saes{state->sae.get()};
                for (const auto &sae : extra) {
                    saes.push_back(sae.get());
                }
                context.reportProgress(0.0, QStringLiteral("forward and backward"));
                Result<std::vector<AttributionResult>> results =
                        attributeFeatures(model, saes, tokens.value(), target);
                if (!results) {
                    *status = results.status();
                    return JobStep::Done;
                }
                outcome->result = std::move(results.value().front());
                for (size_t i = 0; i < extra.size(); ++i) {
                    SaeAttribution share;
                    share.path = extraPaths[int(i)];
                    share.name = saeCard(*extra[i], share.path, state->modelCard.device).name;
                    share.result = std::move(results.value()[i + 1]);
                    share.layer = hookLayer(share.result.hook);
                    outcome->extra.push_back(std::move(share));
                }
                outcome->saeName = state->saeInfo.name;
                outcome->modelEpoch = state->modelEpoch;
                outcome->saeEpoch = state->saeEpoch;
                addPieces(model, outcome->result.tokens, &outcome->pieces);
                addPieces(model, {outcome->result.target.token, outcome->result.target.versus},
                          &outcome->pieces);
                Q_EMIT attributionReady(context.id(), AttributionOutcomePtr(outcome));
                return JobStep::Done;
            }});
}

RequestId TorchEngineClient::verifyAttribution(const AblationRequest &request)
{
    struct Run
    {
        int next = 0;  // the first feature not yet ablated
        int count = 0;
        QElapsedTimer clock;  // for the ETA
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(Job{
            QStringLiteral("verify attribution"), QStringLiteral("verify-attribution"),
            [this, state, run, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                const AttributionOutcomePtr &attribution = request.attribution;
                if (!attribution) {
                    *status = Status::invalidInput(QStringLiteral("nothing attributed yet"));
                    return JobStep::Done;
                }
                if (Status ready = state->requireSae(attribution->result.hook); !ready.isOk()) {
                    *status = ready;
                    return JobStep::Done;
                }
                // Checked every slice: a load between slices makes the features other ones.
                if (state->modelEpoch != attribution->modelEpoch ||
                    state->saeEpoch != attribution->saeEpoch) {
                    *status = Status::invalidInput(QStringLiteral(
                            "the model or SAE changed since this attribution: attribute again"));
                    return JobStep::Done;
                }
                const AttributionResult &full = attribution->result;
                run->count = std::min<int>(std::max(0, request.count),
                                           static_cast<int>(full.features.size()));
                if (run->next >= run->count) {
                    return JobStep::Done;
                }
                if (!run->clock.isValid()) {
                    run->clock.start();
                }
                // verifyByAblation ablates its argument's first features: hand it this slice's.
                AttributionResult slice;
                slice.hook = full.hook;
                slice.tokens = full.tokens;
                slice.target = full.target;
                slice.value = full.value;
                const int end = std::min(run->next + kAblationsPerSlice, run->count);
                slice.features.assign(full.features.begin() + run->next,
                                      full.features.begin() + end);
                Result<std::vector<AblationCheck>> checks = verifyByAblation(
                        *state->model, *state->sae, slice, static_cast<int>(slice.features.size()));
                if (!checks) {
                    *status = checks.status();
                    return JobStep::Done;
                }
                for (const AblationCheck &check : checks.value()) {
                    Q_EMIT ablationChecked(context.id(), check);
                }
                run->next = end;
                const double left = run->clock.elapsed() / 1000.0 / end * (run->count - end);
                context.reportProgress(double(end) / run->count,
                                       QStringLiteral("%1 / %2 features ablated · ETA %3 s")
                                               .arg(end)
                                               .arg(run->count)
                                               .arg(std::ceil(left), 0, 'f', 0));
                return end < run->count ? JobStep::Continue : JobStep::Done;
            }});
}

RequestId TorchEngineClient::computeLogitLens(const LogitLensRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(
            Job{QStringLiteral("logit lens"), QStringLiteral("logit-lens"),
                [this, state, request](JobContext &context, Status *status) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    Result<std::vector<int>> tokens =
                            readyPrompt(*state, request.prompt, /*needsSae=*/false);
                    if (!tokens) {
                        *status = tokens.status();
                        return JobStep::Done;
                    }
                    const LanguageModel &model = *state->model;
                    Result<LogitLensResult> lens = logitLens(model, tokens.value(), request.top);
                    if (!lens) {
                        *status = lens.status();
                        return JobStep::Done;
                    }
                    auto outcome = std::make_shared<LogitLensOutcome>();
                    LogitLensResult &decoded = lens.value();
                    outcome->tokens = std::move(decoded.tokens);
                    outcome->rows = decoded.rows;
                    outcome->cells = std::move(decoded.cells);
                    addPieces(model, outcome->tokens, &outcome->pieces);
                    for (const std::vector<LogitLensCell> &row : outcome->cells) {
                        for (const LogitLensCell &cell : row) {
                            addPieces(model, cell.topTokens, &outcome->pieces);
                        }
                    }
                    Q_EMIT logitLensReady(context.id(), LogitLensOutcomePtr(outcome));
                    return JobStep::Done;
                }});
}

RequestId TorchEngineClient::computeAttention(const AttentionRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{QStringLiteral("attention patterns"), QStringLiteral("attention"),
                               [this, state, request](JobContext &context, Status *status) {
                                   if (context.isCancelled()) {
                                       return JobStep::Done;
                                   }
                                   Result<std::vector<int>> tokens =
                                           readyPrompt(*state, request.prompt, /*needsSae=*/false);
                                   if (!tokens) {
                                       *status = tokens.status();
                                       return JobStep::Done;
                                   }
                                   const LanguageModel &model = *state->model;
                                   // One layer when asked for one: the others' patterns are never
                                   // materialised.
                                   QList<int> layers;
                                   if (request.layer >= 0) {
                                       layers << request.layer;
                                   }
                                   Result<AttentionPatterns> patterns =
                                           attentionPatterns(model, tokens.value(), layers);
                                   if (!patterns) {
                                       *status = patterns.status();
                                       return JobStep::Done;
                                   }
                                   auto outcome = std::make_shared<AttentionOutcome>();
                                   AttentionPatterns &read = patterns.value();
                                   outcome->tokens = std::move(read.tokens);
                                   outcome->layers = std::move(read.layers);
                                   outcome->layerCount = model.config().numHiddenLayers;
                                   for (FloatTensor &pattern : read.patterns) {
                                       outcome->heads = static_cast<int>(pattern.shape.at(0));
                                       outcome->patterns.push_back(std::move(pattern.values));
                                   }
                                   addPieces(model, outcome->tokens, &outcome->pieces);
                                   Q_EMIT attentionReady(context.id(),
                                                         AttentionOutcomePtr(outcome));
                                   return JobStep::Done;
                               }});
}

RequestId TorchEngineClient::patchMinimalPairs(const PatchingRequest &request)
{
    const bool features = !request.options.features.empty();
    SteppedJob<ActivationPatchingRun> job;
    job.name = QStringLiteral("activation patching");
    job.tag = QStringLiteral("patch");
    job.needs = features ? EngineNeeds::Sae : EngineNeeds::Model;
    job.during = QStringLiteral("patching");
    job.start = [request,
                 features](EngineState &state) -> Result<std::unique_ptr<ActivationPatchingRun>> {
        const LanguageModel &model = *state.model;
        Result<int> token = singleToken(model, request.targetToken, QStringLiteral("target token"));
        Result<int> versus =
                singleToken(model, request.versusToken, QStringLiteral("versus token"));
        if (!token || !versus) {
            return !token ? token.status() : versus.status();
        }
        if ((token.value() < 0) != (versus.value() < 0)) {
            return Status::invalidInput(
                    QStringLiteral("give both tokens of the logit difference, or neither (each "
                                   "pair's own top next tokens)"));
        }
        PatchingOptions options = request.options;
        options.token = token.value();
        options.versus = versus.value();
        return ActivationPatchingRun::start(model, request.set, options,
                                            features ? state.sae : nullptr);
    };
    job.stage = [](const ActivationPatchingRun &run) { return run.stage(); };
    std::shared_ptr<EngineState> state = m_state;
    job.finish = [this, state, request](ActivationPatchingRun &run, JobContext &context) {
        Result<PatchingResult> result = run.finish();
        if (!result) {
            return result.status();
        }
        auto outcome = std::make_shared<PatchingOutcome>();
        outcome->result = std::move(result).value();
        for (const PromptItem &item : request.set.items) {
            outcome->itemIds << item.id;
            outcome->itemTexts << item.text;
        }
        const Tokenizer &tokenizer = state->model->tokenizer();
        const auto addPiece = [&](int id) {
            if (id >= 0 && !outcome->pieces.contains(id)) {
                outcome->pieces.insert(id, tokenizer.displayPiece(id));
            }
        };
        for (const PairPatching &pair : outcome->result.pairs) {
            for (const int id : pair.sourceTokens) {
                addPiece(id);
            }
            for (const int id : pair.partnerTokens) {
                addPiece(id);
            }
            addPiece(pair.token);
            addPiece(pair.versus);
        }
        Q_EMIT patchingReady(context.id(), PatchingOutcomePtr(outcome));
        return Status::ok();
    };
    return m_runner.submit(steppedJob(m_state, std::move(job)));
}

}  // namespace gyrus::gpu
