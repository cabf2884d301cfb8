// The Contrasts dock's, the RSA dock's, the SAE evaluation's and the Steering dock's steppers
// driven to their end on the demo model and SAE without the engine thread, against what the
// engine's requests return for the same inputs (the engine runs the same classes one slice at a
// time, its model loaded by the engine itself): the numbers are identical, the work comes in
// several bounded steps with progress that never goes back, and a cancel inside a step stops it.

#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/contrast_analysis.h"
#include "gpu/analysis/rsa_pipeline.h"
#include "gpu/engine/cards.h"
#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/language_model.h"
#include "gpu/runtime_info.h"
#include "gpu/sae/evaluation/sae_evaluation_run.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/steering/steering_run.h"
#include "tests/gpu/demo_modules.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QSignalSpy>
#include <QtTest>

#include <cmath>

using namespace gyrus;

namespace {

const QString kHook = QStringLiteral("blocks.2.hook_resid_post");

PromptSet demoSet(const QString &name)
{
    auto loaded = loadPromptSet(
            test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/%1.json").arg(name)));
    if (!loaded) {
        qFatal("%s", qPrintable(loaded.status().message()));
    }
    return loaded->set;
}

ContrastSource valenceSource(bool sae)
{
    ContrastSource source;
    source.promptSet = demoSet(QStringLiteral("demo-valence"));
    source.factor = QStringLiteral("valence");
    source.levelA = QStringLiteral("negative");
    source.levelB = QStringLiteral("positive");
    source.hookName = kHook;
    source.saeFeatures = sae;
    source.pooling = Pooling::Mean;
    return source;
}

// Every report a stepper made, and whether the fractions ever went back.
struct ProgressLog
{
    QList<double> fractions;
    QStringList stages;
    bool monotonic = true;

    StepProgress recorder()
    {
        return [this](double fraction, const QString &stage) {
            if (!fractions.isEmpty() && fraction < fractions.last()) {
                monotonic = false;
            }
            fractions << fraction;
            stages << stage;
            return true;
        };
    }
};

bool sameValues(const std::vector<double> &a, const std::vector<double> &b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        // NaN where a statistic is undefined, in both or in neither.
        if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) {
            return false;
        }
    }
    return true;
}

bool sameComparison(const RsaComparison &a, const RsaComparison &b)
{
    return sameValues({a.r, a.p, a.ciLow, a.ciHigh}, {b.r, b.p, b.ciLow, b.ciHigh}) &&
           a.permutations == b.permutations && a.bootstraps == b.bootstraps;
}

}  // namespace

class TestEngineSteppers : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<gpu::TorchEngineClient> m_engine;
    std::unique_ptr<gpu::LanguageModel> m_model;
    std::shared_ptr<gpu::detail::SaeModule> m_sae;
    SaeInfo m_saeInfo;

    // The result a request's `ready` signal carried, once it finished.
    template <typename T>
    T resultOf(RequestId id, QSignalSpy &finished, QSignalSpy &ready, Status *status)
    {
        if (!QTest::qWaitFor([&] { return test::hasFinished(finished, id); }, 120000)) {
            *status = Status::internal(QStringLiteral("the engine did not finish in 2 minutes"));
            return T();
        }
        *status = test::statusOf(finished, id);
        for (const QList<QVariant> &arguments : ready) {
            if (arguments.at(0).value<RequestId>() == id) {
                return arguments.at(1).value<T>();
            }
        }
        return T();
    }

    gpu::ContrastInputs inputs() const
    {
        return gpu::ContrastInputs{m_model.get(), 1, m_sae, 1, m_saeInfo.name, m_saeInfo.hookName};
    }

    // Steps `analysis` to its end; the number of steps, or -1 after a failed one.
    template <typename Stepper>
    static int stepToEnd(Stepper &stepper, ProgressLog *log, Status *status)
    {
        int steps = 0;
        while (!stepper.isFinished()) {
            *status = stepper.step(log->recorder());
            ++steps;
            if (!status->isOk()) {
                return -1;
            }
        }
        return steps;
    }

private Q_SLOTS:

    void initTestCase()
    {
        // The thread count gyrus uses: float sums run in the same order on both paths.
        gpu::configureThreads();
        m_engine = std::make_unique<gpu::TorchEngineClient>();
        const Status loaded = test::loadDemo(*m_engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));

        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        m_sae = demo->sae;
        m_saeInfo = gpu::saeCard(*m_sae, test::demoSaePath(), QStringLiteral("cpu"));
        // What the engine does on loading an SAE: its BOS rule and centring.
        m_model->setSaeConventions(gpu::saeConventions(m_saeInfo));
    }

    void cleanupTestCase() { m_engine.reset(); }

    void contrastEqualsTheEngine_data()
    {
        QTest::addColumn<bool>("sae");
        QTest::addColumn<bool>("factorial");
        QTest::newRow("raw") << false << false;
        QTest::newRow("sae") << true << false;
        QTest::newRow("2x2") << false << true;
    }

    void contrastEqualsTheEngine()
    {
        QFETCH(bool, sae);
        QFETCH(bool, factorial);
        ContrastSource source = valenceSource(sae);
        if (factorial) {
            source.promptSet = demoSet(QStringLiteral("demo-tense-number"));
            source.factor = QStringLiteral("tense");
            source.factorial = true;
        }
        auto analysis = gpu::ContrastAnalysis::startContrast(inputs(), source, nullptr);
        ProgressLog log;
        Status status;
        QCOMPARE(stepToEnd(*analysis, &log, &status), 1);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        const std::shared_ptr<ContrastAnalysisResult> stepped = analysis->contrast();
        QVERIFY(stepped);

        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::contrastReady);
        const auto engine = resultOf<ContrastAnalysisResultPtr>(m_engine->runContrast(source),
                                                                finished, ready, &status);
        QVERIFY2(status.isOk() && engine, qPrintable(status.message()));
        QCOMPARE(stepped->representation, engine->representation);
        QCOMPARE(stepped->itemCount, engine->itemCount);
        QCOMPARE(stepped->featureCount, engine->featureCount);
        QCOMPARE(stepped->notes, engine->notes);
        QCOMPARE(stepped->effects.size(), factorial ? 3 : 1);
        QCOMPARE(stepped->effects.size(), engine->effects.size());
        for (int e = 0; e < stepped->effects.size(); ++e) {
            const ContrastEffect &a = stepped->effects[e];
            const ContrastEffect &b = engine->effects[e];
            QCOMPARE(a.name, b.name);
            QCOMPARE(a.sideA, b.sideA);
            QCOMPARE(a.sideB, b.sideB);
            QVERIFY(sameValues(a.stats.t, b.stats.t));
            QVERIFY(sameValues(a.stats.p, b.stats.p));
            QVERIFY(sameValues(a.stats.d, b.stats.d));
            QVERIFY(sameValues(a.meanA, b.meanA));
            QVERIFY(sameValues(a.meanB, b.meanB));
        }
    }

    // The memo: a second analysis of the same stimuli and settings reuses the representations;
    // another model epoch, or SAE features instead of raw ones, computes them again.
    void theMemoIsReusedWhileItsKeyHolds()
    {
        auto memo = std::make_shared<gpu::ContrastMemo>();
        Status status;
        ProgressLog log;
        auto first = gpu::ContrastAnalysis::startContrast(inputs(), valenceSource(false), memo);
        QCOMPARE(stepToEnd(*first, &log, &status), 1);
        const auto representations = memo->representations;
        QVERIFY(representations);

        auto map = gpu::ContrastAnalysis::startFeatureRsaMap(inputs(), valenceSource(false), memo);
        QCOMPARE(stepToEnd(*map, &log, &status), 1);
        QVERIFY(memo->representations == representations);
        QCOMPARE(map->featureRsaMap()->itemCount, first->contrast()->itemCount);

        gpu::ContrastInputs reloaded = inputs();
        reloaded.modelEpoch = 2;
        auto again = gpu::ContrastAnalysis::startContrast(reloaded, valenceSource(false), memo);
        QCOMPARE(stepToEnd(*again, &log, &status), 1);
        QVERIFY(memo->representations != representations);
        QVERIFY(sameValues(again->contrast()->effects[0].stats.t,
                           first->contrast()->effects[0].stats.t));

        auto features = gpu::ContrastAnalysis::startContrast(reloaded, valenceSource(true), memo);
        QCOMPARE(stepToEnd(*features, &log, &status), 1);
        QVERIFY(memo->saeEpoch == std::optional<quint64>(1));
        QCOMPARE(features->contrast()->featureCount, int64_t(m_saeInfo.dSae));
    }

    void featureRsaMapEqualsTheEngine()
    {
        ContrastSource source = valenceSource(false);
        source.pooling = Pooling::Window;
        source.window = 12;
        auto analysis = gpu::ContrastAnalysis::startFeatureRsaMap(inputs(), source, nullptr);
        ProgressLog log;
        Status status;
        QCOMPARE(stepToEnd(*analysis, &log, &status), 1);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        const std::shared_ptr<FeatureRsaMap> stepped = analysis->featureRsaMap();

        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::featureRsaMapReady);
        const auto engine = resultOf<FeatureRsaMapPtr>(m_engine->computeFeatureRsaMap(source),
                                                       finished, ready, &status);
        QVERIFY2(status.isOk() && engine, qPrintable(status.message()));
        QCOMPARE(stepped->representation, engine->representation);
        QCOMPARE(stepped->itemCount, engine->itemCount);
        QVERIFY(!stepped->temporalCategoricalRsa.empty());
        QVERIFY(sameValues(stepped->pooledSeparationR, engine->pooledSeparationR));
        QVERIFY(sameValues(stepped->pooledSeparationD, engine->pooledSeparationD));
        QVERIFY(sameValues(stepped->maxActivation, engine->maxActivation));
        QVERIFY(sameValues(stepped->temporalDiscriminativeRsa, engine->temporalDiscriminativeRsa));
        QVERIFY(sameValues(stepped->temporalCategoricalRsa, engine->temporalCategoricalRsa));
    }

    // One step for the representations, then one per split (repeats × folds... as the run counts
    // them), the last one with the result; the engine runs several per slice, same numbers.
    void methodComparisonEqualsTheEngine()
    {
        MethodComparisonRequest request;
        request.source = valenceSource(true);
        request.methods = {SelectionMethod::Univariate, SelectionMethod::PooledSeparationD};
        request.k = 4;
        request.folds = 3;
        request.repeats = 2;
        request.permutations = 4;
        request.seed = 7;
        auto started = gpu::ContrastAnalysis::startMethodComparison(inputs(), request, nullptr);
        QVERIFY2(started, qPrintable(started.status().message()));
        gpu::ContrastAnalysis &analysis = *started.value();
        ProgressLog log;
        Status status;
        const int steps = stepToEnd(analysis, &log, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QCOMPARE(steps, 1 + request.repeats + request.permutations);
        QVERIFY(log.monotonic);
        QCOMPARE(log.stages.first(), QStringLiteral("stage 1 of 3: representations"));
        QVERIFY2(log.stages.last().startsWith(QStringLiteral("stage 3 of 3: permutation null")),
                 qPrintable(log.stages.last()));
        const std::shared_ptr<MethodComparisonResult> stepped = analysis.methodComparison();

        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::methodComparisonReady);
        const auto engine = resultOf<MethodComparisonResultPtr>(m_engine->compareMethods(request),
                                                                finished, ready, &status);
        QVERIFY2(status.isOk() && engine, qPrintable(status.message()));
        QCOMPARE(stepped->representation, engine->representation);
        QCOMPARE(stepped->itemCount, engine->itemCount);
        QCOMPARE(stepped->rows.size(), 2);
        QCOMPARE(stepped->rows.size(), engine->rows.size());
        for (int i = 0; i < stepped->rows.size(); ++i) {
            const MethodComparisonRow &a = stepped->rows[i];
            const MethodComparisonRow &b = engine->rows[i];
            QCOMPARE(a.method, b.method);
            QVERIFY(sameValues(
                    {a.balancedAccuracy, a.auc, a.nullMean, a.nullLow, a.nullHigh, a.p},
                    {b.balancedAccuracy, b.auc, b.nullMean, b.nullLow, b.nullHigh, b.p}));
            QVERIFY(a.selectedFeatures == b.selectedFeatures);
            QVERIFY(!a.ensembleWeights.empty());
            QVERIFY(sameValues(a.ensembleWeights, b.ensembleWeights));
        }

        // A method is an enum now: an unknown name is refused where it is read.
        const Result<SelectionMethod> refused =
                parseName<SelectionMethod>(QStringLiteral("no-such-method"));
        QVERIFY(!refused);
        QVERIFY(refused.status().message().contains(QStringLiteral("no-such-method")));
    }

    // Raw representations, the RDM under a clamp set, two model RDMs: a stage per step, then
    // blocks of permutations; the same RDMs, fits and MDS as the engine's request.
    void rsaPipelineEqualsTheEngine()
    {
        RsaRequest request;
        request.set = demoSet(QStringLiteral("demo-valence"));
        request.hookName = kHook;
        request.permutations = 2000;
        request.bootstraps = 20;
        request.seed = 3;
        request.intervention = true;
        request.clamps.clamps << FeatureClamp{1165, ClampMode::Clamp, 50.0};
        auto started = gpu::RsaPipeline::start(*m_model, m_sae, request);
        QVERIFY2(started, qPrintable(started.status().message()));
        gpu::RsaPipeline &pipeline = *started.value();
        QCOMPARE(pipeline.hookName(), kHook);
        QVERIFY(pipeline.needsModel());
        ProgressLog log;
        Status status;
        const int steps = stepToEnd(pipeline, &log, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QVERIFY(!pipeline.needsModel());
        // Represent, clamped, analyse, then more than one block per comparison (2000 > 512).
        QVERIFY2(steps > 3 + 2, qPrintable(QString::number(steps)));
        QVERIFY(log.monotonic);
        QCOMPARE(log.stages.mid(0, 3),
                 QStringList({QStringLiteral("running the model"),
                              QStringLiteral("running the model with the clamp set"),
                              QStringLiteral("RDMs and MDS")}));
        const std::shared_ptr<RsaResult> stepped = pipeline.result();

        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::rsaComputed);
        const auto engine = resultOf<std::shared_ptr<const RsaResult>>(
                m_engine->computeRsa(request), finished, ready, &status);
        QVERIFY2(status.isOk() && engine, qPrintable(status.message()));
        QVERIFY(stepped->rdm.condensed() == engine->rdm.condensed());
        QVERIFY(stepped->clampedRdm.condensed() == engine->clampedRdm.condensed());
        QVERIFY(stepped->clampedRdm.condensed() != stepped->rdm.condensed());
        QCOMPARE(stepped->items, engine->items);
        QCOMPARE(stepped->notes, engine->notes);
        QVERIFY(sameValues(stepped->mdsX, engine->mdsX));
        QVERIFY(sameValues(stepped->mdsY, engine->mdsY));
        QCOMPARE(stepped->models.size(), engine->models.size());
        QVERIFY(!stepped->models.isEmpty());
        for (int m = 0; m < stepped->models.size(); ++m) {
            QCOMPARE(stepped->models[m].name, engine->models[m].name);
            QVERIFY(sameComparison(stepped->models[m].comparison, engine->models[m].comparison));
            QVERIFY(sameComparison(stepped->models[m].clampedComparison,
                                   engine->models[m].clampedComparison));
            QVERIFY(std::isfinite(stepped->models[m].clampedComparison.r));
        }
    }

    void rsaPipelineRefusesBadSettingsBeforeRunning()
    {
        RsaRequest request;
        request.set = demoSet(QStringLiteral("demo-valence"));
        // The metric is an enum now: an unknown name is refused where it is read.
        const Result<RdmMetric> refused = parseName<RdmMetric>(QStringLiteral("manhattan"));
        QVERIFY(!refused);
        QVERIFY(refused.status().message().contains(QStringLiteral("manhattan")));
        // No hook named: the SAE's.
        request.metric = RdmMetric::Cosine;
        auto started = gpu::RsaPipeline::start(*m_model, m_sae, request);
        QVERIFY2(started, qPrintable(started.status().message()));
        QCOMPARE(started.value()->hookName(), m_saeInfo.hookName);
        // ... and without an SAE there is none to take.
        auto noHook = gpu::RsaPipeline::start(*m_model, nullptr, request);
        QVERIFY(!noHook);
        QVERIFY(noHook.status().message().contains(QStringLiteral("choose a hook")));
    }

    void saeEvaluationEqualsTheEngine()
    {
        SaeEvalRequest request;
        request.saePath = test::demoSaePath();
        request.textPath = test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt"));
        request.tokens = 2048;
        request.sequences = 8;
        auto run = gpu::SaeEvaluationRun::start(*m_model, request);
        ProgressLog log;
        Status status;
        QCOMPARE(stepToEnd(*run, &log, &status), 4);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QVERIFY(log.monotonic);
        QVERIFY(log.stages.contains(QStringLiteral("held-out activations")));
        const SaeEvalResult stepped = run->result();

        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::saeEvaluated);
        const auto engine =
                resultOf<SaeEvalResult>(m_engine->evaluateSae(request), finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QCOMPARE(stepped.hookName, engine.hookName);
        QCOMPARE(stepped.tokens, engine.tokens);
        QCOMPARE(stepped.ceTokens, engine.ceTokens);
        QVERIFY(stepped.tokens > 0 && stepped.ceTokens > 0);
        QVERIFY(sameValues(
                {stepped.explainedVariance, stepped.mse, stepped.l0, stepped.deadFraction,
                 stepped.denseFraction, stepped.ceOriginal, stepped.ceSae, stepped.ceZero,
                 stepped.ceWithError, stepped.klSae, stepped.ceLossRecovered},
                {engine.explainedVariance, engine.mse, engine.l0, engine.deadFraction,
                 engine.denseFraction, engine.ceOriginal, engine.ceSae, engine.ceZero,
                 engine.ceWithError, engine.klSae, engine.ceLossRecovered}));
    }

    // One token per step, baseline first, then the steered continuation; the memoised baseline
    // comes back whole in one step for another clamp set. Texts and tokens are the engine's.
    void steeringRunEqualsTheEngine()
    {
        SteeringRequest request;
        request.prompt = QStringLiteral("The jury said");
        request.options.maxNewTokens = 12;
        request.options.temperature = 0.8;
        request.options.seed = 11;
        request.clamps.clamps << FeatureClamp{1165, ClampMode::Clamp, 50.0};
        gpu::SteeringBaselineMemo memo;
        auto started = gpu::SteeringRun::start(*m_model, 1, m_sae, request, &memo);
        QVERIFY2(started, qPrintable(started.status().message()));
        gpu::SteeringRun &run = *started.value();
        QString baseline;
        QString steered;
        int steps = 0;
        while (!run.isFinished()) {
            Result<gpu::SteeringPiece> piece = run.step();
            QVERIFY2(piece, qPrintable(piece.status().message()));
            (piece->stream == SteeringStream::Baseline ? baseline : steered) += piece->text;
            ++steps;
        }
        const SteeringOutcome stepped = run.outcome();
        QVERIFY(!stepped.baselineReused);
        QCOMPARE(steps, stepped.baselineTokens.size() + stepped.steeredTokens.size());
        QVERIFY(steps > 2);
        QCOMPARE(baseline, stepped.baselineText);
        QCOMPARE(steered, stepped.steeredText);

        QSignalSpy finished(m_engine.get(), &EngineClient::finished);
        QSignalSpy ready(m_engine.get(), &EngineClient::steeringFinished);
        Status status;
        const auto engine =
                resultOf<SteeringOutcome>(m_engine->steer(request), finished, ready, &status);
        QVERIFY2(status.isOk(), qPrintable(status.message()));
        QCOMPARE(stepped.baselineTokens, engine.baselineTokens);
        QCOMPARE(stepped.steeredTokens, engine.steeredTokens);
        QCOMPARE(stepped.baselineText, engine.baselineText);
        QCOMPARE(stepped.steeredText, engine.steeredText);
        QVERIFY(stepped.steeredTokens != stepped.baselineTokens);

        request.clamps.clamps[0].value = 20.0;
        auto reused = gpu::SteeringRun::start(*m_model, 1, m_sae, request, &memo);
        QVERIFY2(reused, qPrintable(reused.status().message()));
        Result<gpu::SteeringPiece> first = reused.value()->step();
        QVERIFY2(first, qPrintable(first.status().message()));
        QCOMPARE(first->stream, SteeringStream::Baseline);
        QCOMPARE(first->text, stepped.baselineText);
        QVERIFY(reused.value()->baselineReused());
    }

    // A report answered "stop" inside the activation pass ends the step, and the run, cancelled.
    void saeEvaluationStopsInsideTheActivationPass()
    {
        SaeEvalRequest request;
        request.saePath = test::demoSaePath();
        request.textPath = test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt"));
        request.tokens = 2048;
        auto run = gpu::SaeEvaluationRun::start(*m_model, request);
        const auto goOn = [](double, const QString &) { return true; };
        QVERIFY(run->step(goOn).isOk());  // the SAE
        int reports = 0;
        const Status stopped = run->step([&reports](double, const QString &) {
            ++reports;
            return false;
        });
        QCOMPARE(stopped.code(), Status::Code::Cancelled);
        QVERIFY(reports >= 1);
        QVERIFY(run->isFinished());
    }
};

QTEST_GUILESS_MAIN(TestEngineSteppers)
#include "tst_engine_steppers.moc"
