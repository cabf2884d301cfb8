// RsaStatisticsModel: the RSA dock's statistics table over an RsaResult snapshot (two more
// columns with an intervention), checked by QAbstractItemModelTester.

#include "core/rsa/rsa_statistics_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

#include <cmath>
#include <limits>
#include <memory>

using namespace gyrus;

namespace {

RsaModelFit fit(const QString &name, double r, double p, double clampedR)
{
    RsaModelFit f;
    f.name = name;
    f.comparison.method = RsaMethod::Spearman;
    f.comparison.r = r;
    f.comparison.p = p;
    f.comparison.permutations = 999;
    f.comparison.bootstraps = 200;
    f.comparison.ciLevel = 0.9;
    f.comparison.ciLow = r - 0.1;
    f.comparison.ciHigh = r + 0.1;
    f.clampedComparison.r = clampedR;
    return f;
}

}  // namespace

class TestRsaStatisticsModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void showsOneRowPerModelRdm()
    {
        RsaStatisticsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.columnCount(), int(RsaStatisticsModel::Interval) + 1);
        auto result = std::make_shared<RsaResult>();
        result->request.comparisonMethod = gyrus::RsaMethod::KendallTauA;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        result->models = {fit(QStringLiteral("tense"), 0.4321, 0.0004, nan),
                          fit(QStringLiteral("number"), nan, 0.25, nan)};
        model.setResult(result);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(RsaStatisticsModel::Interval) + 1);
        QCOMPARE(model.index(0, RsaStatisticsModel::Model).data().toString(),
                 QStringLiteral("tense"));
        QCOMPARE(model.index(0, RsaStatisticsModel::Statistic).data().toString(),
                 QStringLiteral("0.432"));
        QCOMPARE(model.index(0, RsaStatisticsModel::PValue).data().toString(),
                 QStringLiteral("0.0004"));
        QCOMPARE(model.index(1, RsaStatisticsModel::PValue).data().toString(),
                 QStringLiteral("0.250"));
        QCOMPARE(model.index(1, RsaStatisticsModel::Statistic).data().toString(),
                 QStringLiteral("–"));
        QCOMPARE(model.index(0, RsaStatisticsModel::Interval).data().toString(),
                 QStringLiteral("[0.332, 0.532]"));
        QVERIFY(model.index(0, RsaStatisticsModel::PValue)
                        .data(Qt::ToolTipRole)
                        .toString()
                        .contains(QLatin1String("999")));
        QCOMPARE(model.headerData(RsaStatisticsModel::Statistic, Qt::Horizontal).toString(),
                 QStringLiteral("Kendall τₐ"));
        QCOMPARE(model.headerData(RsaStatisticsModel::Interval, Qt::Horizontal).toString(),
                 QStringLiteral("90 % CI (bootstrap)"));
        QVERIFY(!model.index(0, RsaStatisticsModel::Clamped).isValid());
    }

    void anInterventionAddsTheClampedColumns()
    {
        RsaStatisticsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto result = std::make_shared<RsaResult>();
        result->request.comparisonMethod = gyrus::RsaMethod::Spearman;
        result->hasIntervention = true;
        result->models = {fit(QStringLiteral("tense"), 0.5, 0.01, 0.25)};
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setResult(result);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.columnCount(), int(RsaStatisticsModel::Change) + 1);
        QCOMPARE(model.index(0, RsaStatisticsModel::Clamped).data().toString(),
                 QStringLiteral("0.250"));
        QCOMPARE(model.index(0, RsaStatisticsModel::Change).data().toString(),
                 QStringLiteral("-0.250"));
        // Back to a result without intervention, then to none.
        model.setResult(nullptr);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.columnCount(), int(RsaStatisticsModel::Interval) + 1);
    }
};

QTEST_GUILESS_MAIN(TestRsaStatisticsModel)
#include "tst_rsa_statistics_model.moc"
