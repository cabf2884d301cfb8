// NextTokenShiftModel: the Steering dock's next-token table (baseline and steered probability and
// their change per token), checked by QAbstractItemModelTester.

#include "core/steering/next_token_shift_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

using namespace gyrus;

class TestNextTokenShiftModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void showsProbabilitiesAndChanges()
    {
        NextTokenShiftModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        NextTokenShift shift;
        shift.tokens = {TokenShift{17, QStringLiteral(" the"), 0.5, 0.125},
                        TokenShift{42, QStringLiteral("court"), 0.25, 0.625}};
        shift.kl = 0.3;
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setShift(shift);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(NextTokenShiftModel::ColumnCount));
        // A leading space shows as a visible mark.
        QCOMPARE(model.index(0, NextTokenShiftModel::TokenColumn).data().toString(),
                 QStringLiteral("\u2423the"));
        QCOMPARE(model.index(0, NextTokenShiftModel::BeforeColumn).data().toString(),
                 QStringLiteral("50.0%"));
        QCOMPARE(model.index(0, NextTokenShiftModel::AfterColumn).data().toString(),
                 QStringLiteral("12.5%"));
        QCOMPARE(model.index(0, NextTokenShiftModel::ChangeColumn).data().toString(),
                 QStringLiteral("-37.5 pp"));  // percentage points, said in the cell
        QCOMPARE(model.index(1, NextTokenShiftModel::ChangeColumn).data().toString(),
                 QStringLiteral("+37.5 pp"));
        QCOMPARE(model.index(1, NextTokenShiftModel::ChangeColumn)
                         .data(NextTokenShiftModel::SortRole)
                         .toDouble(),
                 0.375);
        QVERIFY(model.index(1, 0).data(Qt::ToolTipRole).toString().contains(QLatin1String("42")));
        QCOMPARE(model.headerData(NextTokenShiftModel::AfterColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Steered"));

        QCOMPARE(model.headerData(NextTokenShiftModel::ChangeColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Change (pp)"));
        QVERIFY(model.headerData(NextTokenShiftModel::ChangeColumn, Qt::Horizontal, Qt::ToolTipRole)
                        .toString()
                        .contains(QLatin1String("percentage points")));

        // Sorting by change puts the largest shift first, a loss as much as a gain.
        shift.tokens.append(TokenShift{7, QStringLiteral("judge"), 0.75, 0.0625});
        model.setShift(shift);
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(NextTokenShiftModel::SortRole);
        proxy.sort(NextTokenShiftModel::ChangeColumn, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, NextTokenShiftModel::TokenColumn).data().toString(),
                 QStringLiteral("judge"));

        model.setShift(NextTokenShift());
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestNextTokenShiftModel)
#include "tst_next_token_shift_model.moc"
