// TorchEngineClient's steering requests (issue 8, click-to-clamp). Each runs the shared code of
// gpu/sae/steering.h, which `gyrus-cli generate --clamp` runs too, so GUI and CLI agree.

#include "gpu/detail/sae_module.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/clamp_splice.h"
#include "gpu/sae/steering.h"

#include <QElapsedTimer>

#include <algorithm>

namespace gyrus::gpu {

namespace {

GenerateOptions optionsFor(const SteeringRequest &request)
{
    GenerateOptions options;
    options.maxNewTokens = request.maxNewTokens;
    options.temperature = request.temperature;
    options.topP = request.topP;
    options.topK = request.topK;
    options.seed = request.seed;
    return options;
}

/// The model, and the SAE when `clamps` needs one; an error Status says what to load.
Status readyFor(const EngineState &state, const ClampSet &clamps)
{
    if (!state.model) {
        return Status::invalidInput(QStringLiteral("no model loaded: open one first"));
    }
    if (clamps.isEmpty()) {
        return Status::ok();
    }
    if (!state.sae) {
        return Status::invalidInput(
                QStringLiteral("the clamp set edits SAE features but no SAE is loaded: load one"));
    }
    return validateClampSet(clamps, state.sae->config().dSae);
}

QList<int> toList(const std::vector<int> &values)
{
    return QList<int>(values.begin(), values.end());
}

}  // namespace

RequestId TorchEngineClient::steer(const SteeringRequest &request)
{
    struct Run
    {
        int stage = 0;  // 0: baseline, 1: steered
        SteeringOutcome outcome;
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(
            Job{QStringLiteral("steer"), QStringLiteral("steer"),
                [this, state, run, request](JobContext &context, Status *status) {
                    if (Status ready = readyFor(*state, request.clamps); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    const RequestId id = context.id();
                    const bool steered = run->stage == 1;
                    const SteeringStream stream =
                            steered ? SteeringStream::Steered : SteeringStream::Baseline;
                    // One generation per slice, so requests queued meanwhile are served between.
                    Result<GenerateResult> result = generateClamped(
                            *state->model, state->sae, steered ? request.clamps : ClampSet(),
                            request.prompt, optionsFor(request),
                            [this, id, stream, &context](const GeneratedToken &token) {
                                if (!token.text.isEmpty()) {
                                    Q_EMIT steeringToken(id, stream, token.text);
                                }
                                return !context.isCancelled();
                            });
                    if (!result) {
                        *status = result.status();
                        return JobStep::Done;
                    }
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    if (!steered) {
                        run->outcome.baselineText = result->text;
                        run->outcome.baselineTokens = toList(result->tokens);
                        run->stage = 1;
                        return JobStep::Continue;
                    }
                    run->outcome.steeredText = result->text;
                    run->outcome.steeredTokens = toList(result->tokens);
                    Q_EMIT steeringFinished(id, run->outcome);
                    return JobStep::Done;
                }});
}

RequestId TorchEngineClient::compareNextToken(const NextTokenRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(
            Job{QStringLiteral("next-token shift"), QStringLiteral("steer-next-token"),
                [this, state, request](JobContext &context, Status *status) {
                    if (Status ready = readyFor(*state, request.clamps); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    Result<std::vector<int>> tokens = state->model->encode(request.prompt);
                    if (!tokens) {
                        *status = tokens.status();
                        return JobStep::Done;
                    }
                    auto before = nextTokenLogProbabilities(*state->model, state->sae, ClampSet(),
                                                            tokens.value());
                    auto after = nextTokenLogProbabilities(*state->model, state->sae,
                                                           request.clamps, tokens.value());
                    if (!before || !after) {
                        *status = before ? after.status() : before.status();
                        return JobStep::Done;
                    }
                    NextTokenShift shift =
                            gpu::compareNextToken(before.value(), after.value(), request.topTokens,
                                                  state->model->tokenizer());
                    shift.promptTokens = static_cast<int>(tokens->size());
                    Q_EMIT nextTokenShift(context.id(), shift);
                    return JobStep::Done;
                }});
}

RequestId TorchEngineClient::sweepStrength(const StrengthSweepRequest &request)
{
    struct Run
    {
        bool prepared = false;
        std::vector<int> tokens;
        std::vector<float> baseline;
        int next = 0;
        StrengthSweepResult result;
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(
            Job{QStringLiteral("strength sweep"), QStringLiteral("steer-sweep"),
                [this, state, run, request](JobContext &context, Status *status) {
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    ClampSet clamps = request.clamps;
                    FeatureClamp swept = request.swept;
                    swept.enabled = true;
                    const int index = clamps.indexOf(swept.feature);
                    if (index < 0) {
                        clamps.clamps.append(swept);
                    }
                    if (!run->prepared) {
                        if (Status ready = readyFor(*state, clamps); !ready.isOk()) {
                            *status = ready;
                            return JobStep::Done;
                        }
                        Result<std::vector<int>> tokens = state->model->encode(request.prompt);
                        if (!tokens) {
                            *status = tokens.status();
                            return JobStep::Done;
                        }
                        run->tokens = tokens.value();
                        auto baseline = nextTokenLogProbabilities(*state->model, state->sae,
                                                                  ClampSet(), run->tokens);
                        if (!baseline) {
                            *status = baseline.status();
                            return JobStep::Done;
                        }
                        run->baseline = baseline.value();
                        int target = static_cast<int>(
                                std::max_element(run->baseline.begin(), run->baseline.end()) -
                                run->baseline.begin());
                        if (!request.targetToken.isEmpty()) {
                            Result<std::vector<int>> ids =
                                    state->model->encode(request.targetToken, false);
                            if (!ids || ids->empty()) {
                                *status = Status::invalidInput(
                                        QStringLiteral("target token '%1' encodes to no token")
                                                .arg(request.targetToken));
                                return JobStep::Done;
                            }
                            target = ids->front();
                        }
                        run->result.targetId = target;
                        run->result.targetPiece = state->model->tokenizer().displayPiece(target);
                        run->result.baselineLogProbability = run->baseline[target];
                        run->prepared = true;
                        return JobStep::Continue;
                    }
                    QElapsedTimer slice;
                    slice.start();
                    while (run->next < request.values.size() && slice.elapsed() < 100 &&
                           !context.isCancelled()) {
                        swept.value = request.values.at(run->next);
                        if (index >= 0) {
                            clamps.clamps[index] = swept;
                        } else {
                            clamps.clamps.back() = swept;
                        }
                        auto after = nextTokenLogProbabilities(*state->model, state->sae, clamps,
                                                               run->tokens);
                        if (!after) {
                            *status = after.status();
                            return JobStep::Done;
                        }
                        StrengthSweepPoint point;
                        point.value = swept.value;
                        point.logProbability = after.value()[run->result.targetId];
                        point.kl = klDivergence(run->baseline, after.value());
                        run->result.points.append(point);
                        Q_EMIT strengthSweepPoint(context.id(), point);
                        ++run->next;
                        context.reportProgress(double(run->next) / request.values.size(),
                                               QStringLiteral("value %1 / %2")
                                                       .arg(run->next)
                                                       .arg(request.values.size()));
                    }
                    if (run->next < request.values.size()) {
                        return JobStep::Continue;
                    }
                    Q_EMIT strengthSweepFinished(context.id(), run->result);
                    return JobStep::Done;
                }});
}

RequestId TorchEngineClient::featureRanges(const FeatureRangeRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("feature ranges"), QStringLiteral("steer-ranges"),
            [this, state, request](JobContext &context, Status *status) {
                if (!state->model || !state->sae) {
                    *status = Status::invalidInput(
                            QStringLiteral("feature ranges need a model and an SAE: load both"));
                    return JobStep::Done;
                }
                Result<std::vector<int>> tokens = state->model->encode(request.prompt);
                if (!tokens) {
                    *status = tokens.status();
                    return JobStep::Done;
                }
                Result<FeatureRanges> ranges = featureRangesOnPrompt(
                        *state->model, *state->sae, tokens.value(), request.features);
                if (!ranges) {
                    *status = ranges.status();
                    return JobStep::Done;
                }
                Q_EMIT featureRangesReady(context.id(), ranges.value());
                return JobStep::Done;
            }});
}

}  // namespace gyrus::gpu
