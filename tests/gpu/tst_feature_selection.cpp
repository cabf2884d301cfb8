// Feature selection scores: planted structure, and the RSA scores against naive loops.

#include "gpu/analysis/feature_selection.h"

#include <QtTest>

#include <cmath>
#include <random>
#include <set>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

// Naive reference of both RSA scores for one feature column.
std::pair<double, double> naiveRsa(const std::vector<double> &v, const std::vector<int64_t> &labels)
{
    std::vector<double> d;
    std::vector<double> m;
    std::vector<double> between;
    std::vector<double> withinA;
    std::vector<double> withinB;
    for (size_t i = 0; i < v.size(); ++i) {
        for (size_t j = i + 1; j < v.size(); ++j) {
            const double dist = std::abs(v[i] - v[j]);
            d.push_back(dist);
            m.push_back(labels[i] != labels[j] ? 1.0 : 0.0);
            if (labels[i] != labels[j]) {
                between.push_back(dist);
            } else {
                (labels[i] == 0 ? withinA : withinB).push_back(dist);
            }
        }
    }
    auto mean = [](const std::vector<double> &x) {
        double s = 0;
        for (double e : x) {
            s += e;
        }
        return s / double(x.size());
    };
    const double md = mean(d);
    const double mm = mean(m);
    double sdm = 0, sdd = 0, smm = 0;
    for (size_t k = 0; k < d.size(); ++k) {
        sdm += (d[k] - md) * (m[k] - mm);
        sdd += (d[k] - md) * (d[k] - md);
        smm += (m[k] - mm) * (m[k] - mm);
    }
    const double discriminative = sdm / std::sqrt(sdd * smm);
    std::vector<double> within = withinA;
    within.insert(within.end(), withinB.begin(), withinB.end());
    auto var = [&](const std::vector<double> &x) {
        const double mx = mean(x);
        double s = 0;
        for (double e : x) {
            s += (e - mx) * (e - mx);
        }
        return s / double(x.size() - 1);
    };
    const double nb = double(between.size());
    const double nw = double(within.size());
    const double pooled =
            std::sqrt(((nb - 1) * var(between) + (nw - 1) * var(within)) / (nb + nw - 2));
    const double categorical = (mean(between) - 0.5 * (mean(withinA) + mean(withinB))) / pooled;
    return {discriminative, categorical};
}

}  // namespace

class TestFeatureSelection : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void plantedFeaturesRankFirstForEveryMethod()
    {
        const int items = 40;
        const int features = 60;
        std::mt19937 rng(5);
        std::normal_distribution<float> noise(0.f, 1.f);
        FloatMatrix x;
        x.rows = items;
        x.cols = features;
        std::vector<int64_t> labels;
        for (int i = 0; i < items; ++i) {
            labels.push_back(i % 2);
            for (int f = 0; f < features; ++f) {
                const float signal = f < 5 ? 2.0f * float(i % 2) * (f % 2 ? -1.f : 1.f) : 0.f;
                x.values.push_back(signal + (f < 5 ? 0.5f : 1.0f) * noise(rng));
            }
        }
        for (SelectionMethod method :
             {SelectionMethod::MeanDifference, SelectionMethod::Univariate,
              SelectionMethod::PooledSeparationR, SelectionMethod::PooledSeparationD}) {
            auto scores = featureScores(x, labels, method);
            QVERIFY2(scores.isOk(), qPrintable(scores.status().message()));
            const std::vector<int64_t> top = topFeatures(scores.value(), 5);
            QCOMPARE(std::set<int64_t>(top.begin(), top.end()), (std::set<int64_t>{0, 1, 2, 3, 4}));
        }
    }

    void rsaScoresMatchNaiveLoops()
    {
        std::mt19937 rng(9);
        std::normal_distribution<double> noise(0.0, 1.0);
        const int items = 13;  // unbalanced: 7 and 6
        FloatMatrix x;
        x.rows = items;
        x.cols = 4;
        std::vector<int64_t> labels;
        std::vector<std::vector<double>> columns(4);
        for (int i = 0; i < items; ++i) {
            labels.push_back(i < 7 ? 0 : 1);
            for (int f = 0; f < 4; ++f) {
                const float value = float(noise(rng) + (f == 0 ? labels.back() : 0));
                x.values.push_back(value);
                columns[size_t(f)].push_back(double(value));
            }
        }
        const auto discriminative =
                featureScores(x, labels, SelectionMethod::PooledSeparationR).value();
        const auto categorical =
                featureScores(x, labels, SelectionMethod::PooledSeparationD).value();
        for (int f = 0; f < 4; ++f) {
            const auto [expectedD, expectedC] = naiveRsa(columns[size_t(f)], labels);
            QVERIFY2(std::abs(discriminative[size_t(f)] - expectedD) < 1e-9,
                     qPrintable(QStringLiteral("%1 vs %2")
                                        .arg(discriminative[size_t(f)])
                                        .arg(expectedD)));
            QVERIFY(std::abs(categorical[size_t(f)] - expectedC) < 1e-9);
        }
    }

    void constantFeatureScoresZero()
    {
        FloatMatrix x;
        x.rows = 4;
        x.cols = 1;
        x.values = {1.f, 1.f, 1.f, 1.f};
        for (SelectionMethod method :
             {SelectionMethod::PooledSeparationR, SelectionMethod::PooledSeparationD}) {
            QCOMPARE(featureScores(x, {0, 0, 1, 1}, method).value().at(0), 0.0);
        }
    }

    void rejectsBadLabels()
    {
        FloatMatrix x;
        x.rows = 4;
        x.cols = 1;
        x.values = {1.f, 2.f, 3.f, 4.f};
        QVERIFY(!featureScores(x, {0, 1, 2, 1}, SelectionMethod::Univariate).isOk());
        QVERIFY(!featureScores(x, {0, 1, 1, 1}, SelectionMethod::PooledSeparationD).isOk());
        QVERIFY(!featureScores(x, {0, 1, 1}, SelectionMethod::MeanDifference).isOk());
    }

    void topFeaturesBreakTiesByIndexAndSkipNaN()
    {
        QCOMPARE(topFeatures({1.0, 3.0, NAN, 3.0, 2.0}, 3), (std::vector<int64_t>{1, 3, 4}));
        QCOMPARE(topFeatures({1.0}, 5).size(), size_t(1));
        for (const QString &name : pooledSelectionMethodNames()) {
            QCOMPARE(nameOf(fromName<SelectionMethod>(name).value()), name);
        }
        // The former names still select what they always computed.
        QCOMPARE(fromName<SelectionMethod>(QStringLiteral("max-activation")),
                 SelectionMethod::MeanDifference);
        QCOMPARE(fromName<SelectionMethod>(QStringLiteral("discriminative-rsa")),
                 SelectionMethod::PooledSeparationR);
        QCOMPARE(fromName<SelectionMethod>(QStringLiteral("categorical-rsa")),
                 SelectionMethod::PooledSeparationD);
        QVERIFY(!fromName<SelectionMethod>(QStringLiteral("rsa")));
    }

    // The two pooled-separation forms: on a balanced design r = c·D / sqrt(1 + c'·D²) with
    // positive constants (the total sum of squares of the pair distances is the within-group one
    // plus the between-group part), a strictly increasing function of D, so they rank every
    // feature alike; on an unbalanced design D weighs each condition's pairs equally and r weighs
    // every pair equally, so the rankings can differ.
    void pooledSeparationFormsRankAlikeOnlyWhenBalanced()
    {
        std::mt19937 rng(17);
        std::normal_distribution<float> noise(0.f, 1.f);
        std::gamma_distribution<float> spread(1.5f, 1.0f);
        auto table = [&](int countA, int countB, std::vector<int64_t> *labels) {
            const int features = 400;
            FloatMatrix x{countA + countB, features, {}};
            labels->clear();
            for (int i = 0; i < countA + countB; ++i) {
                labels->push_back(i < countA ? 0 : 1);
            }
            std::vector<float> scaleA(features);
            std::vector<float> scaleB(features);
            std::vector<float> shift(features);
            for (int f = 0; f < features; ++f) {
                scaleA[size_t(f)] = spread(rng);
                scaleB[size_t(f)] = spread(rng);
                shift[size_t(f)] = noise(rng);
            }
            for (int i = 0; i < countA + countB; ++i) {
                for (int f = 0; f < features; ++f) {
                    const bool a = i < countA;
                    x.values.push_back(a ? scaleA[size_t(f)] * noise(rng)
                                         : shift[size_t(f)] + scaleB[size_t(f)] * noise(rng));
                }
            }
            return x;
        };
        auto ranking = [](const std::vector<double> &scores) {
            return topFeatures(scores, int64_t(scores.size()));
        };
        std::vector<int64_t> labels;
        const FloatMatrix balanced = table(20, 20, &labels);
        QCOMPARE(ranking(featureScores(balanced, labels, SelectionMethod::PooledSeparationR)
                                 .value()),
                 ranking(featureScores(balanced, labels, SelectionMethod::PooledSeparationD)
                                 .value()));
        const FloatMatrix unbalanced = table(8, 32, &labels);
        QVERIFY(ranking(featureScores(unbalanced, labels, SelectionMethod::PooledSeparationR)
                                .value()) !=
                ranking(featureScores(unbalanced, labels, SelectionMethod::PooledSeparationD)
                                .value()));
    }

    void seedMaxActivationIsTheLargestValueWhateverTheCondition()
    {
        FloatMatrix x{4, 3, {0.f, 5.f, -1.f, 9.f, 1.f, -2.f, 0.f, 2.f, -3.f, 1.f, 3.f, -4.f}};
        const auto scores = featureScores(x, {0, 0, 1, 1}, SelectionMethod::SeedMaxActivation);
        QCOMPARE(scores.value(), (std::vector<double>{9.0, 5.0, -1.0}));
    }
};

QTEST_GUILESS_MAIN(TestFeatureSelection)
#include "tst_feature_selection.moc"
