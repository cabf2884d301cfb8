// ClampSetModel: the Steering dock's table is a view of SelectionHub's clamp set (edits go to
// the hub, the hub's changes come back as in-place updates or a reset), checked by
// QAbstractItemModelTester at every step.

#include "core/session/selection_hub.h"
#include "core/steering/clamp_set_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace gyrus;

class TestClampSetModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void mirrorsTheHubAndEditsGoBackToIt()
    {
        SelectionHub hub;
        hub.addClamp(FeatureClamp{12, ClampMode::Scale, 0.5, ClampPositions::Prompt, true});
        ClampSetModel model(&hub);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.columnCount(), int(ClampSetModel::ColumnCount));
        QCOMPARE(model.index(0, ClampSetModel::FeatureColumn).data().toString(),
                 QStringLiteral("#12"));
        QCOMPARE(model.index(0, ClampSetModel::ModeColumn).data().toString(),
                 QStringLiteral("scale"));
        QCOMPARE(model.index(0, ClampSetModel::EnabledColumn).data(Qt::CheckStateRole).toInt(),
                 int(Qt::Checked));
        QCOMPARE(model.index(0, 3).data(ClampSetModel::FeatureRole).toInt(), 12);

        // An edit in the table replaces the hub's entry; the row is updated in place.
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(model.setData(model.index(0, ClampSetModel::ValueColumn), 3.5));
        QCOMPARE(hub.clampSet().clamps.at(0).value, 3.5);
        QCOMPARE(model.index(0, ClampSetModel::ValueColumn).data(Qt::EditRole).toDouble(), 3.5);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(changed.count(), 1);
        QVERIFY(model.setData(model.index(0, ClampSetModel::EnabledColumn), int(Qt::Unchecked),
                              Qt::CheckStateRole));
        QVERIFY(!hub.clampSet().clamps.at(0).enabled);

        // Bad edits are refused and leave the hub alone.
        QVERIFY(!model.setData(model.index(0, ClampSetModel::ValueColumn), QStringLiteral("x")));
        QVERIFY(!model.setData(model.index(0, ClampSetModel::ValueColumn), qQNaN()));
        QVERIFY(!model.setData(model.index(0, ClampSetModel::ModeColumn), QStringLiteral("push")));
        QVERIFY(!model.setData(model.index(0, ClampSetModel::FeatureColumn), 7));
        QCOMPARE(hub.clampSet().clamps.at(0).value, 3.5);

        // Rows added, removed and cleared in the hub (a reset each: the rows changed).
        hub.addClamp(FeatureClamp{400, ClampMode::Add, -3.0, ClampPositions::Generated, true});
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.rowOf(400), 1);
        QCOMPARE(model.clampAt(1).mode, ClampMode::Add);
        hub.removeClamp(12);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.rowOf(12), -1);
        hub.clearClamps();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.clampAt(0).feature, -1);
    }

    void showsObservedRangesAndLabels()
    {
        SelectionHub hub;
        hub.addClamp(FeatureClamp{5, ClampMode::Clamp, 1.0, ClampPositions::All, true});
        hub.addClamp(FeatureClamp{9, ClampMode::Clamp, 2.0, ClampPositions::All, true});
        ClampSetModel model(&hub);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(model.index(0, ClampSetModel::RangeColumn).data().toString().isEmpty());
        FeatureRanges ranges;
        ranges.ranges = {FeatureRange{9, 0.25, 4.5, 1.0}};
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setRanges(ranges);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(model.index(1, ClampSetModel::RangeColumn).data().toString(),
                 QStringLiteral("0.25 … 4.5"));
        QVERIFY(model.rangeOf(9).has_value());
        QVERIFY(!model.rangeOf(5).has_value());
        hub.setAnnotation(5, FeatureAnnotation{QStringLiteral("legal words"), QString()});
        QCOMPARE(model.index(0, ClampSetModel::FeatureColumn).data().toString(),
                 QStringLiteral("#5  legal words"));
    }
};

QTEST_GUILESS_MAIN(TestClampSetModel)
#include "tst_clamp_set_model.moc"
