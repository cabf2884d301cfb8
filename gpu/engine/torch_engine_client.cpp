#include "gpu/engine/torch_engine_client.h"

#include "core/base/logging.h"
#include "core/sae/sae_model_check.h"
#include "gpu/engine/cards.h"
#include "gpu/engine/engine_state.h"
#include "gpu/engine/torch_errors.h"
#include "gpu/model/generation_session.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/activations/activation_source.h"
#include "gpu/sae/activations/activation_stream.h"
#include "gpu/sae/activations/streaming_activations.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/training/sae_trainer.h"

#include <QElapsedTimer>
#include <QThread>

#include <torch/cuda.h>

namespace gyrus::gpu {

TorchEngineClient::TorchEngineClient(QObject *parent)
    : EngineClient(parent)
    , m_state(std::make_shared<EngineState>())
    , m_runner(QStringLiteral("gyrus-engine"))
{
    m_runner.setExceptionTranslator(
            [](std::exception_ptr error) { return statusFromException(error); });
    // Torch objects die on the thread that made them.
    m_runner.setShutdown([state = m_state] { state->clear(); });
    connect(&m_runner, &JobRunner::started, this, &EngineClient::started);
    connect(&m_runner, &JobRunner::progress, this, &EngineClient::progress);
    connect(&m_runner, &JobRunner::finished, this, &EngineClient::finished);
    connect(&m_runner, &JobRunner::idle, this, &EngineClient::idle);
    connect(this, &EngineClient::modelLoaded, this,
            [this](RequestId, const gyrus::ModelInfo &info) { m_current = info; });
    connect(this, &EngineClient::saeLoaded, this,
            [this](RequestId, const gyrus::SaeInfo &info) { m_currentSae = info; });
}

TorchEngineClient::~TorchEngineClient()
{
    // Stop the worker before any member goes: a job's last (clean-up) slice still uses
    // m_pauseMutex and emits this object's signals.
    m_runner.stop();
}

RequestId TorchEngineClient::loadModel(const ModelSpec &spec)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(
            Job{QStringLiteral("load model"), QStringLiteral("load-model"),
                [this, state, spec](JobContext &context, Status *status) {
                    LoadOptions options;
                    options.device = spec.device;
                    options.dtype = spec.dtype;
                    options.progress = [&context](double fraction) {
                        context.reportProgress(fraction, QStringLiteral("reading weights"));
                        return !context.isCancelled();
                    };
                    Result<std::unique_ptr<LanguageModel>> loaded =
                            LanguageModel::load(spec.path, options);
                    if (!loaded) {
                        *status = loaded.status();
                        return JobStep::Done;
                    }
                    // Replace only after success: a failed load keeps the model the user had.
                    state->setModel(std::move(loaded).value());
                    // The card names the directory as it was asked for (workspaces save it).
                    ModelInfo card = state->model->info();
                    card.setPath(spec.path);
                    state->modelCard = card;
                    if (state->sae) {
                        // The SAE stays; say so when it does not fit the new model (the Model dock
                        // flags it too).
                        const SaeModelCheck check = checkSaeAgainstModel(state->saeInfo, card);
                        for (const QString &message : check.errors + check.warnings) {
                            qCWarning(lcEngine).noquote() << message;
                        }
                    }
                    qCInfo(lcEngine).noquote()
                            << QStringLiteral(
                                       "loaded %1: %2 layers, d_model %3, %4 parameters, %5 on %6")
                                       .arg(card.name)
                                       .arg(card.layers)
                                       .arg(card.dModel)
                                       .arg(card.parameters)
                                       .arg(nameOf(card.dtype), card.device);
                    Q_EMIT modelLoaded(context.id(), card);
                    return JobStep::Done;
                }});
}

RequestId TorchEngineClient::generate(const GenerateRequest &request)
{
    // One token per slice (a GenerationSession keeps the KV cache between slices), so requests
    // queued meanwhile — hover, clamp, a training slice — run between tokens.
    struct Run
    {
        std::unique_ptr<GenerationSession> session;
        quint64 modelEpoch = 0;  // the model the session runs on
    };

    auto run = std::make_shared<Run>();
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("generate"), QStringLiteral("generate"),
            [this, state, run, request](JobContext &context, Status *status) {
                if (!run->session) {
                    if (Status ready = state->requireModel(); !ready.isOk()) {
                        *status = ready;
                        return JobStep::Done;
                    }
                    Result<std::unique_ptr<GenerationSession>> session = GenerationSession::start(
                            *state->model, request.prompt, request.options);
                    if (!session) {
                        *status = session.status();
                        return JobStep::Done;
                    }
                    run->session = std::move(session).value();
                    run->modelEpoch = state->modelEpoch;
                }
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                if (state->modelEpoch != run->modelEpoch) {
                    // A load between two tokens replaced the model the KV cache belongs to.
                    *status = Status::cancelled(
                            QStringLiteral("generation stopped: the model was replaced"));
                    return JobStep::Done;
                }
                GenerationSession &session = *run->session;
                if (!session.isFinished()) {
                    Result<GeneratedToken> token = session.step();
                    if (!token) {
                        *status = token.status();
                        return JobStep::Done;
                    }
                    if (!token->text.isEmpty()) {
                        Q_EMIT tokenGenerated(context.id(), token->text);
                    }
                    context.reportProgress(
                            double(session.tokensGenerated()) /
                                    qMax(1, request.options.maxNewTokens),
                            QStringLiteral("%1 tokens").arg(session.tokensGenerated()));
                }
                return session.isFinished() ? JobStep::Done : JobStep::Continue;
            }});
}

namespace {

// The training data: the cached activation file, or the loaded model streamed over the corpus
// (what `gyrus-cli sae train --model --corpus --hook` opens; a resumed run takes the shuffle seed
// from its checkpoint, as the CLI does).
Result<std::shared_ptr<detail::ActivationSource>> openTrainingSource(const EngineState &state,
                                                                     const SaeTrainRequest &request)
{
    if (!request.streams()) {
        return openActivationFile(request.activationsPath, request.dataset, true, request.seed);
    }
    if (Status ready = state.requireModel(); !ready.isOk()) {
        return ready;
    }
    StreamingActivationOptions stream;
    stream.corpusPath = request.corpusPath;
    stream.hookName = request.sae.hookName;
    stream.contextLength = request.contextLength;
    stream.bufferRows = request.bufferTokens;
    stream.seed = request.seed;
    if (!request.resumeCheckpoint.isEmpty()) {
        Result<SaeTrainingConfig> trained = SaeTrainer::checkpointConfig(request.resumeCheckpoint);
        if (!trained) {
            return trained.status();
        }
        if (trained->sae.hookName != stream.hookName) {
            return Status::invalidInput(
                    QStringLiteral("%1 was trained on hook '%2', not '%3'")
                            .arg(request.resumeCheckpoint, trained->sae.hookName, stream.hookName));
        }
        stream.seed = trained->seed;
    }
    return openStreamingActivations(*state.model, stream);
}

}  // namespace

RequestId TorchEngineClient::trainSae(const SaeTrainRequest &request)
{
    struct Run
    {
        std::unique_ptr<SaeTrainer> trainer;
        bool streaming = false;
        quint64 modelEpoch = 0;  // the model a streamed run reads
    };

    std::shared_ptr<EngineState> state = m_state;
    auto run = std::make_shared<Run>();
    return m_runner.submit(Job{
            QStringLiteral("train SAE"), QString(),
            [this, state, run, request](JobContext &context, Status *status) {
                const RequestId id = context.id();
                const QString checkpoint = request.outDirectory + QStringLiteral(".checkpoint");
                if (!run->trainer) {
                    Result<std::shared_ptr<detail::ActivationSource>> source =
                            openTrainingSource(*state, request);
                    if (!source) {
                        *status = source.status();
                        return JobStep::Done;
                    }
                    run->streaming = request.streams();
                    run->modelEpoch = state->modelEpoch;
                    Result<std::unique_ptr<SaeTrainer>> trainer = Status::internal(QString());
                    if (!request.resumeCheckpoint.isEmpty()) {
                        trainer = SaeTrainer::resume(request.resumeCheckpoint, source.value());
                    } else {
                        // The request is the run's configuration (d_in is the data's).
                        SaeTrainingConfig config = request;
                        if (run->streaming) {
                            config.sae.modelName = state->model->info().path;
                        }
                        trainer = SaeTrainer::create(config, source.value());
                    }
                    if (!trainer) {
                        *status = trainer.status();
                        return JobStep::Done;
                    }
                    run->trainer = std::move(trainer).value();
                    run->trainer->setMetricsCallback([this, id](const SaeTrainMetrics &metrics) {
                        Q_EMIT saeTrainingProgress(id, metrics);
                    });
                    return JobStep::Continue;
                }
                if (run->streaming && state->modelEpoch != run->modelEpoch) {
                    // The stream reads the model that was replaced.
                    *status = Status::cancelled(
                            QStringLiteral("the model was replaced while training streamed from "
                                           "it; Start again (or resume a checkpoint)"));
                    return JobStep::Done;
                }
                SaeTrainer &trainer = *run->trainer;
                if (context.isCancelled()) {
                    bool pause = false;
                    {
                        QMutexLocker lock(&m_pauseMutex);
                        pause = m_pauseRequested.remove(id);
                    }
                    if (pause) {
                        if (Status saved = trainer.saveCheckpoint(checkpoint); !saved.isOk()) {
                            *status = saved;
                            return JobStep::Done;
                        }
                        SaeTrainOutcome outcome;
                        outcome.paused = true;
                        outcome.checkpoint = checkpoint;
                        outcome.last = trainer.latestMetrics();
                        // The step the checkpoint holds (and Resume continues from), not the
                        // step of the last metrics report, which may be a few steps earlier.
                        outcome.last.step = trainer.stepsDone();
                        Q_EMIT saeTrainingEnded(id, outcome);
                        *status = Status::cancelled(QStringLiteral("paused"));
                    }
                    return JobStep::Done;
                }
                // A slice of about 150 ms: long enough to amortise, short enough that hover and
                // generation requests queued meanwhile wait little.
                QElapsedTimer slice;
                slice.start();
                while (!trainer.isFinished() && slice.elapsed() < 150 && !context.isCancelled()) {
                    if (Status stepped = trainer.step(1); !stepped.isOk()) {
                        if (stepped.code() != Status::Code::Cancelled) {
                            *status = stepped;
                            return JobStep::Done;
                        }
                    }
                    context.reportProgress(double(trainer.stepsDone()) /
                                                   double(qMax<int64_t>(1, trainer.totalSteps())),
                                           QStringLiteral("step %1 / %2")
                                                   .arg(trainer.stepsDone())
                                                   .arg(trainer.totalSteps()));
                }
                if (!trainer.isFinished()) {
                    return JobStep::Continue;
                }
                if (Status exported = trainer.exportSae(request.outDirectory); !exported.isOk()) {
                    *status = exported;
                    return JobStep::Done;
                }
                SaeTrainOutcome outcome;
                outcome.outDirectory = request.outDirectory;
                outcome.last = trainer.latestMetrics();
                Q_EMIT saeTrainingEnded(id, outcome);
                return JobStep::Done;
            }});
}

void TorchEngineClient::pauseTraining(RequestId id)
{
    {
        QMutexLocker lock(&m_pauseMutex);
        m_pauseRequested.insert(id);
    }
    m_runner.cancel(id);
}

void TorchEngineClient::cancel(RequestId id)
{
    m_runner.cancel(id);
}

void TorchEngineClient::cancelAll()
{
    m_runner.cancelAll();
}

gyrus::ModelInfo TorchEngineClient::currentModel() const
{
    return m_current;
}

gyrus::SaeInfo TorchEngineClient::currentSae() const
{
    return m_currentSae;
}

RequestId TorchEngineClient::loadSae(const SaeSpec &spec)
{
    std::shared_ptr<EngineState> state = m_state;
    return m_runner.submit(
            Job{QStringLiteral("load SAE"), QStringLiteral("load-sae"),
                [this, state, spec](JobContext &context, Status *status) {
                    Result<std::shared_ptr<detail::SaeModule>> loaded =
                            gpu::loadSae(spec.path, spec.device);
                    if (!loaded) {
                        *status = loaded.status();
                        return JobStep::Done;
                    }
                    const SaeInfo info = saeCard(loaded.value()->config(), spec.path, spec.device);
                    // Replace only after the checks: an SAE that does not fit keeps the one the
                    // user had.
                    const SaeModelCheck check = checkSaeAgainstModel(info, state->modelCard);
                    if (!check.ok()) {
                        *status = Status::invalidInput(check.errors.join(QStringLiteral("; ")));
                        return JobStep::Done;
                    }
                    for (const QString &warning : check.warnings) {
                        qCWarning(lcEngine).noquote() << warning;
                    }
                    SaeInfo loadedInfo = info;
                    loadedInfo.warnings = check.warnings;
                    state->setSae(std::move(loaded).value(), loadedInfo);
                    qCInfo(lcEngine).noquote() << QStringLiteral("loaded SAE %1: %2, %3 → %4 at %5")
                                                          .arg(info.name, nameOf(info.architecture))
                                                          .arg(info.dIn)
                                                          .arg(info.dSae)
                                                          .arg(info.hookName);
                    Q_EMIT saeLoaded(context.id(), loadedInfo);
                    return JobStep::Done;
                }});
}

QStringList TorchEngineClient::availableDevices()
{
    QStringList devices{QStringLiteral("cpu")};
    if (torch::cuda::is_available()) {
        const auto count = static_cast<int>(torch::cuda::device_count());
        for (int i = 0; i < count; ++i) {
            devices << QStringLiteral("cuda:%1").arg(i);
        }
    }
    return devices;
}

}  // namespace gyrus::gpu
