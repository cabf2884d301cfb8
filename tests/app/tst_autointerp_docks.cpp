// The docks' auto-interpretation against gyrus-cli on the same inputs, through the same
// OpenAI-compatible endpoint (a scripted server on 127.0.0.1 whose answers depend only on what
// it is shown, so the order requests arrive in does not matter), the CLI run in this process:
// - the Features dock's "Score label" on a FakeEngineClient feature against `score detection`
//   on a scan file holding that feature and the other features the dock drew;
// - the Contrasts dock's "Judged relevance" on the demo model and SAE (the real engine) against
//   `judge-methods` on the same prompt set, corpus and settings.

#include "core/llm/method_judging.h"
#include "core/llm/openai_chat_client.h"
#include "core/prompts/prompt_set_io.h"
#include "core/session/selection_hub.h"
#include "gpu/engine/torch_engine_client.h"
#include "tests/llm/demo_judged_comparison.h"
#include "tests/llm/detection_judge.h"
#include "tests/llm/scripted_chat_server.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/fake_engine_client.h"
#include "tests/support/test_paths.h"
#include "widgets/panels/contrast_panel.h"
#include "widgets/panels/detection_score_box.h"
#include "widgets/panels/feature_inspector_panel.h"
#include "widgets/panels/judged_methods_tab.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::Result;
using gyrus::test::FakeEngineClient;
using gyrus::test::ScriptedChatServer;
using gyrus::widgets::FeatureInspectorPanel;

namespace {

constexpr int kFeature = 7;

QJsonObject exampleJson(const gyrus::FeatureExampleText &e)
{
    return {{QStringLiteral("activation"), e.activation},
            {QStringLiteral("token_index"), double(e.tokenIndex)},
            {QStringLiteral("before"), e.before},
            {QStringLiteral("token"), e.token},
            {QStringLiteral("after"), e.after}};
}

// gyrus-cli scan's format: features 0..last, those not given without examples.
bool writeScan(const QString &path, const QList<int> &features)
{
    const int last = *std::max_element(features.begin(), features.end());
    QJsonArray array;
    for (int f = 0; f <= last; ++f) {
        QJsonArray examples;
        QJsonArray bins;
        if (features.contains(f)) {
            const gyrus::FeatureDetails d = FakeEngineClient::fakeDetailsFor(f);
            for (const gyrus::FeatureExampleText &e : d.top) {
                examples.append(exampleJson(e));
            }
            for (const gyrus::FeatureBinExamples &bin : d.bins) {
                QJsonArray samples;
                for (const gyrus::FeatureExampleText &e : bin.examples) {
                    samples.append(exampleJson(e));
                }
                bins.append(samples);
            }
        }
        array.append(QJsonObject{{QStringLiteral("feature"), f},
                                 {QStringLiteral("density"), 0.01},
                                 {QStringLiteral("examples"), examples},
                                 {QStringLiteral("histogram"), QJsonArray{}},
                                 {QStringLiteral("bin_samples"), bins}});
    }
    QFile file(path);
    return file.open(QIODevice::WriteOnly) &&
           file.write(QJsonDocument(QJsonObject{{QStringLiteral("corpus"),
                                                 QStringLiteral("fake/heldout.txt")},
                                                {QStringLiteral("scanned_tokens"), 10000},
                                                {QStringLiteral("histogram_log10_range"),
                                                 QJsonArray{-1, 1}},
                                                {QStringLiteral("features"), array}})
                              .toJson()) > 0;
}

}  // namespace

class TestAutoInterpDocks : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void detectionScoreEqualsTheCli()
    {
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.setResponder([](const QByteArray &body) {
            const QJsonObject request = QJsonDocument::fromJson(body).object();
            const QString prompt =
                    request[QStringLiteral("messages")][1][QStringLiteral("content")].toString();
            const qint64 seed = qint64(request[QStringLiteral("seed")].toDouble());
            return ScriptedChatServer::jsonAnswer(gyrus::test::detectionAnswer(
                    prompt, seed, gyrus::test::fakeFeatureRule(kFeature)));
        });
        gyrus::ChatEndpoint endpoint;
        endpoint.kind = gyrus::ChatEndpoint::Kind::Http;
        endpoint.baseUrl = QUrl(server.baseUrl());
        endpoint.model = QStringLiteral("m");
        gyrus::OpenAiChatClient judge(endpoint);

        QTemporaryDir sae;
        QFile cfg(sae.filePath(QStringLiteral("cfg.json")));
        QVERIFY(cfg.open(QIODevice::WriteOnly));
        cfg.write("{\"d_in\": 16}");
        cfg.close();
        QFile saved(sae.filePath(QStringLiteral("gyrus_scan.bin")));
        QVERIFY(saved.open(QIODevice::WriteOnly));  // found and "loaded" by the fake engine
        saved.close();
        FakeEngineClient engine;
        engine.setSavedScanAvailable(true);
        gyrus::SelectionHub hub;
        FeatureInspectorPanel panel(&engine, &hub);
        panel.setExplainer(&judge);
        engine.loadSae(gyrus::SaeSpec{sae.path(), QStringLiteral("cpu")});
        QTRY_COMPARE(panel.view(), FeatureInspectorPanel::View::NoSelection);
        hub.setAnnotation(kFeature,
                          gyrus::FeatureAnnotation{QStringLiteral("jury verdicts"), QString()});
        hub.selectFeature(kFeature, QStringLiteral("test"));
        gyrus::widgets::DetectionScoreBox *box = panel.detectionScoreBox();
        QTRY_VERIFY(box->scoreButton()->isEnabled());
        gyrus::JudgeOptions options;
        options.repeats = 3;
        options.batchSize = 4;
        options.seed = 11;
        box->setJudgeOptions(options);
        box->score();
        QTRY_VERIFY_WITH_TIMEOUT(!box->isRunning(), 30000);
        const QJsonObject dock = hub.annotation(kFeature).detection;
        QVERIFY2(!dock.isEmpty(), qPrintable(box->statusText()));

        QList<int> features = box->nonActivatingFeatures();
        QVERIFY(!features.isEmpty());
        QCOMPARE(dock[QStringLiteral("non_activating_from")].toArray().size(), features.size());
        features.append(kFeature);
        QTemporaryDir dir;
        const QString scan = dir.filePath(QStringLiteral("scan.json"));
        QVERIFY(writeScan(scan, features));
        const gyrus::test::ProcessRun run = gyrus::test::runCliInProcess(
                {QStringLiteral("score"), QStringLiteral("detection"), QStringLiteral("--scan"),
                 scan, QStringLiteral("--feature"), QString::number(kFeature),
                 QStringLiteral("--label"), QStringLiteral("jury verdicts"),
                 QStringLiteral("--repeats"), QStringLiteral("3"), QStringLiteral("--batch"),
                 QStringLiteral("4"), QStringLiteral("--seed"), QStringLiteral("11"),
                 QStringLiteral("--endpoint"), server.baseUrl(), QStringLiteral("--judge-model"),
                 QStringLiteral("m")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject cli = QJsonDocument::fromJson(run.out).object();
        for (const char *key : {"feature", "label", "judge", "prompt_version", "examples",
                                "activating", "repeats", "seed", "temperature", "balanced_accuracy",
                                "balanced_accuracy_per_repeat", "auc", "failed_requests"}) {
            QVERIFY2(
                    dock.value(QLatin1String(key)) == cli.value(QLatin1String(key)),
                    qPrintable(
                            QStringLiteral("%1: dock %2, cli %3")
                                    .arg(QLatin1String(key))
                                    .arg(QString::fromUtf8(
                                            QJsonDocument(
                                                    QJsonArray{dock.value(QLatin1String(key))})
                                                    .toJson(QJsonDocument::Compact)))
                                    .arg(QString::fromUtf8(
                                            QJsonDocument(QJsonArray{cli.value(QLatin1String(key))})
                                                    .toJson(QJsonDocument::Compact)))));
        }
        // And both are what the known votes give: seeds 11, 12, 13 (odd seeds also recognise
        // the lowest bin): 1, 17/18, 1.
        QCOMPARE(cli[QStringLiteral("balanced_accuracy_per_repeat")].toArray(),
                 (QJsonArray{1.0, 17.0 / 18.0, 1.0}));
        QCOMPARE(cli[QStringLiteral("activating")].toInt(), 9);
        QCOMPARE(cli[QStringLiteral("examples")].toInt(), 18);
        QCOMPARE(cli[QStringLiteral("auc")][QStringLiteral("estimate")].toDouble(), 1.0);
    }

    void judgedComparisonEqualsTheCli()
    {
        // A judge whose rating depends only on the text: its length mod 4.
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.setResponder([](const QByteArray &body) {
            static const QRegularExpression textOf(QStringLiteral("\nText: (.*)\nRating:$"));
            const QString prompt =
                    QJsonDocument::fromJson(body)
                            .object()[QStringLiteral("messages")][1][QStringLiteral("content")]
                            .toString();
            const QRegularExpressionMatch m = textOf.match(prompt);
            return ScriptedChatServer::jsonAnswer(
                    m.hasMatch() ? QString::number(m.captured(1).size() % 4) : QStringLiteral("?"));
        });
        gyrus::ChatEndpoint endpoint;
        endpoint.kind = gyrus::ChatEndpoint::Kind::Http;
        endpoint.baseUrl = QUrl(server.baseUrl());
        endpoint.model = QStringLiteral("m");
        gyrus::OpenAiChatClient judge(endpoint);

        QTemporaryDir dir;
        gyrus::Result<gyrus::test::DemoJudgedComparison> comparison =
                gyrus::test::DemoJudgedComparison::prepare(dir.path());
        QVERIFY2(comparison, qPrintable(comparison.status().message()));
        Result<gyrus::PromptSetLoad> set = gyrus::loadPromptSet(comparison->promptSet);
        QVERIFY(set.isOk());

        gyrus::gpu::TorchEngineClient engine;
        const gyrus::Status loaded = gyrus::test::loadDemo(engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
        gyrus::SelectionHub hub;
        gyrus::widgets::ContrastPanel panel(&engine, &hub);
        panel.setPromptSet(set->set);
        panel.setExplainer(&judge);
        gyrus::widgets::JudgedMethodsTab *view = panel.judgedView();
        gyrus::widgets::JudgedMethodsTab::Settings settings;
        settings.corpusPath = comparison->corpus;
        settings.concept = comparison->concept;
        settings.methods = comparison->methods;
        settings.k = comparison->k;
        settings.top = comparison->top;
        settings.permutations = comparison->permutations;
        settings.judge.repeats = comparison->repeats;
        view->setSettings(settings);
        QTRY_VERIFY(view->runButton()->isEnabled());
        view->run();
        QVERIFY2(view->isRunning(), qPrintable(view->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(!view->isRunning(), 120000);
        QVERIFY2(view->result(), qPrintable(view->statusText()));
        const gyrus::test::ProcessRun run =
                gyrus::test::runCliInProcess(comparison->cliArguments(server.baseUrl()));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject cli = QJsonDocument::fromJson(run.out).object();
        const QJsonObject dock = gyrus::methodJudgementJson(*view->result());
        QCOMPARE(dock.value(QStringLiteral("results")).toArray().size(), 4);
        for (const QString &key : cli.keys()) {
            QVERIFY2(dock.value(key) == cli.value(key),
                     qPrintable(key + QStringLiteral(": dock ") +
                                QString::fromUtf8(QJsonDocument(QJsonArray{dock.value(key)})
                                                          .toJson(QJsonDocument::Compact))
                                        .left(600) +
                                QStringLiteral(" cli ") +
                                QString::fromUtf8(QJsonDocument(QJsonArray{cli.value(key)})
                                                          .toJson(QJsonDocument::Compact))
                                        .left(600)));
        }
        QCOMPARE(dock.keys(), cli.keys());
    }
};

QTEST_MAIN(TestAutoInterpDocks)
#include "tst_autointerp_docks.moc"
