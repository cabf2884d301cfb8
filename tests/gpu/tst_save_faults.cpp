// Saving when things go wrong: a process killed with SIGKILL in the middle of a save (a crash, a
// power cut), and a full disk under each of the writers that live in gyrus_gpu. What may never
// happen: a file half-written under its final name, the previous file lost, a save that says
// nothing useful, a crash.
//
// Killed saves: this executable runs itself as a child (GYRUS_SAVE_LOOP) that saves two different
// workspaces (or SAEs) in turn into one place, as fast as it can, and is killed at a random
// moment; the place must then hold one of the two whole, and the next open and save must work.
// The kill points are random; the seed is printed (GYRUS_KILL_SEED repeats it).
//
// Full disk: the file-size limit (tests/support/file_size_limit.h) makes writes fail with EFBIG
// as a full disk makes them fail with ENOSPC; the activation cache, which HDF5 writes in place
// and resumably, runs as `gyrus-cli cache` under the limit (HDF5 must not take the process down).

#include "core/hdf5/hdf5_reader.h"
#include "core/session/workspace_file.h"
#include "gpu/analysis/corpus_scan_file.h"
#include "gpu/model/safetensors.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "tests/support/file_size_limit.h"
#include "tests/support/process_run.h"
#include "tests/support/test_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

using namespace gyrus;
using gyrus::test::FileSizeLimit;

namespace {

const char kSaveLoop[] = "GYRUS_SAVE_LOOP";  // "workspace PATH" or "sae DIRECTORY"
constexpr rlim_t kLimit = 16 * 1024;

// Two different workspaces of ~3 MB each (long enough to write that a kill falls inside a save).
WorkspaceDocument workspace(int which)
{
    WorkspaceDocument document;
    const QByteArray marker = which == 0 ? "A" : "B";
    document.sections.insert(QStringLiteral("notes"),
                             "{\"marker\":\"" + marker + "\",\"text\":\"" +
                                     QByteArray(3 << 20, which == 0 ? 'a' : 'b') + "\"}");
    return document;
}

// Two different SAEs of the demo model's size, with feature densities (three files a save).
gpu::detail::SaeModule sae(int which, std::vector<float> *density)
{
    at::manual_seed(uint64_t(100 + which));
    SaeConfig config;
    config.architecture = SaeArchitecture::TopK;
    config.dIn = 192;
    config.dSae = 1536;
    config.k = which == 0 ? 8 : 16;  // the two cfg.json differ too
    config.hookName = QStringLiteral("blocks.2.hook_resid_post");
    config.modelName = QStringLiteral("demo");
    gpu::detail::SaeWeights w{at::randn({192, 1536}),
                              at::randn({1536}),
                              at::randn({1536, 192}),
                              at::randn({192}),
                              {}};
    density->assign(1536, which == 0 ? 0.01F : 0.02F);
    return gpu::detail::SaeModule(config, w);
}

Status saveSaeNumber(int which, const QString &directory)
{
    std::vector<float> density;
    const gpu::detail::SaeModule module = sae(which, &density);
    gpu::SaeSaveExtras extras;
    extras.featureDensity = density;
    return gpu::saveSae(module, directory, extras);
}

// The child: saves the two versions in turn forever, saying "saved N" after each.
int saveLoop(const QString &what)
{
    const QString kind = what.section(QLatin1Char(' '), 0, 0);
    const QString path = what.section(QLatin1Char(' '), 1);
    at::set_num_threads(1);
    const WorkspaceDocument documents[2] = {workspace(0), workspace(1)};
    for (int n = 0;; ++n) {
        const Status status = kind == QLatin1String("sae")
                                      ? saveSaeNumber(n % 2, path)
                                      : writeWorkspaceFile(path, documents[n % 2]);
        if (!status.isOk()) {
            std::fprintf(stderr, "%s\n", qPrintable(status.message()));
            return 1;
        }
        std::printf("saved %d\n", n);
        std::fflush(stdout);
    }
}

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

QStringList filesIn(const QString &directory)
{
    return QDir(directory).entryList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
}

QString fileTooLarge()
{
    return QString::fromLocal8Bit(std::strerror(EFBIG));
}

}  // namespace

class TestSaveFaults : public QObject
{
    Q_OBJECT

private:
    // Runs the save loop on `target`, lets it complete its first save, then kills it with
    // SIGKILL after a random delay of up to two saves. Returns the saves it reported.
    int killSaveLoop(const QString &what)
    {
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QLatin1String(kSaveLoop), what);
        env.insert(QStringLiteral("OMP_NUM_THREADS"), QStringLiteral("1"));
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(), {});
        if (!child.waitForStarted(30000)) {
            return -1;
        }
        QElapsedTimer clock;
        clock.start();
        QByteArray out;
        while (!out.contains("saved 0") && child.state() == QProcess::Running &&
               clock.elapsed() < 60000) {
            child.waitForReadyRead(100);
            out += child.readAllStandardOutput();
        }
        const qint64 firstSaveMs = clock.elapsed();
        QThread::msleep(ulong(m_random.bounded(quint32(2 * firstSaveMs + 1))));
        child.kill();
        child.waitForFinished(30000);
        out += child.readAllStandardOutput();
        return int(out.count("saved"));
    }

private Q_SLOTS:

    void initTestCase()
    {
        bool fixed = false;
        const quint32 seed = qEnvironmentVariable("GYRUS_KILL_SEED").toUInt(&fixed);
        const quint32 used = fixed ? seed : QRandomGenerator::global()->generate();
        m_random.seed(used);
        qInfo("kill points from GYRUS_KILL_SEED=%u", used);
        at::set_num_threads(1);
    }

    void workspaceSaveKilled()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("study.gyrus"));
        for (int attempt = 0; attempt < 3; ++attempt) {
            const int saves = killSaveLoop(QStringLiteral("workspace ") + path);
            QVERIFY2(saves >= 1, "the save loop did not save");
            // The last whole save or the one after it, never a mixture or a broken file.
            auto read = readWorkspaceFile(path);
            QVERIFY2(read.isOk(), qPrintable(read.status().message()));
            const QByteArray notes = read->sections.value(QStringLiteral("notes"));
            const bool isA = notes == workspace(0).sections.value(QStringLiteral("notes"));
            const bool isB = notes == workspace(1).sections.value(QStringLiteral("notes"));
            QVERIFY2(isA || isB, "the workspace after the kill is neither save");
            qInfo("workspace: killed after %d saves; the file holds %s, %s", saves, isA ? "A" : "B",
                  QFileInfo::exists(path + QStringLiteral(".partial"))
                          ? "a temporary file stayed beside it"
                          : "nothing else");
            // The next save replaces whatever the kill left.
            QVERIFY(writeWorkspaceFile(path, workspace(attempt % 2)).isOk());
            QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("study.gyrus")});
        }
    }

    void saeSaveKilled()
    {
        QTemporaryDir dir;
        const QString references[2] = {dir.filePath(QStringLiteral("a")),
                                       dir.filePath(QStringLiteral("b"))};
        for (int which = 0; which < 2; ++which) {
            QVERIFY(saveSaeNumber(which, references[which]).isOk());
        }
        const QString out = dir.filePath(QStringLiteral("sae"));
        const QStringList files = {QStringLiteral("cfg.json"),
                                   QStringLiteral("sae_weights.safetensors"),
                                   QStringLiteral("sparsity.safetensors")};
        for (int attempt = 0; attempt < 3; ++attempt) {
            const int saves = killSaveLoop(QStringLiteral("sae ") + out);
            QVERIFY2(saves >= 1, "the save loop did not save");
            // The directory loads (finishing a save that was killed while it replaced files),
            // and holds one save's files, all of them whole.
            const bool replacing = QFileInfo::exists(out + QStringLiteral("/.gyrus-save-journal"));
            const QStringList staged = filesIn(out).filter(QStringLiteral(".saving"));
            auto loaded = gpu::loadSae(out);
            QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
            QString which;
            for (const QString &name : files) {
                const QByteArray got = contents(out + QLatin1Char('/') + name);
                const bool isA = got == contents(references[0] + QLatin1Char('/') + name);
                const bool isB = got == contents(references[1] + QLatin1Char('/') + name);
                QVERIFY2(isA || isB, qPrintable(name + QStringLiteral(" is neither save's")));
                which += isA ? QLatin1Char('A') : QLatin1Char('B');
            }
            qInfo("sae: killed after %d saves %s (staged: %s); after the load cfg, weights, "
                  "sparsity are from %s",
                  saves, replacing ? "while replacing files" : "outside the replacements",
                  qPrintable(staged.join(QLatin1Char(' '))), qPrintable(which));
            QVERIFY2(which == QLatin1String("AAA") || which == QLatin1String("BBB"),
                     qPrintable(which));
            QVERIFY(!filesIn(out).contains(QStringLiteral(".gyrus-save-journal")));
            QVERIFY(saveSaeNumber(attempt % 2, out).isOk());
            // A kill inside QSaveFile's write of a staged file leaves its temporary
            // (NAME.saving.XXXXXX): nothing can remove it after SIGKILL, and nothing reads it.
            QStringList left = filesIn(out);
            left.removeIf(
                    [](const QString &name) { return name.contains(QLatin1String(".saving.")); });
            QCOMPARE(left, files);
        }
    }

    void safetensorsWriterOnAFullDisk()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("model.safetensors"));
        const std::vector<float> small(4, 1.0F);
        QVERIFY(gpu::writeSafetensors(
                        path, {{QStringLiteral("w"),
                                gpu::DType::F32,
                                {4},
                                QByteArrayView(reinterpret_cast<const char *>(small.data()), 16)}})
                        .isOk());
        const QByteArray before = contents(path);
        const std::vector<float> big(64 * 1024, 2.0F);
        Status status;
        {
            FileSizeLimit limit(kLimit);
            status = gpu::writeSafetensors(
                    path, {{QStringLiteral("w"),
                            gpu::DType::F32,
                            {qint64(big.size())},
                            QByteArrayView(reinterpret_cast<const char *>(big.data()),
                                           qsizetype(big.size() * sizeof(float)))}});
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(path), qPrintable(status.message()));
        QVERIFY2(status.message().contains(fileTooLarge()), qPrintable(status.message()));
        QCOMPARE(contents(path), before);
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("model.safetensors")});
    }

    void saeSaveOnAFullDisk()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("sae"));
        QVERIFY(saveSaeNumber(0, out).isOk());
        const QStringList files = filesIn(out);
        QMap<QString, QByteArray> before;
        for (const QString &name : files) {
            before.insert(name, contents(out + QLatin1Char('/') + name));
        }
        // The limit is per file: it stops the save in its weights file, the first and largest.
        Status status;
        {
            FileSizeLimit full(kLimit);
            status = saveSaeNumber(1, out);
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(out), qPrintable(status.message()));
        QVERIFY2(status.message().contains(fileTooLarge()), qPrintable(status.message()));
        QCOMPARE(filesIn(out), files);
        for (const QString &name : files) {
            QVERIFY2(contents(out + QLatin1Char('/') + name) == before.value(name),
                     qPrintable(name));
        }
        auto loaded = gpu::loadSae(out);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
    }

    void corpusScanFileOnAFullDisk()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("demo.gyrus-scan"));
        gpu::CorpusScan scan;
        scan.hookName = QStringLiteral("blocks.2.hook_resid_post");
        scan.tokens = {1, 17, 42};
        scan.scannedTokens = 2;
        QVERIFY(gpu::saveCorpusScan(scan, QStringLiteral("sae|1"), path).isOk());
        const QByteArray before = contents(path);
        scan.tokens.assign(100000, 7);
        scan.scannedTokens = 100000;
        Status status;
        {
            FileSizeLimit limit(kLimit);
            status = gpu::saveCorpusScan(scan, QStringLiteral("sae|1"), path);
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(path), qPrintable(status.message()));
        QVERIFY2(status.message().contains(fileTooLarge()), qPrintable(status.message()));
        QCOMPARE(contents(path), before);
        QCOMPARE(filesIn(dir.path()), QStringList{QStringLiteral("demo.gyrus-scan")});
        auto loaded = gpu::loadCorpusScan(path);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
        QCOMPARE(loaded->scan.tokens.size(), size_t(3));
    }

    // The cache is written in place on purpose (it resumes after a kill or a cancel). A full disk
    // must stop it with a message naming the file, without a crash (in HDF5 or at exit). What it
    // leaves cannot be continued (HDF5's metadata, written at the start of the file, then points
    // past its end): the next run says so and how to start again, and starting again works.
    // Replacing a complete cache (--overwrite) builds the new one beside it: a full disk then
    // leaves the old cache as it was.
    void activationCacheOnAFullDisk()
    {
        QTemporaryDir dir;
        const QString corpus = dir.filePath(QStringLiteral("corpus.txt"));
        QFile heldout(test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")));
        QVERIFY(heldout.open(QIODevice::ReadOnly));
        QFile lines(corpus);
        QVERIFY(lines.open(QIODevice::WriteOnly));
        for (int line = 0; line < 60 && !heldout.atEnd(); ++line) {
            lines.write(heldout.readLine());
        }
        lines.close();
        const QString out = dir.filePath(QStringLiteral("acts.h5"));
        const QStringList arguments = {QStringLiteral("cache"),
                                       QStringLiteral("--model"),
                                       test::sourcePath(QStringLiteral("datasets/demo/model")),
                                       QStringLiteral("--corpus"),
                                       corpus,
                                       QStringLiteral("--hook"),
                                       QStringLiteral("blocks.2.hook_resid_post"),
                                       QStringLiteral("--context-length"),
                                       QStringLiteral("32"),
                                       QStringLiteral("--tokens"),
                                       QStringLiteral("1500"),
                                       QStringLiteral("--batch"),
                                       QStringLiteral("4"),
                                       QStringLiteral("--dtype"),
                                       QStringLiteral("float32"),
                                       QStringLiteral("--out"),
                                       out};
        QProcess full;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("OMP_NUM_THREADS"), QStringLiteral("1"));
        full.setProcessEnvironment(env);
        // 1500 rows of 192 floats need ~1.2 MB: the limit stops the cache about half way.
        full.setChildProcessModifier([] { FileSizeLimit::applyInChild(640 * 1024); });
        full.start(test::cliPath(), arguments);
        QVERIFY(full.waitForFinished(180000));
        const QString error = QString::fromUtf8(full.readAllStandardError());
        QCOMPARE(full.exitStatus(), QProcess::NormalExit);  // no crash, in HDF5 or at exit
        QVERIFY2(full.exitCode() != 0, qPrintable(error));
        QVERIFY2(error.contains(out), qPrintable(error));
        QVERIFY2(error.contains(fileTooLarge()), qPrintable(error));
        qInfo("cache on a full disk: %s", qPrintable(error.trimmed()));

        const test::ProcessRun rerun = test::runProcess(test::cliPath(), arguments, 180000, env);
        QVERIFY2(rerun.exitCode != 0, "a cache cut short by a full disk was continued");
        QVERIFY2(rerun.err.contains(out) && rerun.err.contains(QStringLiteral("--overwrite")),
                 qPrintable(rerun.err));
        const test::ProcessRun again = test::runProcess(
                test::cliPath(), arguments + QStringList{QStringLiteral("--overwrite")}, 180000,
                env);
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        auto file = Hdf5Reader::open(out);
        QVERIFY2(file.isOk(), qPrintable(file.status().message()));
        const auto activations = file.value()->readFloatMatrix(QStringLiteral("activations"));
        QVERIFY2(activations.isOk(), qPrintable(activations.status().message()));
        QCOMPARE(activations->rows, qint64(1500));

        // Replacing that cache (--overwrite, other settings) on the full disk: the new one is
        // built beside it and fails there; the old cache stays byte for byte, nothing is left.
        QFile complete(out);
        QVERIFY(complete.open(QIODevice::ReadOnly));
        const QByteArray before = complete.readAll();
        complete.close();
        QStringList replacing = arguments + QStringList{QStringLiteral("--overwrite")};
        replacing[replacing.indexOf(QStringLiteral("1500"))] = QStringLiteral("1400");
        QProcess limited;
        limited.setProcessEnvironment(env);
        limited.setChildProcessModifier([] { FileSizeLimit::applyInChild(640 * 1024); });
        limited.start(test::cliPath(), replacing);
        QVERIFY(limited.waitForFinished(180000));
        const QString replaceError = QString::fromUtf8(limited.readAllStandardError());
        QCOMPARE(limited.exitStatus(), QProcess::NormalExit);
        QVERIFY2(limited.exitCode() != 0, qPrintable(replaceError));
        QVERIFY2(replaceError.contains(fileTooLarge()), qPrintable(replaceError));
        QVERIFY(complete.open(QIODevice::ReadOnly));
        QVERIFY2(complete.readAll() == before, "a failed --overwrite changed the old cache");
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden, QDir::Name),
                 QStringList({QFileInfo(out).fileName(), QFileInfo(corpus).fileName()}));
    }

private:
    QRandomGenerator m_random;
};

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsSet(kSaveLoop)) {
        return saveLoop(qEnvironmentVariable(kSaveLoop));
    }
    QCoreApplication app(argc, argv);
    TestSaveFaults test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_save_faults.moc"
