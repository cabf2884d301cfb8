// gyrus-cli killed with SIGKILL at a random point (a crash, a power cut, an impatient user) and
// run again: the second run finishes, and what it leaves is what an uninterrupted run leaves.
//   cache      resumes in its HDF5 file: the same datasets and provenance; with --overwrite
//              over an old cache the old file stays byte for byte until the new one is
//              complete, and the rerun continues the replacement
//   sae train  resumes from OUT/checkpoint (--resume): the same SAE files, byte for byte
//   scan       restarts (it is one pass): no partial file under --out, the same JSON, byte for byte
// The kill point is random; the seed is printed (GYRUS_KILL_SEED repeats it).

#include "core/hdf5/hdf5_reader.h"
#include "tests/support/process_run.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <functional>

using gyrus::test::ProcessRun;

namespace {

QProcessEnvironment environment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("OMP_NUM_THREADS"), QStringLiteral("1"));  // the same sums every run
    return env;
}

ProcessRun cli(const QStringList &arguments)
{
    return gyrus::test::runProcess(gyrus::test::cliPath(), arguments, 180000, environment());
}

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

}  // namespace

class TestKillResume : public QObject
{
    Q_OBJECT

private:
    // Starts gyrus-cli, waits until `started()` holds (polled), then `delayMs` more, and kills
    // it with SIGKILL. Returns whether it was still running when killed.
    bool killDuring(const QStringList &arguments, const std::function<bool()> &started, int delayMs)
    {
        QProcess process;
        process.setProcessEnvironment(environment());
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.setStandardOutputFile(QProcess::nullDevice());
        process.start(gyrus::test::cliPath(), arguments);
        if (!process.waitForStarted(30000)) {
            return false;
        }
        QElapsedTimer clock;
        clock.start();
        while (!started() && process.state() == QProcess::Running && clock.elapsed() < 120000) {
            QThread::msleep(5);
        }
        if (process.state() == QProcess::Running) {
            QThread::msleep(static_cast<unsigned long>(delayMs));
        }
        const bool running = process.state() == QProcess::Running;
        process.kill();  // SIGKILL
        process.waitForFinished(30000);
        return running;
    }

    int randomDelay(int maxMs) { return int(m_random.bounded(quint32(maxMs) + 1)); }

    QStringList cacheArguments(const QString &out) const
    {
        return {QStringLiteral("cache"),
                QStringLiteral("--model"),
                gyrus::test::sourcePath(QStringLiteral("datasets/demo/model")),
                QStringLiteral("--corpus"),
                m_corpus,
                QStringLiteral("--hook"),
                QStringLiteral("blocks.2.hook_resid_post"),
                QStringLiteral("--context-length"),
                QStringLiteral("32"),
                QStringLiteral("--tokens"),
                QStringLiteral("1500"),
                QStringLiteral("--batch"),
                QStringLiteral("4"),
                QStringLiteral("--out"),
                out};
    }

    QStringList trainArguments(const QString &out) const
    {
        return {QStringLiteral("sae"),
                QStringLiteral("train"),
                QStringLiteral("--activations"),
                m_referenceCache,
                QStringLiteral("--arch"),
                QStringLiteral("topk"),
                QStringLiteral("--d-sae"),
                QStringLiteral("256"),
                QStringLiteral("--k"),
                QStringLiteral("8"),
                QStringLiteral("--batch-size"),
                QStringLiteral("100"),
                QStringLiteral("--tokens"),
                QStringLiteral("1500"),
                QStringLiteral("--checkpoint-every"),
                QStringLiteral("2"),
                QStringLiteral("--out"),
                out};
    }

    QStringList scanArguments(const QString &out) const
    {
        return {QStringLiteral("scan"),
                QStringLiteral("--model"),
                gyrus::test::sourcePath(QStringLiteral("datasets/demo/model")),
                QStringLiteral("--sae"),
                gyrus::test::sourcePath(QStringLiteral("datasets/demo/sae")),
                QStringLiteral("--corpus"),
                m_corpus,
                QStringLiteral("--tokens"),
                QStringLiteral("600"),
                QStringLiteral("--out"),
                out};
    }

    // The cache at `out` holds what the uninterrupted reference run wrote: the same datasets
    // and provenance (the HDF5 bytes themselves differ between any two runs).
    void compareWithReferenceCache(const QString &out)
    {
        auto expected = gyrus::Hdf5Reader::open(m_referenceCache);
        auto got = gyrus::Hdf5Reader::open(out);
        QVERIFY2(got.isOk(), qPrintable(got.status().message()));
        const auto activations = got.value()->readFloatMatrix(QStringLiteral("activations"));
        QVERIFY2(activations.isOk(), qPrintable(activations.status().message()));
        const auto reference = expected.value()->readFloatMatrix(QStringLiteral("activations"));
        QCOMPARE(activations->rows, reference->rows);
        QCOMPARE(activations->cols, reference->cols);
        QVERIFY(activations->values == reference->values);
        for (const char *name : {"tokens", "doc_index", "position"}) {
            const auto column = got.value()->readIntVector(QLatin1String(name));
            QVERIFY2(column.isOk(), name);
            QVERIFY2(column.value() == expected.value()->readIntVector(QLatin1String(name)).value(),
                     name);
        }
        for (const char *name :
             {"model", "model_config_sha256", "corpus_sha256", "hook_name", "context_length",
              "token_budget", "dtype", "normalisation_scale"}) {
            QCOMPARE(got.value()->readRootAttribute(QLatin1String(name)).value(),
                     expected.value()->readRootAttribute(QLatin1String(name)).value());
        }
    }

private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        bool fixed = false;
        const quint32 seed = qEnvironmentVariable("GYRUS_KILL_SEED").toUInt(&fixed);
        const quint32 used = fixed ? seed : QRandomGenerator::global()->generate();
        m_random.seed(used);
        qInfo("kill points from GYRUS_KILL_SEED=%u", used);
        m_corpus = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile heldout(gyrus::test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt")));
        QVERIFY(heldout.open(QIODevice::ReadOnly));
        QFile corpus(m_corpus);
        QVERIFY(corpus.open(QIODevice::WriteOnly));
        for (int line = 0; line < 60 && !heldout.atEnd(); ++line) {
            corpus.write(heldout.readLine());
        }
        corpus.close();
        m_referenceCache = m_dir.filePath(QStringLiteral("reference.h5"));
        const ProcessRun reference = cli(cacheArguments(m_referenceCache));
        QVERIFY2(reference.exitCode == 0, qPrintable(reference.err));
    }

    void cacheResumesAfterKill()
    {
        const QString out = m_dir.filePath(QStringLiteral("killed.h5"));
        const bool killed = killDuring(
                cacheArguments(out), [&] { return QFileInfo::exists(out); }, randomDelay(400));
        const ProcessRun rerun = cli(cacheArguments(out));
        QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.err));
        const qint64 resumedFrom = QJsonDocument::fromJson(rerun.out)
                                           .object()
                                           .value(QStringLiteral("resumed_from_row"))
                                           .toInteger();
        qInfo("cache: killed %s, the rerun resumed from row %lld of 1500",
              killed ? "while running" : "after it finished", resumedFrom);
        compareWithReferenceCache(out);
    }

    void cacheOverwriteKilledKeepsTheOldCache()
    {
        // An old cache with other settings (--tokens 1400), replaced by the reference settings
        // with --overwrite and killed: the old file is untouched until the new one is complete,
        // and running the command again continues the replacement (or, killed after its
        // rename, finds it done) and leaves only OUT, equal to an uninterrupted run.
        const QString out = m_dir.filePath(QStringLiteral("replaced.h5"));
        QStringList older = cacheArguments(out);
        older[older.indexOf(QStringLiteral("1500"))] = QStringLiteral("1400");
        const ProcessRun first = cli(older);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QByteArray before = contents(out);
        const QStringList replacing =
                cacheArguments(out) + QStringList{QStringLiteral("--overwrite")};
        const QString replacement = out + QStringLiteral(".replacing");
        bool replacementSeen = false;
        const bool killed = killDuring(
                replacing,
                [&] { return replacementSeen = replacementSeen || QFileInfo::exists(replacement); },
                randomDelay(400));
        QVERIFY2(replacementSeen, "--overwrite did not build the new cache beside the old one");
        if (QFileInfo::exists(replacement)) {
            QVERIFY2(contents(out) == before, "a killed --overwrite changed the old cache");
        }
        const ProcessRun rerun = cli(replacing);
        QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.err));
        qInfo("cache --overwrite: killed %s, the rerun resumed from row %lld of 1500",
              killed ? "while running" : "after it finished",
              QJsonDocument::fromJson(rerun.out)
                      .object()
                      .value(QStringLiteral("resumed_from_row"))
                      .toInteger());
        QVERIFY(!QFileInfo::exists(replacement));
        compareWithReferenceCache(out);
    }

    void saeTrainingResumesAfterKill()
    {
        const QString reference = m_dir.filePath(QStringLiteral("sae-reference"));
        const ProcessRun whole = cli(trainArguments(reference));
        QVERIFY2(whole.exitCode == 0, qPrintable(whole.err));
        const QString out = m_dir.filePath(QStringLiteral("sae-killed"));
        const QString state = out + QStringLiteral("/checkpoint/trainer_state.json");
        const bool killed = killDuring(
                trainArguments(out), [&] { return QFileInfo::exists(state); }, randomDelay(150));
        // What a user does next: resume from the checkpoint when there is one.
        QStringList again = trainArguments(out);
        const bool resumed = QFileInfo::exists(state);
        if (resumed) {
            again = {QStringLiteral("sae"),
                     QStringLiteral("train"),
                     QStringLiteral("--activations"),
                     m_referenceCache,
                     QStringLiteral("--resume"),
                     out + QStringLiteral("/checkpoint"),
                     QStringLiteral("--checkpoint-every"),
                     QStringLiteral("2"),
                     QStringLiteral("--out"),
                     out};
        }
        const ProcessRun rerun = cli(again);
        QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.err));
        qInfo("sae train: killed %s, rerun %s", killed ? "while running" : "after it finished",
              resumed ? "resumed from its checkpoint" : "started over");
        for (const char *name : {"cfg.json", "sae_weights.safetensors", "sparsity.safetensors"}) {
            QVERIFY2(contents(out + QLatin1Char('/') + QLatin1String(name)) ==
                             contents(reference + QLatin1Char('/') + QLatin1String(name)),
                     name);
        }
    }

    void scanLeavesNoPartialFileAndRestarts()
    {
        const QString reference = m_dir.filePath(QStringLiteral("scan-reference.json"));
        QElapsedTimer clock;
        clock.start();
        const ProcessRun whole = cli(scanArguments(reference));
        QVERIFY2(whole.exitCode == 0, qPrintable(whole.err));
        const int wholeMs = int(clock.elapsed());
        const QString out = m_dir.filePath(QStringLiteral("scan-killed.json"));
        const bool killed = killDuring(
                scanArguments(out), [] { return true; }, randomDelay(wholeMs));
        if (killed && QFileInfo::exists(out)) {
            // The kill can land after the scan committed its file (while it was exiting, or
            // before QProcess noticed it had ended): then --out must be the whole result, since
            // the file is only ever renamed into place complete. A partial file fails here.
            // (QSaveFile's temporary file may stay beside it: nothing can remove it after
            // SIGKILL, and nothing reads it.)
            QVERIFY2(contents(out) == contents(reference),
                     "a killed scan left a partial file under --out");
        }
        const ProcessRun rerun = cli(scanArguments(out));
        QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.err));
        qInfo("scan: killed %s", killed ? "while running" : "after it finished");
        QVERIFY(contents(out) == contents(reference));
    }

private:
    QTemporaryDir m_dir;
    QRandomGenerator m_random;
    QString m_corpus;
    QString m_referenceCache;
};

QTEST_GUILESS_MAIN(TestKillResume)
#include "tst_kill_resume.moc"
