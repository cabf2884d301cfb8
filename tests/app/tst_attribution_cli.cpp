// gyrus-cli attribute, logit-lens and attention on the demo model and SAE, against the analysis
// functions they share with the engine (gpu/analysis): the same numbers, the completeness of the
// attribution on a real (TopK, folded-scale) SAE, ablation beside the linear estimate, and one
// clear error line for bad input.

#include "gpu/analysis/attention_patterns.h"
#include "gpu/analysis/attribution.h"
#include "gpu/analysis/logit_lens.h"
#include "gpu/detail/sae_module.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_io.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>

using namespace gyrus;

namespace {

const QString kPrompt = QStringLiteral("The jury said that the city");

QJsonObject runJson(const QStringList &arguments)
{
    const test::ProcessRun run = test::runCli(arguments);
    if (run.exitCode != 0) {
        qWarning("gyrus-cli %s: exit %d: %s", qPrintable(arguments.join(QLatin1Char(' '))),
                 run.exitCode, qPrintable(run.err));
        return {};
    }
    return QJsonDocument::fromJson(run.out).object();
}

}  // namespace

class TestAttributionCli : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<gpu::LanguageModel> m_model;
    std::shared_ptr<gpu::detail::SaeModule> m_sae;
    std::vector<int> m_tokens;

private Q_SLOTS:

    void initTestCase()
    {
        auto model = gpu::LanguageModel::load(test::demoModelPath());
        QVERIFY2(model, qPrintable(model.status().message()));
        m_model = std::move(model).value();
        auto sae = gpu::loadSae(test::demoSaePath());
        QVERIFY2(sae, qPrintable(sae.status().message()));
        m_sae = sae.value();
        auto tokens = m_model->encode(kPrompt);
        QVERIFY(tokens);
        m_tokens = tokens.value();
    }

    void attributeMatchesTheAnalysisFunction()
    {
        const QJsonObject json =
                runJson({QStringLiteral("attribute"), QStringLiteral("--model"),
                         test::demoModelPath(), QStringLiteral("--sae"), test::demoSaePath(),
                         QStringLiteral("--text"), kPrompt, QStringLiteral("--top"),
                         QStringLiteral("10"), QStringLiteral("--verify"), QStringLiteral("5")});
        QVERIFY(!json.isEmpty());
        auto direct = gpu::attributeFeatures(*m_model, *m_sae, m_tokens, {});
        QVERIFY2(direct, qPrintable(direct.status().message()));
        const QJsonObject target = json[QStringLiteral("target")].toObject();
        QCOMPARE(target[QStringLiteral("position")].toInt(), int(m_tokens.size()) - 1);
        QCOMPARE(target[QStringLiteral("token")].toInt(), direct->target.token);
        QCOMPARE(target[QStringLiteral("kind")].toString(), QStringLiteral("log_probability"));
        QVERIFY(std::abs(target[QStringLiteral("value")].toDouble() - direct->value) < 1e-6);
        const QJsonArray features = json[QStringLiteral("features")].toArray();
        QCOMPARE(features.size(), 10);
        for (int i = 0; i < features.size(); ++i) {
            const QJsonObject f = features[i].toObject();
            QCOMPARE(f[QStringLiteral("feature")].toInt(), direct->features[size_t(i)].feature);
            QCOMPARE(f[QStringLiteral("position")].toInt(), direct->features[size_t(i)].position);
            QVERIFY(std::abs(f[QStringLiteral("attribution")].toDouble() -
                             direct->features[size_t(i)].attribution) < 1e-6);
        }
        // Completeness on the demo's TopK SAE (folded input scale, b_dec applied to the input).
        const QJsonObject totals = json[QStringLiteral("totals")].toObject();
        const double sum = totals[QStringLiteral("features")].toDouble() +
                           totals[QStringLiteral("error")].toDouble() +
                           totals[QStringLiteral("bias")].toDouble();
        const double total = totals[QStringLiteral("gradient_x_input")].toDouble();
        QVERIFY2(std::abs(sum - total) < 1e-4 * std::max(1.0, std::abs(total)),
                 qPrintable(QStringLiteral("%1 vs %2").arg(sum).arg(total)));
        QCOMPARE(json[QStringLiteral("positions")].toArray().size(), int(m_tokens.size()));
        const QJsonArray verify = json[QStringLiteral("verify")].toArray();
        QCOMPARE(verify.size(), 5);
        const QJsonObject first = verify[0].toObject();
        QCOMPARE(first[QStringLiteral("estimated_change")].toDouble(),
                 -first[QStringLiteral("attribution")].toDouble());
        // The largest feature's ablation moves the target the way the estimate says.
        QVERIFY(first[QStringLiteral("estimated_change")].toDouble() *
                        first[QStringLiteral("actual_change")].toDouble() >
                0.0);
    }

    void attributeALogitDifferenceAtAPosition()
    {
        const QJsonObject json = runJson(
                {QStringLiteral("attribute"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--sae"), test::demoSaePath(), QStringLiteral("--text"), kPrompt,
                 QStringLiteral("--position"), QStringLiteral("3"), QStringLiteral("--target-id"),
                 QStringLiteral("100"), QStringLiteral("--versus-id"), QStringLiteral("200")});
        QVERIFY(!json.isEmpty());
        gpu::AttributionTarget target;
        target.kind = gpu::AttributionTarget::Kind::LogitDifference;
        target.position = 3;
        target.token = 100;
        target.versus = 200;
        auto direct = gpu::attributeFeatures(*m_model, *m_sae, m_tokens, target);
        QVERIFY(direct);
        const QJsonObject t = json[QStringLiteral("target")].toObject();
        QCOMPARE(t[QStringLiteral("kind")].toString(), QStringLiteral("logit_difference"));
        QVERIFY(std::abs(t[QStringLiteral("value")].toDouble() - direct->value) < 1e-6);
        for (const QJsonValue &p : json[QStringLiteral("positions")].toArray()) {
            if (p[QStringLiteral("position")].toInt() > 3) {
                QCOMPARE(p[QStringLiteral("total")].toDouble(), 0.0);
                QCOMPARE(p[QStringLiteral("features")].toDouble(), 0.0);
            }
        }
    }

    void logitLensMatchesTheAnalysisFunction()
    {
        const QJsonObject json = runJson({QStringLiteral("logit-lens"), QStringLiteral("--model"),
                                          test::demoModelPath(), QStringLiteral("--text"), kPrompt,
                                          QStringLiteral("--top"), QStringLiteral("3")});
        QVERIFY(!json.isEmpty());
        auto direct = gpu::logitLens(*m_model, m_tokens, 3);
        QVERIFY(direct);
        const QJsonArray rows = json[QStringLiteral("rows")].toArray();
        QCOMPARE(rows.size(), m_model->config().numHiddenLayers + 1);
        for (int r = 0; r < rows.size(); ++r) {
            const QJsonArray positions = rows[r].toObject()[QStringLiteral("positions")].toArray();
            QCOMPARE(positions.size(), int(m_tokens.size()));
            for (int t = 0; t < positions.size(); ++t) {
                const gpu::LogitLensCell &cell = direct->cells[size_t(r)][size_t(t)];
                const QJsonArray top = positions[t].toObject()[QStringLiteral("top")].toArray();
                QCOMPARE(top[0].toObject()[QStringLiteral("id")].toInt(), cell.topTokens[0]);
            }
        }
    }

    void attentionMatchesTheAnalysisFunction()
    {
        const QJsonObject json = runJson({QStringLiteral("attention"), QStringLiteral("--model"),
                                          test::demoModelPath(), QStringLiteral("--text"), kPrompt,
                                          QStringLiteral("--layer"), QStringLiteral("1"),
                                          QStringLiteral("--head"), QStringLiteral("2")});
        QVERIFY(!json.isEmpty());
        auto direct = gpu::attentionPatterns(*m_model, m_tokens, {1});
        QVERIFY(direct);
        const QJsonArray layers = json[QStringLiteral("layers")].toArray();
        QCOMPARE(layers.size(), 1);
        const QJsonArray heads = layers[0].toObject()[QStringLiteral("heads")].toArray();
        QCOMPARE(heads.size(), 1);
        const QJsonArray rows = heads[0].toObject()[QStringLiteral("pattern")].toArray();
        const int64_t count = int64_t(m_tokens.size());
        QCOMPARE(rows.size(), int(count));
        for (int64_t q = 0; q < count; ++q) {
            const QJsonArray row = rows[int(q)].toArray();
            double sum = 0.0;
            for (int64_t k = 0; k < count; ++k) {
                const double expected =
                        direct->patterns[0].values[size_t((2 * count + q) * count + k)];
                QVERIFY(std::abs(row[int(k)].toDouble() - expected) < 1e-6);
                sum += row[int(k)].toDouble();
                if (k > q) {
                    QCOMPARE(row[int(k)].toDouble(), 0.0);
                }
            }
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
        }
    }

    void badInputIsOneClearLine()
    {
        const test::ProcessRun past = test::runCli(
                {QStringLiteral("attribute"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--sae"), test::demoSaePath(), QStringLiteral("--text"), kPrompt,
                 QStringLiteral("--position"), QStringLiteral("99")});
        QCOMPARE(past.exitCode, 2);
        QVERIFY2(past.err.contains(QStringLiteral("past the prompt")), qPrintable(past.err));
        QCOMPARE(past.err.trimmed().count(QLatin1Char('\n')), 0);
        const test::ProcessRun noSae =
                test::runCli({QStringLiteral("attribute"), QStringLiteral("--model"),
                              test::demoModelPath(), QStringLiteral("--text"), kPrompt});
        QCOMPARE(noSae.exitCode, 2);
        QVERIFY(noSae.err.contains(QStringLiteral("--sae")));
        const test::ProcessRun badHead =
                test::runCli({QStringLiteral("attention"), QStringLiteral("--model"),
                              test::demoModelPath(), QStringLiteral("--text"), kPrompt,
                              QStringLiteral("--head"), QStringLiteral("40")});
        QCOMPARE(badHead.exitCode, 2);
        QVERIFY(badHead.err.contains(QStringLiteral("heads")));
    }
};

QTEST_GUILESS_MAIN(TestAttributionCli)
#include "tst_attribution_cli.moc"
