// Rdm value type, RDM CSV files, model RDMs and the HDF5 reader (core, no torch).

#include "core/hdf5/hdf5_reader.h"
#include "core/rsa/model_rdm.h"
#include "core/rsa/rdm.h"
#include "core/rsa/rdm_csv.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::Rdm;

namespace {

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(content);
    }
    return path;
}

}  // namespace

class TestRdm : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void condensedLayoutIsScipyOrder()
    {
        // pdist order: (0,1), (0,2), ..., (0,n-1), (1,2), ...
        const int64_t n = 6;
        int64_t k = 0;
        for (int64_t i = 0; i < n; ++i) {
            for (int64_t j = i + 1; j < n; ++j) {
                QCOMPARE(Rdm::condensedIndex(n, i, j), k);
                QCOMPARE(Rdm::condensedIndex(n, j, i), k);
                ++k;
            }
        }
        QCOMPARE(Rdm::condensedSize(n), k);
    }

    void squareRoundTrip()
    {
        const std::vector<float> square = {0, 1, 2, 1, 0, 3, 2, 3, 0};
        const auto rdm =
                Rdm::fromSquare({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")},
                                square, QStringLiteral("test"));
        QVERIFY2(rdm.isOk(), qPrintable(rdm.status().message()));
        QCOMPARE(rdm->condensed(), (std::vector<float>{1, 2, 3}));
        QCOMPARE(rdm->toSquare(), square);
        QCOMPARE(rdm->at(2, 1), 3.0F);
        QCOMPARE(rdm->at(1, 1), 0.0F);
        const auto sub = rdm->subset({2, 0});
        QVERIFY(sub.isOk());
        QCOMPARE(sub->ids(), QStringList({QStringLiteral("c"), QStringLiteral("a")}));
        QCOMPARE(sub->condensed(), (std::vector<float>{2}));
    }

    void squareValidation_data()
    {
        QTest::addColumn<QByteArray>("csv");
        QTest::addColumn<QString>("expected");
        QTest::newRow("rows") << QByteArray("a,b,c\n0,1,2\n1,0,3\n")
                              << QStringLiteral("3 stimuli but 2 rows");
        QTest::newRow("columns") << QByteArray("a,b\n0,1\n1,0,5\n")
                                 << QStringLiteral("line 3 has 3 values, expected 2");
        QTest::newRow("number") << QByteArray("a,b\n0,x\n1,0\n")
                                << QStringLiteral("line 2 (row 1), column 2: 'x' is not a number");
        QTest::newRow("nan") << QByteArray("a,b\n0,nan\nnan,0\n")
                             << QStringLiteral("row 1, column 2: value nan is not finite");
        QTest::newRow("asymmetric") << QByteArray("a,b,c\n0,1,2\n1,0,3\n2,3.5,0\n")
                                    << QStringLiteral(
                                               "not symmetric: row 2, column 3 is 3 but "
                                               "row 3, column 2 is 3.5");
        QTest::newRow("diagonal") << QByteArray("a,b\n0,1\n1,0.5\n")
                                  << QStringLiteral("row 2, column 2: diagonal is 0.5");
        QTest::newRow("duplicate")
                << QByteArray("a,a\n0,1\n1,0\n") << QStringLiteral("'a' appears twice");
        QTest::newRow("empty") << QByteArray("\n\n") << QStringLiteral("empty file");
    }

    void squareValidation()
    {
        QFETCH(QByteArray, csv);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("bad.csv"), csv);
        const auto rdm = gyrus::readRdmCsv(path);
        QVERIFY(!rdm.isOk());
        QCOMPARE(rdm.status().code(), gyrus::Status::Code::InvalidInput);
        QVERIFY2(rdm.status().message().contains(expected), qPrintable(rdm.status().message()));
        QVERIFY2(rdm.status().message().contains(path), qPrintable(rdm.status().message()));
    }

    void missingFile()
    {
        const auto rdm = gyrus::readRdmCsv(QStringLiteral("/nonexistent/rdm.csv"));
        QCOMPARE(rdm.status().code(), gyrus::Status::Code::NotFound);
    }

    void csvRoundTripWithQuotedIds()
    {
        QTemporaryDir dir;
        const QStringList ids = {QStringLiteral("plain"), QStringLiteral("with, comma"),
                                 QStringLiteral("say \"hi\"")};
        const auto rdm =
                Rdm::fromCondensed(ids, {0.125F, 1.0F / 3.0F, 2.5e-7F}, QStringLiteral("x"));
        QVERIFY(rdm.isOk());
        const QString path = dir.filePath(QStringLiteral("rdm.csv"));
        QVERIFY(gyrus::writeRdmCsv(*rdm, path).isOk());
        const auto back = gyrus::readRdmCsv(path);
        QVERIFY2(back.isOk(), qPrintable(back.status().message()));
        QCOMPARE(back->ids(), ids);
        QCOMPARE(back->condensed(), rdm->condensed());  // 9 digits round-trip float32 exactly
        // CRLF line ends and a trailing blank line are accepted.
        const QString crlf =
                writeFile(dir, QStringLiteral("crlf.csv"), QByteArray("a,b\r\n0,2\r\n2,0\r\n\r\n"));
        const auto windows = gyrus::readRdmCsv(crlf);
        QVERIFY2(windows.isOk(), qPrintable(windows.status().message()));
        QCOMPARE(windows->at(0, 1), 2.0F);
    }

    void modelRdms()
    {
        const QStringList ids = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"),
                                 QStringLiteral("d")};
        const auto category = gyrus::categoricalModelRdm(ids, {0, 0, 1, 1}, QStringLiteral("f"));
        QVERIFY(category.isOk());
        QCOMPARE(category->condensed(), (std::vector<float>{0, 1, 1, 1, 1, 0}));
        QCOMPARE(category->metric(), QStringLiteral("model:f"));
        // Cells a0b0, a0b1, a1b0, a1b1: the interaction sign is +, −, −, +.
        const auto interaction = gyrus::interactionModelRdm(ids, {0, 0, 1, 1}, {0, 1, 0, 1});
        QVERIFY(interaction.isOk());
        QCOMPARE(interaction->at(0, 3), 0.0F);
        QCOMPARE(interaction->at(1, 2), 0.0F);
        QCOMPARE(interaction->at(0, 1), 1.0F);
        QCOMPARE(interaction->at(2, 3), 1.0F);
        QVERIFY(!gyrus::categoricalModelRdm(ids, {1, 1, 1, 1}, QStringLiteral("f")).isOk());
        QVERIFY(!gyrus::categoricalModelRdm(ids, {1, 2}, QStringLiteral("f")).isOk());
        QVERIFY(!gyrus::interactionModelRdm(ids, {0, 1, 2, 2}, {0, 1, 0, 1}).isOk());
    }

    void hdf5Reader()
    {
        const auto missing = gyrus::Hdf5Reader::open(QStringLiteral("/nonexistent.h5"));
        QCOMPARE(missing.status().code(), gyrus::Status::Code::NotFound);
        QTemporaryDir dir;
        const QString text = writeFile(dir, QStringLiteral("text.h5"), "not hdf5");
        const auto notHdf5 = gyrus::Hdf5Reader::open(text);
        QCOMPARE(notHdf5.status().code(), gyrus::Status::Code::InvalidInput);
        QVERIFY(notHdf5.status().message().contains(QStringLiteral("not an HDF5 file")));

        const auto h = gyrus::Hdf5Reader::open(
                gyrus::test::dataPath(QStringLiteral("stats/cli_input.h5")));
        QVERIFY2(h.isOk(), qPrintable(h.status().message()));
        const auto ids = h.value()->readStrings(QStringLiteral("ids"));
        QVERIFY2(ids.isOk(), qPrintable(ids.status().message()));
        QCOMPARE(ids->size(), 26);
        QCOMPARE(ids->at(3), QStringLiteral("s03"));
        const auto labels = h.value()->readIntVector(QStringLiteral("labels"));
        QVERIFY(labels.isOk());
        QCOMPARE(labels->front(), 1);
        QCOMPARE(labels->back(), 0);
        const auto labelIds = h.value()->readStrings(QStringLiteral("labels"));
        QCOMPARE(labelIds->front(), QStringLiteral("1"));
        const auto x = h.value()->readFloatMatrix(QStringLiteral("x"));
        QVERIFY(x.isOk());
        QCOMPARE(x->rows, 26);
        QCOMPARE(x->cols, 9);
        const auto cube = h.value()->readFloatMatrix(QStringLiteral("x3d"));
        QVERIFY(!cube.isOk());
        QVERIFY(cube.status().message().contains(QStringLiteral("got 3 dimensions")));
        const auto absent = h.value()->readFloatMatrix(QStringLiteral("nope"));
        QVERIFY(absent.status().message().contains(QStringLiteral("'nope' does not exist")));
        QVERIFY(!h.value()->readIntVector(QStringLiteral("ids")).isOk());
    }
};

QTEST_GUILESS_MAIN(TestRdm)
#include "tst_rdm.moc"
