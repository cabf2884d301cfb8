// TorchEngineClient's Attribution dock requests: thin adapters over gpu/analysis/attribution.h,
// logit_lens.h and attention_patterns.h, the functions `gyrus-cli attribute`, `logit-lens` and
// `attention` call, so the dock and the CLI agree. Attribution, the logit lens and the patterns
// are one forward (and one backward) each: one slice. Verification is one forward per feature,
// batched a few per slice so it shows progress and stops on cancel.

#include "gpu/analysis/attention_patterns.h"
#include "gpu/analysis/attribution.h"
#include "gpu/analysis/logit_lens.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>

namespace gyrus::gpu {

namespace {

// Ablations per slice of a verification: each is a forward up to the target position.
constexpr int kAblationsPerSlice = 4;

Result<std::vector<int>> promptTokens(const LanguageModel &model, const QString &prompt)
{
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
                if (Status ready = state->requireSae(); !ready.isOk()) {
                    *status = ready;
                    return JobStep::Done;
                }
                const LanguageModel &model = *state->model;
                Result<std::vector<int>> tokens = promptTokens(model, request.prompt);
                Result<int> token =
                        singleToken(model, request.targetToken, QStringLiteral("target token"));
                Result<int> versus =
                        singleToken(model, request.versusToken, QStringLiteral("subtracted token"));
                if (!tokens || !token || !versus) {
                    *status =
                            !tokens ? tokens.status() : (!token ? token.status() : versus.status());
                    return JobStep::Done;
                }
                AttributionTarget target;
                target.position = request.position;
                target.token = token.value();
                target.versus = versus.value();
                if (target.versus >= 0) {
                    target.kind = AttributionTarget::Kind::LogitDifference;
                }
                context.reportProgress(0.0, QStringLiteral("forward and backward"));
                Result<AttributionResult> result =
                        attributeFeatures(model, *state->sae, tokens.value(), target);
                if (!result) {
                    *status = result.status();
                    return JobStep::Done;
                }
                auto outcome = std::make_shared<AttributionOutcome>();
                outcome->result = std::move(result).value();
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
                    if (Status ready = state->requireModel(); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    const LanguageModel &model = *state->model;
                    Result<std::vector<int>> tokens = promptTokens(model, request.prompt);
                    if (!tokens) {
                        *status = tokens.status();
                        return JobStep::Done;
                    }
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
    return m_runner.submit(
            Job{QStringLiteral("attention patterns"), QStringLiteral("attention"),
                [this, state, request](JobContext &context, Status *status) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (Status ready = state->requireModel(); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    const LanguageModel &model = *state->model;
                    Result<std::vector<int>> tokens = promptTokens(model, request.prompt);
                    if (!tokens) {
                        *status = tokens.status();
                        return JobStep::Done;
                    }
                    Result<AttentionPatterns> patterns = attentionPatterns(model, tokens.value());
                    if (!patterns) {
                        *status = patterns.status();
                        return JobStep::Done;
                    }
                    auto outcome = std::make_shared<AttentionOutcome>();
                    AttentionPatterns &read = patterns.value();
                    outcome->tokens = std::move(read.tokens);
                    outcome->layers = std::move(read.layers);
                    for (FloatTensor &pattern : read.patterns) {
                        outcome->heads = static_cast<int>(pattern.shape.at(0));
                        outcome->patterns.push_back(std::move(pattern.values));
                    }
                    addPieces(model, outcome->tokens, &outcome->pieces);
                    Q_EMIT attentionReady(context.id(), AttentionOutcomePtr(outcome));
                    return JobStep::Done;
                }});
}

}  // namespace gyrus::gpu
