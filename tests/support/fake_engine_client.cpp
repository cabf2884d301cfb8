#include "tests/support/fake_engine_client.h"

#include <QDir>
#include <QRegularExpression>
#include <QThread>

#include <memory>

namespace gyrus::test {

FakeEngineClient::FakeEngineClient(QObject *parent)
    : EngineClient(parent)
    , m_runner(QStringLiteral("fake-engine"))
    , m_tokens({QStringLiteral(" the"), QStringLiteral(" court"), QStringLiteral(" said"),
                QStringLiteral(".")})
{
    connect(&m_runner, &JobRunner::started, this, &EngineClient::started);
    connect(&m_runner, &JobRunner::progress, this, &EngineClient::progress);
    connect(&m_runner, &JobRunner::finished, this, &EngineClient::finished);
    connect(&m_runner, &JobRunner::idle, this, &EngineClient::idle);
    connect(this, &EngineClient::modelLoaded, this,
            [this](RequestId, const ModelInfo &info) { m_current = info; });
    connect(this, &EngineClient::saeLoaded, this,
            [this](RequestId, const SaeInfo &info) { m_currentSae = info; });
}

FakeEngineClient::~FakeEngineClient()
{
    m_runner.stop();  // before the members the jobs use are destroyed
}

ModelInfo FakeEngineClient::cardFor(const ModelSpec &spec)
{
    ModelInfo info;
    info.path = spec.path;
    info.name = QDir(spec.path).dirName();
    info.architecture = QStringLiteral("LlamaForCausalLM");
    info.family = QStringLiteral("llama");
    info.bosRule = QStringLiteral("Hugging Face prepends BOS (id 1).");
    if (info.name.startsWith(QLatin1String("gemma"))) {
        // What the real engine reports for a Gemma-2 directory (familyQuirks()).
        info.architecture = QStringLiteral("Gemma2ForCausalLM");
        info.family = QStringLiteral("gemma2");
        info.quirks = QStringList{QStringLiteral("attention soft-cap 50"),
                                  QStringLiteral("logit soft-cap 30"),
                                  QStringLiteral("sliding window 4096 on 13 of 26 layers")};
    }
    info.layers = 4;
    info.dModel = 256;
    info.heads = 8;
    info.kvHeads = 2;
    info.vocabSize = 4096;
    info.parameters = 5'400'000;
    info.memoryBytes = 21'600'000;
    // A bf16 checkpoint in two shards: the embedding, then 2 MiB per layer.
    WeightUse &use = info.weightUse;
    use.checkpointBytes = 10'800'000;
    use.shards = 2;
    use.checkpointDtype = QStringLiteral("bf16");
    use.embeddingBytes = 4096 * 256 * 2;
    use.layerBytes.assign(size_t(info.layers), 2 * 1024 * 1024);
    use.headBytes = 10'800'000 - use.bytesForLayer(info.layers - 1);  // generation: 10.8 MB
    info.dtype = spec.dtype;
    info.device = spec.device;
    for (int layer = 0; layer < info.layers; ++layer) {
        info.hookNames << QStringLiteral("blocks.%1.hook_resid_post").arg(layer);
    }
    return info;
}

RequestId FakeEngineClient::loadModel(const ModelSpec &spec)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("load ") + spec.path;
    }
    auto slice = std::make_shared<int>(0);
    const int slices = m_loadSlices;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(
            Job{QStringLiteral("load model"), QStringLiteral("load"),
                [this, spec, slice, slices, sliceMs](JobContext &context, Status *status) {
                    if (spec.path.contains(QLatin1String("missing"))) {
                        *status = Status::notFound(spec.path + QStringLiteral(": no config.json"));
                        return JobStep::Done;
                    }
                    if (context.isCancelled()) {
                        return JobStep::Done;
                    }
                    QThread::msleep(static_cast<unsigned long>(sliceMs));
                    context.reportProgress(double(++*slice) / slices,
                                           QStringLiteral("reading weights"));
                    if (*slice < slices) {
                        return JobStep::Continue;
                    }
                    m_hasModel = true;
                    Q_EMIT modelLoaded(context.id(), cardFor(spec));
                    return JobStep::Done;
                }});
}

RequestId FakeEngineClient::generate(const GenerateRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("generate ") + request.prompt;
    }
    auto next = std::make_shared<int>(0);
    const QStringList tokens = m_tokens.mid(0, request.options.maxNewTokens);
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{QStringLiteral("generate"), QStringLiteral("generate"),
                               [this, next, tokens, sliceMs](JobContext &context, Status *status) {
                                   if (!m_hasModel) {
                                       *status = Status::invalidInput(
                                               QStringLiteral("no model loaded"));
                                       return JobStep::Done;
                                   }
                                   if (context.isCancelled() || *next >= tokens.size()) {
                                       return JobStep::Done;
                                   }
                                   QThread::msleep(static_cast<unsigned long>(sliceMs));
                                   Q_EMIT tokenGenerated(context.id(), tokens.at((*next)++));
                                   return *next < tokens.size() ? JobStep::Continue : JobStep::Done;
                               }});
}

RequestId FakeEngineClient::trainSae(const SaeTrainRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("train ") + nameOf(request.sae.architecture);
        m_lastTrain = request;
    }
    auto step = std::make_shared<int>(0);
    const int steps = m_trainSteps;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{
            QStringLiteral("train SAE"), QString(),
            [this, request, step, steps, sliceMs](JobContext &context, Status *status) {
                if (request.activationsPath.contains(QLatin1String("missing"))) {
                    *status = Status::notFound(request.activationsPath +
                                               QStringLiteral(": no such file"));
                    return JobStep::Done;
                }
                SaeTrainMetrics progress;
                progress.step = *step;
                progress.totalSteps = steps;
                progress.loss = 1.0 / (1 + *step);
                progress.explainedVariance = 1.0 - progress.loss;
                progress.l0 = double(request.sae.k);
                progress.deadFraction = 0.5 / (1 + *step);
                progress.denseFraction = 0.01;
                progress.tokensPerSecond = 1000;
                progress.densityHistogram = {1, 4, 9, 4, 1};
                progress.histogramLow = -5;
                progress.histogramHigh = 0;
                if (context.isCancelled()) {
                    bool pause = false;
                    {
                        QMutexLocker lock(&m_logMutex);
                        pause = m_pauses.remove(context.id());
                    }
                    if (pause) {
                        Q_EMIT saeTrainingEnded(
                                context.id(),
                                SaeTrainOutcome{QString(), QStringLiteral("fake.checkpoint"),
                                                progress, true});
                        *status = Status::cancelled(QStringLiteral("paused"));
                    }
                    return JobStep::Done;
                }
                QThread::msleep(static_cast<unsigned long>(sliceMs));
                progress.step = ++*step;
                Q_EMIT saeTrainingProgress(context.id(), progress);
                if (*step < steps) {
                    return JobStep::Continue;
                }
                Q_EMIT saeTrainingEnded(context.id(), SaeTrainOutcome{request.outDirectory,
                                                                      QString(), progress, false});
                return JobStep::Done;
            }});
}

RequestId FakeEngineClient::cacheActivations(const ActivationCacheRequest &request)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("cache ") + request.hookName;
    }
    auto slice = std::make_shared<int>(0);
    const int slices = m_trainSteps;
    const int sliceMs = m_sliceMs;
    return m_runner.submit(Job{
            QStringLiteral("cache activations"), QString(),
            [this, request, slice, slices, sliceMs](JobContext &context, Status *status) {
                if (request.corpusPath.contains(QLatin1String("missing"))) {
                    *status =
                            Status::notFound(request.corpusPath + QStringLiteral(": no such file"));
                    return JobStep::Done;
                }
                if (context.isCancelled()) {
                    return JobStep::Done;
                }
                QThread::msleep(static_cast<unsigned long>(sliceMs));
                ++*slice;
                context.reportProgress(double(*slice) / slices,
                                       QStringLiteral("stage 2 of 2: caching activations"));
                if (*slice < slices) {
                    return JobStep::Continue;
                }
                Q_EMIT activationsCached(
                        context.id(), ActivationCacheOutcome{request.outPath, 1000, 256, 3, 0.1});
                return JobStep::Done;
            }});
}

void FakeEngineClient::pauseTraining(RequestId id)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_pauses.insert(id);
    }
    m_runner.cancel(id);
}

SaeTrainRequest FakeEngineClient::lastTrainRequest() const
{
    QMutexLocker lock(&m_logMutex);
    return m_lastTrain;
}

void FakeEngineClient::cancel(RequestId id)
{
    m_runner.cancel(id);
}

void FakeEngineClient::cancelAll()
{
    m_runner.cancelAll();
}

ModelInfo FakeEngineClient::currentModel() const
{
    return m_current;
}

SaeInfo FakeEngineClient::currentSae() const
{
    return m_currentSae;
}

SaeInfo FakeEngineClient::saeCardFor(const SaeSpec &spec)
{
    SaeInfo info;
    info.path = spec.path;
    info.name = QDir(spec.path).dirName();
    info.hookName = QStringLiteral("blocks.2.hook_resid_post");
    info.architecture = SaeArchitecture::TopK;
    info.dIn = 256;
    info.dSae = 1024;
    info.k = 16;
    info.device = spec.device;
    // Paths that make the SAE not fit the fake model (d_model 256), for the dock's fit flag.
    if (spec.path.contains(QLatin1String("gpt2"))) {
        info.modelName = QStringLiteral("gpt2-small");
    }
    if (spec.path.contains(QLatin1String("wide"))) {
        info.dIn = 768;
    }
    // "…/width-262144": an SAE of that many features, for the views' scale benchmark.
    static const QRegularExpression width(QStringLiteral("width-(\\d+)$"));
    if (const QRegularExpressionMatch match = width.match(spec.path); match.hasMatch()) {
        info.dSae = match.captured(1).toInt();
    }
    return info;
}

RequestId FakeEngineClient::loadSae(const SaeSpec &spec)
{
    {
        QMutexLocker lock(&m_logMutex);
        m_log << QStringLiteral("load-sae ") + spec.path;
    }
    return m_runner.submit(Job{QStringLiteral("load SAE"), QStringLiteral("load-sae"),
                               [this, spec](JobContext &context, Status *status) {
                                   if (spec.path.contains(QLatin1String("missing"))) {
                                       *status = Status::notFound(spec.path +
                                                                  QStringLiteral(": no cfg.json"));
                                       return JobStep::Done;
                                   }
                                   m_hasSae = true;
                                   Q_EMIT saeLoaded(context.id(), saeCardFor(spec));
                                   return JobStep::Done;
                               }});
}

void FakeEngineClient::setGeneratedTokens(const QStringList &tokens)
{
    m_tokens = tokens;
}

QStringList FakeEngineClient::log() const
{
    QMutexLocker lock(&m_logMutex);
    return m_log;
}

}  // namespace gyrus::test
