// Cross-validated method comparison: selection stays inside the folds.

#include "gpu/analysis/method_comparison.h"

#include <QElapsedTimer>
#include <QtTest>

#include <cmath>
#include <random>

#include "bench/method_comparison/legacy_method_comparison.h"

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

FloatMatrix makeData(int items, int features, int signalFeatures, float signal, uint32_t seed,
                     std::vector<int64_t> *labels)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> noise(0.f, 1.f);
    FloatMatrix x;
    x.rows = items;
    x.cols = features;
    labels->clear();
    for (int i = 0; i < items; ++i) {
        labels->push_back(i % 2);
        for (int f = 0; f < features; ++f) {
            x.values.push_back((f < signalFeatures ? signal * float(i % 2) : 0.f) + noise(rng));
        }
    }
    return x;
}

}  // namespace

class TestMethodComparison : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void pureNoiseStaysAtChance()
    {
        // Leakage test: 40 items, 400 noise features. Selecting the 8 "best" on all items before
        // splitting would decode well above chance; selection inside the folds must not.
        std::vector<int64_t> labels;
        const FloatMatrix x = makeData(40, 400, 0, 0.f, 1, &labels);
        ComparisonOptions options;
        options.repeats = 5;
        options.permutations = 20;
        for (SelectionMethod method :
             {SelectionMethod::Univariate, SelectionMethod::PooledSeparationR}) {
            const auto score = crossValidatedScore(x, labels, method, options);
            QVERIFY2(score.isOk(), qPrintable(score.status().message()));
            QVERIFY2(score->balancedAccuracy < 0.66,
                     qPrintable(QStringLiteral("%1: %2")
                                        .arg(nameOf(method))
                                        .arg(score->balancedAccuracy)));
            QVERIFY(score->auc < 0.72);
            QVERIFY(score->p > 0.05);
        }
    }

    void plantedSignalIsDecoded()
    {
        std::vector<int64_t> labels;
        const FloatMatrix x = makeData(40, 200, 4, 2.0f, 2, &labels);
        ComparisonOptions options;
        options.repeats = 5;
        options.permutations = 20;
        const auto score = crossValidatedScore(x, labels, SelectionMethod::Univariate, options);
        QVERIFY(score.isOk());
        QVERIFY2(score->balancedAccuracy > 0.85,
                 qPrintable(QString::number(score->balancedAccuracy)));
        QVERIFY(score->auc > 0.9);
        QVERIFY(score->balancedAccuracyLow <= score->balancedAccuracy);
        QVERIFY(score->balancedAccuracyHigh >= score->balancedAccuracy);
        QCOMPARE(score->p, 1.0 / 21.0);  // no permutation reaches it
        QVERIFY(score->nullMean < 0.7);
    }

    void deterministicForASeed()
    {
        std::vector<int64_t> labels;
        const FloatMatrix x = makeData(30, 50, 3, 1.0f, 3, &labels);
        ComparisonOptions options;
        options.repeats = 3;
        options.permutations = 5;
        const auto a = crossValidatedScore(x, labels, SelectionMethod::PooledSeparationD, options);
        const auto b = crossValidatedScore(x, labels, SelectionMethod::PooledSeparationD, options);
        QCOMPARE(a->balancedAccuracy, b->balancedAccuracy);
        QCOMPARE(a->p, b->p);
    }

    // The statistics are now shared between methods and folds and the fits run in plain C++:
    // the numbers must be those of the code this replaced (kept in bench/method_comparison/).
    void sameNumbersAsTheReplacedCode()
    {
        std::vector<int64_t> labels;
        FloatMatrix x = makeData(36, 90, 5, 1.2f, 11, &labels);
        // Sparse, non-negative columns like SAE features, and one constant column.
        for (int64_t i = 0; i < x.rows; ++i) {
            for (int64_t f = 60; f < 90; ++f) {
                float &value = x.values[size_t(i * x.cols + f)];
                value = value > 0.8f ? value : 0.f;
            }
            x.values[size_t(i * x.cols + 59)] = 3.f;
        }
        ComparisonOptions options;
        options.repeats = 3;
        options.permutations = 4;
        options.k = 6;
        const std::vector<SelectionMethod> methods = {
                SelectionMethod::MeanDifference, SelectionMethod::Univariate,
                SelectionMethod::PooledSeparationR, SelectionMethod::PooledSeparationD};
        const auto scores = compareSelectionMethods(x, labels, methods, options);
        QVERIFY2(scores.isOk(), qPrintable(scores.status().message()));
        for (size_t m = 0; m < methods.size(); ++m) {
            const auto old = bench::legacyCrossValidatedScore(x, labels, methods[m], options);
            QVERIFY(old.isOk());
            const MethodScore &now = scores.value()[m];
            QCOMPARE(now.repeatAccuracies, old->repeatAccuracies);
            QCOMPARE(now.repeatAucs, old->repeatAucs);
            QCOMPARE(now.nullAccuracies, old->nullAccuracies);
            QCOMPARE(now.balancedAccuracy, old->balancedAccuracy);
            QCOMPARE(now.auc, old->auc);
            QCOMPARE(now.p, old->p);
            QCOMPARE(now.nullMean, old->nullMean);
        }
    }

    // A method's numbers do not depend on what it is compared with, nor on how many splits each
    // step runs (in parallel); methods that always choose the same features say so.
    void methodsShareSplitsAndIdenticalOnesAreFlagged()
    {
        std::vector<int64_t> labels;
        const FloatMatrix x = makeData(30, 60, 4, 1.5f, 12, &labels);
        ComparisonOptions options;
        options.repeats = 3;
        options.permutations = 5;
        const std::vector<SelectionMethod> methods = {SelectionMethod::Univariate,
                                                      SelectionMethod::PooledSeparationR,
                                                      SelectionMethod::PooledSeparationD};
        auto created = MethodComparisonRun::create(x, labels, methods, options);
        QVERIFY(created.isOk());
        MethodComparisonRun &run = created.value();
        int steps = 0;
        while (!run.isFinished()) {
            QVERIFY(run.step(steps % 2 ? 3 : 1).isOk());
            ++steps;
        }
        QCOMPARE(run.stepsDone(), 8);
        const std::vector<MethodScore> stepped = run.scores();
        const auto alone =
                crossValidatedScore(x, labels, SelectionMethod::PooledSeparationR, options);
        QCOMPARE(stepped[1].repeatAccuracies, alone->repeatAccuracies);
        QCOMPARE(stepped[1].nullAccuracies, alone->nullAccuracies);
        QCOMPARE(stepped[1].p, alone->p);
        // Balanced folds (15 + 15 items, 12 + 12 in training): both pooled separations rank
        // alike, so the second is the first's numbers, computed once.
        QCOMPARE(stepped[2].sameSelectionsAs, QStringLiteral("pooled-separation-r"));
        QCOMPARE(stepped[2].repeatAccuracies, stepped[1].repeatAccuracies);
        QVERIFY(stepped[1].sameSelectionsAs.isEmpty());
        QCOMPARE(comparisonSplits(labels, options).size(), size_t(8));
    }

    void rejectsTooFewItems()
    {
        std::vector<int64_t> labels;
        const FloatMatrix x = makeData(8, 5, 1, 1.0f, 4, &labels);
        QVERIFY(!crossValidatedScore(x, labels, SelectionMethod::Univariate, ComparisonOptions{})
                         .isOk());
    }

    // The ensemble classifier on all items is the penalised maximum-likelihood fit: at its
    // weights the gradient of the L2-penalised log-likelihood (intercept unpenalised) vanishes,
    // computed here from the definition; the planted features get the largest weights, with the
    // sign of their effect.
    void ensembleClassifierIsThePenalisedFit()
    {
        std::vector<int64_t> labels;
        FloatMatrix x = makeData(60, 6, 2, 1.5f, 11, &labels);
        for (int i = 0; i < 60; ++i) {
            x.values[size_t(i * 6 + 1)] *= -1.0f;  // feature 1 is lower for label 1
        }
        const std::vector<int64_t> features = {4, 0, 1, 5};
        const double l2 = 0.7;
        const auto fit = fitEnsembleClassifier(x, labels, features, l2);
        QVERIFY2(fit.isOk(), qPrintable(fit.status().message()));
        QCOMPARE(fit->features, features);
        std::vector<double> gradient(features.size() + 1, 0.0);
        for (int i = 0; i < 60; ++i) {
            std::vector<double> z(features.size());
            double eta = fit->intercept;
            for (size_t j = 0; j < features.size(); ++j) {
                z[j] = (double(x.values[size_t(i * 6 + features[j])]) - fit->means[j]) /
                       fit->sds[j];
                eta += fit->weights[j] * z[j];
            }
            const double residual = 1.0 / (1.0 + std::exp(-eta)) - double(labels[size_t(i)]);
            gradient[0] += residual;
            for (size_t j = 0; j < features.size(); ++j) {
                gradient[j + 1] += residual * z[j];
            }
        }
        QVERIFY(std::abs(gradient[0]) < 1e-8);
        for (size_t j = 0; j < features.size(); ++j) {
            QVERIFY2(std::abs(gradient[j + 1] + l2 * fit->weights[j]) < 1e-8,
                     qPrintable(QString::number(gradient[j + 1] + l2 * fit->weights[j])));
        }
        QVERIFY(fit->weights[1] > 0.5 && fit->weights[2] < -0.5);
        QVERIFY(std::abs(fit->weights[0]) < fit->weights[1]);
        QVERIFY(std::abs(fit->weights[3]) < fit->weights[1]);
        QVERIFY(!fitEnsembleClassifier(x, labels, {6}, l2).isOk());
        QVERIFY(!fitEnsembleClassifier(x, std::vector<int64_t>(60, 1), features, l2).isOk());
    }
};

QTEST_GUILESS_MAIN(TestMethodComparison)
#include "tst_method_comparison.moc"
