#include "gpu/runtime_info.h"

#include <QtTest>

#include <thread>

class TestRuntimeInfo : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void matmulThroughTorchIsExact()
    {
        // 2·I times a matrix of integers below 2^24 is exact in fp32: any error is a broken
        // tensor library or BLAS, not rounding.
        for (int n : {1, 7, 64, 257}) {
            const gyrus::Result<double> error = gyrus::gpu::matmulSelfCheck(n);
            QVERIFY2(error.isOk(), qPrintable(error.status().message()));
            QCOMPARE(error.value(), 0.0);
        }
    }

    void rejectsNonPositiveSize()
    {
        const gyrus::Result<double> error = gyrus::gpu::matmulSelfCheck(0);
        QVERIFY(!error.isOk());
        QCOMPARE(error.status().code(), gyrus::Status::Code::InvalidInput);
        QVERIFY(error.status().message().contains(QStringLiteral("got 0")));
    }

    void usesEveryCoreUnlessTold()
    {
        if (!qEnvironmentVariableIsEmpty("OMP_NUM_THREADS")) {
            QSKIP("OMP_NUM_THREADS is set: the user's choice wins");
        }
        const int threads = gyrus::gpu::configureThreads();
        QCOMPARE(threads, static_cast<int>(std::thread::hardware_concurrency()));
        QCOMPARE(gyrus::gpu::runtimeInfo().intraOpThreads, threads);
    }

    void reportsRuntime()
    {
        const gyrus::gpu::RuntimeInfo info = gyrus::gpu::runtimeInfo();
        QVERIFY(info.torchVersion.startsWith(QLatin1Char('1')) ||
                info.torchVersion.startsWith(QLatin1Char('2')));
        QVERIFY(info.intraOpThreads >= 1);
        QVERIFY2(!info.blasLibrary.isEmpty(), "no BLAS library mapped after a matmul");
        // scripts/setup installs OpenBLAS; the reference BLAS makes every product ~20x slower.
        QVERIFY2(info.blasIsOptimised, qPrintable(QStringLiteral("BLAS is ") + info.blasLibrary));
        if (!info.cudaAvailable) {
            QCOMPARE(info.cudaDeviceCount, 0);
        }
    }
};

QTEST_GUILESS_MAIN(TestRuntimeInfo)
#include "tst_runtime_info.moc"
