// gyrus-cli prompts validate|import end to end, as a script runs them: JSON on stdout, one line
// on stderr, exit codes 0 / 2.

#include "tests/support/cli_run.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using Run = gyrus::test::ProcessRun;

Run cli(const QStringList &arguments)
{
    return gyrus::test::runCli(arguments);
}

QString seed(const QString &relative)
{
    return gyrus::test::sourcePath(QStringLiteral("datasets/prompt-sets/seed/") + relative);
}

QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &json)
{
    QFile file(dir.filePath(name));
    if (file.open(QIODevice::WriteOnly)) {
        file.write(json);
    }
    return file.fileName();
}

QJsonObject parse(const QByteArray &out)
{
    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(out, &error).object();
    return error.error == QJsonParseError::NoError ? json : QJsonObject();
}

}  // namespace

class TestPromptsCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void validateLegacyFile()
    {
        const Run r = cli({QStringLiteral("prompts"), QStringLiteral("validate"),
                           seed(QStringLiteral("SR_TOPIC_UNSORTED_OTHER_IDEAS/"
                                               "bifactorial-cross-domain-analogies.json"))});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        const QJsonObject json = parse(r.out);
        QCOMPARE(json.value(QStringLiteral("format")).toString(), QStringLiteral("legacy"));
        QCOMPARE(json.value(QStringLiteral("items")).toInt(), 191);
        const QJsonArray factors = json.value(QStringLiteral("factors")).toArray();
        QCOMPARE(factors.size(), 2);
        QCOMPARE(factors.at(0).toObject().value(QStringLiteral("levels")).toArray(),
                 QJsonArray({QStringLiteral("mechanical"), QStringLiteral("biological")}));
        QCOMPARE(factors.at(1).toObject().value(QStringLiteral("levels")).toArray(),
                 QJsonArray({QStringLiteral("simple"), QStringLiteral("complex")}));
        const QJsonObject conditions = json.value(QStringLiteral("conditions")).toObject();
        QCOMPARE(conditions.size(), 4);
        QCOMPARE(conditions.value(QStringLiteral("mechanical_complex")).toInt(), 48);
        QCOMPARE(conditions.value(QStringLiteral("biological_complex")).toInt(), 43);
        // The conditions are printed in design order (QJsonObject above sorts them).
        const qsizetype simple = r.out.indexOf("\"mechanical_simple\"");
        const qsizetype complex = r.out.indexOf("\"mechanical_complex\"");
        const qsizetype biological = r.out.indexOf("\"biological_simple\"");
        QVERIFY(simple > 0 && simple < complex && complex < biological);
        // The unbalanced design is a warning with no item.
        const QJsonArray issues = json.value(QStringLiteral("issues")).toArray();
        QCOMPARE(issues.size(), 1);
        const QJsonObject issue = issues.first().toObject();
        QCOMPARE(issue.value(QStringLiteral("severity")).toString(), QStringLiteral("warning"));
        QVERIFY(issue.value(QStringLiteral("item")).isNull());
        QVERIFY(issue.value(QStringLiteral("message")).toString().contains(QStringLiteral("48")));
    }

    void validateReportsErrorsWithExitTwo()
    {
        QTemporaryDir dir;
        const QString path = write(dir, QStringLiteral("holes.json"),
                                   R"({"yes": ["one", ""], "no": ["two", "three"]})");
        const Run r = cli({QStringLiteral("prompts"), QStringLiteral("validate"), path});
        QCOMPARE(r.exitCode, 2);
        const QJsonObject json = parse(r.out);
        const QJsonArray issues = json.value(QStringLiteral("issues")).toArray();
        QCOMPARE(issues.size(), 1);
        const QJsonObject issue = issues.first().toObject();
        QCOMPARE(issue.value(QStringLiteral("severity")).toString(), QStringLiteral("error"));
        QCOMPARE(issue.value(QStringLiteral("item")).toInt(), 1);
        QCOMPARE(issue.value(QStringLiteral("message")).toString(),
                 QStringLiteral("holes.json: item 1 'yes_1': empty text"));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.startsWith(QStringLiteral("gyrus-cli prompts validate: holes.json: item 1")),
                 qPrintable(r.err));
    }

    void unreadableInputIsOneLineExitTwo_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("malformed") << QByteArray("{\"a\": [\"x\"") << QStringLiteral("line 1");
        QTest::newRow("not an object") << QByteArray("42") << QStringLiteral("got number");
        QTest::newRow("non-string item")
                << QByteArray(R"({"a": [null], "b": ["y"]})")
                << QStringLiteral("condition 'a' item 0: expected a string, got null");
    }

    void unreadableInputIsOneLineExitTwo()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = write(dir, QStringLiteral("broken.json"), json);
        const Run r = cli({QStringLiteral("prompts"), QStringLiteral("validate"), path});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.out.isEmpty());
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.startsWith(QStringLiteral("gyrus-cli prompts validate: broken.json: ")),
                 qPrintable(r.err));
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
    }

    void badArguments_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no subcommand")
                << QStringList{QStringLiteral("prompts")} << QStringLiteral("missing subcommand");
        QTest::newRow("unknown subcommand")
                << QStringList{QStringLiteral("prompts"), QStringLiteral("frob")}
                << QStringLiteral("unknown subcommand 'frob'");
        QTest::newRow("no file") << QStringList{QStringLiteral("prompts"),
                                                QStringLiteral("validate")}
                                 << QStringLiteral("missing argument");
        QTest::newRow("missing file")
                << QStringList{QStringLiteral("prompts"), QStringLiteral("validate"),
                               QStringLiteral("/nonexistent/set.json")}
                << QStringLiteral("/nonexistent/set.json: no such file");
        QTest::newRow("import without --out")
                << QStringList{QStringLiteral("prompts"), QStringLiteral("import"),
                               seed(QStringLiteral("SR_TOPIC_2_LOGIC_PREMISES/"
                                                   "unifactorial-premise-truth.json"))}
                << QStringLiteral("missing --out");
    }

    void badArguments()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        const Run r = cli(arguments);
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
    }

    void help()
    {
        Run r = cli({QStringLiteral("prompts"), QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("validate") && r.out.contains("import"));
        r = cli({QStringLiteral("prompts"), QStringLiteral("import"), QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("gyrus-cli prompts import"), r.out.constData());
        QVERIFY(r.out.contains("--out"));
        r = cli({QStringLiteral("--help")});
        QVERIFY(r.out.contains("prompts"));
    }

    void importWritesTheGyrusSchema()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("premise.json"));
        const Run r = cli({QStringLiteral("prompts"), QStringLiteral("import"),
                           seed(QStringLiteral("SR_TOPIC_2_LOGIC_PREMISES/"
                                               "unifactorial-premise-truth.json")),
                           QStringLiteral("--out"), out, QStringLiteral("--name"),
                           QStringLiteral("premises")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        QCOMPARE(parse(r.out).value(QStringLiteral("out")).toString(), out);
        QFile file(out);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject set = parse(file.readAll());
        QCOMPARE(set.value(QStringLiteral("schema")).toString(),
                 QStringLiteral("gyrus.promptset/1"));
        QCOMPARE(set.value(QStringLiteral("name")).toString(), QStringLiteral("premises"));
        const QJsonArray items = set.value(QStringLiteral("items")).toArray();
        QCOMPARE(items.size(), 100);
        const QJsonObject item = items.at(50).toObject();
        QCOMPARE(item.value(QStringLiteral("id")).toString(),
                 QStringLiteral("premise_accuracy_false_0"));
        QCOMPARE(item.value(QStringLiteral("text")).toString(),
                 QStringLiteral("Paris is the capital of Italy."));
        QCOMPARE(item.value(QStringLiteral("levels"))
                         .toObject()
                         .value(QStringLiteral("premise_truth"))
                         .toString(),
                 QStringLiteral("premise_accuracy_false"));
        QVERIFY(!item.contains(QStringLiteral("pair")));

        // The written file validates as the Gyrus format with the same design.
        const Run check = cli({QStringLiteral("prompts"), QStringLiteral("validate"), out});
        QCOMPARE(check.exitCode, 0);
        const QJsonObject json = parse(check.out);
        QCOMPARE(json.value(QStringLiteral("format")).toString(), QStringLiteral("gyrus"));
        QCOMPARE(json.value(QStringLiteral("items")).toInt(), 100);
        QCOMPARE(json.value(QStringLiteral("conditions"))
                         .toObject()
                         .value(QStringLiteral("premise_accuracy_true"))
                         .toInt(),
                 50);
        QVERIFY(json.value(QStringLiteral("issues")).toArray().isEmpty());
    }

    void importRefusesASetWithErrors()
    {
        QTemporaryDir dir;
        const QString path = write(dir, QStringLiteral("holes.json"),
                                   R"({"yes": ["one", " "], "no": ["two", "three"]})");
        const QString out = dir.filePath(QStringLiteral("out.json"));
        const Run r = cli({QStringLiteral("prompts"), QStringLiteral("import"), path,
                           QStringLiteral("--out"), out});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(QStringLiteral("not written")));
        QVERIFY(!QFile::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestPromptsCli)
#include "tst_prompts_cli.moc"
