// gyrus-cli contrast / rdm / rsa end to end: outputs against the scipy fixtures, exit codes and
// one-line errors for bad input.

#include "core/hdf5/hdf5_reader.h"
#include "core/rsa/rdm_csv.h"
#include "core/rsa/rdm_hdf5.h"
#include "tests/support/cli_run.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

namespace {

struct Run
{
    int exitCode = -1;
    QJsonObject json;
    QString err;
};

Run cli(const QStringList &arguments)
{
    const gyrus::test::ProcessRun run = gyrus::test::runCli(arguments);
    return {run.exitCode, QJsonDocument::fromJson(run.out).object(), run.err};
}

QList<QStringList> readCsv(const QString &path)
{
    QFile file(path);
    QList<QStringList> rows;
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return rows;
    }
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (!line.isEmpty()) {
            rows.append(QString::fromUtf8(line).split(QLatin1Char(',')));
        }
    }
    return rows;
}

std::vector<double> expected(const QString &name)
{
    const auto h =
            gyrus::Hdf5Reader::open(gyrus::test::dataPath(QStringLiteral("stats/cli_input.h5")));
    return h ? h.value()->readDoubles(name).value() : std::vector<double>();
}

bool close(double actual, double reference)
{
    return std::abs(actual - reference) <= 1e-6 * std::max(std::abs(reference), 1e-9);
}

const QString kInput = gyrus::test::dataPath(QStringLiteral("stats/cli_input.h5"));
const QString kBad = gyrus::test::dataPath(QStringLiteral("stats/cli_bad.h5"));

// A bad-input run: exit code 2 and exactly one line on stderr that contains `text`. Says why
// when not; call it inside QVERIFY, so that a failure stops the test function.
bool isBadInput(const Run &r, const QString &text)
{
    if (r.exitCode == 2 && r.err.count(QLatin1Char('\n')) == 1 && r.err.contains(text)) {
        return true;
    }
    qWarning(
            "expected exit code 2 and one stderr line containing '%s'; got exit code %d and "
            "stderr: %s",
            qPrintable(text), r.exitCode, qPrintable(r.err));
    return false;
}

}  // namespace

class TestStatsCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void contrastMatchesScipy()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("contrast.csv"));
        const Run r = cli({QStringLiteral("contrast"), QStringLiteral("--input"), kInput,
                           QStringLiteral("--dataset"), QStringLiteral("x"),
                           QStringLiteral("--labels-dataset"), QStringLiteral("labels"),
                           QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        // A is the smaller label (a prompt set's first level); the fixtures' t is label 1 − 0.
        QCOMPARE(r.json.value(QStringLiteral("label_a")).toInt(), 0);
        QCOMPARE(r.json.value(QStringLiteral("n_a")).toInt(), 14);
        QCOMPARE(r.json.value(QStringLiteral("n_b")).toInt(), 12);
        QCOMPARE(r.json.value(QStringLiteral("features")).toInt(), 9);
        const QList<QStringList> rows = readCsv(out);
        QCOMPARE(rows.size(), 10);
        QCOMPARE(rows[0].mid(0, 5),
                 QStringList({QStringLiteral("feature"), QStringLiteral("t"), QStringLiteral("p"),
                              QStringLiteral("d"), QStringLiteral("q")}));
        const std::vector<double> t = expected(QStringLiteral("expected_t"));
        const std::vector<double> p = expected(QStringLiteral("expected_p"));
        const std::vector<double> q = expected(QStringLiteral("expected_q"));
        for (int j = 0; j < 9; ++j) {
            QCOMPARE(rows[j + 1][0].toInt(), j);
            QVERIFY2(close(rows[j + 1][1].toDouble(), -t[j]),
                     qPrintable(rows[j + 1].join(QLatin1Char(','))));
            QVERIFY(close(rows[j + 1][2].toDouble(), p[j]));
            QVERIFY(close(rows[j + 1][4].toDouble(), q[j]));
        }
        // --a-label picks the other side: the fixtures' own sign.
        const Run flipped = cli({QStringLiteral("contrast"), QStringLiteral("--input"), kInput,
                                 QStringLiteral("--dataset"), QStringLiteral("x"),
                                 QStringLiteral("--labels-dataset"), QStringLiteral("labels"),
                                 QStringLiteral("--a-label"), QStringLiteral("1"),
                                 QStringLiteral("--out"), out});
        QVERIFY2(flipped.exitCode == 0, qPrintable(flipped.err));
        QCOMPARE(flipped.json.value(QStringLiteral("label_a")).toInt(), 1);
        QVERIFY(close(readCsv(out)[1][1].toDouble(), t[0]));
        QVERIFY(isBadInput(cli({QStringLiteral("contrast"), QStringLiteral("--input"), kInput,
                                QStringLiteral("--dataset"), QStringLiteral("x"),
                                QStringLiteral("--labels-dataset"), QStringLiteral("labels"),
                                QStringLiteral("--a-label"), QStringLiteral("7"),
                                QStringLiteral("--out"), out}),
                           QStringLiteral("--a-label 7 is not one of the labels")));
    }

    void contrastRejectsBadInput()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("c.csv"));
        const auto run = [&](const QString &input, const QString &labels) {
            return cli({QStringLiteral("contrast"), QStringLiteral("--input"), input,
                        QStringLiteral("--dataset"), QStringLiteral("x"),
                        QStringLiteral("--labels-dataset"), labels, QStringLiteral("--out"), out});
        };
        QVERIFY(isBadInput(run(kBad, QStringLiteral("labels")),
                           QStringLiteral("item 3, feature 2")));
        QVERIFY(isBadInput(run(kInput, QStringLiteral("labels3")),
                           QStringLiteral("3 distinct labels")));
        QVERIFY(isBadInput(run(kInput, QStringLiteral("nope")),
                           QStringLiteral("dataset 'nope' does not exist")));
        QVERIFY(isBadInput(
                run(dir.filePath(QStringLiteral("missing.h5")), QStringLiteral("labels")),
                QStringLiteral("no such file")));
        QVERIFY(isBadInput(cli({QStringLiteral("contrast"), QStringLiteral("--input"), kInput}),
                           QStringLiteral("--dataset is required")));
        QVERIFY(!QFile::exists(out));
    }

    void rdmMatchesPdist()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("rdm.csv"));
        const Run r = cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                           QStringLiteral("--dataset"), QStringLiteral("x"),
                           QStringLiteral("--ids-dataset"), QStringLiteral("ids"),
                           QStringLiteral("--metric"), QStringLiteral("correlation"),
                           QStringLiteral("--out"), out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.json.value(QStringLiteral("stimuli")).toInt(), 26);
        const QList<QStringList> rows = readCsv(out);
        QCOMPARE(rows.size(), 27);
        QCOMPARE(rows[0].size(), 26);
        QCOMPARE(rows[0][0], QStringLiteral("s00"));
        QCOMPARE(rows[0][25], QStringLiteral("s25"));
        const std::vector<double> reference = expected(QStringLiteral("expected_correlation"));
        size_t k = 0;
        for (int i = 0; i < 26; ++i) {
            QCOMPARE(rows[i + 1][i].toDouble(), 0.0);
            for (int j = i + 1; j < 26; ++j, ++k) {
                QVERIFY(close(rows[i + 1][j].toDouble(), reference[k]));
                QCOMPARE(rows[j + 1][i], rows[i + 1][j]);
            }
        }
        // Without --ids-dataset the ids are 0 … N−1.
        const Run plain =
                cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                     QStringLiteral("--dataset"), QStringLiteral("x"), QStringLiteral("--metric"),
                     QStringLiteral("sqeuclidean"), QStringLiteral("--out"), out});
        QCOMPARE(plain.exitCode, 0);
        QCOMPARE(readCsv(out)[0][5], QStringLiteral("5"));
    }

    // --out x.h5 writes HDF5 (the same numbers as the CSV), --out x.txt is refused.
    void rdmWritesTheFormatItsNameSays()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("rdm.csv"));
        const QString h5 = dir.filePath(QStringLiteral("rdm.h5"));
        for (const QString &out : {csv, h5}) {
            const Run r = cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                               QStringLiteral("--dataset"), QStringLiteral("x"),
                               QStringLiteral("--ids-dataset"), QStringLiteral("ids"),
                               QStringLiteral("--out"), out});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        }
        auto reader = gyrus::Hdf5Reader::open(h5);
        QVERIFY2(reader.isOk(), qPrintable(reader.status().message()));
        const gyrus::Rdm fromHdf5 = gyrus::readRdmHdf5(h5).value();
        const gyrus::Rdm fromCsv = gyrus::readRdmCsv(csv).value();
        QCOMPARE(fromHdf5.ids(), fromCsv.ids());
        QCOMPARE(fromHdf5.ids().value(25), QStringLiteral("s25"));
        QCOMPARE(fromHdf5.metric(), QStringLiteral("correlation"));
        QCOMPARE(fromHdf5.condensed(), fromCsv.condensed());  // 9 digits round-trip float32
        const std::vector<double> reference = expected(QStringLiteral("expected_correlation"));
        for (size_t k = 0; k < reference.size(); ++k) {
            QVERIFY(close(fromHdf5.condensed()[k], reference[k]));
        }
        // rsa reads either format.
        const Run rsa =
                cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), h5, QStringLiteral("--rdm"),
                     csv, QStringLiteral("--permutations"), QStringLiteral("0")});
        QVERIFY2(rsa.exitCode == 0, qPrintable(rsa.err));
        QVERIFY(std::abs(rsa.json.value(QStringLiteral("r")).toDouble() - 1.0) < 1e-9);
        const QString text = dir.filePath(QStringLiteral("rdm.txt"));
        QVERIFY(isBadInput(cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                                QStringLiteral("--dataset"), QStringLiteral("x"),
                                QStringLiteral("--out"), text}),
                           QStringLiteral("--out must end in .csv or .h5")));
        QVERIFY(!QFile::exists(text));
    }

    void rdmRejectsBadInput()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("r.csv"));
        QVERIFY(isBadInput(
                cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                     QStringLiteral("--dataset"), QStringLiteral("x"), QStringLiteral("--metric"),
                     QStringLiteral("manhattan"), QStringLiteral("--out"), out}),
                QStringLiteral("unknown metric 'manhattan'")));
        QVERIFY(isBadInput(cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                                QStringLiteral("--dataset"), QStringLiteral("x3d"),
                                QStringLiteral("--out"), out}),
                           QStringLiteral("got 3 dimensions")));
        QVERIFY(isBadInput(cli({QStringLiteral("rdm"), QStringLiteral("--input"), kBad,
                                QStringLiteral("--dataset"), QStringLiteral("x"),
                                QStringLiteral("--out"), out}),
                           QStringLiteral("item 3, feature 2")));
        QVERIFY(isBadInput(cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                                QStringLiteral("--dataset"), QStringLiteral("x"),
                                QStringLiteral("--ids-dataset"), QStringLiteral("labels3"),
                                QStringLiteral("--out"), out}),
                           QStringLiteral("appears twice")));
    }

    void rsaEndToEnd()
    {
        QTemporaryDir dir;
        const QString a = dir.filePath(QStringLiteral("a.csv"));
        QCOMPARE(cli({QStringLiteral("rdm"), QStringLiteral("--input"), kInput,
                      QStringLiteral("--dataset"), QStringLiteral("x"), QStringLiteral("--out"), a})
                         .exitCode,
                 0);
        // An RDM against itself: r = 1 and no permutation beats it except the identity, so p is
        // the smallest possible, 1 / (permutations + 1).
        for (const char *method : {"spearman", "kendall_tau_a", "pearson"}) {
            const Run r =
                    cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), a, QStringLiteral("--rdm"),
                         a, QStringLiteral("--method"), QLatin1String(method),
                         QStringLiteral("--permutations"), QStringLiteral("999"),
                         QStringLiteral("--seed"), QStringLiteral("3")});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            QVERIFY(std::abs(r.json.value(QStringLiteral("r")).toDouble() - 1.0) < 1e-9);
            QCOMPARE(r.json.value(QStringLiteral("p")).toDouble(), 0.001);
            QCOMPARE(r.json.value(QStringLiteral("n_pairs")).toInt(), 325);
            QCOMPARE(r.json.value(QStringLiteral("method")).toString(), QLatin1String(method));
        }
        const QStringList args = {QStringLiteral("rsa"),
                                  QStringLiteral("--rdm"),
                                  a,
                                  QStringLiteral("--rdm"),
                                  a,
                                  QStringLiteral("--bootstraps"),
                                  QStringLiteral("50"),
                                  QStringLiteral("--permutations"),
                                  QStringLiteral("500")};
        const Run withCi = cli(args);
        QCOMPARE(withCi.exitCode, 0);
        QCOMPARE(withCi.json.value(QStringLiteral("permutations")).toInt(), 500);
        QVERIFY(withCi.json.contains(QStringLiteral("ci_low")));
        QCOMPARE(cli(args).json, withCi.json);  // seeded: the same output twice
    }

    void rsaRejectsBadInput()
    {
        QTemporaryDir dir;
        const auto write = [&](const QString &name, const QByteArray &text) {
            QFile file(dir.filePath(name));
            file.open(QIODevice::WriteOnly);
            file.write(text);
            return file.fileName();
        };
        const QString good = write(QStringLiteral("good.csv"), "a,b,c\n0,1,2\n1,0,3\n2,3,0\n");
        const QString other = write(QStringLiteral("other.csv"), "a,x,c\n0,1,2\n1,0,3\n2,3,0\n");
        const QString corrupt = write(QStringLiteral("bad.csv"), "a,b,c\n0,1,2\n1,0,3\n2,4,0\n");
        QVERIFY(isBadInput(cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), good}),
                           QStringLiteral("exactly two --rdm files, got 1")));
        QVERIFY(isBadInput(cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), good,
                                QStringLiteral("--rdm"), other}),
                           QStringLiteral("stimulus 2 is 'b'")));
        QVERIFY(isBadInput(cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), good,
                                QStringLiteral("--rdm"), corrupt}),
                           QStringLiteral("bad.csv: not symmetric")));
        QVERIFY(isBadInput(
                cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), good, QStringLiteral("--rdm"),
                     good, QStringLiteral("--method"), QStringLiteral("kendall")}),
                QStringLiteral("unknown method 'kendall'")));
        QVERIFY(isBadInput(
                cli({QStringLiteral("rsa"), QStringLiteral("--rdm"), good, QStringLiteral("--rdm"),
                     good, QStringLiteral("--permutations"), QStringLiteral("-5")}),
                QStringLiteral("--permutations must be a non-negative integer")));
    }
};

QTEST_GUILESS_MAIN(TestStatsCli)
#include "tst_stats_cli.moc"
