// Inputs the fuzz targets (tests/fuzz, scripts/fuzz) found crashing, hanging or allocating without
// bound, replayed through the same parsers in the normal build: each must now fail with a Status
// naming the file, quickly. New finds go in tests/data/fuzz/<parser>/.

#include "gpu/analysis/corpus_scan_file.h"
#include "gpu/model/model_config.h"
#include "gpu/sae/npz_reader.h"
#include "gpu/sae/sae_directory.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

namespace {

QStringList inputs(const QString &parser)
{
    const QDir dir(test::dataPath(QStringLiteral("fuzz/") + parser));
    QStringList paths;
    for (const QString &name : dir.entryList(QDir::Files, QDir::Name)) {
        paths << dir.filePath(name);
    }
    return paths;
}

}  // namespace

class TestFuzzRegressions : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    // "rms_norm_eps": 1e605: nlohmann's parser throws out_of_range, not parse_error, for a
    // number beyond double; it escaped the parser's catch and terminated the process.
    void modelConfigs()
    {
        const QStringList files = inputs(QStringLiteral("model_config"));
        QVERIFY(!files.isEmpty());
        for (const QString &file : files) {
            QFile in(file);
            QVERIFY(in.open(QIODevice::ReadOnly));
            const auto config = gpu::parseModelConfig(in.readAll(), file);
            QVERIFY2(!config.isOk(), qPrintable(file));
            QVERIFY2(config.status().message().contains(file),
                     qPrintable(config.status().message()));
        }
    }

    // d_in 1.1e25: converting it to int64 was undefined behaviour (UBSan).
    void saeLensConfigs()
    {
        const QStringList files = inputs(QStringLiteral("saelens_config"));
        QVERIFY(!files.isEmpty());
        for (const QString &file : files) {
            QTemporaryDir dir;
            QVERIFY(QFile::copy(file, dir.filePath(QStringLiteral("cfg.json"))));
            const auto info = gpu::readSaeInfo(dir.path());
            QVERIFY2(!info.isOk(), qPrintable(file));
            QVERIFY2(info.status().message().contains(QStringLiteral("cfg.json")),
                     qPrintable(info.status().message()));
        }
    }

    // A zip64 extra field claiming 8-byte values past its end (and past the file): read out of
    // bounds (ASan).
    void npzArchives()
    {
        const QStringList files = inputs(QStringLiteral("npz"));
        QVERIFY(!files.isEmpty());
        for (const QString &file : files) {
            const auto arrays = gpu::readNpz(file);
            QVERIFY2(!arrays.isOk(), qPrintable(file));
            QVERIFY2(arrays.status().message().contains(file),
                     qPrintable(arrays.status().message()));
        }
    }

    // 584 bytes claiming a billion tokens: the reader allocated gigabytes before finding the data
    // missing.
    void corpusScanFiles()
    {
        const QStringList files = inputs(QStringLiteral("corpus_scan_file"));
        QVERIFY(!files.isEmpty());
        for (const QString &file : files) {
            QElapsedTimer timer;
            timer.start();
            const auto scan = gpu::loadCorpusScan(file);
            QVERIFY2(!scan.isOk(), qPrintable(file));
            QVERIFY2(scan.status().message().contains(file), qPrintable(scan.status().message()));
            QVERIFY2(timer.elapsed() < 2000, "a damaged scan file must be refused at once");
        }
    }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "tst_fuzz_regressions.moc"
