// "Steer by the concept vector vs by its top contrast features" on the demo model and SAE with the
// demo tense × number set: the vector side at each α equals the next-token distribution with the
// vector `gyrus-cli concept-vector` prints added as a steering vector; the features are the k
// largest mean differences of `gyrus-cli represent --sae`'s features, and the features side at
// each α equals the same distribution with α · Σ Δ_f · W_dec[f] (computed here in double from the
// decoder) added as a steering vector instead of through the clamp splice; α = 0 is the baseline;
// the norms and cosine are recomputed; the CLI prints what the function computes; bad input gets
// one line.

#include "core/prompts/prompt_set_io.h"
#include "core/steering/interventions.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/concept_sweep.h"
#include "gpu/sae/steering/steering.h"
#include "tests/gpu/demo_modules.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/represent_output.h"
#include "tests/support/test_paths.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

const QString kPrompt = QStringLiteral("The children were happy");
const QString kHook = QStringLiteral("blocks.2.hook_resid_post");
const QList<double> kAlphas{0.0, 1.0, 4.0};

QString tenseNumber()
{
    return test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-tense-number.json"));
}

}  // namespace

class TestConceptSweepCli : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<LanguageModel> m_model;
    std::shared_ptr<gpu::detail::SaeModule> m_sae;
    PromptSet m_set;
    std::vector<int> m_tokens;

    ConceptSweepRequest request(int k = 4) const
    {
        ConceptSweepRequest r;
        r.prompt = kPrompt;
        r.concept.set = m_set;
        r.concept.sideA = QStringLiteral("tense=present");
        r.concept.sideB = QStringLiteral("tense=past");
        r.concept.pooling = Pooling::LastToken;
        r.topFeatures = k;
        r.alphas = kAlphas;
        return r;
    }

    std::vector<float> withVector(const std::vector<float> &direction, double alpha)
    {
        Interventions interventions;
        SteeringVector vector;
        vector.hook = kHook;
        vector.label = QStringLiteral("test");
        vector.direction = direction;
        vector.alpha = alpha;
        interventions.vectors.append(vector);
        auto out = nextTokenLogProbabilities(*m_model, m_sae, ClampSet(), m_tokens, interventions);
        return out ? out.value() : std::vector<float>();
    }

private Q_SLOTS:

    void initTestCase()
    {
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        m_sae = demo->sae;
        QCOMPARE(m_sae->config().hookName, kHook);
        auto loaded = loadPromptSet(tenseNumber());
        QVERIFY(loaded);
        m_set = loaded->set;
        auto tokens = m_model->encode(kPrompt);
        QVERIFY(tokens);
        m_tokens = tokens.value();
    }

    void bothSidesEqualIndependentComputations()
    {
        // The concept vector, as `gyrus-cli concept-vector` prints it.
        const test::ProcessRun concept = test::runCli(
                {QStringLiteral("concept-vector"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), tenseNumber(), QStringLiteral("--hook"), kHook,
                 QStringLiteral("--pooling"), QStringLiteral("last"), QStringLiteral("--a"),
                 QStringLiteral("tense=present"), QStringLiteral("--b"),
                 QStringLiteral("tense=past")});
        QVERIFY2(concept.exitCode == 0, qPrintable(concept.err));
        Result<SteeringVector> vector =
                steeringVectorFromJson(concept.out, QStringLiteral("concept.json"), 1.0);
        QVERIFY2(vector, qPrintable(vector.status().message()));

        // The SAE features of every item (last token), as `gyrus-cli represent --sae` writes them.
        Result<test::RepresentedItems> items = test::representItems(
                {QStringLiteral("--model"), test::demoModelPath(), QStringLiteral("--prompts"),
                 tenseNumber(), QStringLiteral("--sae"), test::demoSaePath(),
                 QStringLiteral("--pooling"), QStringLiteral("last"), QStringLiteral("--no-cache")},
                QStringLiteral("tense"));
        QVERIFY2(items, qPrintable(items.status().message()));
        QCOMPARE(items->features.cols, m_sae->config().dSae);
        const std::vector<double> difference =
                test::levelMeanDifference(items->features, items->labels).difference;
        std::vector<int> order(difference.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
            return std::abs(difference[size_t(a)]) > std::abs(difference[size_t(b)]);
        });

        Result<ConceptSweepResult> result = sweepConceptSteering(*m_model, m_sae, request(4));
        QVERIFY2(result, qPrintable(result.status().message()));
        QCOMPARE(result->hook, kHook);
        QCOMPARE(result->features.size(), 4);
        std::vector<double> sum(size_t(m_model->config().hiddenSize), 0.0);
        at::Tensor decoder;
        {
            c10::InferenceMode guard;
            decoder = m_sae->weights().wDec.to(at::kCPU, at::kDouble).contiguous();
        }
        for (int i = 0; i < 4; ++i) {
            const ConceptSweepFeature &feature = result->features[i];
            QCOMPARE(feature.feature, order[size_t(i)]);
            QVERIFY(std::abs(feature.difference - difference[size_t(order[size_t(i)])]) < 1e-5);
            const double *row =
                    decoder.data_ptr<double>() + int64_t(feature.feature) * decoder.size(1);
            for (size_t c = 0; c < sum.size(); ++c) {
                sum[c] += difference[size_t(feature.feature)] * row[c];
            }
        }
        double sumNorm = 0.0;
        double vNorm = 0.0;
        double dot = 0.0;
        for (size_t c = 0; c < sum.size(); ++c) {
            sumNorm += sum[c] * sum[c];
            vNorm += double(vector->direction[c]) * double(vector->direction[c]);
            dot += sum[c] * double(vector->direction[c]);
        }
        sumNorm = std::sqrt(sumNorm);
        vNorm = std::sqrt(vNorm);
        QVERIFY(std::abs(result->conceptNorm - vNorm) < 1e-4 * vNorm);
        QVERIFY(std::abs(result->featuresNorm - sumNorm) < 1e-4 * sumNorm);
        QVERIFY(std::abs(result->cosine - dot / (sumNorm * vNorm)) < 1e-4);

        // The baseline's top token is tracked.
        const std::vector<float> plain = withVector(vector->direction, 0.0);
        QVERIFY(!plain.empty());
        const int top = int(std::max_element(plain.begin(), plain.end()) - plain.begin());
        QCOMPARE(result->targetId, top);
        QVERIFY(std::abs(result->baselineLogProbability - plain[size_t(top)]) < 1e-6);

        const std::vector<float> featureVector(sum.begin(), sum.end());
        QCOMPARE(result->points.size(), kAlphas.size());
        bool movedSomething = false;
        for (int i = 0; i < kAlphas.size(); ++i) {
            const ConceptSweepPoint &point = result->points[i];
            QCOMPARE(point.alpha, kAlphas[i]);
            const std::vector<float> byVector = withVector(vector->direction, point.alpha);
            const std::vector<float> byFeatures = withVector(featureVector, point.alpha);
            QVERIFY(std::abs(point.conceptLogProbability - byVector[size_t(top)]) < 1e-4);
            QVERIFY(std::abs(point.conceptKl - klDivergence(plain, byVector)) < 1e-5);
            QVERIFY2(std::abs(point.featuresLogProbability - byFeatures[size_t(top)]) < 1e-3,
                     qPrintable(QStringLiteral("α %1: %2 vs %3")
                                        .arg(point.alpha)
                                        .arg(point.featuresLogProbability)
                                        .arg(byFeatures[size_t(top)])));
            QVERIFY(std::abs(point.featuresKl - klDivergence(plain, byFeatures)) < 1e-4);
            if (point.alpha == 0.0) {
                QVERIFY(std::abs(point.conceptLogProbability - result->baselineLogProbability) <
                        1e-6);
                QVERIFY(std::abs(point.featuresLogProbability - result->baselineLogProbability) <
                        1e-6);
                QVERIFY(point.conceptKl < 1e-9);
                QVERIFY(point.featuresKl < 1e-9);
            } else {
                movedSomething = movedSomething || point.conceptKl > 1e-4;
            }
        }
        QVERIFY(movedSomething);
    }

    void cliPrintsTheFunctionsResult()
    {
        Result<ConceptSweepResult> result = sweepConceptSteering(*m_model, m_sae, request(3));
        QVERIFY(result);
        const test::ProcessRun run = test::runCli(
                {QStringLiteral("concept-sweep"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--sae"), test::demoSaePath(), QStringLiteral("--prompts"),
                 tenseNumber(), QStringLiteral("--a"), QStringLiteral("tense=present"),
                 QStringLiteral("--b"), QStringLiteral("tense=past"), QStringLiteral("--prompt"),
                 kPrompt, QStringLiteral("--alphas"), QStringLiteral("0,1,4"),
                 QStringLiteral("--top"), QStringLiteral("3")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject json = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(json[QStringLiteral("hook")].toString(), kHook);
        QCOMPARE(json[QStringLiteral("target_id")].toInt(), result->targetId);
        const QJsonArray features = json[QStringLiteral("features")].toArray();
        QCOMPARE(features.size(), result->features.size());
        for (int i = 0; i < features.size(); ++i) {
            QCOMPARE(features[i].toObject()[QStringLiteral("feature")].toInt(),
                     result->features[i].feature);
        }
        const QJsonArray points = json[QStringLiteral("points")].toArray();
        QCOMPARE(points.size(), result->points.size());
        for (int i = 0; i < points.size(); ++i) {
            const QJsonObject point = points[i].toObject();
            QCOMPARE(point[QStringLiteral("alpha")].toDouble(), result->points[i].alpha);
            QCOMPARE(point[QStringLiteral("concept_log_probability")].toDouble(),
                     result->points[i].conceptLogProbability);
            QCOMPARE(point[QStringLiteral("features_kl")].toDouble(), result->points[i].featuresKl);
        }
    }

    void badInputGetsOneLine()
    {
        const QStringList base{QStringLiteral("concept-sweep"),
                               QStringLiteral("--model"),
                               test::demoModelPath(),
                               QStringLiteral("--sae"),
                               test::demoSaePath(),
                               QStringLiteral("--prompts"),
                               tenseNumber(),
                               QStringLiteral("--prompt"),
                               kPrompt};
        const test::ProcessRun side = test::runCli(
                base + QStringList{QStringLiteral("--a"), QStringLiteral("tense=future"),
                                   QStringLiteral("--b"), QStringLiteral("tense=past")});
        QCOMPARE(side.exitCode, 2);
        QVERIFY2(side.err.contains(QStringLiteral("no level 'future'")), qPrintable(side.err));
        QCOMPARE(side.err.trimmed().count(QLatin1Char('\n')), 0);
        const test::ProcessRun alphas = test::runCli(
                base + QStringList{QStringLiteral("--a"), QStringLiteral("tense=present"),
                                   QStringLiteral("--b"), QStringLiteral("tense=past"),
                                   QStringLiteral("--alphas"), QStringLiteral("1,x")});
        QCOMPARE(alphas.exitCode, 2);
        QVERIFY2(alphas.err.contains(QStringLiteral("--alphas")), qPrintable(alphas.err));
        const test::ProcessRun same = test::runCli(
                base + QStringList{QStringLiteral("--a"), QStringLiteral("tense=past"),
                                   QStringLiteral("--b"), QStringLiteral("tense=past")});
        QCOMPARE(same.exitCode, 2);
        QVERIFY2(same.err.contains(QStringLiteral("both 'tense=past'")), qPrintable(same.err));
    }
};

QTEST_GUILESS_MAIN(TestConceptSweepCli)
#include "tst_concept_sweep_cli.moc"
