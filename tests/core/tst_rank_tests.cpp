// Ordinal tests for judge ratings: the statistics equal scipy's on tied 0-3 data, and the
// permutation p-values behave (identical groups: p = 1; separated groups: small p).

#include "core/rsa/rank_tests.h"

#include <QtTest>

using namespace gyrus;

class TestRankTests : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    // Reference values from Debian's scipy 1.10:
    //   /usr/bin/python3 -c "from scipy.stats import kruskal, mannwhitneyu;
    //   a=[3,2,2,0,1,3]; b=[0,0,1,1,2,0,0]; c=[2,3,3,3,1];
    //   print(repr(kruskal(a,b,c).statistic), repr(mannwhitneyu(a,b).statistic))"
    //   -> 7.48417675100843 34.0
    void statisticsEqualScipy()
    {
        const std::vector<double> a = {3, 2, 2, 0, 1, 3};
        const std::vector<double> b = {0, 0, 1, 1, 2, 0, 0};
        const std::vector<double> c = {2, 3, 3, 3, 1};
        QCOMPARE(mannWhitneyU(a, b), 34.0);
        QCOMPARE(mannWhitneyU(b, a), 6.0 * 7.0 - 34.0);
        QVERIFY(std::abs(kruskalWallisH({a, b, c}) - 7.48417675100843) < 1e-12);
        QCOMPARE(kruskalWallisH({{1, 1}, {1, 1, 1}}), 0.0);  // every value tied
    }

    void permutationPValues()
    {
        const std::vector<double> low = {0, 0, 0, 1, 0, 0, 1, 0};
        const std::vector<double> high = {3, 3, 2, 3, 3, 2, 3, 3};
        QVERIFY(mannWhitneyPermutationP(low, high, 999, 1) <= 0.002);
        QCOMPARE(mannWhitneyPermutationP(low, low, 999, 1), 1.0);
        QVERIFY(kruskalWallisPermutationP({low, high, low}, 999, 2) <= 0.002);
        QCOMPARE(kruskalWallisPermutationP({high, high}, 999, 2), 1.0);
        // Deterministic for a seed.
        const std::vector<double> mixed = {0, 3, 1, 2, 2, 0};
        QCOMPARE(mannWhitneyPermutationP(mixed, high, 499, 7),
                 mannWhitneyPermutationP(mixed, high, 499, 7));
    }
};

QTEST_GUILESS_MAIN(TestRankTests)
#include "tst_rank_tests.moc"
