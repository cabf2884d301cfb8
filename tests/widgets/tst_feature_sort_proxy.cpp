// The feature tables' sort: the same order QSortFilterProxyModel gives on SortRole (the
// reference), synchronous for small tables, on a worker thread for large ones (the old order
// stays until the new one is applied), and a selected feature stays selected. Qt's model tester
// watches the proxy's form through every kind of change; which source row each proxy row shows
// is checked after each of them.

#include "core/contrasts/feature_stats_model.h"
#include "core/session/selection_hub.h"
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

// Values with ties and NaN, so stability and the NaN rule are both exercised (column 2, "t"),
// and a column without ties to break them (column 3, "p").
void fill(FeatureStatsModel &model, int rows)
{
    QRandomGenerator generator(7);
    FeatureStatsModel::Column t{QStringLiteral("t"), {}, {}, FeatureStatsModel::Format::Fixed2};
    FeatureStatsModel::Column p{QStringLiteral("p"), {}, {}, FeatureStatsModel::Format::Fixed3};
    for (int i = 0; i < rows; ++i) {
        const int draw = int(generator.bounded(1000));
        t.values.push_back(draw == 0 ? NAN : double(draw % 97) - 48.0);
        p.values.push_back(generator.generateDouble());
    }
    model.setColumns(rows, {t, p});
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
    reference.setSortLocaleAware(true);  // as the label column sorts
    reference.sort(column, order);
    return featuresInOrder(reference);
}

// Rows by (column, tieColumn) on SortRole in `order`, equal pairs by feature: read through
// data(), not through the keys the proxy sorts.
std::vector<int> referenceOrder(const FeatureStatsModel &model, int column, int tieColumn,
                                Qt::SortOrder order)
{
    std::vector<std::pair<double, double>> keys;
    for (int row = 0; row < model.rowCount(); ++row) {
        keys.emplace_back(model.index(row, column).data(FeatureStatsModel::SortRole).toDouble(),
                          model.index(row, tieColumn).data(FeatureStatsModel::SortRole).toDouble());
    }
    std::vector<int> rows(keys.size());
    std::iota(rows.begin(), rows.end(), 0);
    std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) {
        return order == Qt::AscendingOrder ? keys[size_t(a)] < keys[size_t(b)]
                                           : keys[size_t(b)] < keys[size_t(a)];
    });
    return rows;
}

std::vector<int> unsorted(int rows)
{
    std::vector<int> order(static_cast<size_t>(rows));
    std::iota(order.begin(), order.end(), 0);
    return order;
}

// The first way in which `proxy` differs from showing source row order[r] at row r: the row and
// column counts, mapToSource and mapFromSource of every cell, and each cell's text and feature.
// Empty when it shows exactly that. (The model tester checks the form, not which row is where.)
QString differenceFrom(const FeatureSortProxy &proxy, const FeatureStatsModel &model,
                       const std::vector<int> &order)
{
    if (proxy.rowCount() != int(order.size()) || proxy.columnCount() != model.columnCount()) {
        return QStringLiteral("%1 rows and %2 columns, expected %3 and %4")
                .arg(proxy.rowCount())
                .arg(proxy.columnCount())
                .arg(order.size())
                .arg(model.columnCount());
    }
    for (int row = 0; row < proxy.rowCount(); ++row) {
        const int sourceRow = order[size_t(row)];
        for (int column = 0; column < proxy.columnCount(); ++column) {
            const QModelIndex cell = proxy.index(row, column);
            const QModelIndex source = model.index(sourceRow, column);
            const auto where = [&] {
                return QStringLiteral("row %1 column %2 (source row %3): ")
                        .arg(row)
                        .arg(column)
                        .arg(sourceRow);
            };
            if (proxy.mapToSource(cell) != source) {
                return where() + QStringLiteral("mapToSource gives source row %1 column %2")
                                         .arg(proxy.mapToSource(cell).row())
                                         .arg(proxy.mapToSource(cell).column());
            }
            if (proxy.mapFromSource(source) != cell) {
                return where() + QStringLiteral("mapFromSource gives row %1 column %2")
                                         .arg(proxy.mapFromSource(source).row())
                                         .arg(proxy.mapFromSource(source).column());
            }
            if (cell.data().toString() != source.data().toString() ||
                cell.data(FeatureStatsModel::FeatureRole).toInt() != sourceRow) {
                return where() + QStringLiteral("shows \"%1\" of feature %2")
                                         .arg(cell.data().toString())
                                         .arg(cell.data(FeatureStatsModel::FeatureRole).toInt());
            }
        }
    }
    return {};
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
        // Qt's checks (indexes, parents, row counts, persistent indexes across the layout
        // changes) while the proxy sorts at once both ways, with a tie-break, after a label
        // changes, by label, after a new table (on the worker thread) and when the tie-break
        // goes; after each step, which source row every proxy row shows, and where a selected
        // feature's persistent index points.
        SelectionHub hub;
        FeatureStatsModel model(&hub);
        fill(model, 500);
        FeatureSortProxy proxy(&model);
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy sorted(&proxy, &FeatureSortProxy::sorted);
        QString difference = differenceFrom(proxy, model, unsorted(500));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QPersistentModelIndex selected = proxy.index(123, 2);  // feature 123's t

        for (const Qt::SortOrder order : {Qt::DescendingOrder, Qt::AscendingOrder}) {
            proxy.sort(2, order);
            QVERIFY(!proxy.isSorting());
            difference = differenceFrom(proxy, model, referenceOrder(model, 2, order));
            QVERIFY2(difference.isEmpty(), qPrintable(difference));
            QCOMPARE(proxy.mapToSource(selected), model.index(123, 2));
        }

        proxy.setTieBreak(2, 3);
        difference = differenceFrom(proxy, model, referenceOrder(model, 2, 3, Qt::AscendingOrder));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QCOMPARE(proxy.mapToSource(selected), model.index(123, 2));

        // A label changes: the proxy reports the cell where the feature is shown now.
        QSignalSpy changed(&proxy, &QAbstractItemModel::dataChanged);
        hub.setAnnotation(123, FeatureAnnotation(QStringLiteral("zeta"), QString()));
        QCOMPARE(changed.size(), 1);
        const auto topLeft = changed[0][0].value<QModelIndex>();
        const auto bottomRight = changed[0][1].value<QModelIndex>();
        QVERIFY(topLeft.row() <= selected.row() && selected.row() <= bottomRight.row());
        QVERIFY(topLeft.column() <= 1 && 1 <= bottomRight.column());
        QCOMPARE(proxy.index(selected.row(), 1).data().toString(), QStringLiteral("zeta"));
        difference = differenceFrom(proxy, model, referenceOrder(model, 2, 3, Qt::AscendingOrder));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));

        hub.setAnnotation(7, FeatureAnnotation(QStringLiteral("alpha"), QString()));
        proxy.sort(1, Qt::DescendingOrder);
        QVERIFY(!proxy.isSorting());
        difference = differenceFrom(proxy, model, referenceOrder(model, 1, Qt::DescendingOrder));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QCOMPARE(proxy.index(0, 1).data().toString(), QStringLiteral("zeta"));
        QCOMPARE(proxy.mapToSource(selected), model.index(123, 2));

        // A new, large table: unsorted while the worker sorts it, then in the chosen order.
        proxy.sort(2, Qt::DescendingOrder);
        const int rows = FeatureSortProxy::kAsyncRows + 1000;  // just over: the worker sorts
        fill(model, rows);
        QVERIFY(!selected.isValid());  // a reset
        QVERIFY(proxy.isSorting());
        difference = differenceFrom(proxy, model, unsorted(rows));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QVERIFY(sorted.wait(10000));
        difference = differenceFrom(proxy, model, referenceOrder(model, 2, 3, Qt::DescendingOrder));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));

        selected = proxy.index(0, 3);  // the largest t, largest p among those
        const int feature = selected.data(FeatureStatsModel::FeatureRole).toInt();
        proxy.setTieBreak(2, 2);  // no tie-break: ties in feature order
        QVERIFY(proxy.isSorting());
        QVERIFY(sorted.wait(10000));
        difference = differenceFrom(proxy, model, referenceOrder(model, 2, Qt::DescendingOrder));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QCOMPARE(proxy.mapToSource(selected), model.index(feature, 3));

        proxy.sort(2, Qt::AscendingOrder);
        QVERIFY(proxy.isSorting());
        QVERIFY(sorted.wait(10000));
        difference = differenceFrom(proxy, model, referenceOrder(model, 2, Qt::AscendingOrder));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QCOMPARE(proxy.mapToSource(selected), model.index(feature, 3));
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
