// The real engine on the demo model: generation runs one token per slice (a short request
// finishes while a long generation is running, and the streamed text equals a one-shot
// generate), and evaluateSae gives what `gyrus-cli cache` + `gyrus-cli sae eval` give.

#include "gpu/engine/torch_engine_client.h"
#include "gpu/model/generation_session.h"
#include "gpu/model/language_model.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;
using gyrus::test::hasFinished;
using gyrus::test::statusOf;

namespace {

QString demoModel()
{
    return test::sourcePath(QStringLiteral("datasets/demo/model"));
}

QString demoSae()
{
    return test::sourcePath(QStringLiteral("datasets/demo/sae"));
}

QString heldout()
{
    return test::sourcePath(QStringLiteral("datasets/corpus/heldout.txt"));
}

const QString kPrompt = QStringLiteral("The jury said");

}  // namespace

class TestEngineWorkspace : public QObject
{
    Q_OBJECT
private:
    gpu::TorchEngineClient *m_engine = nullptr;

private Q_SLOTS:

    void initTestCase()
    {
        m_engine = new gpu::TorchEngineClient(this);
        const Status loaded = test::loadDemo(*m_engine, test::DemoParts::Model);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
    }

    void shortRequestFinishesDuringALongGeneration()
    {
        QStringList events;  // in the order they arrived on this thread
        int tokens = 0;
        QElapsedTimer clock;
        qint64 shortAsked = 0;
        qint64 shortWaited = 0;
        RequestId generation = 0;
        RequestId shortRequest = 0;
        QMetaObject::Connection onToken = connect(
                m_engine, &EngineClient::tokenGenerated, this, [&](RequestId id, const QString &) {
                    if (id != generation) {
                        return;
                    }
                    ++tokens;
                    if (shortRequest == 0) {
                        // Asked while the generation runs; served between two of its tokens.
                        shortAsked = clock.elapsed();
                        shortRequest = m_engine->loadSae(SaeSpec{demoSae()});
                    }
                });
        QMetaObject::Connection onFinished = connect(
                m_engine, &EngineClient::finished, this, [&](RequestId id, const Status &status) {
                    if (id == shortRequest) {
                        shortWaited = clock.elapsed() - shortAsked;
                        events << QStringLiteral("short finished after %1 tokens (%2)")
                                          .arg(tokens)
                                          .arg(status.message());
                    } else if (id == generation) {
                        events << QStringLiteral("generation finished after %1 tokens").arg(tokens);
                    }
                });
        GenerateRequest request;
        request.prompt = kPrompt;
        request.options.maxNewTokens = 120;
        clock.start();
        generation = m_engine->generate(request);
        QTRY_COMPARE_WITH_TIMEOUT(events.size(), 2, 60000);
        qInfo().noquote() << QStringLiteral(
                                     "load SAE asked during a generation finished in %1 ms; "
                                     "the generation took %2 ms; %3")
                                     .arg(shortWaited)
                                     .arg(clock.elapsed())
                                     .arg(events.join(QStringLiteral("; ")));
        disconnect(onToken);
        disconnect(onFinished);
        QVERIFY2(events.at(0).startsWith(QStringLiteral("short finished")),
                 qPrintable(events.join(QStringLiteral("; "))));
        // The SAE loaded while fewer than half the tokens were out.
        const int tokensWhenShortFinished = events.at(0).section(QLatin1Char(' '), 3, 3).toInt();
        QVERIFY2(tokensWhenShortFinished < tokens / 2,
                 qPrintable(events.join(QStringLiteral("; "))));
        QVERIFY2(tokens > 60, qPrintable(events.join(QStringLiteral("; "))));
        QCOMPARE(m_engine->currentSae().path, demoSae());
    }

    void steppedGenerationEqualsOneShotGeneration()
    {
        QSignalSpy streamed(m_engine, &EngineClient::tokenGenerated);
        QSignalSpy finished(m_engine, &EngineClient::finished);
        GenerateRequest request;
        request.prompt = kPrompt;
        request.options.maxNewTokens = 40;
        request.options.temperature = 0.8;
        request.options.topK = 50;
        request.options.seed = 1234;
        const RequestId id = m_engine->generate(request);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 60000);
        QVERIFY(statusOf(finished, id).isOk());
        QString text;
        for (const QList<QVariant> &args : streamed) {
            if (args.at(0).value<RequestId>() == id) {
                text += args.at(1).toString();
            }
        }

        // The same settings through LanguageModel::generate (callback) and a hand-driven
        // GenerationSession.
        auto model = gpu::LanguageModel::load(demoModel());
        QVERIFY(model.isOk());
        GenerateOptions options;
        options.maxNewTokens = 40;
        options.temperature = 0.8;
        options.topK = 50;
        options.seed = 1234;
        const auto oneShot = model.value()->generate(kPrompt, options);
        QVERIFY(oneShot.isOk());
        QCOMPARE(text, oneShot->text);
        auto session = gpu::GenerationSession::start(*model.value(), kPrompt, options);
        QVERIFY(session.isOk());
        QString stepped;
        while (!session.value()->isFinished()) {
            const auto token = session.value()->step();
            QVERIFY(token.isOk());
            stepped += token->text;
        }
        QCOMPARE(stepped, oneShot->text);
        QCOMPARE(session.value()->result().tokens, oneShot->tokens);
        QCOMPARE(session.value()->result().stopReason, oneShot->stopReason);
    }

    void cancelStopsAGenerationWithinATokenOrTwo()
    {
        QSignalSpy streamed(m_engine, &EngineClient::tokenGenerated);
        QSignalSpy finished(m_engine, &EngineClient::finished);
        GenerateRequest request;
        request.prompt = kPrompt;
        request.options.maxNewTokens = 200;
        const RequestId id = m_engine->generate(request);
        QTRY_VERIFY_WITH_TIMEOUT(streamed.count() >= 3, 30000);
        m_engine->cancel(id);
        const int atCancel = static_cast<int>(streamed.count());
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 30000);
        QCOMPARE(statusOf(finished, id).code(), Status::Code::Cancelled);
        QVERIFY2(
                streamed.count() <= atCancel + 2,
                qPrintable(
                        QStringLiteral("%1 tokens after cancel").arg(streamed.count() - atCancel)));
    }

    void evaluateSaeMatchesTheCommandLine()
    {
        QTemporaryDir dir;
        QSignalSpy evaluated(m_engine, &EngineClient::saeEvaluated);
        QSignalSpy progress(m_engine, &EngineClient::progress);
        QSignalSpy finished(m_engine, &EngineClient::finished);
        SaeEvalRequest request;
        request.saePath = demoSae();
        request.textPath = heldout();
        request.tokens = 2048;
        request.sequences = 8;
        const RequestId id = m_engine->evaluateSae(request);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 120000);
        QVERIFY2(statusOf(finished, id).isOk(), qPrintable(statusOf(finished, id).message()));
        QCOMPARE(evaluated.count(), 1);
        const auto result = evaluated.at(0).at(1).value<SaeEvalResult>();
        bool reported = false;
        for (const QList<QVariant> &args : progress) {
            reported = reported || args.at(0).value<RequestId>() == id;
        }
        QVERIFY(reported);

        const QString cache = dir.filePath(QStringLiteral("heldout.h5"));
        const test::ProcessRun cached =
                test::runCli({QStringLiteral("cache"), QStringLiteral("--model"), demoModel(),
                              QStringLiteral("--corpus"), heldout(), QStringLiteral("--hook"),
                              result.hookName, QStringLiteral("--context-length"),
                              QStringLiteral("128"), QStringLiteral("--tokens"),
                              QStringLiteral("2048"), QStringLiteral("--out"), cache});
        QVERIFY2(cached.exitCode == 0, qPrintable(cached.err));
        const test::ProcessRun eval = test::runCli(
                {QStringLiteral("sae"), QStringLiteral("eval"), QStringLiteral("--sae"), demoSae(),
                 QStringLiteral("--activations"), cache, QStringLiteral("--model"), demoModel(),
                 QStringLiteral("--corpus"), heldout(), QStringLiteral("--sequences"),
                 QStringLiteral("8")});
        QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
        const QJsonObject json = QJsonDocument::fromJson(eval.out).object();
        qInfo().noquote() << QStringLiteral(
                                     "engine: EV %1 L0 %2 dead %3 CE recovered %4; CLI: "
                                     "EV %5 L0 %6 dead %7 CE recovered %8")
                                     .arg(result.explainedVariance)
                                     .arg(result.l0)
                                     .arg(result.deadFraction)
                                     .arg(result.ceLossRecovered)
                                     .arg(json[QStringLiteral("explained_variance")].toDouble())
                                     .arg(json[QStringLiteral("l0")].toDouble())
                                     .arg(json[QStringLiteral("dead_fraction")].toDouble())
                                     .arg(json[QStringLiteral("ce_loss_recovered")].toDouble());
        QCOMPARE(result.tokens, qint64(json[QStringLiteral("tokens")].toDouble()));
        QVERIFY(qAbs(result.ceLossRecovered -
                     json[QStringLiteral("ce_loss_recovered")].toDouble()) < 1e-6);
        QVERIFY(qAbs(result.ceOriginal - json[QStringLiteral("ce_loss_original")].toDouble()) <
                1e-6);
        QVERIFY(qAbs(result.explainedVariance -
                     json[QStringLiteral("explained_variance")].toDouble()) < 1e-5);
        QVERIFY(qAbs(result.l0 - json[QStringLiteral("l0")].toDouble()) < 1e-4);
        QVERIFY(qAbs(result.deadFraction - json[QStringLiteral("dead_fraction")].toDouble()) <
                1e-9);
        // The demo SAE's README targets, as a sanity check of the numbers themselves.
        QVERIFY(result.ceLossRecovered > 0.5 && result.ceLossRecovered <= 1.0);
        QVERIFY(result.explainedVariance > 0.5);
        QCOMPARE(result.ceWithError, result.ceOriginal);
    }

    void evaluateSaeErrorsNameTheProblem()
    {
        QSignalSpy finished(m_engine, &EngineClient::finished);
        SaeEvalRequest request;
        request.saePath = QStringLiteral("/no/such/sae");
        request.textPath = heldout();
        const RequestId id = m_engine->evaluateSae(request);
        QTRY_VERIFY_WITH_TIMEOUT(hasFinished(finished, id), 30000);
        QVERIFY(!statusOf(finished, id).isOk());
        QVERIFY2(statusOf(finished, id).message().contains(QStringLiteral("/no/such/sae")),
                 qPrintable(statusOf(finished, id).message()));
    }
};

QTEST_MAIN(TestEngineWorkspace)
#include "tst_engine_workspace.moc"
