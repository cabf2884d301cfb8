// Every core writer on a full disk. The process's file-size limit (RLIMIT_FSIZE, what `ulimit -f`
// sets) makes each write past it fail with EFBIG, as a full disk makes it fail with ENOSPC: the
// writer must say so, leave the old file exactly as it was, and leave nothing half-written under
// the final name or beside it.

#include "core/base/table_export.h"
#include "core/hdf5/hdf5_writer.h"
#include "core/prompts/prompt_set.h"
#include "core/prompts/prompt_set_io.h"
#include "core/rsa/rdm.h"
#include "core/rsa/rdm_csv.h"
#include "core/session/workspace_file.h"
#include "tests/support/file_size_limit.h"

#include <QDir>
#include <QFile>
#include <QStringListModel>
#include <QTemporaryDir>
#include <QtTest>

#include <cerrno>
#include <cstring>
#include <vector>

using namespace gyrus;
using gyrus::test::FileSizeLimit;

namespace {

constexpr rlim_t kLimit = 16 * 1024;

// What the system says when the limit is reached ("File too large"): the HDF5 writer names it.
QString fileTooLarge()
{
    return QString::fromLocal8Bit(std::strerror(EFBIG));
}

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QStringList filesIn(const QTemporaryDir &dir)
{
    return QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System);
}

// A JSON object of about `bytes` bytes.
QByteArray bigJson(int bytes)
{
    return QByteArray("{\"text\":\"") + QByteArray(bytes, 'x') + QByteArray("\"}");
}

}  // namespace

class TestFullDisk : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void workspaceSaveKeepsTheOldFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("study.gyrus"));
        WorkspaceDocument small;
        small.sections.insert(QStringLiteral("notes"), QByteArrayLiteral("{\"v\":1}"));
        QVERIFY(writeWorkspaceFile(path, small).isOk());
        const QByteArray before = contents(path);

        WorkspaceDocument big;
        big.sections.insert(QStringLiteral("notes"), bigJson(200 * 1024));
        Status status;
        {
            FileSizeLimit limit(kLimit);
            status = writeWorkspaceFile(path, big);
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(path), qPrintable(status.message()));
        QVERIFY2(status.message().contains(fileTooLarge()), qPrintable(status.message()));
        QCOMPARE(contents(path), before);
        QCOMPARE(filesIn(dir), QStringList{QStringLiteral("study.gyrus")});
        auto reread = readWorkspaceFile(path);
        QVERIFY2(reread.isOk(), qPrintable(reread.status().message()));
        QCOMPARE(reread->sections.value(QStringLiteral("notes")), QByteArrayLiteral("{\"v\":1}"));
    }

    void promptSetSaveKeepsTheOldFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("set.json"));
        PromptSet set;
        set.name = QStringLiteral("negation");
        set.factors = {
                {QStringLiteral("polarity"), {QStringLiteral("pos"), QStringLiteral("neg")}}};
        set.items = {{QStringLiteral("i1"),
                      QStringLiteral("It is raining."),
                      {{QStringLiteral("polarity"), QStringLiteral("pos")}},
                      {},
                      {}}};
        QVERIFY(savePromptSet(set, path).isOk());
        const QByteArray before = contents(path);

        for (int i = 0; i < 2000; ++i) {
            set.items.append({QStringLiteral("n%1").arg(i),
                              QStringLiteral("It is not raining."),
                              {{QStringLiteral("polarity"), QStringLiteral("neg")}},
                              {},
                              {}});
        }
        Status status;
        {
            FileSizeLimit limit(kLimit);
            status = savePromptSet(set, path);
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(path), qPrintable(status.message()));
        QCOMPARE(contents(path), before);
        QCOMPARE(filesIn(dir), QStringList{QStringLiteral("set.json")});
    }

    void rdmCsvKeepsTheOldFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("rdm.csv"));
        auto small = Rdm::fromCondensed({QStringLiteral("a"), QStringLiteral("b")}, {0.5F},
                                        QStringLiteral("correlation"));
        QVERIFY(small.isOk());
        QVERIFY(writeRdmCsv(small.value(), path).isOk());
        const QByteArray before = contents(path);

        QStringList ids;
        for (int i = 0; i < 200; ++i) {
            ids << QStringLiteral("stimulus_%1").arg(i);
        }
        auto big = Rdm::fromCondensed(
                ids, std::vector<float>(size_t(Rdm::condensedSize(200)), 0.123456F),
                QStringLiteral("correlation"));
        QVERIFY(big.isOk());
        Status status;
        {
            FileSizeLimit limit(kLimit);
            status = writeRdmCsv(big.value(), path);
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(path), qPrintable(status.message()));
        QCOMPARE(contents(path), before);
        QCOMPARE(filesIn(dir), QStringList{QStringLiteral("rdm.csv")});
    }

    // The HDF5 writer behind workspaces, `gyrus-cli forward`/`represent` and the RSA export:
    // nothing under the final name, no .partial left, and no crash at exit (HDF5 1.10 writing
    // the file itself kept a broken file object after the failed close, which crashed the
    // process in the library's exit handler).
    void hdf5WriterLeavesNoPartialFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("activations.h5"));
        const std::vector<float> values(64 * 1024, 1.5F);
        Status status;
        {
            FileSizeLimit limit(kLimit);
            auto writer = Hdf5Writer::create(path);
            if (!writer) {
                status = writer.status();
            } else {
                status = writer.value()->writeFloat32(QStringLiteral("activations"), {256, 256},
                                                      values.data());
                if (status.isOk()) {
                    status = writer.value()->commit();
                }
            }
        }
        QVERIFY(!status.isOk());
        QVERIFY2(status.message().contains(path), qPrintable(status.message()));
        QVERIFY2(status.message().contains(fileTooLarge()), qPrintable(status.message()));
        QVERIFY(filesIn(dir).isEmpty());
    }

    // Every table the user exports (CSV and HDF5): the same promise.
    void tableExportKeepsTheOldFile()
    {
        const QStringListModel small(QStringList{QStringLiteral("old")});
        QStringList rows;
        for (int i = 0; i < 4000; ++i) {
            rows << QStringLiteral("row %1 of a table too large for the limit").arg(i);
        }
        const QStringListModel big(rows);
        for (const QString &name : {QStringLiteral("table.csv"), QStringLiteral("table.h5")}) {
            QTemporaryDir dir;
            const QString path = dir.filePath(name);
            QVERIFY(writeTable(small, path).isOk());
            const QByteArray before = contents(path);
            Status status;
            {
                FileSizeLimit limit(kLimit);
                status = writeTable(big, path);
            }
            QVERIFY2(!status.isOk(), qPrintable(name));
            QVERIFY2(status.message().contains(path), qPrintable(status.message()));
            QCOMPARE(contents(path), before);
            QCOMPARE(filesIn(dir), QStringList{name});
        }
    }
};

QTEST_GUILESS_MAIN(TestFullDisk)
#include "tst_full_disk.moc"
