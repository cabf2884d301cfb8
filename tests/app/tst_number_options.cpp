// gyrus-cli's number options (app/cli/number_options.h): the values each range accepts, the one
// message format and its range words, 1e6-style whole numbers, an option's default value, and
// the fallback of integerOption / numberOption.

#include "app/cli/number_options.h"

#include <QtTest>

using namespace gyrus;
using namespace gyrus::cli;

namespace {

QString messageOf(const Status &status)
{
    return status.isOk() ? QStringLiteral("(accepted)") : status.message();
}

}  // namespace

class TestNumberOptions : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void integersInRange()
    {
        QCOMPARE(parseInteger(QStringLiteral("k"), QStringLiteral("8"), 1).value(), int64_t(8));
        QCOMPARE(parseInteger(QStringLiteral("k"), QStringLiteral("1"), 1).value(), int64_t(1));
        QCOMPARE(parseInteger(QStringLiteral("at"), QStringLiteral("-1"), -1).value(), int64_t(-1));
        QCOMPARE(
                parseInteger(QStringLiteral("tokens"), QStringLiteral("1e6"), 0, kInt64Max).value(),
                int64_t(1000000));
        QCOMPARE(parseInteger(QStringLiteral("seed"), QStringLiteral("9007199254740993"), 0,
                              kInt64Max)
                         .value(),
                 int64_t(9007199254740993));  // exact: not through a double
        QCOMPARE(parseInteger(QStringLiteral("layer"), QStringLiteral("3"), 0, 3).value(),
                 int64_t(3));
    }

    void integersOutOfRangeAreOneMessage_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("minimum");
        QTest::addColumn<qint64>("maximum");
        QTest::addColumn<QString>("message");
        QTest::newRow("positive") << QStringLiteral("many") << qint64(1) << qint64(kIntMax)
                                  << QStringLiteral("--n must be a positive integer, got 'many'");
        QTest::newRow("zero is not positive")
                << QStringLiteral("0") << qint64(1) << qint64(kIntMax)
                << QStringLiteral("--n must be a positive integer, got '0'");
        QTest::newRow("non-negative")
                << QStringLiteral("-5") << qint64(0) << qint64(kInt64Max)
                << QStringLiteral("--n must be a non-negative integer, got '-5'");
        QTest::newRow("at least") << QStringLiteral("1") << qint64(2) << qint64(kIntMax)
                                  << QStringLiteral("--n must be an integer >= 2, got '1'");
        QTest::newRow("between") << QStringLiteral("12") << qint64(0) << qint64(11)
                                 << QStringLiteral("--n must be an integer in [0, 11], got '12'");
        QTest::newRow("fraction") << QStringLiteral("2.5") << qint64(0) << qint64(kIntMax)
                                  << QStringLiteral(
                                             "--n must be a non-negative integer, got '2.5'");
        QTest::newRow("beyond an int")
                << QStringLiteral("3000000000") << qint64(0) << qint64(kIntMax)
                << QStringLiteral("--n must be a non-negative integer, got '3000000000'");
        QTest::newRow("any integer")
                << QStringLiteral("x") << qint64(std::numeric_limits<int64_t>::min())
                << qint64(kInt64Max) << QStringLiteral("--n must be an integer, got 'x'");
    }

    void integersOutOfRangeAreOneMessage()
    {
        QFETCH(QString, text);
        QFETCH(qint64, minimum);
        QFETCH(qint64, maximum);
        QFETCH(QString, message);
        QCOMPARE(messageOf(parseInteger(QStringLiteral("n"), text, minimum, maximum).status()),
                 message);
    }

    void numbersInRange()
    {
        QCOMPARE(parseNumber(QStringLiteral("alpha"), QStringLiteral("-2.5")).value(), -2.5);
        QCOMPARE(parseNumber(QStringLiteral("t"), QStringLiteral("0"), NumberRange::atLeast(0))
                         .value(),
                 0.0);
        QCOMPARE(parseNumber(QStringLiteral("p"), QStringLiteral("1"), NumberRange{0, 1, true})
                         .value(),
                 1.0);
    }

    void numbersOutOfRangeAreOneMessage_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<double>("minimum");
        QTest::addColumn<double>("maximum");
        QTest::addColumn<bool>("excludeMinimum");
        QTest::addColumn<QString>("message");
        QTest::newRow("any") << QStringLiteral("x") << -HUGE_VAL << HUGE_VAL << false
                             << QStringLiteral("--v must be a number, got 'x'");
        QTest::newRow("not finite") << QStringLiteral("inf") << -HUGE_VAL << HUGE_VAL << false
                                    << QStringLiteral("--v must be a number, got 'inf'");
        QTest::newRow("at least") << QStringLiteral("-0.5") << 0.0 << HUGE_VAL << false
                                  << QStringLiteral("--v must be a number >= 0, got '-0.5'");
        QTest::newRow("positive") << QStringLiteral("0") << 0.0 << HUGE_VAL << true
                                  << QStringLiteral("--v must be a positive number, got '0'");
        QTest::newRow("above") << QStringLiteral("1") << 1.0 << HUGE_VAL << true
                               << QStringLiteral("--v must be a number > 1, got '1'");
        QTest::newRow("half-open") << QStringLiteral("0") << 0.0 << 1.0 << true
                                   << QStringLiteral("--v must be a number in (0, 1], got '0'");
        QTest::newRow("closed") << QStringLiteral("1.5") << 0.0 << 1.0 << false
                                << QStringLiteral("--v must be a number in [0, 1], got '1.5'");
        QTest::newRow("at most") << QStringLiteral("3") << -HUGE_VAL << 2.0 << false
                                 << QStringLiteral("--v must be a number <= 2, got '3'");
    }

    void numbersOutOfRangeAreOneMessage()
    {
        QFETCH(QString, text);
        QFETCH(double, minimum);
        QFETCH(double, maximum);
        QFETCH(bool, excludeMinimum);
        QFETCH(QString, message);
        const NumberRange range{minimum, maximum, excludeMinimum};
        QCOMPARE(messageOf(parseNumber(QStringLiteral("v"), text, range).status()), message);
    }

    void optionsReadTheirDefaultOrTheirFallback()
    {
        QCommandLineParser parser;
        const QCommandLineOption k(QStringLiteral("k"), QStringLiteral("K."), QStringLiteral("K"),
                                   QStringLiteral("8"));
        const QCommandLineOption lr(QStringLiteral("lr"), QStringLiteral("LR."),
                                    QStringLiteral("X"));
        parser.addOptions({k, lr});
        QVERIFY(parser.parse(
                {QStringLiteral("gyrus-cli"), QStringLiteral("--lr"), QStringLiteral("-1")}));
        QCOMPARE(integerValue(parser, k, 1).value(), int64_t(8));  // the default value, not given
        QCOMPARE(messageOf(numberValue(parser, lr, NumberRange::above(0)).status()),
                 QStringLiteral("--lr must be a positive number, got '-1'"));
        // Not given: the fallback (not the default value).
        QCOMPARE(integerOption(parser, QStringLiteral("sae train"), QStringLiteral("k"), 32, 1)
                         .value_or(-1),
                 int64_t(32));
        // Refused: reported through fail() (one line, the message above), no value.
        QVERIFY(!numberOption(parser, QStringLiteral("sae train"), QStringLiteral("lr"), 0, 0));
    }
};

QTEST_GUILESS_MAIN(TestNumberOptions)
#include "tst_number_options.moc"
