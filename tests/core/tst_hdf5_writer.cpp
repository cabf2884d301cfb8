// The one HDF5 writer in its two modes: a whole file appears at once on commit() (nothing before,
// nothing after a writer dropped without it); a row file is on disk as it is written, keeps what
// was flushed when its writer goes away, and continues when opened again. Read back through
// Hdf5Reader (the library's own conversions, not our writer's).

#include "core/hdf5/hdf5_reader.h"
#include "core/hdf5/hdf5_writer.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <cstdint>
#include <cstring>
#include <vector>

using namespace gyrus;

namespace {

// IEEE binary16 bits of small whole numbers and halves (exact in half precision).
uint16_t halfBits(float value)
{
    // value = m · 2^e with |value| in [1, 2048): sign, exponent + 15, 10 mantissa bits.
    if (value == 0.0f) {
        return 0;
    }
    uint32_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    const uint32_t sign = bits >> 31;
    const int exponent = int((bits >> 23) & 0xff) - 127;
    const uint32_t mantissa = (bits >> 13) & 0x3ff;
    return uint16_t((sign << 15) | (uint32_t(exponent + 15) << 10) | mantissa);
}

}  // namespace

class TestHdf5Writer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void wholeFileAppearsOnCommit();
    void wholeFileTakesRowDatasets();
    void rowFileIsWrittenInPlace();
    void rowFileContinuesWhenOpenedAgain();
    void refusesWhatItCannotWrite();
};

void TestHdf5Writer::wholeFileAppearsOnCommit()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("whole.h5"));
    {
        auto writer = Hdf5Writer::create(path);
        QVERIFY2(writer.isOk(), qPrintable(writer.status().message()));
        const std::vector<double> values = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
        QVERIFY(writer.value()
                        ->writeFloat64(QStringLiteral("/group/x"), {2, 3}, values.data())
                        .isOk());
        QVERIFY(writer.value()
                        ->setAttribute(QStringLiteral("note"), QStringLiteral("first"))
                        .isOk());
        QVERIFY(writer.value()->flush().isOk());
        QVERIFY(!QFileInfo::exists(path));  // in memory until commit()
    }
    // Dropped without commit(): nothing on disk, not even the temporary file.
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());

    auto writer = Hdf5Writer::create(path);
    QVERIFY(writer.isOk());
    const std::vector<double> values = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6};
    QVERIFY(writer.value()->writeFloat64(QStringLiteral("/group/x"), {2, 3}, values.data()).isOk());
    QVERIFY(writer.value()->setAttribute(QStringLiteral("note"), QStringLiteral("first")).isOk());
    // An attribute set again is replaced, in either mode.
    QVERIFY(writer.value()->setAttribute(QStringLiteral("note"), QStringLiteral("second")).isOk());
    QVERIFY(writer.value()->commit().isOk());
    QVERIFY(!writer.value()->commit().isOk());  // takes no more writes
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("whole.h5")});

    auto reader = Hdf5Reader::open(path);
    QVERIFY(reader.isOk());
    QCOMPARE(reader.value()->readDoubles(QStringLiteral("/group/x")).value(), values);
    const Result<QString> note = reader.value()->readRootAttribute(QStringLiteral("note"));
    QVERIFY2(note, qPrintable(note.status().message()));
    QCOMPARE(note.value(), QStringLiteral("second"));
}

void TestHdf5Writer::wholeFileTakesRowDatasets()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("rows-in-memory.h5"));
    auto writer = Hdf5Writer::create(path);
    QVERIFY(writer.isOk());
    QVERIFY(writer.value()
                    ->createDataset(QStringLiteral("x"), Hdf5Writer::Type::Float32, 5, 2)
                    .isOk());
    const float first[6] = {1, 2, 3, 4, 5, 6};
    const float last[4] = {7, 8, 9, 10};
    QVERIFY(writer.value()->writeRows(QStringLiteral("x"), 0, 3, first).isOk());
    QVERIFY(writer.value()->writeRows(QStringLiteral("x"), 3, 2, last).isOk());
    QVERIFY(writer.value()->commit().isOk());
    auto reader = Hdf5Reader::open(path);
    QVERIFY(reader.isOk());
    QCOMPARE(reader.value()->shape(QStringLiteral("x")).value(), (std::vector<int64_t>{5, 2}));
    QCOMPARE(reader.value()->readDoubles(QStringLiteral("x")).value(),
             (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
}

void TestHdf5Writer::rowFileIsWrittenInPlace()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("rows.h5"));
    {
        auto writer = Hdf5Writer::createRows(path);
        QVERIFY2(writer.isOk(), qPrintable(writer.status().message()));
        QVERIFY(QFileInfo::exists(path));
        Hdf5Writer &out = *writer.value();
        QVERIFY(out.createDataset(QStringLiteral("half"), Hdf5Writer::Type::Float16, 3, 2).isOk());
        QVERIFY(out.createDataset(QStringLiteral("ids"), Hdf5Writer::Type::Int32, 3, 0).isOk());
        const uint16_t halves[6] = {halfBits(1.5f), halfBits(-2.0f), halfBits(0.0f),
                                    halfBits(1024), halfBits(0.25f), halfBits(-7.0f)};
        QVERIFY(out.writeRows(QStringLiteral("half"), 0, 3, halves).isOk());
        const int32_t ids[3] = {7, -1, 2147483647};
        QVERIFY(out.writeRows(QStringLiteral("ids"), 0, 3, ids).isOk());
        QVERIFY(out.setAttribute(QStringLiteral("hook_name"), QStringLiteral("blocks.0")).isOk());
        QVERIFY(out.setAttribute(QStringLiteral("rows_done"), 3.0).isOk());
        QVERIFY(out.flush().isOk());
        // No commit(): the writer goes away (a cancelled cache); what was flushed stays.
    }
    auto reader = Hdf5Reader::open(path);
    QVERIFY2(reader.isOk(), qPrintable(reader.status().message()));
    QCOMPARE(reader.value()->readDoubles(QStringLiteral("half")).value(),
             (std::vector<double>{1.5, -2.0, 0.0, 1024, 0.25, -7.0}));
    QCOMPARE(reader.value()->readIntVector(QStringLiteral("ids")).value(),
             (std::vector<int64_t>{7, -1, 2147483647}));
    // Row files keep fixed-length UTF-8 strings (what activation caches have always had).
    const Result<QString> hook = reader.value()->readRootAttribute(QStringLiteral("hook_name"));
    QVERIFY2(hook, qPrintable(hook.status().message()));
    QCOMPARE(hook.value(), QStringLiteral("blocks.0"));
}

void TestHdf5Writer::rowFileContinuesWhenOpenedAgain()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("resumed.h5"));
    {
        auto writer = Hdf5Writer::createRows(path);
        QVERIFY(writer.isOk());
        QVERIFY(writer.value()
                        ->createDataset(QStringLiteral("x"), Hdf5Writer::Type::Float32, 4, 1)
                        .isOk());
        const float first[2] = {1, 2};
        QVERIFY(writer.value()->writeRows(QStringLiteral("x"), 0, 2, first).isOk());
        QVERIFY(writer.value()
                        ->setAttribute(QStringLiteral("state"), QStringLiteral("partial"))
                        .isOk());
        QVERIFY(writer.value()->commit().isOk());
    }
    auto writer = Hdf5Writer::openRows(path);
    QVERIFY2(writer.isOk(), qPrintable(writer.status().message()));
    const float rest[2] = {3, 4};
    // Only datasets created or opened take rows.
    QCOMPARE(writer.value()->writeRows(QStringLiteral("x"), 2, 2, rest).code(),
             Status::Code::Internal);
    QVERIFY(writer.value()->openDataset(QStringLiteral("x")).isOk());
    QVERIFY(writer.value()->writeRows(QStringLiteral("x"), 2, 2, rest).isOk());
    QVERIFY(writer.value()
                    ->setAttribute(QStringLiteral("state"), QStringLiteral("complete"))
                    .isOk());
    QVERIFY(writer.value()->commit().isOk());
    auto reader = Hdf5Reader::open(path);
    QVERIFY(reader.isOk());
    QCOMPARE(reader.value()->readDoubles(QStringLiteral("x")).value(),
             (std::vector<double>{1, 2, 3, 4}));
    const Result<QString> state = reader.value()->readRootAttribute(QStringLiteral("state"));
    QVERIFY2(state, qPrintable(state.status().message()));
    QCOMPARE(state.value(), QStringLiteral("complete"));
}

void TestHdf5Writer::refusesWhatItCannotWrite()
{
    QTemporaryDir dir;
    // A folder that does not exist: each mode names the file.
    const QString nowhere = dir.filePath(QStringLiteral("missing/out.h5"));
    auto whole = Hdf5Writer::create(nowhere);
    QCOMPARE(whole.status().code(), Status::Code::NotFound);
    QVERIFY(whole.status().message().contains(nowhere));
    auto rows = Hdf5Writer::createRows(nowhere);
    QVERIFY(!rows.isOk());
    QVERIFY(rows.status().message().contains(nowhere));
    // Not an HDF5 file to continue.
    const QString text = dir.filePath(QStringLiteral("text.h5"));
    QFile file(text);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("not hdf5");
    file.close();
    auto reopened = Hdf5Writer::openRows(text);
    QVERIFY(reopened.status().message().contains(QLatin1String("not an HDF5 file")));

    // Rows outside the dataset, an unknown dataset, a dataset made twice.
    auto writer = Hdf5Writer::createRows(dir.filePath(QStringLiteral("bounds.h5")));
    QVERIFY(writer.isOk());
    QVERIFY(writer.value()
                    ->createDataset(QStringLiteral("x"), Hdf5Writer::Type::Int32, 2, 0)
                    .isOk());
    const int32_t three[3] = {1, 2, 3};
    const Status outside = writer.value()->writeRows(QStringLiteral("x"), 1, 2, three);
    QVERIFY(!outside.isOk());
    QVERIFY2(outside.message().contains(QLatin1String("outside [0, 2)")),
             qPrintable(outside.message()));
    QVERIFY(writer.value()
                    ->openDataset(QStringLiteral("nope"))
                    .message()
                    .contains(QLatin1String("no such dataset")));
    QVERIFY(!writer.value()
                     ->createDataset(QStringLiteral("x"), Hdf5Writer::Type::Int32, 2, 0)
                     .isOk());
    QVERIFY(writer.value()->commit().isOk());
    QVERIFY(!writer.value()->writeRows(QStringLiteral("x"), 0, 1, three).isOk());
    QVERIFY(!writer.value()->setAttribute(QStringLiteral("late"), 1.0).isOk());
}

QTEST_APPLESS_MAIN(TestHdf5Writer)
#include "tst_hdf5_writer.moc"
