// Classical MDS recovers a known planar configuration from its distances (up to rotation,
// reflection and translation, so the comparison is on pairwise distances).

#include "gpu/analysis/mds.h"

#include <QtTest>

#include <cmath>
#include <random>

using gyrus::Rdm;

namespace {

Rdm euclideanRdm(const std::vector<double> &x, const std::vector<double> &y)
{
    const int64_t n = int64_t(x.size());
    std::vector<float> condensed;
    QStringList ids;
    for (int64_t i = 0; i < n; ++i) {
        ids << QString::number(i);
        for (int64_t j = i + 1; j < n; ++j) {
            condensed.push_back(float(std::hypot(x[i] - x[j], y[i] - y[j])));
        }
    }
    return Rdm::fromCondensed(ids, condensed, QStringLiteral("euclidean")).value();
}

}  // namespace

class TestMds : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void recoversPlanarConfiguration()
    {
        std::mt19937_64 rng(7);
        std::normal_distribution<double> normal(0.0, 1.0);
        std::vector<double> x;
        std::vector<double> y;
        for (int k = 0; k < 60; ++k) {
            // Anisotropic, so the two axes have distinct eigenvalues.
            x.push_back(3.0 * normal(rng) + 5.0);
            y.push_back(1.0 * normal(rng) - 2.0);
        }
        const Rdm rdm = euclideanRdm(x, y);
        const auto mds = gyrus::gpu::classicalMds(rdm, 2);
        QVERIFY2(mds.isOk(), qPrintable(mds.status().message()));
        QCOMPARE(mds->coordinates.size(), size_t(2));
        const Rdm recovered = euclideanRdm(mds->coordinates[0], mds->coordinates[1]);
        double worst = 0.0;
        for (size_t k = 0; k < rdm.condensed().size(); ++k) {
            worst = std::max(worst,
                             double(std::abs(recovered.condensed()[k] - rdm.condensed()[k])));
        }
        QVERIFY2(worst < 1e-3, qPrintable(QString::number(worst)));
        QVERIFY(std::abs(mds->explained - 1.0) < 1e-6);
        QVERIFY(mds->eigenvalues[0] > mds->eigenvalues[1]);
        // Centred: MDS puts the centroid at the origin.
        double meanX = 0.0;
        for (double v : mds->coordinates[0]) {
            meanX += v / 60.0;
        }
        QVERIFY(std::abs(meanX) < 1e-6);
    }

    void keepsLessOfAThreeDimensionalConfiguration()
    {
        // A regular tetrahedron cannot be drawn in the plane: two axes keep 2/3 of it.
        const std::vector<float> condensed(6, 1.0F);
        const Rdm rdm = Rdm::fromCondensed(QStringList{QStringLiteral("a"), QStringLiteral("b"),
                                                       QStringLiteral("c"), QStringLiteral("d")},
                                           condensed, QStringLiteral("x"))
                                .value();
        const auto mds = gyrus::gpu::classicalMds(rdm, 2);
        QVERIFY(mds.isOk());
        QVERIFY(std::abs(mds->explained - 2.0 / 3.0) < 1e-6);
    }

    void refusesTooFewItems()
    {
        const Rdm one =
                Rdm::fromCondensed(QStringList{QStringLiteral("a")}, {}, QStringLiteral("x"))
                        .value();
        QVERIFY(!gyrus::gpu::classicalMds(one, 2).isOk());
    }
};

QTEST_APPLESS_MAIN(TestMds)
#include "tst_mds.moc"
