#include "core/base/status.h"

#include <QtTest>

using gyrus::Result;
using gyrus::Status;

class TestStatus : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void okByDefault()
    {
        const Status status;
        QVERIFY(status.isOk());
        QCOMPARE(status.codeName(), QStringLiteral("ok"));
    }

    void errorKeepsCodeAndMessage()
    {
        const Status status = Status::invalidInput(QStringLiteral("shape [3] expected [4]"));
        QVERIFY(!status.isOk());
        QCOMPARE(status.code(), Status::Code::InvalidInput);
        QCOMPARE(status.codeName(), QStringLiteral("invalid-input"));
        QCOMPARE(status.message(), QStringLiteral("shape [3] expected [4]"));
    }

    void contextIsPrefixedOnlyToErrors()
    {
        const Status error = Status::notFound(QStringLiteral("no such file"));
        QCOMPARE(error.withContext(QStringLiteral("model.safetensors")).message(),
                 QStringLiteral("model.safetensors: no such file"));
        QCOMPARE(error.withContext(QStringLiteral("x")).code(), Status::Code::NotFound);
        QVERIFY(Status::ok().withContext(QStringLiteral("x")).message().isEmpty());
    }

    void resultHoldsValueOrStatus()
    {
        const Result<int> value(42);
        QVERIFY(value.isOk());
        QCOMPARE(value.value(), 42);
        QVERIFY(value.status().isOk());

        const Result<int> error(Status::cancelled());
        QVERIFY(!error.isOk());
        QVERIFY(!error);
        QCOMPARE(error.status().code(), Status::Code::Cancelled);
    }

    void resultMovesValueOut()
    {
        Result<QString> result(QStringLiteral("tokens"));
        const QString moved = std::move(result).value();
        QCOMPARE(moved, QStringLiteral("tokens"));
    }
};

QTEST_APPLESS_MAIN(TestStatus)
#include "tst_status.moc"
