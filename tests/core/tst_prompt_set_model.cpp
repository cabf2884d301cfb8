// PromptSetModel: the table contract (QAbstractItemModelTester through every edit), the columns,
// the roles, and which edits it refuses.

#include "core/prompts/prompt_set_io.h"
#include "core/prompts/prompt_set_model.h"
#include "tests/support/test_paths.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace gyrus;

namespace {

PromptSet twoByTwo()
{
    PromptSet set;
    set.name = QStringLiteral("design");
    set.factors = {{QStringLiteral("truth"), {QStringLiteral("true"), QStringLiteral("false")}},
                   {QStringLiteral("connective"), {QStringLiteral("AND"), QStringLiteral("OR")}}};
    const QStringList truths = {QStringLiteral("true"), QStringLiteral("false")};
    const QStringList connectives = {QStringLiteral("AND"), QStringLiteral("OR")};
    int n = 0;
    for (const QString &t : truths) {
        for (const QString &c : connectives) {
            PromptItem item;
            item.id = QStringLiteral("i%1").arg(n++);
            item.text = QStringLiteral("Sentence %1 is %2 with %3.").arg(n).arg(t, c);
            item.levels = {{QStringLiteral("truth"), t}, {QStringLiteral("connective"), c}};
            set.items.append(item);
        }
    }
    set.items[0].pair = QStringLiteral("i2");
    set.items[2].pair = QStringLiteral("i0");
    set.items[1].target = PromptTarget::fromRegex(QStringLiteral("with (\\w+)"));
    return set;
}

}  // namespace

class TestPromptSetModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void columnsAndRoles()
    {
        PromptSetModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPromptSet(twoByTwo());
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), 6);  // id, text, truth, connective, pair, target
        const QStringList headers = {QStringLiteral("id"),    QStringLiteral("text"),
                                     QStringLiteral("truth"), QStringLiteral("connective"),
                                     QStringLiteral("pair"),  QStringLiteral("target")};
        for (int c = 0; c < headers.size(); ++c) {
            QCOMPARE(model.headerData(c, Qt::Horizontal).toString(), headers.at(c));
        }
        QCOMPARE(model.pairColumn(), 4);
        QCOMPARE(model.targetColumn(), 5);
        QCOMPARE(model.data(model.index(3, 0)).toString(), QStringLiteral("i3"));
        QCOMPARE(model.data(model.index(3, model.factorColumn(0))).toString(),
                 QStringLiteral("false"));
        QCOMPARE(model.data(model.index(3, model.factorColumn(1))).toString(),
                 QStringLiteral("OR"));
        QCOMPARE(model.data(model.index(2, 4)).toString(), QStringLiteral("i0"));
        QCOMPARE(model.data(model.index(1, 5)).toString(), QStringLiteral("/with (\\w+)/"));
        QCOMPARE(model.data(model.index(3, 1), PromptSetModel::ConditionRole).toString(),
                 QStringLiteral("false_OR"));
        QCOMPARE(model.data(model.index(3, 4), PromptSetModel::ItemIdRole).toString(),
                 QStringLiteral("i3"));
        const QVariantMap levels =
                model.data(model.index(1, 0), PromptSetModel::LevelsRole).toMap();
        QCOMPARE(levels.value(QStringLiteral("connective")).toString(), QStringLiteral("OR"));
        const QVariantMap target =
                model.data(model.index(1, 0), PromptSetModel::TargetRole).toMap();
        QCOMPARE(target.value(QStringLiteral("regex")).toString(), QStringLiteral("with (\\w+)"));
        QVERIFY(!model.data(model.index(0, 0), PromptSetModel::TargetRole).isValid());
        QCOMPARE(model.data(model.index(0, 0), PromptSetModel::SeverityRole).toInt(), -1);
        QVERIFY(model.issues().isEmpty());
        QVERIFY(model.flags(model.index(0, 1)) & Qt::ItemIsEditable);
    }

    void validEditsApplyAndSignal()
    {
        PromptSetModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPromptSet(twoByTwo());
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy edited(&model, &PromptSetModel::edited);

        QVERIFY(model.setData(model.index(1, 1), QStringLiteral("A new sentence with words.")));
        QCOMPARE(model.promptSet().items.at(1).text, QStringLiteral("A new sentence with words."));
        QCOMPARE(edited.count(), 1);
        QVERIFY(!changed.isEmpty());
        QCOMPARE(changed.first().at(0).value<QModelIndex>().row(), 1);

        // A level edit moves the item to another condition.
        QVERIFY(model.setData(model.index(3, model.factorColumn(0)), QStringLiteral("true")));
        QCOMPARE(model.data(model.index(3, 0), PromptSetModel::ConditionRole).toString(),
                 QStringLiteral("true_OR"));
        // The design is now unbalanced: set-level warnings, no row issue.
        QVERIFY(!model.issues().isEmpty());
        for (const PromptIssue &issue : model.issues()) {
            QCOMPARE(issue.itemIndex, -1);
            QVERIFY(!issue.isError());
            QVERIFY(issue.message.contains(QStringLiteral("unbalanced design")));
        }
        QVERIFY(model.setData(model.index(3, model.factorColumn(0)), QStringLiteral("false")));
        QVERIFY(model.issues().isEmpty());

        // Span targets in either form; clearing with an empty string.
        QVERIFY(model.setData(model.index(0, 5), QStringLiteral("0:8")));
        QCOMPARE(model.promptSet().items.at(0).target, PromptTarget::fromSpan(0, 8));
        QCOMPARE(model.data(model.index(0, 5)).toString(), QStringLiteral("[0,8)"));
        QVERIFY(model.setData(model.index(0, 5), QString()));
        QVERIFY(!model.promptSet().items.at(0).target.isSet());

        // Renaming an id keeps its partner's pair pointing at it.
        QVERIFY(model.setData(model.index(0, 0), QStringLiteral("first")));
        QCOMPARE(model.promptSet().items.at(2).pair, QStringLiteral("first"));
        QCOMPARE(model.data(model.index(2, 4)).toString(), QStringLiteral("first"));
        QVERIFY(model.setData(model.index(3, 4), QStringLiteral("i1")));
        QCOMPARE(model.promptSet().items.at(3).pair, QStringLiteral("i1"));
        QVERIFY(model.issues().isEmpty());
    }

    void invalidEditsAreRefused_data()
    {
        QTest::addColumn<int>("row");
        QTest::addColumn<int>("column");
        QTest::addColumn<QString>("value");
        QTest::newRow("empty id") << 0 << 0 << QStringLiteral("  ");
        QTest::newRow("id of another item") << 0 << 0 << QStringLiteral("i1");
        QTest::newRow("empty text") << 0 << 1 << QString();
        QTest::newRow("level the factor lacks") << 0 << 2 << QStringLiteral("maybe");
        QTest::newRow("pair with an unknown id") << 0 << 4 << QStringLiteral("nobody");
        QTest::newRow("pair with itself") << 0 << 4 << QStringLiteral("i0");
        QTest::newRow("target that does not parse") << 0 << 5 << QStringLiteral("3-7");
        QTest::newRow("span outside the text") << 0 << 5 << QStringLiteral("[0,999)");
        QTest::newRow("empty span") << 0 << 5 << QStringLiteral("[2,2)");
        QTest::newRow("invalid regex") << 0 << 5 << QStringLiteral("/(/");
        QTest::newRow("regex not matching") << 0 << 5 << QStringLiteral("/xyzzy/");
    }

    void invalidEditsAreRefused()
    {
        QFETCH(int, row);
        QFETCH(int, column);
        QFETCH(QString, value);
        PromptSetModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPromptSet(twoByTwo());
        QSignalSpy edited(&model, &PromptSetModel::edited);
        const PromptSet before = model.promptSet();
        QVERIFY(!model.setData(model.index(row, column), value));
        QVERIFY(model.promptSet() == before);
        QCOMPARE(edited.count(), 0);
        // Only EditRole edits.
        QVERIFY(!model.setData(model.index(0, 1), QStringLiteral("x"), Qt::DisplayRole));
    }

    void contextIssuesShowOnTheRow()
    {
        PromptSetModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPromptSet(twoByTwo());
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        // The edit itself is fine, but item 1's regex target no longer matches its text.
        QVERIFY(model.setData(model.index(1, 1), QStringLiteral("No anchor here.")));
        QCOMPARE(model.data(model.index(1, 0), PromptSetModel::SeverityRole).toInt(),
                 static_cast<int>(PromptIssue::Severity::Error));
        const QStringList messages =
                model.data(model.index(1, 3), PromptSetModel::IssuesRole).toStringList();
        QCOMPARE(messages.size(), 1);
        QVERIFY2(messages.first().contains(QStringLiteral("item 1 'i1': target regex")),
                 qPrintable(messages.first()));
        QCOMPARE(model.data(model.index(1, 2), Qt::ToolTipRole).toString(), messages.first());
        bool sawIssueRoles = false;
        for (const QList<QVariant> &signal : changed) {
            sawIssueRoles |= signal.at(2).value<QList<int>>().contains(PromptSetModel::IssuesRole);
        }
        QVERIFY(sawIssueRoles);
        // A text with the anchor again clears it.
        QVERIFY(model.setData(model.index(1, 1), QStringLiteral("Now with anchor.")));
        QCOMPARE(model.data(model.index(1, 0), PromptSetModel::SeverityRole).toInt(), -1);
        // Duplicate text: a warning on the later row.
        QVERIFY(model.setData(model.index(3, 1), model.data(model.index(0, 1))));
        QCOMPARE(model.data(model.index(3, 0), PromptSetModel::SeverityRole).toInt(),
                 static_cast<int>(PromptIssue::Severity::Warning));
    }

    void insertAndRemoveRows()
    {
        PromptSetModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPromptSet(twoByTwo());
        QVERIFY(model.insertRows(1, 2));
        QCOMPARE(model.rowCount(), 6);
        const PromptItem &added = model.promptSet().items.at(1);
        QCOMPARE(added.id, QStringLiteral("item_5"));
        QCOMPARE(model.promptSet().items.at(2).id, QStringLiteral("item_6"));
        QCOMPARE(added.levels.value(QStringLiteral("truth")), QStringLiteral("true"));
        QCOMPARE(added.levels.value(QStringLiteral("connective")), QStringLiteral("AND"));
        // New rows have no text yet: an error on the row until it is typed.
        QCOMPARE(model.data(model.index(1, 0), PromptSetModel::SeverityRole).toInt(),
                 static_cast<int>(PromptIssue::Severity::Error));
        QVERIFY(model.setData(model.index(1, 1), QStringLiteral("Typed.")));
        QVERIFY(model.setData(model.index(2, 1), QStringLiteral("Typed too.")));
        // Indices in messages follow the rows.
        QVERIFY(model.data(model.index(4, 0), PromptSetModel::IssuesRole).toStringList().isEmpty());
        QVERIFY(!model.insertRows(-1, 1));
        QVERIFY(!model.insertRows(7, 1));
        QVERIFY(!model.removeRows(5, 2));

        // Removing i0 (now row 0) clears i2's pair rather than leaving it dangling.
        QVERIFY(model.removeRows(0, 1));
        QCOMPARE(model.rowCount(), 5);
        const int i2 = model.promptSet().indexOfId(QStringLiteral("i2"));
        QVERIFY(model.promptSet().items.at(i2).pair.isEmpty());
        for (const PromptIssue &issue : model.issues()) {
            QVERIFY2(!issue.isError(), qPrintable(issue.message));
        }
        QVERIFY(model.removeRows(0, model.rowCount()));
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.columnCount(), 6);
    }

    void seedFileInTheModel()
    {
        const Result<PromptSetLoad> load = loadPromptSet(test::sourcePath(
                QStringLiteral("datasets/prompt-sets/seed/SR_TOPIC_UNSORTED_OTHER_IDEAS/"
                               "bifactorial-cross-domain-analogies.json")));
        QVERIFY(load.isOk());
        PromptSetModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPromptSet(load->set);
        QCOMPARE(model.rowCount(), 191);
        QCOMPARE(model.columnCount(), 6);
        QCOMPARE(model.headerData(2, Qt::Horizontal).toString(), QStringLiteral("factor_a"));
        QCOMPARE(model.data(model.index(50, 0)).toString(), QStringLiteral("mechanical_complex_0"));
        QCOMPARE(model.data(model.index(50, 0), PromptSetModel::ConditionRole).toString(),
                 QStringLiteral("mechanical_complex"));
        QCOMPARE(model.issues().size(), 1);  // the unbalanced design
    }
};

QTEST_GUILESS_MAIN(TestPromptSetModel)
#include "tst_prompt_set_model.moc"
