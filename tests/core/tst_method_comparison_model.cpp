#include "core/contrasts/method_comparison_model.h"

#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>
#include <QtTest>

using gyrus::MethodComparisonModel;

namespace {

gyrus::MethodComparisonResultPtr twoMethods()
{
    auto result = std::make_shared<gyrus::MethodComparisonResult>();
    result->representation = QStringLiteral("SAE features at blocks.2.hook_resid_post");
    result->sideA = QStringLiteral("achievements");
    result->sideB = QStringLiteral("failures");
    result->itemCount = 100;
    result->settings.k = 8;
    result->settings.folds = 5;
    result->settings.repeats = 10;
    result->settings.permutations = 100;
    gyrus::MethodComparisonRow first;
    first.method = gyrus::SelectionMethod::PooledSeparationR;
    first.balancedAccuracy = 0.8125;
    first.balancedAccuracyLow = 0.75;
    first.balancedAccuracyHigh = 0.875;
    first.auc = 0.9;
    first.aucLow = 0.85;
    first.aucHigh = 0.95;
    first.nullMean = 0.5;
    first.nullLow = 0.4;
    first.nullHigh = 0.6;
    first.p = 1.0 / 101.0;
    first.selectedFeatures = {12, 7};
    gyrus::MethodComparisonRow second = first;
    second.method = gyrus::SelectionMethod::Univariate;
    second.balancedAccuracy = 0.6;
    second.p = 0.2;
    result->rows = {first, second};
    return result;
}

}  // namespace

class TestMethodComparisonModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void showsEveryNumberOfTheComparison()
    {
        MethodComparisonModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        model.setResult(twoMethods());
        QCOMPARE(model.rowCount(), 2);
        auto cell = [&](int row, int column) { return model.index(row, column).data().toString(); };
        QCOMPARE(cell(0, MethodComparisonModel::MethodColumn),
                 QStringLiteral("pooled separation r"));
        QCOMPARE(cell(0, MethodComparisonModel::AccuracyColumn), QStringLiteral("0.813"));
        QCOMPARE(cell(0, MethodComparisonModel::AccuracyIntervalColumn),
                 QStringLiteral("[0.750, 0.875]"));
        QCOMPARE(cell(0, MethodComparisonModel::AucIntervalColumn),
                 QStringLiteral("[0.850, 0.950]"));
        QCOMPARE(cell(0, MethodComparisonModel::NullBandColumn), QStringLiteral("[0.400, 0.600]"));
        QCOMPARE(cell(0, MethodComparisonModel::PColumn), QStringLiteral("0.0099"));
        QCOMPARE(model.headerData(MethodComparisonModel::PColumn, Qt::Horizontal).toString(),
                 QStringLiteral("p"));

        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(MethodComparisonModel::SortRole);
        proxy.sort(MethodComparisonModel::AccuracyColumn, Qt::AscendingOrder);
        QCOMPARE(proxy.index(0, 0).data().toString(), QStringLiteral("univariate"));
    }

    void csvHoldsFullPrecisionAndTheSettings()
    {
        const QByteArray csv = gyrus::methodComparisonCsv(*twoMethods());
        const QList<QByteArray> lines = csv.trimmed().split('\n');
        QCOMPARE(lines.size(), 6);  // three settings comments, the header, two methods
        QVERIFY(lines[0].startsWith("# representation: SAE features"));
        QVERIFY(lines[2].contains("permutations: 100"));
        QVERIFY(lines[3].startsWith("method,balanced_accuracy,"));
        const QList<QByteArray> first = lines[4].split(',');
        QCOMPARE(first[0], QByteArray("pooled-separation-r"));
        QCOMPARE(first[1].toDouble(), 0.8125);
        QCOMPARE(first[10].toDouble(), 1.0 / 101.0);
        QCOMPARE(first[11], QByteArray("12 7"));
    }
};

QTEST_GUILESS_MAIN(TestMethodComparisonModel)
#include "tst_method_comparison_model.moc"
