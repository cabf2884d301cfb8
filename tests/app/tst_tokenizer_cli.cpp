// gyrus-cli tokenizer train|encode end to end, as a script runs them: JSON on stdout, one line on
// stderr, exit codes 0 / 2.

#include "core/base/address_sanitizer.h"
#include "tests/support/cli_run.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using Run = gyrus::test::ProcessRun;

Run cli(const QStringList &arguments,
        const QProcessEnvironment &environment = QProcessEnvironment())
{
    return gyrus::test::runCli(arguments, environment);
}

QJsonObject parse(const QByteArray &out)
{
    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(out, &error).object();
    return error.error == QJsonParseError::NoError ? json : QJsonObject();
}

QByteArray corpus()
{
    const char *const words[] = {"the",   "cat",   "sat",   "on",  "mat", "dog", "ran", "to",
                                 "house", "river", "small", "big", "old", "a",   "of"};
    QByteArray text;
    quint32 state = 12345;
    for (int line = 0; line < 800; ++line) {
        for (int w = 0; w < 8; ++w) {
            state = state * 1664525u + 1013904223u;  // a fixed LCG: the same corpus every run
            text += words[(state >> 16) % 15];
            text += w == 7 ? ".\n" : " ";
        }
    }
    return text;
}

QByteArray sha256(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256).toHex();
}

// One line on stderr, starting with the command's name.
bool oneLineError(const Run &run, const QString &command)
{
    return run.exitCode == 2 && run.out.isEmpty() &&
           run.err.startsWith(QStringLiteral("gyrus-cli ") + command + QStringLiteral(": ")) &&
           run.err.count(QLatin1Char('\n')) == 1;
}

}  // namespace

class TestTokenizerCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
#if GYRUS_ADDRESS_SANITIZER
        QSKIP("the sentencepiece module needs RTLD_DEEPBIND, which AddressSanitizer refuses");
#endif
        QVERIFY(m_dir.isValid());
        m_corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile file(m_corpus);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(corpus());
    }

    void trainWritesModelAndReportsIt()
    {
        const QString out = m_dir.filePath(QStringLiteral("tok"));
        const Run run = cli({QStringLiteral("tokenizer"), QStringLiteral("train"),
                             QStringLiteral("--input"), m_corpus, QStringLiteral("--vocab-size"),
                             QStringLiteral("300"), QStringLiteral("--out"), out});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject json = parse(run.out);
        const QString model = out + QStringLiteral("/tokenizer.model");
        QCOMPARE(json.value(QStringLiteral("model")).toString(), model);
        QCOMPARE(json.value(QStringLiteral("vocab_size")).toInt(), 300);
        QCOMPARE(json.value(QStringLiteral("sha256")).toString().toLatin1(), sha256(model));
        QCOMPARE(json.value(QStringLiteral("bos_id")).toInt(), 1);
        QCOMPARE(json.value(QStringLiteral("eos_id")).toInt(), 2);
        QCOMPARE(json.value(QStringLiteral("unk_id")).toInt(), 0);
        QCOMPARE(json.value(QStringLiteral("pad_id")).toInt(), -1);
        QVERIFY(QFile::exists(out + QStringLiteral("/tokenizer.vocab")));

        // The same text elsewhere gives the same model, byte for byte.
        const QString copy = m_dir.filePath(QStringLiteral("copy.txt"));
        QVERIFY(QFile::copy(m_corpus, copy));
        const Run again = cli({QStringLiteral("tokenizer"), QStringLiteral("train"),
                               QStringLiteral("--input"), copy, QStringLiteral("--vocab-size"),
                               QStringLiteral("300"), QStringLiteral("--out"),
                               m_dir.filePath(QStringLiteral("tok2"))});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QCOMPARE(parse(again.out).value(QStringLiteral("sha256")),
                 json.value(QStringLiteral("sha256")));
        m_model = model;
    }

    void encodePrintsIdsPiecesAndSpans()
    {
        QVERIFY(!m_model.isEmpty());
        const QString text = QStringLiteral("the big dog é 🧠");
        const Run run = cli({QStringLiteral("tokenizer"), QStringLiteral("encode"),
                             QStringLiteral("--tokenizer"), m_model, QStringLiteral("--text"), text,
                             QStringLiteral("--bos")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject json = parse(run.out);
        QCOMPARE(json.value(QStringLiteral("text")).toString(), text);
        const QJsonArray ids = json.value(QStringLiteral("ids")).toArray();
        const QJsonArray pieces = json.value(QStringLiteral("pieces")).toArray();
        const QJsonArray display = json.value(QStringLiteral("display")).toArray();
        const QJsonArray spans = json.value(QStringLiteral("spans")).toArray();
        QVERIFY(ids.size() > 4);
        QCOMPARE(json.value(QStringLiteral("count")).toInt(), int(ids.size()));
        QCOMPARE(pieces.size(), ids.size());
        QCOMPARE(display.size(), ids.size());
        QCOMPARE(spans.size(), ids.size());
        QCOMPARE(ids.first().toInt(), 1);
        QCOMPARE(pieces.first().toString(), QStringLiteral("<s>"));
        QCOMPARE(spans.first().toArray(), (QJsonArray{0, 0}));
        // The spans end where the text ends; é and the emoji fall back to bytes.
        QCOMPARE(spans.last().toArray().at(1).toInt(), int(text.size()));
        QVERIFY(pieces.contains(QStringLiteral("<0xC3>")));
        QVERIFY(pieces.contains(QStringLiteral("<0xF0>")));
        int previousEnd = 0;
        for (const QJsonValue span : spans) {
            const int begin = span.toArray().at(0).toInt();
            const int end = span.toArray().at(1).toInt();
            QVERIFY(begin <= end);
            QVERIFY(end >= previousEnd);
            previousEnd = end;
        }
    }

    void badInput_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("command");
        QTest::addColumn<QString>("expected");
        const QString tok = QStringLiteral("tokenizer");
        const QString train = QStringLiteral("train");
        const QString encode = QStringLiteral("encode");
        QTest::newRow("no subcommand")
                << QStringList{tok} << tok << QStringLiteral("missing subcommand");
        QTest::newRow("unknown subcommand") << QStringList{tok, QStringLiteral("frob")} << tok
                                            << QStringLiteral("unknown subcommand 'frob'");
        QTest::newRow("train without input")
                << QStringList{tok,
                               train,
                               QStringLiteral("--vocab-size"),
                               QStringLiteral("300"),
                               QStringLiteral("--out"),
                               QStringLiteral("/tmp/x")}
                << QStringLiteral("tokenizer train") << QStringLiteral("missing --input");
        QTest::newRow("train missing file") << QStringList{tok,
                                                           train,
                                                           QStringLiteral("--input"),
                                                           QStringLiteral("/nonexistent/c.txt"),
                                                           QStringLiteral("--vocab-size"),
                                                           QStringLiteral("300"),
                                                           QStringLiteral("--out"),
                                                           QStringLiteral("/tmp/x")}
                                            << QStringLiteral("tokenizer train")
                                            << QStringLiteral("/nonexistent/c.txt: no such file");
        QTest::newRow("train bad vocab size")
                << QStringList{tok,
                               train,
                               QStringLiteral("--input"),
                               QStringLiteral("c.txt"),
                               QStringLiteral("--vocab-size"),
                               QStringLiteral("many"),
                               QStringLiteral("--out"),
                               QStringLiteral("/tmp/x")}
                << QStringLiteral("tokenizer train")
                << QStringLiteral("--vocab-size must be a positive integer, got 'many'");
        QTest::newRow("train unknown option")
                << QStringList{tok, train, QStringLiteral("--bogus")}
                << QStringLiteral("tokenizer train") << QStringLiteral("bogus");
        QTest::newRow("encode missing tokenizer")
                << QStringList{tok,
                               encode,
                               QStringLiteral("--tokenizer"),
                               QStringLiteral("/nonexistent/tokenizer.model"),
                               QStringLiteral("--text"),
                               QStringLiteral("x")}
                << QStringLiteral("tokenizer encode")
                << QStringLiteral("/nonexistent/tokenizer.model: no such file");
        QTest::newRow("encode without text")
                << QStringList{tok, encode, QStringLiteral("--tokenizer"),
                               QStringLiteral("t.model")}
                << QStringLiteral("tokenizer encode") << QStringLiteral("missing --text");
    }

    void badInput()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, command);
        QFETCH(QString, expected);
        const Run run = cli(arguments);
        QVERIFY2(oneLineError(run, command), qPrintable(QString::number(run.exitCode) + run.err));
        QVERIFY2(run.err.contains(expected), qPrintable(run.err));
    }

    void smallVocabularyAndCorruptModel()
    {
        Run run = cli({QStringLiteral("tokenizer"), QStringLiteral("train"),
                       QStringLiteral("--input"), m_corpus, QStringLiteral("--vocab-size"),
                       QStringLiteral("100"), QStringLiteral("--out"),
                       m_dir.filePath(QStringLiteral("small"))});
        QVERIFY2(oneLineError(run, QStringLiteral("tokenizer train")), qPrintable(run.err));
        QVERIFY(run.err.contains(QStringLiteral("vocab size 100 is too small")));

        const QString corrupt = m_dir.filePath(QStringLiteral("corrupt.model"));
        QFile file(corrupt);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("definitely not a model");
        file.close();
        run = cli({QStringLiteral("tokenizer"), QStringLiteral("encode"),
                   QStringLiteral("--tokenizer"), corrupt, QStringLiteral("--text"),
                   QStringLiteral("x")});
        QVERIFY2(oneLineError(run, QStringLiteral("tokenizer encode")), qPrintable(run.err));
        QVERIFY(run.err.contains(QStringLiteral("corrupt.model: not a sentencepiece model")));
    }

    void brokenModuleOverride()
    {
        // $GYRUS_SENTENCEPIECE_MODULE naming something that is not the module: an internal error
        // that names it, not a crash and not a silent fallback.
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("GYRUS_SENTENCEPIECE_MODULE"), m_corpus);
        const Run run = cli(
                {QStringLiteral("tokenizer"), QStringLiteral("train"), QStringLiteral("--input"),
                 m_corpus, QStringLiteral("--vocab-size"), QStringLiteral("300"),
                 QStringLiteral("--out"), m_dir.filePath(QStringLiteral("never"))},
                environment);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("cannot load ") + m_corpus), qPrintable(run.err));
    }

    void help()
    {
        const Run run = cli({QStringLiteral("tokenizer"), QStringLiteral("--help")});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("train"));
        QVERIFY(run.out.contains("encode"));
        const Run sub = cli(
                {QStringLiteral("tokenizer"), QStringLiteral("train"), QStringLiteral("--help")});
        QCOMPARE(sub.exitCode, 0);
        QVERIFY(sub.out.contains("--vocab-size"));
    }

private:
    QTemporaryDir m_dir;
    QString m_corpus;
    QString m_model;
};

QTEST_GUILESS_MAIN(TestTokenizerCli)
#include "tst_tokenizer_cli.moc"
