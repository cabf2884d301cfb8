// The app killed with SIGKILL while it saves the workspace: this executable runs itself as a
// child (GYRUS_APP_SAVE_CHILD) holding a main window with unsaved work, which autosaves (the
// recovery file) and then saves over the user's workspace; the test kills it at a random moment
// of that save. Afterwards the workspace file is the old one byte for byte or the new one whole,
// and no work is lost: when the file is still the old one, the next session offers the recovery
// file and restoring it brings the unsaved work back. The kill points are random; the seed is
// printed (GYRUS_KILL_SEED repeats it).

#include "app/main_window.h"
#include "app/workspace_controller.h"
#include "core/session/selection_hub.h"
#include "core/session/workspace.h"
#include "core/session/workspace_file.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QSettings>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <cstdio>

using gyrus::app::MainWindow;
using gyrus::app::WorkspaceController;
using namespace gyrus;

namespace {

const char kChild[] = "GYRUS_APP_SAVE_CHILD";  // the directory of the child's session
constexpr int kFeatures = 1500;
constexpr int kLabelLength = 2000;  // 1500 labels of 2000 characters: a ~3 MB workspace

// Labels that say which version of the work they belong to, long enough that a save takes a
// while (a kill then falls inside it).
void writeWork(SelectionHub &selection, const QString &version)
{
    QHash<int, FeatureAnnotation> annotations;
    for (int feature = 0; feature < kFeatures; ++feature) {
        const QString head = QStringLiteral("%1 %2 ").arg(version).arg(feature);
        annotations.insert(
                feature,
                FeatureAnnotation(head.leftJustified(kLabelLength, QLatin1Char('.')), QString()));
    }
    selection.setAnnotations(annotations);
}

// Which version every label of the window says, or "mixed" / "none".
QString versionOf(const SelectionHub &selection)
{
    QString version;
    for (int feature = 0; feature < kFeatures; ++feature) {
        const QString label = selection.annotation(feature).label;
        const QString mine = label.section(QLatin1Char(' '), 0, 0);
        if (label.size() != kLabelLength || (!version.isEmpty() && mine != version)) {
            return QStringLiteral("mixed");
        }
        version = mine;
    }
    return version.isEmpty() ? QStringLiteral("none") : version;
}

QString workspacePath(const QDir &dir)
{
    return dir.filePath(QStringLiteral("mine.gyrus"));
}

QString recoveryPath(const QDir &dir)
{
    return dir.filePath(QStringLiteral("app/recovery.gyrus"));
}

// The child: open the user's workspace, change the work, autosave, then Save (what the main
// window's Save action calls) and wait to be killed.
int runChild(const QDir &dir)
{
    QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
    MainWindow window(&settings, nullptr, nullptr);
    WorkspaceController *controller = window.workspaceController();
    if (!controller->setRecoveryFile(recoveryPath(dir)) ||
        !controller->openWorkspace(workspacePath(dir))) {
        return 2;
    }
    writeWork(*window.selection(), QStringLiteral("new"));
    if (!controller->autosaveNow().isOk()) {
        return 3;
    }
    std::printf("saving\n");
    std::fflush(stdout);
    if (!controller->saveAs(workspacePath(dir))) {
        return 4;
    }
    std::printf("saved\n");
    std::fflush(stdout);
    QThread::sleep(120);
    return 0;
}

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

}  // namespace

class TestWorkspaceSaveKill : public QObject
{
    Q_OBJECT

private Q_SLOTS:

    void initTestCase()
    {
        bool fixed = false;
        const quint32 seed = qEnvironmentVariable("GYRUS_KILL_SEED").toUInt(&fixed);
        const quint32 used = fixed ? seed : QRandomGenerator::global()->generate();
        m_random.seed(used);
        qInfo("kill points from GYRUS_KILL_SEED=%u", used);
    }

    void appKilledDuringSaveLosesNoWork()
    {
        for (int attempt = 0; attempt < 3; ++attempt) {
            QTemporaryDir temporary;
            QVERIFY(temporary.isValid());
            const QDir dir(temporary.path());
            QSettings settings(dir.filePath(QStringLiteral("gyrus.ini")), QSettings::IniFormat);
            qint64 saveMs = 0;
            {
                // The user's workspace as it is on disk before the session.
                MainWindow window(&settings, nullptr, nullptr);
                writeWork(*window.selection(), QStringLiteral("old"));
                QElapsedTimer clock;
                clock.start();
                QVERIFY(window.workspaceController()->saveAs(workspacePath(dir)));
                saveMs = clock.elapsed();
            }
            const QByteArray before = contents(workspacePath(dir));
            QVERIFY(!before.isEmpty());

            QProcess child;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QLatin1String(kChild), dir.path());
            child.setProcessEnvironment(env);
            child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            child.start(QCoreApplication::applicationFilePath(), {});
            QVERIFY(child.waitForStarted(30000));
            QByteArray said;
            QElapsedTimer waiting;
            waiting.start();
            while (!said.contains("saving") && child.state() == QProcess::Running &&
                   waiting.elapsed() < 60000) {
                child.waitForReadyRead(50);
                said += child.readAllStandardOutput();
            }
            QVERIFY2(said.contains("saving"), "the child never started its save");
            // Anywhere in the save (the child's saves are somewhat faster than this one's, so
            // some kills land after it: both outcomes are checked).
            const int delayMs = int(m_random.bounded(quint32(saveMs + 1)));
            QThread::msleep(static_cast<unsigned long>(delayMs));
            child.kill();  // SIGKILL
            QVERIFY(child.waitForFinished(30000));
            said += child.readAllStandardOutput();
            QCOMPARE(child.exitStatus(), QProcess::CrashExit);

            const QByteArray after = contents(workspacePath(dir));
            const bool old = after == before;
            QVERIFY2(readWorkspaceFile(workspacePath(dir)).isOk(),
                     "the workspace does not open after the kill");
            // The next session: it offers the recovery file if one is left, and restores it.
            MainWindow next(&settings, nullptr, nullptr);
            WorkspaceController *controller = next.workspaceController();
            QVERIFY(controller->setRecoveryFile(recoveryPath(dir)));  // the dead child's lock
            controller->setSaveQuestion(
                    [](const QString &) { return WorkspaceController::Answer::Discard; });
            QVERIFY(controller->openWorkspace(workspacePath(dir)));
            const QString onDisk = versionOf(*next.selection());
            QVERIFY2(onDisk == (old ? QStringLiteral("old") : QStringLiteral("new")),
                     qPrintable(QStringLiteral("the workspace holds '%1'").arg(onDisk)));
            const bool recoveryLeft = QFile::exists(recoveryPath(dir));
            if (old) {
                // The save did not happen: the unsaved work lives in the recovery file.
                QVERIFY2(recoveryLeft, "the unsaved work is lost: no recovery file");
            }
            if (recoveryLeft) {
                controller->setRecoveryQuestion([](const QString &) { return true; });
                QVERIFY2(controller->offerRecovery(), "the recovery file does not open");
                QCOMPARE(versionOf(*next.selection()), QStringLiteral("new"));
            }
            qInfo("kill %d after %d ms (a save takes ~%lld ms here): the workspace is the %s one, "
                  "%s",
                  attempt + 1, delayMs, saveMs, old ? "old" : "new",
                  recoveryLeft ? "the recovery file restored the unsaved work"
                               : "no recovery file left (the save had finished)");
        }
    }

private:
    QRandomGenerator m_random;
};

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    const QString childDirectory = qEnvironmentVariable(kChild);
    if (!childDirectory.isEmpty()) {
        return runChild(QDir(childDirectory));
    }
    TestWorkspaceSaveKill test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_workspace_save_kill.moc"
