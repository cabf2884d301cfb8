// gyrus-cli tokenize end to end on the real tokenizer files: the ids and code-point offsets
// Hugging Face's Rust `tokenizers` gives (tests/data/tokenizers/reference.json) for the hard
// strings and the whole held-out corpus, through model directories as a user passes them; and
// one-line errors with exit code 2 for broken files and input.

#include "tests/support/process_run.h"
#include "tests/support/test_paths.h"
#include "tests/support/tokenizer_reference.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using Run = gyrus::test::ProcessRun;

Run cli(const QStringList &arguments)
{
    return gyrus::test::runProcess(gyrus::test::cliPath(), arguments, 120000);
}

bool oneLineError(const Run &run)
{
    return run.exitCode == 2 && run.out.isEmpty() &&
           run.err.startsWith(QStringLiteral("gyrus-cli tokenize: ")) &&
           run.err.count(QLatin1Char('\n')) == 1;
}

struct Line
{
    QVector<int> ids;
    QVector<QPair<int, int>> offsets;
    QStringList tokens;
};

Line parseLine(const QByteArray &bytes)
{
    const QJsonObject json = QJsonDocument::fromJson(bytes).object();
    Line line;
    for (const QJsonValue &id : json.value(QStringLiteral("ids")).toArray()) {
        line.ids.append(id.toInt());
    }
    for (const QJsonValue &pair : json.value(QStringLiteral("offsets")).toArray()) {
        line.offsets.append({pair.toArray().at(0).toInt(), pair.toArray().at(1).toInt()});
    }
    for (const QJsonValue &token : json.value(QStringLiteral("tokens")).toArray()) {
        line.tokens.append(token.toString());
    }
    return line;
}

}  // namespace

class TestTokenizeCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_shared = gyrus::test::sharedTokenizersDir();
        if (m_shared.isEmpty()) {
            QSKIP("no ../shared/tokenizers (set GYRUS_SHARED_DIR): the real tokenizer files "
                  "are not here");
        }
        QString error;
        m_reference = gyrus::test::tokenizerReference(&error);
        QVERIFY2(!m_reference.isEmpty(), qPrintable(error));
        m_hard = gyrus::test::tokenizerHardStrings();
        m_corpus = gyrus::test::tokenizerReferenceCorpus();
        QVERIFY(!m_hard.isEmpty() && !m_corpus.isEmpty());
        m_input = m_dir.filePath(QStringLiteral("texts.jsonl"));
        QFile file(m_input);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (const QString &text : m_hard + m_corpus) {
            file.write(QJsonDocument(QJsonArray{text})
                               .toJson(QJsonDocument::Compact)
                               .mid(1)
                               .chopped(1) +
                       '\n');
        }
    }

    void givesHuggingFaceIds_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("path");
        for (const auto &t : gyrus::test::referenceTokenizers(m_shared)) {
            // A model directory, as a user passes it; Llama-3's file itself.
            const QString path =
                    t.name == QLatin1String("llama3") ? t.path : QFileInfo(t.path).absolutePath();
            QTest::newRow(qPrintable(t.name)) << t.name << path;
        }
    }

    void givesHuggingFaceIds()
    {
        QFETCH(QString, name);
        QFETCH(QString, path);
        const Run run = cli({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), path,
                             QStringLiteral("--jsonl"), m_input});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QList<QByteArray> lines = run.out.split('\n');
        if (!lines.isEmpty() && lines.last().isEmpty()) {
            lines.removeLast();
        }
        QCOMPARE(lines.size(), m_hard.size() + m_corpus.size());
        const QJsonObject expected =
                m_reference.value(QStringLiteral("tokenizers")).toObject().value(name).toObject();
        const QJsonArray hard = expected.value(QStringLiteral("hard")).toArray();
        for (int i = 0; i < m_hard.size(); ++i) {
            const Line got = parseLine(lines[i]);
            const QJsonObject want = hard.at(i).toObject();
            QVector<int> ids;
            for (const QJsonValue &id : want.value(QStringLiteral("ids")).toArray()) {
                ids.append(id.toInt());
            }
            QVector<QPair<int, int>> offsets;
            for (const QJsonValue &pair : want.value(QStringLiteral("offsets")).toArray()) {
                offsets.append({pair.toArray().at(0).toInt(), pair.toArray().at(1).toInt()});
            }
            QVERIFY2(got.ids == ids && got.offsets == offsets,
                     qPrintable(QStringLiteral("%1: hard string %2 differs: %3")
                                        .arg(name)
                                        .arg(i)
                                        .arg(QString::fromUtf8(lines[i]))));
            QCOMPARE(got.tokens.size(), got.ids.size());
        }
        QList<QByteArray> canonical;
        for (int i = m_hard.size(); i < lines.size(); ++i) {
            const Line got = parseLine(lines[i]);
            canonical.append(gyrus::test::canonicalEncoding(got.ids, got.offsets));
        }
        const QStringList digests = gyrus::test::encodingDigests(
                canonical, m_reference.value(QStringLiteral("group")).toInt());
        const QJsonArray want = expected.value(QStringLiteral("corpus")).toArray();
        QCOMPARE(digests.size(), want.size());
        for (int g = 0; g < digests.size(); ++g) {
            QVERIFY2(digests[g] == want.at(g).toString(),
                     qPrintable(
                             QStringLiteral("%1: corpus texts %2.. differ from Hugging Face")
                                     .arg(name)
                                     .arg(g * m_reference.value(QStringLiteral("group")).toInt())));
        }
    }

    void noSpecialDropsTheTemplate()
    {
        const QString dir = m_shared + QStringLiteral("/llama3_1");
        const Run run = cli({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), dir,
                             QStringLiteral("--text"), QStringLiteral("Hello world"),
                             QStringLiteral("--no-special")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const Line plain = parseLine(run.out.trimmed());
        QCOMPARE(plain.tokens, (QStringList{QStringLiteral("Hello"), QStringLiteral("Ġworld")}));
        QCOMPARE(plain.offsets, (QVector<QPair<int, int>>{{0, 5}, {5, 11}}));
        const Run special = cli({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), dir,
                                 QStringLiteral("--text"), QStringLiteral("Hello world")});
        const Line withBos = parseLine(special.out.trimmed());
        QCOMPARE(withBos.tokens.value(0), QStringLiteral("<|begin_of_text|>"));
        QCOMPARE(withBos.offsets.value(0), (QPair<int, int>{0, 0}));
        QCOMPARE(withBos.ids.mid(1), plain.ids);
    }

    void badInputIsOneLine()
    {
        // A truncated tokenizer.json.
        QFile real(m_shared + QStringLiteral("/gpt2/tokenizer.json"));
        QVERIFY(real.open(QIODevice::ReadOnly));
        const QByteArray bytes = real.readAll();
        const QString truncated = m_dir.filePath(QStringLiteral("truncated/tokenizer.json"));
        QVERIFY(QDir().mkpath(QFileInfo(truncated).absolutePath()));
        QFile out(truncated);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(bytes.left(bytes.size() / 3));
        out.close();
        Run run = cli({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), truncated,
                       QStringLiteral("--text"), QStringLiteral("x")});
        QVERIFY2(oneLineError(run), qPrintable(run.err));
        QVERIFY2(run.err.contains(truncated + QStringLiteral(": not valid JSON")),
                 qPrintable(run.err));

        // An unsupported pre-tokenizer inside a sequence: the JSON path names it.
        QJsonObject root = QJsonDocument::fromJson(bytes).object();
        root[QStringLiteral("pre_tokenizer")] = QJsonObject{
                {QStringLiteral("type"), QStringLiteral("Sequence")},
                {QStringLiteral("pretokenizers"),
                 QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("Digits")},
                                        {QStringLiteral("individual_digits"), true}},
                            QJsonObject{{QStringLiteral("type"), QStringLiteral("Whitespace")}}}}};
        const QString unsupported = m_dir.filePath(QStringLiteral("unsupported.json"));
        QFile u(unsupported);
        QVERIFY(u.open(QIODevice::WriteOnly));
        u.write(QJsonDocument(root).toJson(QJsonDocument::Compact));
        u.close();
        run = cli({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), unsupported,
                   QStringLiteral("--text"), QStringLiteral("x")});
        QVERIFY2(oneLineError(run), qPrintable(run.err));
        QVERIFY2(run.err.contains(unsupported +
                                  QStringLiteral(": pre_tokenizer.pretokenizers[1].type: "
                                                 "unsupported \"Whitespace\"")),
                 qPrintable(run.err));

        // A JSONL line that is not a JSON string.
        const QString jsonl = m_dir.filePath(QStringLiteral("bad.jsonl"));
        QFile j(jsonl);
        QVERIFY(j.open(QIODevice::WriteOnly));
        j.write("\"fine\"\n{\"text\": 1}\n");
        j.close();
        run = cli({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"),
                   m_shared + QStringLiteral("/gpt2"), QStringLiteral("--jsonl"), jsonl});
        QVERIFY2(oneLineError(run), qPrintable(run.err));
        QVERIFY2(run.err.contains(jsonl + QStringLiteral(": line 2")), qPrintable(run.err));

        // A directory without a tokenizer.
        run = cli({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), m_dir.path(),
                   QStringLiteral("--text"), QStringLiteral("x")});
        QVERIFY2(run.exitCode == 2 && run.err.contains(QStringLiteral("no tokenizer.json")),
                 qPrintable(run.err));
    }

private:
    QTemporaryDir m_dir;
    QString m_shared;
    QJsonObject m_reference;
    QStringList m_hard;
    QStringList m_corpus;
    QString m_input;
};

QTEST_GUILESS_MAIN(TestTokenizeCli)
#include "tst_tokenize_cli.moc"
