#include "gpu/engine/torch_engine_client.h"

#include "core/logging.h"
#include "gpu/engine/torch_errors.h"
#include "gpu/model/language_model.h"

#include <QDir>
#include <QThread>

#include <torch/cuda.h>

namespace gyrus::gpu {

struct TorchEngineClient::State
{
    std::unique_ptr<LanguageModel> model;  // engine thread only
};

namespace {

gyrus::ModelInfo toCard(const gpu::ModelInfo &info, const QString &path)
{
    gyrus::ModelInfo card;
    card.path = path;
    card.name = QDir(path).dirName();
    card.architecture = info.architecture;
    card.layers = info.layers;
    card.dModel = info.dModel;
    card.heads = info.heads;
    card.kvHeads = info.kvHeads;
    card.vocabSize = info.vocab;
    card.parameters = info.parameters;
    card.memoryBytes = info.weightBytes;
    card.dtype = info.dtype;
    card.device = info.device;
    card.hookNames = info.hookNames;
    return card;
}

}  // namespace

TorchEngineClient::TorchEngineClient(QObject *parent)
    : EngineClient(parent)
    , m_state(std::make_shared<State>())
    , m_runner(QStringLiteral("gyrus-engine"))
{
    m_runner.setExceptionTranslator(&statusFromException);
    // Torch objects die on the thread that made them.
    m_runner.setShutdown([state = m_state] { state->model.reset(); });
    connect(&m_runner, &JobRunner::started, this, &EngineClient::started);
    connect(&m_runner, &JobRunner::progress, this, &EngineClient::progress);
    connect(&m_runner, &JobRunner::finished, this, &EngineClient::finished);
    connect(&m_runner, &JobRunner::idle, this, &EngineClient::idle);
    connect(this, &EngineClient::modelLoaded, this,
            [this](RequestId, const gyrus::ModelInfo &info) { m_current = info; });
}

TorchEngineClient::~TorchEngineClient() = default;

RequestId TorchEngineClient::loadModel(const ModelSpec &spec)
{
    std::shared_ptr<State> state = m_state;
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
                    state->model = std::move(loaded).value();
                    const gyrus::ModelInfo card = toCard(state->model->info(), spec.path);
                    qCInfo(lcEngine).noquote()
                            << QStringLiteral(
                                       "loaded %1: %2 layers, d_model %3, %4 parameters, %5 on %6")
                                       .arg(card.name)
                                       .arg(card.layers)
                                       .arg(card.dModel)
                                       .arg(card.parameters)
                                       .arg(card.dtype, card.device);
                    Q_EMIT modelLoaded(context.id(), card);
                    return JobStep::Done;
                }});
}

RequestId TorchEngineClient::generate(const GenerateRequest &request)
{
    std::shared_ptr<State> state = m_state;
    return m_runner.submit(Job{
            QStringLiteral("generate"), QStringLiteral("generate"),
            [this, state, request](JobContext &context, Status *status) {
                if (!state->model) {
                    *status =
                            Status::invalidInput(QStringLiteral("no model loaded: open one first"));
                    return JobStep::Done;
                }
                GenerateOptions options;
                options.maxNewTokens = request.maxNewTokens;
                options.temperature = request.temperature;
                options.topP = request.topP;
                options.topK = request.topK;
                options.seed = request.seed;
                const RequestId id = context.id();
                Result<GenerateResult> result = state->model->generate(
                        request.prompt, options, [this, id, &context](const GeneratedToken &token) {
                            if (!token.text.isEmpty()) {
                                Q_EMIT tokenGenerated(id, token.text);
                            }
                            return !context.isCancelled();
                        });
                if (!result) {
                    *status = result.status();
                }
                return JobStep::Done;
            }});
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
