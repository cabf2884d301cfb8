// Cross-validated method comparison: selection stays inside the folds.

#include "gpu/analysis/method_comparison.h"

#include <QElapsedTimer>
#include <QtTest>

#include <random>

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
             {SelectionMethod::Univariate, SelectionMethod::DiscriminativeRsa}) {
            const auto score = crossValidatedScore(x, labels, method, options);
            QVERIFY2(score.isOk(), qPrintable(score.status().message()));
            QVERIFY2(score->balancedAccuracy < 0.66,
                     qPrintable(QStringLiteral("%1: %2")
                                        .arg(selectionMethodName(method))
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
        const auto a = crossValidatedScore(x, labels, SelectionMethod::CategoricalRsa, options);
        const auto b = crossValidatedScore(x, labels, SelectionMethod::CategoricalRsa, options);
        QCOMPARE(a->balancedAccuracy, b->balancedAccuracy);
        QCOMPARE(a->p, b->p);
    }

    void rejectsTooFewItems()
    {
        std::vector<int64_t> labels;
        const FloatMatrix x = makeData(8, 5, 1, 1.0f, 4, &labels);
        QVERIFY(!crossValidatedScore(x, labels, SelectionMethod::Univariate, ComparisonOptions{})
                         .isOk());
    }
};

QTEST_GUILESS_MAIN(TestMethodComparison)
#include "tst_method_comparison.moc"
