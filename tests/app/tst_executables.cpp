// End-to-end checks of the two executables as a user or a script runs them.

#include "gpu/native_blas_kernels.h"
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

    void nativeBlasCoreChoice()
    {
        using gyrus::gpu::nativeBlasCoreFor;
        // Only OpenBLAS's fallback for an unknown CPU is replaced, by what the CPU can run.
        QCOMPARE(nativeBlasCoreFor(QStringLiteral("Prescott"), true, true),
                 QStringLiteral("SkylakeX"));
        QCOMPARE(nativeBlasCoreFor(QStringLiteral("Prescott"), false, true),
                 QStringLiteral("Haswell"));
        QCOMPARE(nativeBlasCoreFor(QStringLiteral("Prescott"), false, false), QString());
        QCOMPARE(nativeBlasCoreFor(QStringLiteral("Haswell"), true, true), QString());
        QCOMPARE(nativeBlasCoreFor(QStringLiteral("Zen"), true, true), QString());
    }

    void cliRunsNativeBlasKernels()
    {
        // `gyrus-cli env` as started without OPENBLAS_CORETYPE, and with the user's own choice.
        auto env = [](const QString &coreType) {
            QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
            environment.remove(QStringLiteral("OPENBLAS_CORETYPE"));
            if (!coreType.isEmpty()) {
                environment.insert(QStringLiteral("OPENBLAS_CORETYPE"), coreType);
            }
            QProcess process;
            process.setProcessEnvironment(environment);
            process.start(kCli, {QStringLiteral("env")});
            process.waitForFinished(120000);
            return QJsonDocument::fromJson(process.readAllStandardOutput()).object();
        };
        const QJsonObject chosen = env(QString());
        if (!chosen.value(QStringLiteral("blas_library"))
                     .toString()
                     .contains(QLatin1String("openblas"))) {
            QSKIP("the BLAS is not OpenBLAS (MKL in upstream LibTorch)");
        }
        const QString kernels = chosen.value(QStringLiteral("blas_kernels")).toString();
        QVERIFY2(!kernels.isEmpty(), "OpenBLAS loaded but no kernel set reported");
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
            __builtin_cpu_supports("avx512cd")) {
            QVERIFY2(kernels != QLatin1String("Prescott"), qPrintable(kernels));
        }
        QCOMPARE(chosen.value(QStringLiteral("matmul_self_check_max_error")).toDouble(-1), 0.0);
        // The user's OPENBLAS_CORETYPE is kept.
        QCOMPARE(env(QStringLiteral("Prescott")).value(QStringLiteral("blas_kernels")).toString(),
                 QStringLiteral("Prescott"));
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
