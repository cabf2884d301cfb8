// gyrus-cli attribute, logit-lens and attention on the demo model and SAE, against the analysis
// functions they share with the engine (gpu/analysis): the same numbers, the completeness of the
// attribution on a real (TopK, folded-scale) SAE, ablation beside the linear estimate, and one
// clear error line for bad input. Two SAEs at two layers (the demo's at layer 2, a mirror SAE
// written here at layer 0): per SAE the nodes add up to its total, the linear estimates follow
// exact ablations and finite differences, later positions get zero, and each SAE's group equals
// its single-SAE run.

#include "gpu/analysis/attention_patterns.h"
#include "gpu/analysis/attribution.h"
#include "gpu/analysis/logit_lens.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "tests/gpu/demo_modules.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>

using namespace gyrus;

namespace {

const QString kPrompt = QStringLiteral("The jury said that the city");

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
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        m_sae = demo->sae;
        auto tokens = m_model->encode(kPrompt);
        QVERIFY(tokens);
        m_tokens = tokens.value();
    }

    void attributeMatchesTheAnalysisFunction()
    {
        const QJsonObject json = test::runCliJson(
                {QStringLiteral("attribute"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--sae"), test::demoSaePath(), QStringLiteral("--text"), kPrompt,
                 QStringLiteral("--top"), QStringLiteral("10"), QStringLiteral("--verify"),
                 QStringLiteral("5")});
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
        const QJsonObject json = test::runCliJson(
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

    // Two SAEs at two layers in one run, target at position 4 of the prompt.
    void attributeToTwoSaesAtTwoLayers()
    {
        QTemporaryDir dir;
        const QString early = dir.filePath(QStringLiteral("layer0"));
        const auto earlySae =
                test::mirrorSae(m_sae->config(), 0.8, QStringLiteral("blocks.0.hook_resid_post"));
        QVERIFY(gpu::saveSae(earlySae, early).isOk());
        auto loadedEarly = gpu::loadSae(early);
        QVERIFY2(loadedEarly, qPrintable(loadedEarly.status().message()));
        const QStringList common{QStringLiteral("attribute"),
                                 QStringLiteral("--model"),
                                 test::demoModelPath(),
                                 QStringLiteral("--text"),
                                 kPrompt,
                                 QStringLiteral("--position"),
                                 QStringLiteral("4"),
                                 QStringLiteral("--top"),
                                 QStringLiteral("12"),
                                 QStringLiteral("--verify"),
                                 QStringLiteral("6")};
        const QJsonObject json = test::runCliJson(
                common + QStringList{QStringLiteral("--sae"), early, QStringLiteral("--sae"),
                                     test::demoSaePath()});
        QVERIFY(!json.isEmpty());
        const QJsonArray groups = json[QStringLiteral("saes")].toArray();
        QCOMPARE(groups.size(), 2);
        QCOMPARE(json[QStringLiteral("target")].toObject()[QStringLiteral("position")].toInt(), 4);
        QCOMPARE(json[QStringLiteral("tokens")].toArray().size(), int(m_tokens.size()));

        // The engine's function on the same two SAEs gives the same numbers.
        gpu::AttributionTarget target;
        target.position = 4;
        auto direct = gpu::attributeFeatures(*m_model, {loadedEarly.value().get(), m_sae.get()},
                                             m_tokens, target);
        QVERIFY2(direct, qPrintable(direct.status().message()));
        const gpu::detail::SaeModule *modules[] = {loadedEarly.value().get(), m_sae.get()};
        const QString paths[] = {early, test::demoSaePath()};
        const int layers[] = {0, 2};
        for (int i = 0; i < 2; ++i) {
            const QJsonObject group = groups[i].toObject();
            const gpu::AttributionResult &result = direct.value()[size_t(i)];
            QCOMPARE(group[QStringLiteral("sae")].toString(), paths[i]);
            QCOMPARE(group[QStringLiteral("hook")].toString(), modules[i]->config().hookName);
            QCOMPARE(group[QStringLiteral("layer")].toInt(), layers[i]);
            const QJsonObject totals = group[QStringLiteral("totals")].toObject();
            QVERIFY(std::abs(totals[QStringLiteral("gradient_x_input")].toDouble() -
                             result.total()) < 1e-9);

            // (a) features + error + bias = gradient × input at this SAE's hook, per position
            // and in total; the error node carries something (not a free pass).
            const double total = totals[QStringLiteral("gradient_x_input")].toDouble();
            const double sum = totals[QStringLiteral("features")].toDouble() +
                               totals[QStringLiteral("error")].toDouble() +
                               totals[QStringLiteral("bias")].toDouble();
            QVERIFY2(std::abs(sum - total) < 1e-4 * std::max(1.0, std::abs(total)),
                     qPrintable(QStringLiteral("SAE %1: %2 vs %3").arg(i).arg(sum).arg(total)));
            QVERIFY(std::abs(totals[QStringLiteral("error")].toDouble()) > 1e-6);
            // (c) positions after the target get zero.
            for (const QJsonValue &p : group[QStringLiteral("positions")].toArray()) {
                const double nodes = p[QStringLiteral("features")].toDouble() +
                                     p[QStringLiteral("error")].toDouble() +
                                     p[QStringLiteral("bias")].toDouble();
                QVERIFY(std::abs(nodes - p[QStringLiteral("total")].toDouble()) <
                        1e-4 * std::max(1.0, std::abs(total)));
                if (p[QStringLiteral("position")].toInt() > 4) {
                    QCOMPARE(p[QStringLiteral("total")].toDouble(), 0.0);
                    QCOMPARE(p[QStringLiteral("features")].toDouble(), 0.0);
                    QCOMPARE(p[QStringLiteral("error")].toDouble(), 0.0);
                }
            }
            // (b) the listed features' gradients against central differences of separate
            // forwards of the real model with the feature moved by ±ε (no autograd) ...
            const QJsonArray features = group[QStringLiteral("features")].toArray();
            QCOMPARE(features.size(), 12);
            const double epsilon = 0.01;
            std::vector<gpu::FeatureEdit> edits;
            double largest = 0.0;
            for (int j = 0; j < 6; ++j) {
                const QJsonObject f = features[j].toObject();
                QVERIFY(f[QStringLiteral("position")].toInt() <= 4);
                const double a = f[QStringLiteral("activation")].toDouble();
                edits.push_back({f[QStringLiteral("position")].toInt(),
                                 f[QStringLiteral("feature")].toInt(), float(a + epsilon)});
                edits.push_back({f[QStringLiteral("position")].toInt(),
                                 f[QStringLiteral("feature")].toInt(), float(a - epsilon)});
                largest = std::max(largest, std::abs(f[QStringLiteral("gradient")].toDouble()));
            }
            auto values =
                    gpu::targetUnderEdits(*m_model, *modules[i], m_tokens, result.target, edits);
            QVERIFY2(values, qPrintable(values.status().message()));
            for (int j = 0; j < 6; ++j) {
                const double difference =
                        (values.value()[size_t(2 * j)] - values.value()[size_t(2 * j + 1)]) /
                        (2.0 * epsilon);
                const double gradient =
                        features[j].toObject()[QStringLiteral("gradient")].toDouble();
                QVERIFY2(std::abs(difference - gradient) <= 0.03 * largest,
                         qPrintable(QStringLiteral("SAE %1 #%2: gradient %3, difference %4")
                                            .arg(i)
                                            .arg(j)
                                            .arg(gradient)
                                            .arg(difference)));
            }
            // ... and the exact ablations beside the linear estimates: the largest effects keep
            // their sign.
            const QJsonArray verify = group[QStringLiteral("verify")].toArray();
            QCOMPARE(verify.size(), 6);
            int agreeing = 0;
            for (const QJsonValue &check : verify) {
                const double estimated = check[QStringLiteral("estimated_change")].toDouble();
                QCOMPARE(estimated, -check[QStringLiteral("attribution")].toDouble());
                agreeing += estimated * check[QStringLiteral("actual_change")].toDouble() > 0.0;
            }
            QVERIFY2(agreeing >= 5,
                     qPrintable(QStringLiteral("SAE %1: %2 of 6 agree").arg(i).arg(agreeing)));

            // (d) one SAE alone gives the single-SAE layout, and the same numbers.
            const QJsonObject single =
                    test::runCliJson(common + QStringList{QStringLiteral("--sae"), paths[i]});
            QVERIFY(!single.isEmpty());
            QVERIFY(!single.contains(QStringLiteral("saes")));
            QCOMPARE(single[QStringLiteral("totals")], group[QStringLiteral("totals")]);
            QCOMPARE(single[QStringLiteral("positions")], group[QStringLiteral("positions")]);
            QCOMPARE(single[QStringLiteral("features")], group[QStringLiteral("features")]);
            QCOMPARE(single[QStringLiteral("verify")], group[QStringLiteral("verify")]);
            QCOMPARE(single[QStringLiteral("target")], json[QStringLiteral("target")]);
        }
        // The upstream SAE's total is not the downstream one's.
        QVERIFY(groups[0][QStringLiteral("totals")] != groups[1][QStringLiteral("totals")]);
    }

    // SAEs that tokenise differently (BOS) cannot share one forward: one clear line.
    void twoSaesThatDisagreeOnBosAreRefused()
    {
        QTemporaryDir dir;
        SaeConfig config = m_sae->config();
        config.prependBos = !config.prependBos;
        const QString other = dir.filePath(QStringLiteral("nobos"));
        QVERIFY(gpu::saveSae(
                        test::mirrorSae(config, 1.0, QStringLiteral("blocks.1.hook_resid_post")),
                        other)
                        .isOk());
        const test::ProcessRun run = test::runCli(
                {QStringLiteral("attribute"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--text"), kPrompt, QStringLiteral("--sae"), test::demoSaePath(),
                 QStringLiteral("--sae"), other});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(other) && run.err.contains(QStringLiteral("prepend_bos")),
                 qPrintable(run.err));
        QCOMPARE(run.err.trimmed().count(QLatin1Char('\n')), 0);
    }

    void logitLensMatchesTheAnalysisFunction()
    {
        const QJsonObject json = test::runCliJson(
                {QStringLiteral("logit-lens"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--text"), kPrompt, QStringLiteral("--top"), QStringLiteral("3")});
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
        const QJsonObject json = test::runCliJson(
                {QStringLiteral("attention"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--text"), kPrompt, QStringLiteral("--layer"), QStringLiteral("1"),
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
