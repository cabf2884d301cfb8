// The feature tables' sort: the same order QSortFilterProxyModel gives on SortRole (the
// reference), synchronous for small tables, on a worker thread for large ones (the old order
// stays until the new one is applied), and a selected feature stays selected.

#include "core/contrasts/feature_stats_model.h"
#include "widgets/views/feature_sort_proxy.h"

#include <QAbstractItemModelTester>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

using namespace gyrus;
using namespace gyrus::widgets;

namespace {

// Values with ties and NaN, so stability and the NaN rule are both exercised.
void fill(FeatureStatsModel &model, int rows)
{
    QRandomGenerator generator(7);
    FeatureStatsModel::Column t{QStringLiteral("t"), {}, {}, FeatureStatsModel::Format::Fixed2};
    for (int i = 0; i < rows; ++i) {
        const int draw = int(generator.bounded(1000));
        t.values.push_back(draw == 0 ? NAN : double(draw % 97) - 48.0);
    }
    model.setColumns(rows, {t});
}

std::vector<int> featuresInOrder(const QAbstractItemModel &proxy)
{
    std::vector<int> features;
    for (int row = 0; row < proxy.rowCount(); ++row) {
        features.push_back(proxy.index(row, 0).data(FeatureStatsModel::FeatureRole).toInt());
    }
    return features;
}

std::vector<int> referenceOrder(FeatureStatsModel &model, int column, Qt::SortOrder order)
{
    QSortFilterProxyModel reference;
    reference.setSourceModel(&model);
    reference.setSortRole(FeatureStatsModel::SortRole);
    reference.sort(column, order);
    return featuresInOrder(reference);
}

}  // namespace

class FeatureSortProxyTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:

    void smallTableSortsAtOnceLikeQSortFilterProxyModel()
    {
        FeatureStatsModel model(nullptr);
        fill(model, 500);
        FeatureSortProxy proxy(&model);
        for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
            proxy.sort(2, order);
            QVERIFY(!proxy.isSorting());
            QCOMPARE(featuresInOrder(proxy), referenceOrder(model, 2, order));
        }
        proxy.sort(0, Qt::DescendingOrder);
        QCOMPARE(featuresInOrder(proxy).front(), 499);
    }

    void largeTableSortsOffTheGuiThreadAndKeepsTheSelection()
    {
        FeatureStatsModel model(nullptr);
        const int rows = FeatureSortProxy::kAsyncRows * 3;
        fill(model, rows);
        FeatureSortProxy proxy(&model);
        const QPersistentModelIndex selected = proxy.index(1234, 0);  // feature 1234
        QSignalSpy sorted(&proxy, &FeatureSortProxy::sorted);
        proxy.sort(2, Qt::DescendingOrder);
        // Not applied yet: the worker has it; the view still shows the old order.
        QVERIFY(proxy.isSorting());
        QCOMPARE(proxy.index(0, 0).data(FeatureStatsModel::FeatureRole).toInt(), 0);
        QVERIFY(sorted.wait(10000));
        QVERIFY(!proxy.isSorting());
        QCOMPARE(featuresInOrder(proxy), referenceOrder(model, 2, Qt::DescendingOrder));
        QVERIFY(selected.isValid());
        QCOMPARE(selected.data(FeatureStatsModel::FeatureRole).toInt(), 1234);
        QCOMPARE(proxy.mapToSource(selected).row(), 1234);
    }

    void tiesInOneColumnAreBrokenByAnother_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("order");
        QTest::newRow("small, ascending") << 500 << int(Qt::AscendingOrder);
        QTest::newRow("large, descending")
                << FeatureSortProxy::kAsyncRows * 2 << int(Qt::DescendingOrder);
    }

    void tiesInOneColumnAreBrokenByAnother()
    {
        // As q-values tie in runs and p breaks them: q has few distinct values, p many.
        QFETCH(int, rows);
        QFETCH(int, order);
        const auto sortOrder = Qt::SortOrder(order);
        FeatureStatsModel model(nullptr);
        QRandomGenerator generator(11);
        FeatureStatsModel::Column q{QStringLiteral("q"), {}, {}, FeatureStatsModel::Format::Fixed2};
        FeatureStatsModel::Column p{QStringLiteral("p"), {}, {}, FeatureStatsModel::Format::Fixed2};
        for (int i = 0; i < rows; ++i) {
            q.values.push_back(double(generator.bounded(5)));
            p.values.push_back(double(generator.bounded(1000)));
        }
        const std::vector<double> qs = q.values;
        const std::vector<double> ps = p.values;
        model.setColumns(rows, {q, p});
        FeatureSortProxy proxy(&model);
        proxy.setTieBreak(2, 3);
        QSignalSpy sorted(&proxy, &FeatureSortProxy::sorted);
        proxy.sort(2, sortOrder);
        if (proxy.isSorting()) {
            QVERIFY(sorted.wait(10000));
        }
        // The reference: (q, p) in the chosen direction, then the feature id ascending.
        std::vector<int> expected(static_cast<size_t>(rows));
        std::iota(expected.begin(), expected.end(), 0);
        std::stable_sort(expected.begin(), expected.end(), [&](int a, int b) {
            const auto ka = std::pair(qs[size_t(a)], ps[size_t(a)]);
            const auto kb = std::pair(qs[size_t(b)], ps[size_t(b)]);
            return sortOrder == Qt::AscendingOrder ? ka < kb : kb < ka;
        });
        QCOMPARE(featuresInOrder(proxy), expected);
        // Without the tie-break the rows equal in q keep the feature order instead.
        proxy.setTieBreak(2, 2);
        if (proxy.isSorting()) {
            QVERIFY(sorted.wait(10000));
        }
        QCOMPARE(featuresInOrder(proxy), referenceOrder(model, 2, sortOrder));
    }

    void keepsTheModelContractThroughEverySort()
    {
        // Qt's checks (indexes, parents, persistent indexes across the layout changes) while the
        // proxy sorts at once, on the worker thread, with a tie-break, and after a new table.
        FeatureStatsModel model(nullptr);
        fill(model, 500);
        FeatureSortProxy proxy(&model);
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy sorted(&proxy, &FeatureSortProxy::sorted);
        proxy.sort(2, Qt::DescendingOrder);
        QVERIFY(!proxy.isSorting());
        proxy.setTieBreak(2, 0);
        fill(model, FeatureSortProxy::kAsyncRows * 2);  // a reset, sorted again on the worker
        QVERIFY(proxy.isSorting());
        QVERIFY(sorted.wait(10000));
        proxy.setTieBreak(2, 2);
        proxy.sort(2, Qt::AscendingOrder);
        if (proxy.isSorting()) {
            QVERIFY(sorted.wait(10000));
        }
        QCOMPARE(featuresInOrder(proxy), referenceOrder(model, 2, Qt::AscendingOrder));
    }

    void aNewTableKeepsTheChosenOrder()
    {
        FeatureStatsModel model(nullptr);
        fill(model, 300);
        FeatureSortProxy proxy(&model);
        proxy.sort(2, Qt::AscendingOrder);
        fill(model, 200);  // a reset: sorted again by the same column
        QCOMPARE(proxy.rowCount(), 200);
        QCOMPARE(featuresInOrder(proxy), referenceOrder(model, 2, Qt::AscendingOrder));
    }
};

QTEST_MAIN(FeatureSortProxyTest)
#include "tst_feature_sort_proxy.moc"
