#include "core/session/session_state.h"
#include "tests/support/fake_engine_client.h"
#include "widgets/panels/sae_training_panel.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

using gyrus::SaeTrainRequest;
using gyrus::test::FakeEngineClient;
using gyrus::widgets::SaeTrainingPanel;

namespace {
SaeTrainRequest filledRequest()
{
    SaeTrainRequest r;
    r.activationsPath = QStringLiteral("/data/acts.h5");
    r.sae.hookName = QStringLiteral("blocks.2.hook_resid_post");
    r.sae.architecture = gyrus::SaeArchitecture::BatchTopK;
    r.sae.dSae = 2048;
    r.sae.k = 24;
    r.batchSize = 1024;
    r.totalTokens = 2'500'000;
    r.learningRate = 3e-4;
    r.seed = 9;
    r.outDirectory = QStringLiteral("/tmp/sae-out");
    return r;
}
}  // namespace

class TestSaeTrainingPanel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void formRoundTripsTheRequest()
    {
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        panel.setRequest(filledRequest());
        const SaeTrainRequest r = panel.request();
        QCOMPARE(r.activationsPath, QStringLiteral("/data/acts.h5"));
        QCOMPARE(r.sae.hookName, QStringLiteral("blocks.2.hook_resid_post"));
        QCOMPARE(r.sae.architecture, gyrus::SaeArchitecture::BatchTopK);
        QCOMPARE(r.sae.dSae, 2048);
        QCOMPARE(r.sae.k, 24);
        QCOMPARE(r.batchSize, 1024);
        QCOMPARE(r.totalTokens, qint64(2'500'000));
        QCOMPARE(r.learningRate, 3e-4);
        QCOMPARE(r.seed, quint64(9));
    }

    void jumpReluPenaltyDefaultsToTheRecipeLikeTheCli()
    {
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        // 0 is the trainer's 0.01·d_in, the value gyrus-cli sae train uses when not told.
        QCOMPARE(panel.request().l0Coefficient, 0.0);
        QCOMPARE(gyrus::SaeTrainRequest().l0Coefficient, gyrus::SaeTrainingConfig().l0Coefficient);
        gyrus::SaeTrainRequest strong = filledRequest();
        strong.l0Coefficient = 23.04;  // 0.01·2304, out of the old 0..10 range
        panel.setRequest(strong);
        QCOMPARE(panel.request().l0Coefficient, 23.04);
    }

    void offersTheMiddleResidualStreamByDefault()
    {
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        QStringList hooks;
        for (int layer = 0; layer < 6; ++layer) {
            hooks << QStringLiteral("blocks.%1.hook_resid_pre").arg(layer)
                  << QStringLiteral("blocks.%1.hook_resid_post").arg(layer);
        }
        panel.setHookNames(hooks);
        QCOMPARE(panel.request().sae.hookName, QStringLiteral("blocks.3.hook_resid_post"));
        panel.setRequest(filledRequest());
        panel.setHookNames(hooks);  // a choice the user made is kept
        QCOMPARE(panel.request().sae.hookName, QStringLiteral("blocks.2.hook_resid_post"));
    }

    // The hook box offers the session's model's hooks (a model loaded before the dock was built
    // too), and the dock keeps its runs in the session.
    void hooksAndRunsAreTheSessions()
    {
        FakeEngineClient engine;
        gyrus::SessionState session;
        gyrus::ModelInfo first;
        for (int layer = 0; layer < 3; ++layer) {
            first.hookNames << QStringLiteral("blocks.%1.hook_resid_post").arg(layer);
        }
        session.setModel(first);
        SaeTrainingPanel panel(&engine, &session);
        auto *box = panel.findChild<QComboBox *>(QStringLiteral("saeTraining.hook"));
        QVERIFY(box);
        QCOMPARE(box->count(), 3);
        QCOMPARE(panel.request().sae.hookName, QStringLiteral("blocks.1.hook_resid_post"));
        gyrus::ModelInfo second;
        second.hookNames = {QStringLiteral("hook_embed"), QStringLiteral("blocks.0.hook_mlp_out")};
        session.setModel(second);
        QCOMPARE(box->count(), 2);
        QCOMPARE(box->itemText(1), QStringLiteral("blocks.0.hook_mlp_out"));
        // The choice stays (the box takes typed hooks too).
        QCOMPARE(panel.request().sae.hookName, QStringLiteral("blocks.1.hook_resid_post"));
        session.saeRuns()->setPausedCheckpoint(QStringLiteral("/runs/a/checkpoint"));
        QCOMPARE(panel.pausedCheckpoint(), QStringLiteral("/runs/a/checkpoint"));

        // Without a session the dock follows the engine's loads.
        SaeTrainingPanel own(&engine);
        QVERIFY(own.request().sae.hookName.isEmpty());
        engine.loadModel(
                {QStringLiteral("/models/demo"), QStringLiteral("cpu"), gyrus::Dtype::Float32});
        QTRY_VERIFY(!own.request().sae.hookName.isEmpty());
        QVERIFY(engine.currentModel().hookNames.contains(own.request().sae.hookName));
    }

    void missingInputsAreExplainedNotSubmitted()
    {
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        panel.start();
        QVERIFY(!panel.isTraining());
        QVERIFY(panel.statusText().contains(QStringLiteral("activations")));
        QVERIFY(engine.log().isEmpty());
    }

    void aRunIntoAFolderWithARunAsksFirst()
    {
        QTemporaryDir out;
        QFile cfg(out.filePath(QStringLiteral("cfg.json")));
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.close();
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        SaeTrainRequest r = filledRequest();
        r.outDirectory = out.path();
        panel.setRequest(r);
        QStringList asked;
        bool answer = false;
        panel.setOverwriteQuestion([&](const QString &directory, const QStringList &files) {
            asked << directory << files;
            return answer;
        });
        panel.start();  // "no": nothing runs, the folder keeps its run
        QCOMPARE(asked, QStringList({out.path(), QStringLiteral("cfg.json")}));
        QVERIFY(!panel.isTraining());
        QVERIFY(engine.log().isEmpty());
        QVERIFY2(panel.statusText().contains(QStringLiteral("keeps its run")),
                 qPrintable(panel.statusText()));
        answer = true;
        panel.start();
        QVERIFY(panel.isTraining());
        QCOMPARE(engine.lastTrainRequest().outDirectory, out.path());
        panel.stop();
        QTRY_VERIFY(!panel.isTraining());

        // An empty or new folder is not asked about.
        asked.clear();
        QTemporaryDir empty;
        r.outDirectory = empty.filePath(QStringLiteral("new-run"));
        panel.setRequest(r);
        panel.start();
        QVERIFY(asked.isEmpty());
        QVERIFY(panel.isTraining());
        panel.stop();
        QTRY_VERIFY(!panel.isTraining());
    }

    void trainingFillsChartsAndEndsWithEvaluation()
    {
        FakeEngineClient engine;
        engine.setTrainSteps(15);
        SaeTrainingPanel panel(&engine);
        panel.resize(900, 500);
        panel.setRequest(filledRequest());
        panel.start();
        QVERIFY(panel.isTraining());
        QCOMPARE(engine.lastTrainRequest().sae.dSae, 2048);
        QTRY_VERIFY(!panel.isTraining());
        QCOMPARE(panel.chartPointCount(), 15);
        QVERIFY2(panel.evaluationText().contains(QStringLiteral("explained variance")),
                 qPrintable(panel.evaluationText()));
        QVERIFY(panel.evaluationText().contains(QStringLiteral("/tmp/sae-out")));
        QCOMPARE(panel.statusText(), QStringLiteral("Done."));
    }

    void pauseThenResumeContinuesFromTheCheckpoint()
    {
        FakeEngineClient engine;
        engine.setTrainSteps(2000);
        engine.setSliceMs(3);
        SaeTrainingPanel panel(&engine);
        panel.setRequest(filledRequest());
        panel.start();
        QTRY_VERIFY(panel.chartPointCount() >= 3);
        panel.pause();
        QTRY_VERIFY(!panel.isTraining());
        QVERIFY2(panel.pausedCheckpoint() == QStringLiteral("fake.checkpoint"),
                 qPrintable(panel.statusText()));
        QVERIFY(panel.statusText().startsWith(QStringLiteral("Paused")));
        auto *start = panel.findChild<QPushButton *>(QStringLiteral("saeStart"));
        QCOMPARE(start->text(), QStringLiteral("Resume"));
        const int pointsBefore = panel.chartPointCount();
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(panel.isTraining());
        QCOMPARE(engine.lastTrainRequest().resumeCheckpoint, QStringLiteral("fake.checkpoint"));
        QTRY_VERIFY(panel.chartPointCount() > pointsBefore);  // the charts continue, not restart
        panel.stop();
        QTRY_VERIFY(!panel.isTraining());
        QCOMPARE(panel.statusText(), QStringLiteral("Stopped."));
    }

    void engineErrorIsShown()
    {
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        SaeTrainRequest r = filledRequest();
        r.activationsPath = QStringLiteral("/data/missing.h5");
        panel.setRequest(r);
        panel.start();
        QTRY_VERIFY(!panel.isTraining());
        QVERIFY(panel.statusText().contains(QStringLiteral("missing.h5: no such file")));
    }

    // A run written by another process (gyrus-cli sae train's log and exports): complete lines
    // are plotted as they arrive, a line still being written waits, and Load SAE takes the
    // newest export.
    void followsARunWrittenElsewhere()
    {
        QTemporaryDir run;
        QVERIFY(run.isValid());
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        auto *load = panel.findChild<QPushButton *>(QStringLiteral("saeLoadTrained"));
        QVERIFY(load);
        panel.followRun(run.path());
        QVERIFY(panel.isFollowing());
        QCOMPARE(panel.chartPointCount(), 0);
        QVERIFY(!load->isEnabled());

        QFile log(QDir(run.path()).filePath(QStringLiteral("train_log.jsonl")));
        QVERIFY(log.open(QIODevice::WriteOnly | QIODevice::Append));
        auto line = [](int step) {
            return QStringLiteral(
                           "{\"step\":%1,\"total_steps\":300,\"loss\":%2,"
                           "\"explained_variance\":0.5,\"l0\":3,\"tokens_per_second\":"
                           "1000,\"log10_density_histogram\":[1,2,3]}\n")
                    .arg(step)
                    .arg(1.0 / step)
                    .toUtf8();
        };
        log.write(line(50) + line(100));
        log.write(line(150).left(20));  // still being written
        log.flush();
        panel.pollFollowedRun();
        QCOMPARE(panel.history().size(), 2);
        QCOMPARE(panel.history().last().step, qint64(100));
        QCOMPARE(panel.history().last().totalSteps, qint64(300));
        QCOMPARE(panel.chartPointCount(), 2);
        QVERIFY2(panel.statusText().contains(QLatin1String("step 100 / 300")),
                 qPrintable(panel.statusText()));
        log.write(line(150).mid(20));
        log.flush();
        panel.pollFollowedRun();
        QCOMPARE(panel.history().size(), 3);

        // Exports: the checkpoint's, then the final one, written later.
        auto writeExport = [](const QString &directory) {
            QVERIFY(QDir().mkpath(directory));
            for (const char *name : {"cfg.json", "sae_weights.safetensors"}) {
                QFile file(QDir(directory).filePath(QLatin1String(name)));
                QVERIFY(file.open(QIODevice::WriteOnly));
                file.write("{}");
            }
        };
        const QString checkpointSae = QDir(run.path()).filePath(QStringLiteral("checkpoint/sae"));
        writeExport(checkpointSae);
        panel.pollFollowedRun();
        QVERIFY(load->isEnabled());
        load->click();
        QTRY_VERIFY(engine.log().contains(QStringLiteral("load-sae ") + checkpointSae));
        QThread::msleep(20);  // a later modification time
        writeExport(run.path());
        panel.pollFollowedRun();
        load->click();
        QTRY_VERIFY(
                engine.log().contains(QStringLiteral("load-sae ") + QDir::cleanPath(run.path())));

        panel.stopFollowing();
        QVERIFY(!panel.isFollowing());
    }
};

QTEST_MAIN(TestSaeTrainingPanel)
#include "tst_sae_training_panel.moc"
