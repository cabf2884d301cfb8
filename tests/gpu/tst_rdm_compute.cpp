// RDMs against scipy.spatial.distance.pdist and a direct crossnobis loop (tests/data/stats/).

#include "gpu/analysis/rdm_compute.h"
#include "tests/gpu/stats_fixture.h"

#include <QtTest>

#include <limits>

using gyrus::FloatMatrix;
using gyrus::RdmMetric;
using gyrus::test::doubles;
using gyrus::test::relativeMismatch;

namespace {

FloatMatrix matrix(const gyrus::Hdf5Reader &reader, const QString &name)
{
    gyrus::Result<FloatMatrix> m = reader.readFloatMatrix(name);
    return m ? m.value() : FloatMatrix();
}

}  // namespace

class TestRdmCompute : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void metricsMatchPdist_data()
    {
        QTest::addColumn<QString>("metric");
        for (const char *name : {"correlation", "cosine", "euclidean", "sqeuclidean"}) {
            QTest::newRow(name) << QString::fromLatin1(name);
        }
    }

    void metricsMatchPdist()
    {
        QFETCH(QString, metric);
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const FloatMatrix x = matrix(*h, QStringLiteral("rdm/x"));
        gyrus::gpu::RdmOptions options;
        options.metric = *gyrus::fromName<RdmMetric>(metric);

        const gyrus::Result<gyrus::Rdm> plain = gyrus::gpu::computeRdm(x, {}, options);
        QVERIFY2(plain.isOk(), qPrintable(plain.status().message()));
        QCOMPARE(plain->size(), 25);
        QCOMPARE(plain->metric(), metric);
        QCOMPARE(plain->ids().first(), QStringLiteral("0"));
        QString error = relativeMismatch(plain->condensed(),
                                         doubles(*h, QStringLiteral("rdm/") + metric), 1e-6);
        QVERIFY2(error.isEmpty(), qPrintable(QStringLiteral("plain: ") + error));

        const gyrus::Result<FloatMatrix> weights =
                h->readFloatMatrix(QStringLiteral("rdm/weights"));
        options.featureWeights = weights->values;
        const gyrus::Result<gyrus::Rdm> weighted = gyrus::gpu::computeRdm(x, {}, options);
        QVERIFY2(weighted.isOk(), qPrintable(weighted.status().message()));
        error = relativeMismatch(
                weighted->condensed(),
                doubles(*h, QStringLiteral("rdm/") + metric + QStringLiteral("_weighted")), 1e-6);
        QVERIFY2(error.isEmpty(), qPrintable(QStringLiteral("weighted: ") + error));

        options.featureWeights.clear();
        options.featureSubset = h->readIntVector(QStringLiteral("rdm/subset")).value();
        const gyrus::Result<gyrus::Rdm> subset = gyrus::gpu::computeRdm(x, {}, options);
        QVERIFY2(subset.isOk(), qPrintable(subset.status().message()));
        error = relativeMismatch(
                subset->condensed(),
                doubles(*h, QStringLiteral("rdm/") + metric + QStringLiteral("_subset")), 1e-6);
        QVERIFY2(error.isEmpty(), qPrintable(QStringLiteral("subset: ") + error));

        // Blocks of one row, and single precision, give the same RDM.
        options.featureSubset.clear();
        options.maxBlockElements = 1;
        const gyrus::Result<gyrus::Rdm> blocked = gyrus::gpu::computeRdm(x, {}, options);
        QVERIFY(blocked.isOk());
        QCOMPARE(blocked->condensed(), plain->condensed());
        options.maxBlockElements = int64_t{1} << 25;
        options.doublePrecision = false;
        const gyrus::Result<gyrus::Rdm> single = gyrus::gpu::computeRdm(x, {}, options);
        QVERIFY(single.isOk());
        error = relativeMismatch(single->condensed(), doubles(*h, QStringLiteral("rdm/") + metric),
                                 1e-4, 1e-2);
        QVERIFY2(error.isEmpty(), qPrintable(QStringLiteral("float32: ") + error));
    }

    void identicalRowsGiveExactZeros()
    {
        // Cancellation in |x|² + |y|² − 2x·y must not leave tiny negatives or NaN (sqrt).
        FloatMatrix x{3, 4, {1e3F, 2e3F, -3e3F, 4e3F, 1e3F, 2e3F, -3e3F, 4e3F, 1, 2, 3, 5}};
        for (RdmMetric metric : {RdmMetric::Correlation, RdmMetric::Cosine, RdmMetric::Euclidean,
                                 RdmMetric::SquaredEuclidean}) {
            gyrus::gpu::RdmOptions options;
            options.metric = metric;
            options.doublePrecision = false;
            const auto rdm = gyrus::gpu::computeRdm(x, {}, options);
            QVERIFY(rdm.isOk());
            QVERIFY(rdm->at(0, 1) >= 0.0F);
            QVERIFY(rdm->at(0, 1) < 1e-3F);
            QCOMPARE(rdm->at(2, 2), 0.0F);
        }
    }

    void crossnobisMatchesDirectLoop()
    {
        const auto h = gyrus::test::statsFixture();
        QVERIFY(h);
        const std::vector<double> all = doubles(*h, QStringLiteral("crossnobis/partitions"));
        std::vector<FloatMatrix> partitions;
        for (int m = 0; m < 3; ++m) {
            FloatMatrix part{12, 30, {}};
            part.values.assign(all.begin() + m * 360, all.begin() + (m + 1) * 360);
            partitions.push_back(part);
        }
        gyrus::gpu::CrossnobisOptions options;
        auto rdm = gyrus::gpu::crossnobisRdm(partitions, {}, options);
        QVERIFY2(rdm.isOk(), qPrintable(rdm.status().message()));
        QString error = relativeMismatch(
                rdm->condensed(), doubles(*h, QStringLiteral("crossnobis/identity")), 1e-5, 1e-2);
        QVERIFY2(error.isEmpty(), qPrintable(QStringLiteral("identity: ") + error));

        options.noise = gyrus::gpu::NoiseModel::DiagonalShrinkage;
        options.shrinkage = 0.4;
        rdm = gyrus::gpu::crossnobisRdm(partitions, {}, options);
        QVERIFY2(rdm.isOk(), qPrintable(rdm.status().message()));
        error = relativeMismatch(rdm->condensed(),
                                 doubles(*h, QStringLiteral("crossnobis/diagonal_0.4")), 1e-5,
                                 1e-2);
        QVERIFY2(error.isEmpty(), qPrintable(QStringLiteral("diagonal: ") + error));

        partitions.pop_back();
        partitions.pop_back();
        rdm = gyrus::gpu::crossnobisRdm(partitions, {}, options);
        QVERIFY(!rdm.isOk());
        QVERIFY(rdm.status().message().contains(QStringLiteral("at least 2 partitions")));
    }

    void crossnobisIsUnbiasedForIdenticalConditions()
    {
        // Two conditions with the same true pattern: the squared Euclidean distance of noisy
        // estimates is biased upward, the crossnobis estimate scatters around zero.
        std::vector<FloatMatrix> partitions;
        uint32_t state = 12345;
        const auto noise = [&] {
            state = state * 1664525U + 1013904223U;
            return static_cast<float>(state >> 8) / static_cast<float>(1U << 24) - 0.5F;
        };
        for (int m = 0; m < 4; ++m) {
            FloatMatrix part{2, 2000, std::vector<float>(4000)};
            for (float &v : part.values) {
                v = noise();
            }
            partitions.push_back(part);
        }
        const auto rdm =
                gyrus::gpu::crossnobisRdm(partitions, {QStringLiteral("a"), QStringLiteral("b")});
        QVERIFY(rdm.isOk());
        // Noise variance per feature is 1/12, so the naive per-feature squared distance is ~1/6.
        QVERIFY2(std::abs(rdm->at(0, 1)) < 0.02F, qPrintable(QString::number(rdm->at(0, 1))));
        QCOMPARE(rdm->ids(), QStringList({QStringLiteral("a"), QStringLiteral("b")}));
    }

    void badInputIsReported()
    {
        FloatMatrix x{3, 2, {1, 2, 3, 4, 5, 6}};
        x.values[5] = std::numeric_limits<float>::infinity();
        auto rdm = gyrus::gpu::computeRdm(x, {});
        QVERIFY(!rdm.isOk());
        QVERIFY2(rdm.status().message().contains(QStringLiteral("item 2, feature 1")),
                 qPrintable(rdm.status().message()));

        x.values = {1, 1, 3, 4, 5, 6};  // item 0 is constant: no correlation distance
        rdm = gyrus::gpu::computeRdm(x, {});
        QVERIFY(!rdm.isOk());
        QVERIFY(rdm.status().message().contains(QStringLiteral("item 0 is constant")));

        x.values = {1, 2, 0, 0, 5, 6};
        gyrus::gpu::RdmOptions cosine;
        cosine.metric = RdmMetric::Cosine;
        rdm = gyrus::gpu::computeRdm(x, {}, cosine);
        QVERIFY(!rdm.isOk());
        QVERIFY(rdm.status().message().contains(QStringLiteral("item 1 is all zeros")));

        rdm = gyrus::gpu::computeRdm(x, {QStringLiteral("only one")}, cosine);
        QVERIFY(!rdm.isOk());
        QVERIFY(rdm.status().message().contains(QStringLiteral("1 stimulus ids for 3")));

        gyrus::gpu::RdmOptions weighted;
        weighted.featureWeights = {1.0F, -1.0F};
        rdm = gyrus::gpu::computeRdm(x, {}, weighted);
        QVERIFY(!rdm.isOk());
        QVERIFY(rdm.status().message().contains(QStringLiteral("weight 1")));

        QVERIFY(!gyrus::fromName<RdmMetric>(QStringLiteral("manhattan")).has_value());
    }
};

QTEST_GUILESS_MAIN(TestRdmCompute)
#include "tst_rdm_compute.moc"
