// Steering on the demo model and demo SAE through the real engine, and CLI parity: `gyrus-cli
// generate --sae --clamp/--scale/--steer/--clamp-set --seed` prints exactly the steered text the
// engine streams to the steering dock for the same settings (both run gpu/sae/steering/steering.h).

#include "core/steering/clamp_set.h"
#include "gpu/engine/torch_engine_client.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/request_spy.h"
#include "tests/support/test_paths.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace gyrus;

namespace {

const QString kPrompt = QStringLiteral("The jury said that the city");

template <typename T>
T lastArgument(const QSignalSpy &spy, RequestId id)
{
    for (qsizetype i = spy.count() - 1; i >= 0; --i) {
        if (spy.at(i).at(0).value<RequestId>() == id) {
            return spy.at(i).at(1).value<T>();
        }
    }
    return T();
}

}  // namespace

class TestSteeringCli : public QObject
{
    Q_OBJECT
private:
    gpu::TorchEngineClient *m_engine = nullptr;
    QString m_model;
    QString m_sae;
    FeatureRange m_strongest;

    /// Runs a steering request to the end; the outcome, or a failed QVERIFY.
    SteeringOutcome steer(const SteeringRequest &request, QStringList *streamedSteered = nullptr)
    {
        QSignalSpy finished(m_engine, &EngineClient::finished);
        QSignalSpy outcomes(m_engine, &EngineClient::steeringFinished);
        QSignalSpy tokens(m_engine, &EngineClient::steeringToken);
        const RequestId id = m_engine->steer(request);
        [&] { QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, id), 60000); }();
        const Status status = test::statusOf(finished, id);
        if (!status.isOk()) {
            qWarning("steer failed: %s", qPrintable(status.message()));
            return SteeringOutcome();
        }
        if (streamedSteered) {
            for (const QList<QVariant> &args : tokens) {
                if (args.at(1).value<SteeringStream>() == SteeringStream::Steered) {
                    streamedSteered->append(args.at(2).toString());
                }
            }
        }
        return lastArgument<SteeringOutcome>(outcomes, id);
    }

    NextTokenShift nextToken(const ClampSet &clamps)
    {
        QSignalSpy finished(m_engine, &EngineClient::finished);
        QSignalSpy shifts(m_engine, &EngineClient::nextTokenShift);
        const RequestId id = m_engine->compareNextToken(NextTokenRequest{kPrompt, clamps, 5, {}});
        [&] { QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, id), 60000); }();
        return lastArgument<NextTokenShift>(shifts, id);
    }

    test::ProcessRun cli(const QStringList &extra)
    {
        QStringList arguments{QStringLiteral("generate"),
                              QStringLiteral("--model"),
                              m_model,
                              QStringLiteral("--prompt"),
                              kPrompt,
                              QStringLiteral("--max-new-tokens"),
                              QStringLiteral("16"),
                              QStringLiteral("--temperature"),
                              QStringLiteral("0.8"),
                              QStringLiteral("--seed"),
                              QStringLiteral("5")};
        return test::runCli(arguments + extra);
    }

    static ClampSet setOf(const FeatureClamp &clamp)
    {
        ClampSet set;
        set.clamps = {clamp};
        return set;
    }

private Q_SLOTS:

    void initTestCase()
    {
        m_model = test::demoModelPath();
        m_sae = test::demoSaePath();
        m_engine = new gpu::TorchEngineClient(this);
        const Status loaded = test::loadDemo(*m_engine);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.message()));
        QSignalSpy finished(m_engine, &EngineClient::finished);
        // The feature most active on the prompt.
        FeatureRangeRequest ranges{kPrompt, {}};
        for (int j = 0; j < m_engine->currentSae().dSae; ++j) {
            ranges.features.append(j);
        }
        QSignalSpy ready(m_engine, &EngineClient::featureRangesReady);
        const RequestId id = m_engine->featureRanges(ranges);
        QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, id), 60000);
        for (const FeatureRange &range : lastArgument<FeatureRanges>(ready, id).ranges) {
            if (range.maximum > m_strongest.maximum) {
                m_strongest = range;
            }
        }
        QVERIFY(m_strongest.feature >= 0);
        qInfo("strongest feature on the prompt: #%d, max %.4f, last %.4f", m_strongest.feature,
              m_strongest.maximum, m_strongest.last);
    }

    void emptyClampSetSteersNothing()
    {
        SteeringRequest request{kPrompt, ClampSet(), {16, 0.8, 1.0, 0, 5}, {}};
        const SteeringOutcome outcome = steer(request);
        QVERIFY(!outcome.baselineTokens.isEmpty());
        QCOMPARE(outcome.steeredTokens, outcome.baselineTokens);
        QCOMPARE(outcome.steeredText, outcome.baselineText);
        const NextTokenShift shift = nextToken(ClampSet());
        QCOMPARE(shift.kl, 0.0);
        for (const TokenShift &token : shift.tokens) {
            QCOMPARE(token.probabilityAfter, token.probabilityBefore);
        }
    }

    void clampToObservedMaximumShiftsTheNextToken()
    {
        FeatureClamp toMax{m_strongest.feature, ClampMode::Clamp, m_strongest.maximum,
                           ClampPositions::All, true};
        const NextTokenShift shift = nextToken(setOf(toMax));
        qInfo("KL(baseline ‖ clamp #%d to its max %.4f) = %.6g", m_strongest.feature,
              m_strongest.maximum, shift.kl);
        QVERIFY(shift.kl > 1e-4);
        FeatureClamp same{m_strongest.feature, ClampMode::Scale, 1.0, ClampPositions::All, true};
        const double unchanged = nextToken(setOf(same)).kl;
        qInfo("KL with scale 1.0 = %.3g", unchanged);
        QVERIFY(unchanged <= 1e-9);
    }

    void sweepReportsEveryValue()
    {
        StrengthSweepRequest request;
        request.prompt = kPrompt;
        request.swept =
                FeatureClamp{m_strongest.feature, ClampMode::Scale, 0.0, ClampPositions::All, true};
        request.values = {0.0, 1.0, 4.0};
        QSignalSpy finished(m_engine, &EngineClient::finished);
        QSignalSpy results(m_engine, &EngineClient::strengthSweepFinished);
        const RequestId id = m_engine->sweepStrength(request);
        QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, id), 60000);
        QVERIFY(test::statusOf(finished, id).isOk());
        const StrengthSweepResult result = lastArgument<StrengthSweepResult>(results, id);
        QCOMPARE(result.points.size(), 3);
        // Scale 1 is the identity: its log p is the baseline's and its KL zero.
        QCOMPARE(result.points.at(1).logProbability, result.baselineLogProbability);
        QVERIFY(result.points.at(1).kl <= 1e-9);
        QVERIFY(result.points.at(2).kl > result.points.at(1).kl);
        qInfo("sweep of #%d ('%s'): scale 0 → KL %.4g, scale 4 → KL %.4g, log p %.3f → %.3f",
              m_strongest.feature, qPrintable(result.targetPiece), result.points.at(0).kl,
              result.points.at(2).kl, result.baselineLogProbability,
              result.points.at(2).logProbability);
    }

    void cliPrintsWhatTheEngineSteers()
    {
        const double value = m_strongest.maximum * 2;
        const FeatureClamp clamp{m_strongest.feature, ClampMode::Clamp, value, ClampPositions::All,
                                 true};
        SteeringRequest request{kPrompt, setOf(clamp), {16, 0.8, 1.0, 0, 5}, {}};
        QStringList streamed;
        const SteeringOutcome outcome = steer(request, &streamed);
        QVERIFY(!outcome.steeredText.isEmpty());
        QVERIFY2(outcome.steeredText != outcome.baselineText, qPrintable(outcome.steeredText));
        QCOMPARE(streamed.join(QString()), outcome.steeredText);
        const QString setting =
                QStringLiteral("%1=%2").arg(m_strongest.feature).arg(value, 0, 'g', 17);
        const test::ProcessRun run =
                cli({QStringLiteral("--sae"), m_sae, QStringLiteral("--clamp"), setting});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        qInfo("baseline: %s\nsteered:  %s", qPrintable(outcome.baselineText),
              qPrintable(outcome.steeredText));
        QCOMPARE(run.outText(), outcome.steeredText + QLatin1Char('\n'));
        // Without clamps the CLI gives the engine's baseline.
        const test::ProcessRun plain = cli({});
        QCOMPARE(plain.outText(), outcome.baselineText + QLatin1Char('\n'));
    }

    void cliTakesScaleSteerPositionsAndClampSetFiles()
    {
        QTemporaryDir dir;
        ClampSet set;
        set.name = QStringLiteral("mixed");
        set.clamps = {FeatureClamp{m_strongest.feature, ClampMode::Scale, 3.0,
                                   ClampPositions::Generated, true},
                      FeatureClamp{7, ClampMode::Add, 6.0, ClampPositions::Generated, true}};
        const QString path = dir.filePath(QStringLiteral("mixed.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(clampSetToJson(set));
        file.close();
        const SteeringOutcome outcome =
                steer(SteeringRequest{kPrompt, set, {16, 0.8, 1.0, 0, 5}, {}});
        const QString expected = outcome.steeredText + QLatin1Char('\n');
        const test::ProcessRun fromFile =
                cli({QStringLiteral("--sae"), m_sae, QStringLiteral("--clamp-set"), path});
        QVERIFY2(fromFile.exitCode == 0, qPrintable(fromFile.err));
        QCOMPARE(fromFile.outText(), expected);
        const test::ProcessRun fromOptions =
                cli({QStringLiteral("--sae"), m_sae, QStringLiteral("--positions"),
                     QStringLiteral("generated"), QStringLiteral("--scale"),
                     QStringLiteral("%1=3").arg(m_strongest.feature), QStringLiteral("--steer"),
                     QStringLiteral("7=6")});
        QCOMPARE(fromOptions.outText(), expected);
    }

    // select-features --ensemble: the k features as one weighted Add edit, written as a clamp
    // set that `generate --clamp-set` and the engine steer with alike; the strongest feature
    // moves `strength` standard deviations, the others in proportion to their weights.
    void ensembleClampSetSteersLikeTheEngine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ensemble.json"));
        const test::ProcessRun selected = test::runCli(
                {QStringLiteral("select-features"), QStringLiteral("--model"), m_model,
                 QStringLiteral("--sae"), m_sae, QStringLiteral("--prompts"),
                 test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json")),
                 QStringLiteral("--method"), QStringLiteral("univariate"), QStringLiteral("-k"),
                 QStringLiteral("4"), QStringLiteral("--ensemble"), path,
                 QStringLiteral("--strength"), QStringLiteral("3")});
        QVERIFY2(selected.exitCode == 0, qPrintable(selected.err));
        const QJsonObject json = QJsonDocument::fromJson(selected.out).object();
        const QJsonArray entries = json.value(QStringLiteral("ensemble"))
                                           .toObject()
                                           .value(QStringLiteral("features"))
                                           .toArray();
        QCOMPARE(entries.size(), 4);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const Result<ClampSet> set = clampSetFromJson(file.readAll(), path);
        QVERIFY2(set.isOk(), qPrintable(set.status().message()));
        QCOMPARE(set->clamps.size(), 4);
        double largestWeight = 0;
        for (const QJsonValue &entry : entries) {
            largestWeight =
                    std::max(largestWeight,
                             std::abs(entry.toObject().value(QStringLiteral("weight")).toDouble()));
        }
        bool strongestAtStrength = false;
        for (int j = 0; j < 4; ++j) {
            const QJsonObject e = entries[j].toObject();
            const FeatureClamp &clamp = set->clamps[j];
            QCOMPARE(clamp.feature, e.value(QStringLiteral("feature")).toInt());
            QCOMPARE(json.value(QStringLiteral("top"))
                             .toArray()[j]
                             .toObject()
                             .value(QStringLiteral("feature"))
                             .toInt(),
                     clamp.feature);
            QCOMPARE(clamp.mode, ClampMode::Add);
            const double weight = e.value(QStringLiteral("weight")).toDouble();
            const double sd = e.value(QStringLiteral("sd")).toDouble();
            QVERIFY(sd > 0);
            QVERIFY(std::abs(clamp.value - 3.0 * sd * weight / largestWeight) <=
                    1e-12 * (1 + std::abs(clamp.value)));
            strongestAtStrength |= std::abs(std::abs(clamp.value) - 3.0 * sd) < 1e-12 * (1 + sd);
        }
        QVERIFY(strongestAtStrength);
        const SteeringOutcome outcome =
                steer(SteeringRequest{kPrompt, set.value(), {16, 0.8, 1.0, 0, 5}, {}});
        const test::ProcessRun steered =
                cli({QStringLiteral("--sae"), m_sae, QStringLiteral("--clamp-set"), path});
        QVERIFY2(steered.exitCode == 0, qPrintable(steered.err));
        QCOMPARE(steered.outText(), outcome.steeredText + QLatin1Char('\n'));
        // A strength that is not a number: one clear line.
        const test::ProcessRun bad = test::runCli(
                {QStringLiteral("select-features"), QStringLiteral("--model"), m_model,
                 QStringLiteral("--sae"), m_sae, QStringLiteral("--prompts"),
                 test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-valence.json")),
                 QStringLiteral("--ensemble"), path, QStringLiteral("--strength"),
                 QStringLiteral("lots")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains(QStringLiteral("--strength")));
    }

    void requestAskedDuringSteeringIsServedBeforeItEnds()
    {
        // Steering runs one token per slice: a next-token request asked at the first streamed
        // token is served between two tokens, long before the steered continuation ends.
        const FeatureClamp clamp{m_strongest.feature, ClampMode::Clamp, m_strongest.maximum * 2,
                                 ClampPositions::All, true};
        SteeringRequest request{kPrompt, setOf(clamp), {48, 0.8, 1.0, 0, 4242}, {}};
        int tokens = 0;
        int tokensWhenShortFinished = -1;
        bool steeringEnded = false;
        RequestId steering = 0;
        RequestId shortRequest = 0;
        QMetaObject::Connection onToken =
                connect(m_engine, &EngineClient::steeringToken, this,
                        [&](RequestId id, SteeringStream, const QString &) {
                            if (id != steering) {
                                return;
                            }
                            ++tokens;
                            if (shortRequest == 0) {
                                shortRequest = m_engine->compareNextToken(
                                        NextTokenRequest{kPrompt, setOf(clamp), 5, {}});
                            }
                        });
        QMetaObject::Connection onFinished = connect(
                m_engine, &EngineClient::finished, this, [&](RequestId id, const Status &status) {
                    QVERIFY2(status.isOk(), qPrintable(status.message()));
                    if (id == shortRequest) {
                        tokensWhenShortFinished = tokens;
                    } else if (id == steering) {
                        steeringEnded = true;
                    }
                });
        steering = m_engine->steer(request);
        QTRY_VERIFY_WITH_TIMEOUT(steeringEnded, 60000);
        disconnect(onToken);
        disconnect(onFinished);
        qInfo("next-token request finished after %d of %d streamed steering tokens",
              tokensWhenShortFinished, tokens);
        QVERIFY2(tokens > 40, qPrintable(QString::number(tokens)));  // both continuations
        QVERIFY(tokensWhenShortFinished >= 1);
        QVERIFY2(tokensWhenShortFinished < tokens / 2,
                 qPrintable(QStringLiteral("%1 of %2").arg(tokensWhenShortFinished).arg(tokens)));
    }

    void baselineIsReusedWhileItsInputsAreUnchanged()
    {
        const FeatureClamp clamp{m_strongest.feature, ClampMode::Clamp, m_strongest.maximum * 2,
                                 ClampPositions::All, true};
        SteeringRequest request{kPrompt, setOf(clamp), {16, 0.8, 1.0, 0, 9191}, {}};
        const SteeringOutcome first = steer(request);
        QVERIFY(!first.baselineTokens.isEmpty());
        QVERIFY(!first.baselineReused);
        // Another clamp set: the baseline does not depend on it.
        request.clamps = setOf(FeatureClamp{m_strongest.feature, ClampMode::Scale, 0.0,
                                            ClampPositions::All, true});
        const SteeringOutcome second = steer(request);
        QVERIFY(second.baselineReused);
        QCOMPARE(second.baselineText, first.baselineText);
        QCOMPARE(second.baselineTokens, first.baselineTokens);
        QVERIFY(second.steeredText != first.steeredText);
        // Another seed: generated again.
        request.options.seed = 9192;
        const SteeringOutcome reseeded = steer(request);
        QVERIFY(!reseeded.baselineReused);
        QVERIFY(steer(request).baselineReused);
        // Another sampling setting, then a reload of the same model (a new model epoch).
        request.options.maxNewTokens = 15;
        QVERIFY(!steer(request).baselineReused);
        QSignalSpy finished(m_engine, &EngineClient::finished);
        const RequestId reload = m_engine->loadModel(ModelSpec{m_model});
        QTRY_VERIFY_WITH_TIMEOUT(test::hasFinished(finished, reload), 60000);
        QVERIFY(test::statusOf(finished, reload).isOk());
        const SteeringOutcome afterReload = steer(request);
        QVERIFY(!afterReload.baselineReused);
        // The same model and settings give the same baseline, reused or not.
        request.options.maxNewTokens = 16;
        request.options.seed = 9191;
        const SteeringOutcome regenerated = steer(request);
        QVERIFY(!regenerated.baselineReused);
        QCOMPARE(regenerated.baselineTokens, first.baselineTokens);
    }

    void cliRefusesBadSteeringOptions()
    {
        const test::ProcessRun noSae = cli({QStringLiteral("--clamp"), QStringLiteral("3=1")});
        QCOMPARE(noSae.exitCode, 2);
        QVERIFY2(noSae.err.contains(QLatin1String("--sae")), qPrintable(noSae.err));
        const test::ProcessRun badPair = cli({QStringLiteral("--sae"), m_sae,
                                              QStringLiteral("--clamp"), QStringLiteral("three")});
        QCOMPARE(badPair.exitCode, 2);
        QVERIFY2(badPair.err.contains(QLatin1String("'three'")), qPrintable(badPair.err));
        const test::ProcessRun outside =
                cli({QStringLiteral("--sae"), m_sae, QStringLiteral("--clamp"),
                     QStringLiteral("99999=1")});
        QCOMPARE(outside.exitCode, 2);
        QVERIFY2(outside.err.contains(QLatin1String("feature 99999")), qPrintable(outside.err));
        const test::ProcessRun missing =
                cli({QStringLiteral("--sae"), m_sae, QStringLiteral("--clamp-set"),
                     QStringLiteral("/nonexistent/set.json")});
        QVERIFY(missing.exitCode != 0);
        QVERIFY2(missing.err.contains(QLatin1String("/nonexistent/set.json")),
                 qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestSteeringCli)
#include "tst_steering_cli.moc"
