// End-to-end checks of the two executables as a user or a script runs them.

#include "tests/support/process_run.h"
#include "tests/support/test_paths.h"

#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run run(const QString &program, const QStringList &arguments)
{
    const gyrus::test::ProcessRun result = gyrus::test::runProcess(program, arguments);
    return {result.exitCode, result.outText(), result.err};
}

const QString kCli = gyrus::test::cliPath();
const QString kGui = gyrus::test::guiPath();

}  // namespace

class TestExecutables : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void cliVersion()
    {
        const Run r = run(kCli, {QStringLiteral("--version")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith(QStringLiteral("gyrus-cli ")));
    }

    void cliHelpListsCommands()
    {
        const Run r = run(kCli, {QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("env")));
        QVERIFY(r.out.contains(QStringLiteral("Exit codes")));
    }

    void cliWithoutCommandIsBadInput()
    {
        const Run r = run(kCli, {});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains(QStringLiteral("Usage")));
    }

    void cliUnknownCommandIsOneLineBadInput()
    {
        const Run r = run(kCli, {QStringLiteral("frobnicate")});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY(r.err.contains(QStringLiteral("unknown command 'frobnicate'")));
        QVERIFY(r.out.isEmpty());
    }

    void cliCommandHelp()
    {
        for (const QStringList &arguments :
             {QStringList{QStringLiteral("env"), QStringLiteral("--help")},
              QStringList{QStringLiteral("help"), QStringLiteral("env")}}) {
            const Run r = run(kCli, arguments);
            QCOMPARE(r.exitCode, 0);
            QVERIFY2(r.out.contains(QStringLiteral("gyrus-cli env")), qPrintable(r.out));
            QVERIFY(r.out.contains(QStringLiteral("BLAS")));
        }
    }

    void cliUnknownOptionIsOneLineBadInput()
    {
        const Run r = run(kCli, {QStringLiteral("env"), QStringLiteral("--bogus")});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);
        QVERIFY2(r.err.startsWith(QStringLiteral("gyrus-cli env: ")), qPrintable(r.err));
        QVERIFY(r.err.contains(QStringLiteral("bogus")));
    }

    void cliEnvPrintsJson()
    {
        const Run r = run(kCli, {QStringLiteral("env")});
        QCOMPARE(r.exitCode, 0);
        QJsonParseError error;
        const QJsonObject json = QJsonDocument::fromJson(r.out.toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QVERIFY(!json.value(QStringLiteral("torch_version")).toString().isEmpty());
        QCOMPARE(json.value(QStringLiteral("matmul_self_check_max_error")).toDouble(-1), 0.0);
        QVERIFY(json.value(QStringLiteral("blas_optimised")).toBool());
    }

    void guiScreenshotRendersTheWindow()
    {
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("main.png"));
        const Run r =
                run(kGui, {QStringLiteral("--settings"), dir.filePath(QStringLiteral("s.ini")),
                           QStringLiteral("--screenshot"), png});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QImage image(png);
        QVERIFY(!image.isNull());
        // The first start fills the screen: offscreen's is 800×800, less the window frame.
        QVERIFY2(image.width() >= 640 && image.height() >= 600,
                 qPrintable(QStringLiteral("%1×%2").arg(image.width()).arg(image.height())));
        // A real rendering has many colours (text, frames, tabs), not one flat fill.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7) {
            for (int x = 0; x < image.width(); x += 7) {
                colours.insert(image.pixel(x, y));
            }
        }
        QVERIFY2(colours.size() > 8, qPrintable(QString::number(colours.size())));
    }

    void guiBadScreenshotPathFails()
    {
        QTemporaryDir dir;
        const Run r = run(
                kGui, {QStringLiteral("--settings"), dir.filePath(QStringLiteral("s.ini")),
                       QStringLiteral("--screenshot"), QStringLiteral("/nonexistent-dir/x.png")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains(QStringLiteral("cannot write screenshot")));
    }
};

QTEST_GUILESS_MAIN(TestExecutables)
#include "tst_executables.moc"
