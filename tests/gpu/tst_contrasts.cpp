// Univariate contrasts against scipy.stats (fixtures from tests/data/stats/).

#include "gpu/analysis/contrasts.h"
#include "tests/gpu/stats_fixture.h"

#include <QtTest>

#include <algorithm>
#include <numeric>
#include <random>

using gyrus::FloatMatrix;
using gyrus::test::doubles;
using gyrus::test::relativeMismatch;

namespace {

FloatMatrix matrix(const gyrus::Hdf5Reader &reader, const QString &name)
{
    gyrus::Result<FloatMatrix> m = reader.readFloatMatrix(name);
    return m ? m.value() : FloatMatrix();
}

std::vector<int64_t> ints(const gyrus::Hdf5Reader &reader, const QString &name)
{
    gyrus::Result<std::vector<int64_t>> v = reader.readIntVector(name);
    return v ? v.value() : std::vector<int64_t>();
}

}  // namespace

class TestContrasts : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void welchMatchesScipy()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const gyrus::Result<gyrus::ContrastResult> r =
                gyrus::gpu::twoGroupContrast(matrix(*h, QStringLiteral("contrast/x")),
                                             ints(*h, QStringLiteral("contrast/labels")), 1, 0);
        QVERIFY2(r.isOk(), qPrintable(r.status().message()));
        const char *names[] = {"t", "p", "df", "d", "g", "q", "mean_diff"};
        const std::vector<double> *actual[] = {&r->t, &r->p, &r->df,      &r->d,
                                               &r->g, &r->q, &r->meanDiff};
        for (size_t k = 0; k < 7; ++k) {
            const QString error = relativeMismatch(
                    *actual[k], doubles(*h, QStringLiteral("contrast/") + QLatin1String(names[k])),
                    1e-6);
            QVERIFY2(error.isEmpty(),
                     qPrintable(QLatin1String(names[k]) + QStringLiteral(": ") + error));
        }
        QCOMPARE(r->countA, 18);
        QCOMPARE(r->countB, 22);
        // Feature 7 is constant in both groups: flagged, t = 0, p = 1. Feature 8 is constant in
        // one group only, which Welch's test handles.
        QVERIFY(r->zeroVariance[7]);
        QVERIFY(!r->zeroVariance[8]);
        QCOMPARE(std::count(r->zeroVariance.begin(), r->zeroVariance.end(), true), 1);
        QVERIFY(!r->hasPaired());
    }

    void pairedMatchesScipy()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        gyrus::gpu::ContrastOptions options;
        for (int64_t k = 0; k < 15; ++k) {
            options.pairs.emplace_back(k, k + 15);
        }
        const gyrus::Result<gyrus::ContrastResult> r = gyrus::gpu::twoGroupContrast(
                matrix(*h, QStringLiteral("paired/x")), ints(*h, QStringLiteral("paired/labels")),
                1, 0, options);
        QVERIFY2(r.isOk(), qPrintable(r.status().message()));
        QVERIFY(r->hasPaired());
        QCOMPARE(r->pairCount, 15);
        QString error = relativeMismatch(r->pairedT, doubles(*h, QStringLiteral("paired/t")), 1e-6);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        error = relativeMismatch(r->pairedP, doubles(*h, QStringLiteral("paired/p")), 1e-6);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // The paired test is far more sensitive here: the items share a large item effect.
        QVERIFY(*std::min_element(r->pairedP.begin(), r->pairedP.end()) <
                *std::min_element(r->p.begin(), r->p.end()));
    }

    void pairsMustJoinTheTwoConditions()
    {
        FloatMatrix x{4, 1, {1, 2, 3, 4}};
        gyrus::gpu::ContrastOptions options;
        options.pairs = {{0, 1}, {2, 1}};  // item 2 is in condition B
        const auto r = gyrus::gpu::twoGroupContrast(x, {1, 0, 0, 1}, 1, 0, options);
        QVERIFY(!r.isOk());
        QVERIFY(r.status().message().contains(QStringLiteral("pair 1")));
    }

    void factorialMatchesReference()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const gyrus::Result<gyrus::FactorialContrasts> r =
                gyrus::gpu::factorialContrasts(matrix(*h, QStringLiteral("factorial/x")),
                                               ints(*h, QStringLiteral("factorial/levels_a")),
                                               ints(*h, QStringLiteral("factorial/levels_b")));
        QVERIFY2(r.isOk(), qPrintable(r.status().message()));
        QCOMPARE(r->cellCounts[0], 7);
        QCOMPARE(r->cellCounts[3], 10);
        const std::pair<const char *, const gyrus::ContrastResult *> contrasts[] = {
                {"main_a", &r->mainA}, {"main_b", &r->mainB}, {"interaction", &r->interaction}};
        for (const auto &[name, result] : contrasts) {
            const QString prefix = QStringLiteral("factorial/") + QLatin1String(name);
            const std::pair<const char *, const std::vector<double> *> fields[] = {
                    {"/t", &result->t},
                    {"/df", &result->df},
                    {"/p", &result->p},
                    {"/d", &result->d},
                    {"/g", &result->g}};
            for (const auto &[field, values] : fields) {
                const QString error =
                        relativeMismatch(*values, doubles(*h, prefix + QLatin1String(field)), 1e-6);
                QVERIFY2(error.isEmpty(),
                         qPrintable(prefix + QLatin1String(field) + QStringLiteral(": ") + error));
            }
        }
    }

    void factorialNeedsTwoLevelsAndFilledCells()
    {
        FloatMatrix x{6, 1, {1, 2, 3, 4, 5, 6}};
        auto r = gyrus::gpu::factorialContrasts(x, {0, 0, 1, 1, 2, 2}, {0, 1, 0, 1, 0, 1});
        QVERIFY(!r.isOk());
        QVERIFY(r.status().message().contains(QStringLiteral("3 levels")));
        r = gyrus::gpu::factorialContrasts(x, {0, 0, 0, 1, 1, 1}, {0, 0, 1, 0, 1, 1});
        QVERIFY(!r.isOk());
        QVERIFY(r.status().message().contains(QStringLiteral("has 1 items")));
    }

    void benjaminiHochbergMatchesNumpy()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const std::vector<double> q =
                gyrus::gpu::benjaminiHochberg(doubles(*h, QStringLiteral("bh/p")));
        const QString error = relativeMismatch(q, doubles(*h, QStringLiteral("bh/q")), 1e-12);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(gyrus::gpu::benjaminiHochberg({}).empty());
        // Monotone and capped: a large p never gets a smaller q than a smaller p.
        const std::vector<double> p = {0.9, 0.01, 0.04, 0.03, 1.0};
        const std::vector<double> qs = gyrus::gpu::benjaminiHochberg(p);
        // Raw p·m/rank: 0.05, 0.075, 0.0667, 1.125, 1.0; the running minimum from the top pulls
        // p = 0.03 down to 1/15 and caps p = 0.9 at 1.
        QCOMPARE(qs[1], 0.05);
        QCOMPARE(qs[3], 1.0 / 15.0);
        QCOMPARE(qs[2], 1.0 / 15.0);
        QCOMPARE(qs[0], 1.0);
        QCOMPARE(qs[4], 1.0);
    }

    void plantedFeaturesRankFirst()
    {
        // 500 features, 40 + 40 items; five planted features separate the conditions by
        // 1.2 SD. The contrast must rank exactly those five first and keep them under q < 0.05.
        constexpr int64_t kItems = 80;
        constexpr int64_t kFeatures = 500;
        const std::vector<int64_t> planted = {7, 42, 99, 250, 401};
        std::mt19937_64 rng(7);
        std::normal_distribution<float> normal(0.0F, 1.0F);
        FloatMatrix x{kItems, kFeatures, std::vector<float>(kItems * kFeatures)};
        std::vector<int64_t> labels(kItems);
        for (int64_t i = 0; i < kItems; ++i) {
            labels[static_cast<size_t>(i)] = i % 2;
            for (int64_t f = 0; f < kFeatures; ++f) {
                x.values[static_cast<size_t>(i * kFeatures + f)] = normal(rng) + 3.0F;
            }
            for (int64_t f : planted) {
                x.values[static_cast<size_t>(i * kFeatures + f)] +=
                        1.2F * static_cast<float>(i % 2);
            }
        }
        const auto r = gyrus::gpu::twoGroupContrast(x, labels, 1, 0);
        QVERIFY2(r.isOk(), qPrintable(r.status().message()));
        std::vector<int64_t> order(kFeatures);
        std::iota(order.begin(), order.end(), int64_t{0});
        std::sort(order.begin(), order.end(),
                  [&](int64_t a, int64_t b) { return r->p[a] < r->p[b]; });
        std::vector<int64_t> top(order.begin(), order.begin() + 5);
        std::sort(top.begin(), top.end());
        QCOMPARE(top, planted);
        for (int64_t f : planted) {
            QVERIFY(r->q[static_cast<size_t>(f)] < 0.05);
            QVERIFY(r->t[static_cast<size_t>(f)] > 0.0);  // A (label 1) is the higher condition
        }
        const int64_t falsePositives =
                std::count_if(order.begin() + 5, order.end(),
                              [&](int64_t f) { return r->q[static_cast<size_t>(f)] < 0.05; });
        QVERIFY(falsePositives <= 2);
    }

    void nonFiniteInputNamesItemAndFeature()
    {
        FloatMatrix x{4, 3, std::vector<float>(12, 1.0F)};
        x.values[2 * 3 + 1] = std::numeric_limits<float>::quiet_NaN();
        const auto r = gyrus::gpu::twoGroupContrast(x, {0, 1, 0, 1}, 1, 0);
        QVERIFY(!r.isOk());
        QCOMPARE(r.status().code(), gyrus::Status::Code::InvalidInput);
        QVERIFY2(r.status().message().contains(QStringLiteral("item 2, feature 1")),
                 qPrintable(r.status().message()));
    }

    void tooFewItemsOrWrongLabelCount()
    {
        FloatMatrix x{3, 1, {1, 2, 3}};
        auto r = gyrus::gpu::twoGroupContrast(x, {0, 1, 1}, 1, 0);
        QVERIFY(!r.isOk());
        QVERIFY(r.status().message().contains(QStringLiteral("at least 2")));
        r = gyrus::gpu::twoGroupContrast(x, {0, 1}, 1, 0);
        QVERIFY(!r.isOk());
        QVERIFY(r.status().message().contains(QStringLiteral("2 labels for 3 items")));
    }

    void studentPValues()
    {
        // Independent values: t = 2.0 with 10 df has two-sided p = 0.0733880347 (R: 2*pt(-2,10)).
        QVERIFY(std::abs(gyrus::gpu::studentTwoSidedP(2.0, 10.0) - 0.07338803477) < 1e-9);
        QCOMPARE(gyrus::gpu::studentTwoSidedP(0.0, 5.0), 1.0);
        QCOMPARE(gyrus::gpu::studentTwoSidedP(1.0, 0.0), 1.0);
    }
};

QTEST_GUILESS_MAIN(TestContrasts)
#include "tst_contrasts.moc"
