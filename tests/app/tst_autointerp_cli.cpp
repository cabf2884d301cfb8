// gyrus-cli explain / score end to end against a scripted OpenAI-compatible server on 127.0.0.1:
// JSON out, provenance, and one clear line (exit 2) for no endpoint, a refused key and an answer
// that does not parse. The scan file is written here in gyrus-cli scan's format.

#include "tests/llm/demo_judged_comparison.h"
#include "tests/llm/scripted_chat_server.h"
#include "tests/support/demo_engine.h"
#include "tests/support/test_paths.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using gyrus::test::ScriptedChatServer;

namespace {

struct Run
{
    int exitCode = -1;
    QJsonObject json;
    QString err;
};

// Runs gyrus-cli while this process's event loop keeps the scripted server answering.
Run cli(const QStringList &arguments)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("GYRUS_LLM_API_KEY"), QStringLiteral("sk-cli-test"));
    process.setProcessEnvironment(environment);
    QSignalSpy finished(&process, &QProcess::finished);
    process.start(gyrus::test::cliPath(), arguments);
    if (!finished.wait(120000)) {
        process.kill();
        return {};
    }
    return {process.exitCode(), QJsonDocument::fromJson(process.readAllStandardOutput()).object(),
            QString::fromUtf8(process.readAllStandardError())};
}

QJsonObject example(double activation, int index, const char *before, const char *token,
                    const char *after)
{
    return {{QStringLiteral("activation"), activation},
            {QStringLiteral("token_index"), index},
            {QStringLiteral("before"), QString::fromUtf8(before)},
            {QStringLiteral("token"), QString::fromUtf8(token)},
            {QStringLiteral("after"), QString::fromUtf8(after)}};
}

QString writeScan(const QTemporaryDir &dir)
{
    const QJsonArray bridge{example(5, 1, "the ", "bridge", " over the bay"),
                            example(4, 2, "a suspension ", "bridge", " in fog"),
                            example(3, 3, "cars on the ", "bridge", "")};
    const QJsonArray food{example(6, 10, "bread and ", "butter", ""),
                          example(5, 11, "a bowl of ", "soup", ""),
                          example(4, 12, "fresh ", "apples", " and pears")};
    const auto feature = [](int index, const QJsonArray &examples) {
        return QJsonObject{{QStringLiteral("feature"), index},
                           {QStringLiteral("density"), 0.01},
                           {QStringLiteral("examples"), examples},
                           {QStringLiteral("histogram"), QJsonArray{}},
                           {QStringLiteral("bin_samples"), QJsonArray{QJsonArray{}, QJsonArray{}}}};
    };
    const QJsonObject scan{
            {QStringLiteral("corpus"), QStringLiteral("heldout.txt")},
            {QStringLiteral("scanned_tokens"), 1000},
            {QStringLiteral("histogram_log10_range"), QJsonArray{-2, 2}},
            {QStringLiteral("features"),
             QJsonArray{feature(0, bridge), feature(1, food), feature(2, QJsonArray{})}}};
    const QString path = dir.filePath(QStringLiteral("scan.json"));
    QFile file(path);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(QJsonDocument(scan).toJson());
    }
    return path;
}

}  // namespace

class TestAutoInterpCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void explainNeedsAnEndpoint()
    {
        QTemporaryDir dir;
        const Run run = cli({QStringLiteral("explain"), QStringLiteral("--scan"), writeScan(dir),
                             QStringLiteral("--features"), QStringLiteral("0")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QStringLiteral("no language-model endpoint configured")),
                 qPrintable(run.err));
        QCOMPARE(run.err.count(QLatin1Char('\n')), 1);
    }

    void explainLabelsFeaturesWithProvenance()
    {
        QTemporaryDir dir;
        ScriptedChatServer server;
        QVERIFY(server.listen());
        for (int i = 0; i < 2; ++i) {
            server.push({ScriptedChatServer::jsonAnswer(
                    QStringLiteral("Bridges\n\nEXPLANATION: Words for bridges."))});
        }
        const Run run = cli({QStringLiteral("explain"), QStringLiteral("--scan"), writeScan(dir),
                             QStringLiteral("--features"), QStringLiteral("0-2"),
                             QStringLiteral("--endpoint"), server.baseUrl(),
                             QStringLiteral("--judge-model"), QStringLiteral("judge-7b")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonArray explanations = run.json[QStringLiteral("explanations")].toArray();
        QCOMPARE(explanations.size(), 2);
        const QJsonObject first = explanations[0].toObject();
        QCOMPARE(first[QStringLiteral("feature")].toInt(), 0);
        QCOMPARE(first[QStringLiteral("label")].toString(), QStringLiteral("Bridges"));
        QCOMPARE(first[QStringLiteral("prompt_version")].toString(),
                 QStringLiteral("gyrus-explain-v1"));
        QCOMPARE(first[QStringLiteral("top_examples_used")].toInt(), 3);
        QVERIFY(first[QStringLiteral("explainer")].toString().contains(
                QStringLiteral("model judge-7b (answered by scripted-judge)")));
        const QJsonArray failed = run.json[QStringLiteral("failed")].toArray();
        QCOMPARE(failed.size(), 1);  // feature 2 was never active
        QVERIFY(failed[0][QStringLiteral("error")].toString().contains(
                QStringLiteral("no activating examples")));
        // What was sent: the marked examples, temperature 0, the key from the environment.
        QCOMPARE(server.received().size(), 2);
        QVERIFY(server.received()[0].headers.contains("Authorization: Bearer sk-cli-test"));
        const QJsonObject body = QJsonDocument::fromJson(server.received()[0].body).object();
        QCOMPARE(body[QStringLiteral("temperature")].toDouble(), 0.0);
        const QString prompt =
                body[QStringLiteral("messages")][0][QStringLiteral("content")].toString();
        QVERIFY(prompt.contains(QStringLiteral("(activation 5.00): the <<bridge>> over the bay")) ||
                prompt.contains(QStringLiteral("(activation 6.00): bread and <<butter>>")));
        QVERIFY(!run.err.contains(QStringLiteral("sk-cli-test")));
    }

    void explainReportsAnUnparsableAnswerAndABadKey()
    {
        QTemporaryDir dir;
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({ScriptedChatServer::jsonAnswer(QStringLiteral(
                "These examples seem to be about many different things and I cannot tell."))});
        const QStringList arguments{QStringLiteral("explain"),
                                    QStringLiteral("--scan"),
                                    writeScan(dir),
                                    QStringLiteral("--features"),
                                    QStringLiteral("0"),
                                    QStringLiteral("--endpoint"),
                                    server.baseUrl(),
                                    QStringLiteral("--judge-model"),
                                    QStringLiteral("m")};
        const Run unparsable = cli(arguments);
        QCOMPARE(unparsable.exitCode, 2);
        QVERIFY2(unparsable.err.contains(QStringLiteral("explaining feature 0: the explainer's "
                                                        "answer does not parse")),
                 qPrintable(unparsable.err));

        server.push({ScriptedChatServer::httpResponse(401, "application/json",
                                                      R"({"error":{"message":"bad key"}})")});
        const Run refused = cli(arguments);
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains(QStringLiteral("refused the API key")),
                 qPrintable(refused.err));
    }

    // judge-methods end to end on the demo model and SAE with a scripted judge: every rating the
    // command reports is the mean of the answers the server gave for that text (recovered from
    // the requests it received), the lists are the classifier's top texts and one random draw,
    // and the statistics are those of the reported ratings.
    void judgeMethodsRatesEachMethodsTopTexts()
    {
        QTemporaryDir dir;
        gyrus::Result<gyrus::test::DemoJudgedComparison> comparison =
                gyrus::test::DemoJudgedComparison::prepare(dir.path());
        QVERIFY2(comparison, qPrintable(comparison.status().message()));
        const QStringList lines = gyrus::test::DemoJudgedComparison::corpusLines();
        ScriptedChatServer server;
        QVERIFY(server.listen());
        const QStringList answers = {QStringLiteral("3"), QStringLiteral("0"), QStringLiteral("2"),
                                     QStringLiteral("1"), QStringLiteral("Rating: 3")};
        for (int i = 0; i < 60; ++i) {
            server.push({ScriptedChatServer::jsonAnswer(answers[i % answers.size()])});
        }
        const Run run = cli(comparison->cliArguments(server.baseUrl()));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        // What the server answered for each text.
        QHash<QString, QList<double>> given;
        const QRegularExpression textOf(QStringLiteral("\nText: (.*)\nRating:$"));
        for (int i = 0; i < server.received().size(); ++i) {
            const QJsonArray messages = QJsonDocument::fromJson(server.received()[i].body)
                                                .object()
                                                .value(QStringLiteral("messages"))
                                                .toArray();
            const QString content =
                    messages.last().toObject().value(QStringLiteral("content")).toString();
            const QRegularExpressionMatch m = textOf.match(content);
            QVERIFY2(m.hasMatch(), qPrintable(content));
            given[m.captured(1)] << answers[i % answers.size()].right(1).toDouble();
        }
        QCOMPARE(run.json.value(QStringLiteral("temperature")).toDouble(), 0.0);
        const QJsonArray results = run.json.value(QStringLiteral("results")).toArray();
        QCOMPARE(results.size(), 4);  // {raw, sae} × 2 methods
        auto checkList = [&](const QJsonObject &list) {
            const QJsonArray texts = list.value(QStringLiteral("texts")).toArray();
            QCOMPARE(texts.size(), 3);
            double sum = 0;
            for (const QJsonValue &value : texts) {
                const QJsonObject text = value.toObject();
                const QList<double> ratings =
                        given.value(text.value(QStringLiteral("text")).toString());
                QCOMPARE(ratings.size(), 2);  // the repeats
                const double mean = (ratings[0] + ratings[1]) / 2.0;
                QCOMPARE(text.value(QStringLiteral("mean_rating")).toDouble(), mean);
                QCOMPARE(lines[text.value(QStringLiteral("line")).toInt() - 1],
                         text.value(QStringLiteral("text")).toString());
                sum += mean;
            }
            const QJsonObject rating = list.value(QStringLiteral("rating")).toObject();
            QVERIFY(std::abs(rating.value(QStringLiteral("mean")).toDouble() - sum / 3.0) < 1e-12);
            const QJsonArray ci = rating.value(QStringLiteral("ci")).toArray();
            QVERIFY(ci[0].toDouble() <= sum / 3.0 + 1e-12 && sum / 3.0 <= ci[1].toDouble() + 1e-12);
        };
        checkList(run.json.value(QStringLiteral("random_baseline")).toObject());
        for (const QJsonValue &value : results) {
            const QJsonObject result = value.toObject();
            checkList(result);
            QCOMPARE(result.value(QStringLiteral("features")).toArray().size(), 4);
            const double p = result.value(QStringLiteral("p_vs_random")).toDouble();
            QVERIFY(p > 0 && p <= 1);
        }
        QVERIFY(given.size() <= 15);  // each text rated once per repeat, whatever lists it is on
        const double p = run.json.value(QStringLiteral("kruskal_wallis_p")).toDouble();
        QVERIFY(p > 0 && p <= 1);
        // Without an endpoint nothing runs.
        const Run offline = cli(
                {QStringLiteral("judge-methods"), QStringLiteral("--model"),
                 gyrus::test::demoModelPath(), QStringLiteral("--sae"), gyrus::test::demoSaePath(),
                 QStringLiteral("--prompts"), comparison->promptSet, QStringLiteral("--corpus"),
                 comparison->corpus, QStringLiteral("--concept"), QStringLiteral("x")});
        QCOMPARE(offline.exitCode, 2);
        QVERIFY2(offline.err.contains(QStringLiteral("endpoint")), qPrintable(offline.err));
    }

    void scoreRelevanceAndDetection()
    {
        QTemporaryDir dir;
        ScriptedChatServer server;
        QVERIFY(server.listen());
        server.push({ScriptedChatServer::jsonAnswer(QStringLiteral("3"))});
        server.push({ScriptedChatServer::jsonAnswer(QStringLiteral("1"))});
        const QString textsPath = dir.filePath(QStringLiteral("texts.txt"));
        QFile texts(textsPath);
        QVERIFY(texts.open(QIODevice::WriteOnly));
        texts.write("She broke the world record.\n\nIt rained.\n");
        texts.close();
        const Run relevance = cli(
                {QStringLiteral("score"), QStringLiteral("relevance"), QStringLiteral("--concept"),
                 QStringLiteral("achievements"), QStringLiteral("--texts"), textsPath,
                 QStringLiteral("--repeats"), QStringLiteral("1"), QStringLiteral("--endpoint"),
                 server.baseUrl(), QStringLiteral("--judge-model"), QStringLiteral("m")});
        QVERIFY2(relevance.exitCode == 0, qPrintable(relevance.err));
        // Either order of arrival gives the same summary.
        QCOMPARE(relevance.json[QStringLiteral("mean")][QStringLiteral("estimate")].toDouble(),
                 2.0);
        QCOMPARE(relevance.json[QStringLiteral("score_counts")].toArray(),
                 (QJsonArray{0, 1, 0, 1}));
        QCOMPARE(relevance.json[QStringLiteral("texts")].toArray().size(), 2);

        // One request (batch 10 >= 6 examples): 3 activating, 3 from the other feature.
        server.push({ScriptedChatServer::jsonAnswer(QStringLiteral("[1, 0, 1, 0, 1, 0]"))});
        const Run detection =
                cli({QStringLiteral("score"), QStringLiteral("detection"), QStringLiteral("--scan"),
                     writeScan(dir), QStringLiteral("--feature"), QStringLiteral("0"),
                     QStringLiteral("--label"), QStringLiteral("bridges"),
                     QStringLiteral("--repeats"), QStringLiteral("1"), QStringLiteral("--batch"),
                     QStringLiteral("10"), QStringLiteral("--endpoint"), server.baseUrl(),
                     QStringLiteral("--judge-model"), QStringLiteral("m")});
        QVERIFY2(detection.exitCode == 0, qPrintable(detection.err));
        QCOMPARE(detection.json[QStringLiteral("examples")].toInt(), 6);
        QCOMPARE(detection.json[QStringLiteral("activating")].toInt(), 3);
        const double ba =
                detection.json[QStringLiteral("balanced_accuracy")][QStringLiteral("estimate")]
                        .toDouble();
        QVERIFY(ba >= 0 && ba <= 1);
        const QString sent =
                QJsonDocument::fromJson(server.received().back().body)
                        .object()[QStringLiteral("messages")][1][QStringLiteral("content")]
                        .toString();
        QVERIFY(sent.contains(QStringLiteral("the bridge over the bay")));
        QVERIFY(sent.contains(QStringLiteral("bread and butter")));
        QVERIFY(!sent.contains(QStringLiteral("<<")));  // the judge never sees the marks
    }
};

QTEST_GUILESS_MAIN(TestAutoInterpCli)
#include "tst_autointerp_cli.moc"
