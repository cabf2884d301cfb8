// TorchEngineClient's steering requests (click-to-clamp): thin adapters over
// gpu/sae/steering/steering.h and SteeringRun, which `gyrus-cli generate --clamp` runs too, so GUI
// and CLI agree.

#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_splice.h"
#include "gpu/sae/steering/steering.h"
#include "gpu/sae/steering/steering_run.h"

#include <QElapsedTimer>

#include <algorithm>

namespace gyrus::gpu {

namespace {

/// The model, and an SAE that fits it when `clamps` edits features.
Status requireFor(const EngineState &state, const ClampSet &clamps)
{
    return clamps.isEmpty() ? state.requireModel() : state.requireSae();
}

}  // namespace

RequestId TorchEngineClient::steer(const SteeringRequest &request)
{
    struct Run
    {
        std::unique_ptr<SteeringRun> steering;
        quint64 modelEpoch = 0;  // the model the run generates with
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(Job{
            QStringLiteral("steer"), QStringLiteral("steer"),
            [this, state, run, request](JobContext &context, Status *status) {
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (!run->steering) {
                    if (Status ready = requireFor(*state, request.clamps); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    // A concept vector from the prompt set is computed here, once per run.
                    Result<Interventions> interventions =
                            withConceptVectors(*state->model, request.interventions);
                    if (!interventions) {
                        *status = interventions.status();
                        return JobStep::Done;
                    }
                    SteeringRequest resolved = request;
                    resolved.interventions = interventions.value();
                    Result<std::unique_ptr<SteeringRun>> started =
                            SteeringRun::start(*state->model, state->modelEpoch, state->sae,
                                               resolved, &state->steeringBaseline);
                    if (!started) {
                        *status = started.status();
                        return JobStep::Done;
                    }
                    run->steering = std::move(started).value();
                    run->modelEpoch = state->modelEpoch;
                }
                if (state->modelEpoch != run->modelEpoch) {
                    // A load between two tokens replaced the model the KV cache belongs to.
                    *status = Status::cancelled(
                            QStringLiteral("steering stopped: the model was replaced"));
                    return JobStep::Done;
                }
                // One token per slice, so requests queued meanwhile are served between tokens.
                SteeringRun &steering = *run->steering;
                Result<SteeringPiece> piece = steering.step();
                if (!piece) {
                    *status = piece.status();
                    return JobStep::Done;
                }
                if (!piece->text.isEmpty()) {
                    Q_EMIT steeringToken(context.id(), piece->stream, piece->text);
                }
                context.reportProgress(
                        double(steering.tokensDone()) / qMax(1, steering.tokensTotal()),
                        piece->stream == SteeringStream::Baseline
                                ? QStringLiteral("baseline, %1 tokens").arg(steering.tokensDone())
                                : QStringLiteral("steered, %1 tokens").arg(steering.tokensDone()));
                if (!steering.isFinished()) {
                    return JobStep::Continue;
                }
                Q_EMIT steeringFinished(context.id(), steering.outcome());
                return JobStep::Done;
            }});
}

RequestId TorchEngineClient::compareNextToken(const NextTokenRequest &request)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("next-token shift"), QStringLiteral("steer-next-token"),
            [this, state, request](JobContext &context, Status *status) {
                if (Status ready = requireFor(*state, request.clamps); !ready.isOk()) {
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
                Result<Interventions> interventions =
                        withConceptVectors(*state->model, request.interventions);
                if (!interventions) {
                    *status = interventions.status();
                    return JobStep::Done;
                }
                auto after = nextTokenLogProbabilities(*state->model, state->sae, request.clamps,
                                                       tokens.value(), interventions.value());
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
                        if (Status ready = requireFor(*state, clamps); !ready.isOk()) {
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
    return m_runner.submit(Job{QStringLiteral("feature ranges"), QStringLiteral("steer-ranges"),
                               [this, state, request](JobContext &context, Status *status) {
                                   if (Status ready = state->requireSae(); !ready.isOk()) {
                                       *status = ready;
                                       return JobStep::Done;
                                   }
                                   Result<std::vector<int>> tokens =
                                           state->model->encode(request.prompt);
                                   if (!tokens) {
                                       *status = tokens.status();
                                       return JobStep::Done;
                                   }
                                   Result<FeatureRanges> ranges =
                                           featureRangesOnPrompt(*state->model, *state->sae,
                                                                 tokens.value(), request.features);
                                   if (!ranges) {
                                       *status = ranges.status();
                                       return JobStep::Done;
                                   }
                                   Q_EMIT featureRangesReady(context.id(), ranges.value());
                                   return JobStep::Done;
                               }});
}

}  // namespace gyrus::gpu
