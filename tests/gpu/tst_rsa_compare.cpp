// RDM comparison against scipy.stats (spearmanr, pearsonr) and a direct Kendall τ-a, and the
// behaviour of the item-label permutation test (tests/data/stats/).

#include "core/rsa/rdm.h"
#include "gpu/analysis/rsa_compare.h"
#include "tests/gpu/stats_fixture.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>

using gyrus::Rdm;
using gyrus::RsaMethod;
using gyrus::test::doubles;
using gyrus::test::floats;

namespace {

QStringList idsOf(int64_t n)
{
    QStringList ids;
    for (int64_t i = 0; i < n; ++i) {
        ids.append(QStringLiteral("item%1").arg(i));
    }
    return ids;
}

Rdm rdmOf(const std::vector<float> &condensed)
{
    const int64_t n = static_cast<int64_t>(
            std::lround((1.0 + std::sqrt(1.0 + 8.0 * condensed.size())) / 2.0));
    return Rdm::fromCondensed(idsOf(n), condensed, QStringLiteral("test")).value();
}

// A Euclidean RDM of n items whose patterns have item-specific scales (hubs): rows of the RDM
// are strongly dependent, which is what breaks a test that permutes pairs.
Rdm hubRdm(int64_t n, std::mt19937_64 &rng)
{
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<std::vector<double>> patterns(static_cast<size_t>(n));
    for (auto &pattern : patterns) {
        const double scale = std::exp(normal(rng));
        for (int f = 0; f < 5; ++f) {
            pattern.push_back(scale * normal(rng));
        }
    }
    std::vector<float> condensed;
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = i + 1; j < n; ++j) {
            double sum = 0.0;
            for (int f = 0; f < 5; ++f) {
                const double d = patterns[i][f] - patterns[j][f];
                sum += d * d;
            }
            condensed.push_back(static_cast<float>(std::sqrt(sum)));
        }
    }
    return Rdm::fromCondensed(idsOf(n), condensed, QStringLiteral("euclidean")).value();
}

}  // namespace

class TestRsaCompare : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void correlationsMatchScipy()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const std::vector<float> a = floats(*h, QStringLiteral("rsa/a"));
        const std::vector<float> b = floats(*h, QStringLiteral("rsa/b"));
        const std::vector<float> model = floats(*h, QStringLiteral("rsa/model"));
        const std::pair<RsaMethod, const char *> methods[] = {
                {RsaMethod::Spearman, "spearman"},
                {RsaMethod::KendallTauA, "kendall_tau_a"},
                {RsaMethod::Pearson, "pearson"}};
        for (const auto &[method, name] : methods) {
            const double expected = doubles(*h, QStringLiteral("rsa/") + QLatin1String(name))[0];
            const gyrus::Result<double> r = gyrus::gpu::vectorCorrelation(a, b, method);
            QVERIFY(r.isOk());
            QVERIFY2(std::abs(r.value() - expected) <= 1e-6 * std::abs(expected),
                     qPrintable(QStringLiteral("%1: %2 vs %3")
                                        .arg(QLatin1String(name))
                                        .arg(r.value())
                                        .arg(expected)));
            // The model RDM has only two values: ties everywhere.
            const double expectedTies =
                    doubles(*h, QStringLiteral("rsa/model_") + QLatin1String(name))[0];
            const gyrus::Result<double> rt = gyrus::gpu::vectorCorrelation(model, a, method);
            QVERIFY(rt.isOk());
            QVERIFY2(std::abs(rt.value() - expectedTies) <= 1e-6 * std::abs(expectedTies) + 1e-12,
                     qPrintable(QStringLiteral("%1 with ties: %2 vs %3")
                                        .arg(QLatin1String(name))
                                        .arg(rt.value())
                                        .arg(expectedTies)));
            // compareRdms reports the same r on the same RDMs.
            gyrus::gpu::RsaOptions options;
            options.method = method;
            options.permutations = 99;
            const auto comparison = gyrus::gpu::compareRdms(rdmOf(a), rdmOf(b), options);
            QVERIFY2(comparison.isOk(), qPrintable(comparison.status().message()));
            QVERIFY(std::abs(comparison->r - expected) <= 1e-6 * std::abs(expected));
            QCOMPARE(comparison->nPairs, 435);
            QCOMPARE(comparison->items, 30);
            QCOMPARE(nameOf(comparison->method), QLatin1String(name));
        }
    }

    void pValueIsExactAndSeeded()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const Rdm a = rdmOf(floats(*h, QStringLiteral("rsa/a")));
        const Rdm b = rdmOf(floats(*h, QStringLiteral("rsa/b")));
        gyrus::gpu::RsaOptions options;
        options.permutations = 999;
        options.seed = 11;
        const auto first = gyrus::gpu::compareRdms(a, b, options);
        const auto second = gyrus::gpu::compareRdms(a, b, options);
        QVERIFY(first.isOk() && second.isOk());
        QCOMPARE(first->p, second->p);
        // (k + 1) / (n + 1): a multiple of 1/1000, never 0.
        const double k = first->p * 1000.0;
        QVERIFY(std::abs(k - std::round(k)) < 1e-9);
        QVERIFY(first->p >= 1.0 / 1000.0);
        // The fixture's RDMs share half their features: a real effect.
        QVERIFY2(first->p < 0.01, qPrintable(QString::number(first->p)));
        // The null distribution itself, recounted here, gives the same p.
        const auto null = gyrus::gpu::permutationNull(a, b, options);
        QVERIFY(null.isOk());
        QCOMPARE(static_cast<int64_t>(null->size()), 999);
        const auto extreme = std::count_if(null->begin(), null->end(),
                                           [&](double r) { return r >= first->r - 1e-12; });
        QCOMPARE(first->p, (extreme + 1) / 1000.0);
        options.seed = 12;
        const auto other = gyrus::gpu::permutationNull(a, b, options);
        QVERIFY(other.isOk());
        QVERIFY(*other != *null);
    }

    void nullPermutesItemsNotPairs()
    {
        // Each null value must be the correlation with b's rows AND columns permuted together
        // (rebuilt here with Rdm::subset), and such a permuted RDM keeps b's structure: the same
        // multiset of row sums (hubs stay hubs) and the triangle inequality.
        std::mt19937_64 rng(3);
        const Rdm a = hubRdm(15, rng);
        const Rdm b = hubRdm(15, rng);
        for (RsaMethod method : {RsaMethod::Spearman, RsaMethod::KendallTauA, RsaMethod::Pearson}) {
            gyrus::gpu::RsaOptions options;
            options.method = method;
            options.permutations = 25;
            options.seed = 99;
            const auto null = gyrus::gpu::permutationNull(a, b, options);
            QVERIFY(null.isOk());
            const auto perms = gyrus::gpu::itemPermutations(15, 25, 99);
            for (size_t k = 0; k < perms.size(); ++k) {
                const auto permuted = b.subset(perms[k]);
                QVERIFY(permuted.isOk());
                const auto r =
                        gyrus::gpu::vectorCorrelation(a.condensed(), permuted->condensed(), method);
                QVERIFY(r.isOk());
                QVERIFY2(std::abs(r.value() - (*null)[k]) < 1e-9,
                         qPrintable(QStringLiteral("permutation %1: %2 vs %3")
                                            .arg(k)
                                            .arg((*null)[k])
                                            .arg(r.value())));
            }
        }
        const auto permuted = b.subset(gyrus::gpu::itemPermutations(15, 1, 5)[0]);
        QVERIFY(permuted.isOk());
        const auto rowSums = [](const Rdm &rdm) {
            std::vector<double> sums;
            for (int64_t i = 0; i < rdm.size(); ++i) {
                double sum = 0.0;
                for (int64_t j = 0; j < rdm.size(); ++j) {
                    sum += rdm.at(i, j);
                }
                sums.push_back(sum);
            }
            std::sort(sums.begin(), sums.end());
            return sums;
        };
        const std::vector<double> before = rowSums(b);
        const std::vector<double> after = rowSums(*permuted);
        for (size_t i = 0; i < before.size(); ++i) {
            QVERIFY(std::abs(before[i] - after[i]) < 1e-3);
        }
        for (int64_t i = 0; i < 15; ++i) {
            for (int64_t j = 0; j < 15; ++j) {
                for (int64_t k = 0; k < 15; ++k) {
                    QVERIFY(permuted->at(i, k) <= permuted->at(i, j) + permuted->at(j, k) + 1e-4F);
                }
            }
        }
    }

    void tensorAndHostPathsAgree()
    {
        // The batched gather (the GPU path) and the fused CPU loop compute the same null.
        std::mt19937_64 rng(8);
        const Rdm a = hubRdm(40, rng);
        const Rdm b = hubRdm(40, rng);
        for (RsaMethod method : {RsaMethod::Spearman, RsaMethod::Pearson}) {
            gyrus::gpu::RsaOptions options;
            options.method = method;
            options.permutations = 300;
            const auto host = gyrus::gpu::permutationNull(a, b, options);
            options.batchedTensorPermutations = true;
            const auto batched = gyrus::gpu::permutationNull(a, b, options);
            QVERIFY(host.isOk() && batched.isOk());
            for (size_t k = 0; k < host->size(); ++k) {
                QVERIFY(std::abs((*host)[k] - (*batched)[k]) < 1e-12);
            }
            const auto viaHost = gyrus::gpu::compareRdms(a, b, options);
            options.batchedTensorPermutations = false;
            const auto viaTensors = gyrus::gpu::compareRdms(a, b, options);
            QCOMPARE(viaHost->p, viaTensors->p);
        }
    }

    void permutationPValuesAreCalibrated()
    {
        // 300 independent pairs of hub-structured RDMs (no true relation), 199 permutations
        // each: the item-label test rejects at 5 % about 5 % of the time, while shuffling the
        // pairs as if independent (the seed's defect 12) rejects far more often.
        std::mt19937_64 rng(2026);
        constexpr int kSimulations = 300;
        int itemRejections = 0;
        int pairRejections = 0;
        for (int sim = 0; sim < kSimulations; ++sim) {
            const Rdm a = hubRdm(12, rng);
            const Rdm b = hubRdm(12, rng);
            gyrus::gpu::RsaOptions options;
            options.permutations = 199;
            options.seed = static_cast<uint64_t>(sim);
            const auto comparison = gyrus::gpu::compareRdms(a, b, options);
            QVERIFY(comparison.isOk());
            itemRejections += comparison->p < 0.05 ? 1 : 0;

            std::vector<float> shuffled = b.condensed();
            int extreme = 0;
            for (int k = 0; k < 199; ++k) {
                std::shuffle(shuffled.begin(), shuffled.end(), rng);
                const double r =
                        gyrus::gpu::vectorCorrelation(a.condensed(), shuffled, RsaMethod::Spearman)
                                .value();
                extreme += r >= comparison->r - 1e-12 ? 1 : 0;
            }
            pairRejections += (extreme + 1) / 200.0 < 0.05 ? 1 : 0;
        }
        const double itemRate = itemRejections / static_cast<double>(kSimulations);
        const double pairRate = pairRejections / static_cast<double>(kSimulations);
        qInfo("item-permutation rejection rate %.3f, pair-permutation %.3f", itemRate, pairRate);
        QVERIFY2(itemRate >= 0.02 && itemRate <= 0.09,
                 qPrintable(QStringLiteral("item permutation rejects %1").arg(itemRate)));
        QVERIFY2(pairRate > 0.1 && pairRate > itemRate,
                 qPrintable(QStringLiteral("pair permutation rejects %1").arg(pairRate)));
    }

    void bootstrapIntervalCoversTheEstimate()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const Rdm a = rdmOf(floats(*h, QStringLiteral("rsa/a")));
        const Rdm b = rdmOf(floats(*h, QStringLiteral("rsa/b")));
        gyrus::gpu::RsaOptions options;
        options.permutations = 0;
        options.bootstraps = 200;
        options.seed = 4;
        const auto comparison = gyrus::gpu::compareRdms(a, b, options);
        QVERIFY(comparison.isOk());
        QVERIFY(std::isnan(comparison->p));
        QVERIFY(comparison->ciLow < comparison->r);
        QVERIFY(comparison->ciHigh > comparison->r);
        QVERIFY(comparison->ciHigh - comparison->ciLow < 0.8);
        QVERIFY(comparison->ciLow > -1.0 && comparison->ciHigh < 1.0);
        const auto again = gyrus::gpu::compareRdms(a, b, options);
        QCOMPARE(again->ciLow, comparison->ciLow);
    }

    void mismatchedRdmsAreRejected()
    {
        const Rdm a = Rdm::fromCondensed(idsOf(3), {1, 2, 3}, QString()).value();
        const Rdm b = Rdm::fromCondensed({QStringLiteral("item0"), QStringLiteral("x"),
                                          QStringLiteral("item2")},
                                         {1, 2, 3}, QString())
                              .value();
        auto r = gyrus::gpu::compareRdms(a, b);
        QVERIFY(!r.isOk());
        QVERIFY(r.status().message().contains(QStringLiteral("stimulus 2 is 'item1'")));
        const Rdm flat = Rdm::fromCondensed(idsOf(3), {1, 1, 1}, QString()).value();
        r = gyrus::gpu::compareRdms(a, flat);
        QVERIFY(!r.isOk());
        QVERIFY(r.status().message().contains(QStringLiteral("constant")));
        const Rdm four = Rdm::fromCondensed(idsOf(4), {1, 2, 3, 4, 5, 6}, QString()).value();
        r = gyrus::gpu::compareRdms(a, four);
        QVERIFY(!r.isOk());
        QVERIFY(!gyrus::fromName<RsaMethod>(QStringLiteral("kendall")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestRsaCompare)
#include "tst_rsa_compare.moc"
