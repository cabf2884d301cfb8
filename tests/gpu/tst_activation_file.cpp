// HDF5 activation files without torch (gyrus_formats): what inspectActivationFile() checks and
// reports, and the row blocks ActivationRowFile reads (float16 as stored, anything else as
// float32), on the h5py fixture (tests/data/sae/make_activation_fixture.py) and on a file our
// row writer makes. The stream the trainer reads on top is tested in tst_sae_io.

#include "core/hdf5/hdf5_writer.h"
#include "gpu/sae/activations/activation_file.h"
#include "tests/support/test_paths.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

// IEEE binary16 to float (normal numbers, subnormals, zero; the fixture has no inf/NaN).
float halfToFloat(uint16_t bits)
{
    const int sign = (bits >> 15) ? -1 : 1;
    const int exponent = (bits >> 10) & 0x1f;
    const int mantissa = bits & 0x3ff;
    if (exponent == 0) {
        return float(sign * std::ldexp(mantissa, -24));
    }
    return float(sign * std::ldexp(1024 + mantissa, exponent - 25));
}

QString fixture()
{
    return test::dataPath(QStringLiteral("sae/activations_f16.h5"));
}

}  // namespace

class TestActivationFile : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void inspectsTheFixture();
    void readsHalvesAsStored();
    void readsWhatTheRowWriterWrote();
    void activationFileErrors();
};

void TestActivationFile::inspectsTheFixture()
{
    Result<ActivationFileInfo> info = inspectActivationFile(fixture());
    QVERIFY2(info.isOk(), qPrintable(info.status().message()));
    QCOMPARE(info.value().rows, int64_t(300));
    QCOMPARE(info.value().columns, int64_t(8));
    QCOMPARE(info.value().dataset, QStringLiteral("activations"));
    QCOMPARE(info.value().attributes.value(QStringLiteral("hook_name")),
             QStringLiteral("blocks.1.hook_resid_post"));
    QCOMPARE(info.value().attributes.value(QStringLiteral("model")), QStringLiteral("fixture"));
    QCOMPARE(info.value().attributes.value(QStringLiteral("normalisation_scale")),
             QStringLiteral("1"));
}

void TestActivationFile::readsHalvesAsStored()
{
    auto half = ActivationRowFile::open(fixture(), QStringLiteral("activations"));
    QVERIFY2(half.isOk(), qPrintable(half.status().message()));
    auto reference = ActivationRowFile::open(fixture(), QStringLiteral("reference"));
    QVERIFY(reference.isOk());
    QVERIFY(half.value()->storesHalf());
    QVERIFY(!reference.value()->storesHalf());
    QCOMPARE(half.value()->describe(), QStringLiteral("%1: dataset '/activations'").arg(fixture()));
    // A block across the fixture's 64-row chunks, and the last row.
    for (const auto &[begin, count] : {std::pair<int64_t, int64_t>{50, 100}, {299, 1}}) {
        std::vector<uint16_t> halves(size_t(count * 8));
        std::vector<float> floats(size_t(count * 8));
        QVERIFY(half.value()->readRows(begin, count, halves.data()).isOk());
        QVERIFY(reference.value()->readRows(begin, count, floats.data()).isOk());
        for (size_t i = 0; i < floats.size(); ++i) {
            // The same values, exactly (QCOMPARE on floats would allow a relative 1e-5).
            QVERIFY2(halfToFloat(halves[i]) == floats[i],
                     qPrintable(QStringLiteral("row %1, column %2: %3 vs %4")
                                        .arg(begin + int64_t(i / 8))
                                        .arg(i % 8)
                                        .arg(halfToFloat(halves[i]))
                                        .arg(floats[i])));
        }
    }
}

void TestActivationFile::readsWhatTheRowWriterWrote()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("written.h5"));
    {
        auto writer = Hdf5Writer::createRows(path);
        QVERIFY(writer.isOk());
        QVERIFY(writer.value()
                        ->createDataset(QStringLiteral("activations"), Hdf5Writer::Type::Float32, 3,
                                        2)
                        .isOk());
        const float values[6] = {1.5f, -2.25f, 3, 4, 1e-30f, 6e30f};
        QVERIFY(writer.value()->writeRows(QStringLiteral("activations"), 0, 3, values).isOk());
        QVERIFY(writer.value()
                        ->setAttribute(QStringLiteral("hook_name"), QStringLiteral("h"))
                        .isOk());
        QVERIFY(writer.value()->setAttribute(QStringLiteral("complete"), 1.0).isOk());
        QVERIFY(writer.value()->commit().isOk());
    }
    auto info = inspectActivationFile(path);
    QVERIFY2(info.isOk(), qPrintable(info.status().message()));
    QCOMPARE(info.value().rows, int64_t(3));
    QCOMPARE(info.value().attributes.value(QStringLiteral("hook_name")), QStringLiteral("h"));
    QCOMPARE(info.value().attributes.value(QStringLiteral("complete")), QStringLiteral("1"));
    auto file = ActivationRowFile::open(path, QStringLiteral("activations"));
    QVERIFY(file.isOk());
    QVERIFY(!file.value()->storesHalf());
    float rows[4] = {};
    QVERIFY(file.value()->readRows(1, 2, rows).isOk());
    QVERIFY(rows[0] == 3.0f && rows[1] == 4.0f && rows[2] == 1e-30f && rows[3] == 6e30f);
}

void TestActivationFile::activationFileErrors()
{
    const QString path = fixture();
    auto missing = inspectActivationFile(path, QStringLiteral("nope"));
    QVERIFY(missing.status().message().contains(QLatin1String("'/nope'")));
    auto rank1 = inspectActivationFile(path, QStringLiteral("tokens"));
    QVERIFY(!rank1.isOk());
    QVERIFY(rank1.status().message().contains(QLatin1String("float")) ||
            rank1.status().message().contains(QLatin1String("rank")));
    QCOMPARE(inspectActivationFile(QStringLiteral("/nonexistent.h5")).status().code(),
             Status::Code::NotFound);
    auto notHdf5 =
            inspectActivationFile(test::dataPath(QStringLiteral("sae/make_activation_fixture.py")));
    QVERIFY(notHdf5.status().message().contains(QLatin1String("not an HDF5 file")));
    // The reader checks the same way.
    auto rows = ActivationRowFile::open(path, QStringLiteral("nope"));
    QVERIFY(rows.status().message().contains(QLatin1String("'/nope'")));
    // Rows past the end: an error naming the rows, not a crash.
    auto file = ActivationRowFile::open(path, QStringLiteral("reference"));
    QVERIFY(file.isOk());
    std::vector<float> out(size_t(10 * 8));
    const Status past = file.value()->readRows(295, 10, out.data());
    QVERIFY(!past.isOk());
    QVERIFY2(past.message().contains(QLatin1String("rows 295..304")), qPrintable(past.message()));
}

QTEST_APPLESS_MAIN(TestActivationFile)
#include "tst_activation_file.moc"
