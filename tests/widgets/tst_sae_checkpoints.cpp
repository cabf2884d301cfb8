// The SAE training dock's checkpoint list and evaluation card (FakeEngineClient).

#include "tests/support/fake_engine_client.h"
#include "widgets/panels/sae_training_panel.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QListWidget>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;
using gyrus::test::FakeEngineClient;
using gyrus::widgets::SaeTrainingPanel;

namespace {

void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
}

/// A paused run (checkpoint at step 120 of 400) and a finished one (exported SAE).
void makeRuns(const QString &paused, const QString &finished)
{
    writeFile(paused + QStringLiteral(".checkpoint/trainer_state.json"),
              R"({"step": 120, "config": {"architecture": "topk", "batch_size": 1024,
                  "total_tokens": 409600, "hook_name": "blocks.2.hook_resid_post"}})");
    writeFile(paused + QStringLiteral(".checkpoint/trainer_state.safetensors"), "x");
    writeFile(finished + QStringLiteral("/cfg.json"),
              R"({"architecture": "jumprelu", "hook_name": "blocks.1.hook_resid_post"})");
}

int rowOf(const QListWidget *list, const QString &needle)
{
    for (int i = 0; i < list->count(); ++i) {
        if (list->item(i)->text().contains(needle)) {
            return i;
        }
    }
    return -1;
}

}  // namespace

class TestSaeCheckpoints : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void listsCheckpointsAndTrainedSaes()
    {
        QTemporaryDir dir;
        const QString paused = dir.filePath(QStringLiteral("run-a"));
        const QString finished = dir.filePath(QStringLiteral("run-b"));
        makeRuns(paused, finished);
        const QList<SaeRunArtifact> found =
                findSaeRunArtifacts({paused, finished, dir.filePath(QStringLiteral("none"))});
        QCOMPARE(found.size(), 2);
        QCOMPARE(found.at(0).kind, SaeRunArtifact::Kind::Checkpoint);
        QCOMPARE(found.at(0).step, qint64(120));
        QCOMPARE(found.at(0).totalSteps, qint64(400));
        QCOMPARE(found.at(1).kind, SaeRunArtifact::Kind::ExportedSae);
        QCOMPARE(found.at(1).architecture, QStringLiteral("jumprelu"));
        QVERIFY(describeSaeRunArtifact(found.at(0)).contains(QStringLiteral("step 120 / 400")));
    }

    void resumeLoadAndEvaluateFromTheList()
    {
        QTemporaryDir dir;
        const QString paused = dir.filePath(QStringLiteral("run-a"));
        const QString finished = dir.filePath(QStringLiteral("run-b"));
        makeRuns(paused, finished);
        FakeEngineClient engine;
        SaeTrainingPanel panel(&engine);
        panel.setEvaluationText(dir.filePath(QStringLiteral("heldout.txt")));
        auto *list = panel.findChild<QListWidget *>(QStringLiteral("saeArtifacts"));
        auto *resume = panel.findChild<QPushButton *>(QStringLiteral("saeResumeCheckpoint"));
        auto *load = panel.findChild<QPushButton *>(QStringLiteral("saeLoadTrained"));
        auto *evaluate = panel.findChild<QPushButton *>(QStringLiteral("saeEvaluate"));
        QVERIFY(list && resume && load && evaluate);

        // The form's output directory is a run the list knows.
        SaeTrainRequest request = panel.request();
        request.activationsPath = dir.filePath(QStringLiteral("acts.h5"));
        request.outDirectory = paused;
        panel.setRequest(request);
        panel.refreshArtifacts();
        QCOMPARE(list->count(), 1);
        request.outDirectory = finished;
        panel.setRequest(request);
        panel.refreshArtifacts();
        QCOMPARE(list->count(), 1);  // the form shows one run at a time ...

        // ... and runs that were submitted stay listed (here restored from a workspace).
        QJsonObject state = panel.workspaceState();
        QJsonArray runs;
        runs.append(QJsonObject{{QStringLiteral("out"), paused}});
        runs.append(QJsonObject{{QStringLiteral("out"), finished}});
        state[QStringLiteral("runs")] = runs;
        QVERIFY(panel.restoreWorkspaceState(state).isOk());
        QCOMPARE(list->count(), 2);
        QCOMPARE(panel.artifacts().size(), 2);

        const int checkpointRow = rowOf(list, QStringLiteral("checkpoint"));
        const int saeRow = rowOf(list, QStringLiteral("SAE · jumprelu"));
        QVERIFY(checkpointRow >= 0 && saeRow >= 0);
        list->setCurrentRow(checkpointRow);
        QVERIFY(resume->isEnabled());
        QVERIFY(!load->isEnabled());
        QTest::mouseClick(resume, Qt::LeftButton);
        QTRY_COMPARE(engine.lastTrainRequest().resumeCheckpoint,
                     paused + QStringLiteral(".checkpoint"));
        QCOMPARE(engine.lastTrainRequest().outDirectory, paused);
        QTRY_VERIFY(!panel.isTraining());

        list->setCurrentRow(rowOf(list, QStringLiteral("SAE · jumprelu")));
        QVERIFY(load->isEnabled());
        QVERIFY(evaluate->isEnabled());
        QTest::mouseClick(load, Qt::LeftButton);
        QTRY_COMPARE(engine.currentSae().path, finished);
        QTest::mouseClick(evaluate, Qt::LeftButton);
        QVERIFY(engine.log().contains(QStringLiteral("evaluate-sae ") + finished));
        const SaeEvalResult expected = FakeEngineClient::evaluationFor({});
        QTRY_VERIFY(panel.evaluationText().contains(QStringLiteral("CE-loss recovered")));
        QVERIFY2(panel.evaluationText().contains(QString::number(expected.ceLossRecovered, 'f', 3)),
                 qPrintable(panel.evaluationText()));
        QVERIFY(panel.evaluationText().contains(QStringLiteral("explained variance <b>0.910")));
    }

    void finishedRunIsEvaluatedAutomatically()
    {
        QTemporaryDir dir;
        FakeEngineClient engine;
        engine.setTrainSteps(3);
        SaeTrainingPanel panel(&engine);
        panel.setEvaluationText(dir.filePath(QStringLiteral("heldout.txt")));
        SaeTrainRequest request = panel.request();
        request.activationsPath = dir.filePath(QStringLiteral("acts.h5"));
        request.outDirectory = dir.filePath(QStringLiteral("out"));
        panel.setRequest(request);
        panel.start();
        QTRY_VERIFY(panel.evaluationText().contains(QStringLiteral("CE-loss recovered")));
        QVERIFY(engine.log().contains(QStringLiteral("evaluate-sae ") + request.outDirectory));
        // A failed evaluation says why on the card.
        panel.evaluate(dir.filePath(QStringLiteral("missing-sae")));
        QTRY_VERIFY(panel.evaluationText().contains(QStringLiteral("Evaluation failed")));
        QVERIFY(panel.evaluationText().contains(QStringLiteral("missing-sae")));
    }
};

QTEST_MAIN(TestSaeCheckpoints)
#include "tst_sae_checkpoints.moc"
