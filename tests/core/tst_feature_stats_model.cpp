// FeatureStatsModel: the per-feature statistics table of the Contrasts dock.

#include "core/contrasts/feature_stats_model.h"
#include "core/session/selection_hub.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

using gyrus::FeatureStatsModel;

class TestFeatureStatsModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void showsFeaturesLabelsAndFormattedValues()
    {
        gyrus::SelectionHub hub;
        hub.setAnnotation(2, {QStringLiteral("past tense"), QString()});
        FeatureStatsModel model(&hub);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setColumns(3, {{QStringLiteral("t"),
                              QString(),
                              {1.234, -5.0, 0.5},
                              FeatureStatsModel::Format::Fixed2},
                             {QStringLiteral("q"),
                              QString(),
                              {0.00003141, 0.5, 1.0},
                              FeatureStatsModel::Format::Probability}});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), 4);
        QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), QStringLiteral("t"));
        QCOMPARE(model.index(0, 2).data().toString(), QStringLiteral("1.23"));
        QCOMPARE(model.index(0, 3).data().toString(), QStringLiteral("3.1e-05"));
        QCOMPARE(model.index(2, FeatureStatsModel::kLabelColumn).data().toString(),
                 QStringLiteral("past tense"));
        QCOMPARE(model.index(1, 0).data(FeatureStatsModel::FeatureRole).toInt(), 1);
        QCOMPARE(model.rowOfFeature(2), 2);
        QCOMPARE(model.rowOfFeature(3), -1);
    }

    void labelsFollowTheHub()
    {
        gyrus::SelectionHub hub;
        FeatureStatsModel model(&hub);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setColumns(5, {});
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        hub.setAnnotation(4, {QStringLiteral("negation"), QString()});
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toModelIndex().row(), 4);
        QCOMPARE(model.index(4, FeatureStatsModel::kLabelColumn).data().toString(),
                 QStringLiteral("negation"));
    }

    void sortsNumericallyThroughAProxy()
    {
        FeatureStatsModel model(nullptr);
        model.setColumns(4, {{QStringLiteral("t"),
                              QString(),
                              {2.0, -10.0, 11.0, NAN},
                              FeatureStatsModel::Format::Fixed2}});
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(FeatureStatsModel::SortRole);
        proxy.sort(2, Qt::DescendingOrder);
        QList<int> order;
        for (int row = 0; row < proxy.rowCount(); ++row) {
            order << proxy.index(row, 0).data(FeatureStatsModel::FeatureRole).toInt();
        }
        // Numeric, not text order ("11" < "2" as text), and NaN last.
        QCOMPARE(order, (QList<int>{2, 0, 1, 3}));
    }
};

QTEST_GUILESS_MAIN(TestFeatureStatsModel)
#include "tst_feature_stats_model.moc"
