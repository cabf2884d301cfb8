// Activation patching across minimal pairs on the demo model and the demo agreement set: patching
// the whole residual at the last layer restores the source's logit difference exactly, patching
// nothing restores none, a patched embedding equals the source's input where the tokens differ,
// one cell of the map equals a forward with the splice written by hand (LanguageModel::forward
// with a HookSet, not the batched path), the map is the mean over pairs with a Student-t interval
// (quantiles against scipy), and `gyrus-cli patch` prints what the function computes. Patching SAE
// features: each cell equals the partner's forward with those features clamped, through the
// clamp splice (an independent path), to the source's activations at that one position; a
// silent feature restores nothing; `--features --sae` prints the same map.

#include "core/prompts/prompt_set_io.h"
#include "core/steering/clamp_set.h"
#include "gpu/analysis/activation_patching.h"
#include "gpu/analysis/contrasts.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"
#include "tests/gpu/demo_modules.h"
#include "tests/support/cli_run.h"
#include "tests/support/demo_engine.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>

using namespace gyrus;

namespace {

QString agreementSet()
{
    return test::sourcePath(QStringLiteral("datasets/prompt-sets/demo/demo-agreement.json"));
}

double lastLogitDifference(const gpu::FloatTensor &logits, int token, int versus)
{
    const int64_t vocab = logits.shape.at(1);
    const size_t last = static_cast<size_t>((logits.shape.at(0) - 1) * vocab);
    return double(logits.values[last + size_t(token)]) -
           double(logits.values[last + size_t(versus)]);
}

}  // namespace

class TestPatchCli : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<gpu::LanguageModel> m_model;
    std::shared_ptr<gpu::detail::SaeModule> m_sae;
    PromptSet m_set;
    gpu::PatchingResult m_result;
    int m_layers = 0;

private Q_SLOTS:

    void initTestCase()
    {
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        m_sae = demo->sae;
        m_layers = m_model->config().numHiddenLayers;
        auto loaded = loadPromptSet(agreementSet());
        QVERIFY2(loaded, qPrintable(loaded.status().message()));
        m_set = loaded->set;
        auto result = gpu::patchMinimalPairs(*m_model, m_set, {});
        QVERIFY2(result, qPrintable(result.status().message()));
        m_result = std::move(result).value();
        // Enough pairs survive (same length, different top tokens) for a mean and an interval.
        QVERIFY2(m_result.pairs.size() >= 10, qPrintable(QString::number(m_result.pairs.size())));
        QCOMPARE(m_result.pairs.size() + m_result.skipped.size(), size_t(16));
        QCOMPARE(m_result.map.hooks.size(), m_layers);
        QCOMPARE(m_result.map.hooks.front(), QStringLiteral("blocks.0.hook_resid_pre"));
    }

    void wholeResidualAtTheLastLayerRestoresAllAndNothingRestoresNone()
    {
        const QString lastHook = QStringLiteral("blocks.%1.hook_resid_post").arg(m_layers - 1);
        for (const gpu::PairPatching &pair : m_result.pairs) {
            std::vector<int> every(pair.partnerTokens.size());
            for (size_t p = 0; p < every.size(); ++p) {
                every[p] = int(p);
            }
            auto all = gpu::patchedLogitDifference(*m_model, pair.sourceTokens, pair.partnerTokens,
                                                   lastHook, every, pair.token, pair.versus);
            QVERIFY2(all, qPrintable(all.status().message()));
            QVERIFY(std::abs(gpu::restoredFraction(*all, pair.clean, pair.corrupted) - 1.0) < 1e-6);
            auto none = gpu::patchedLogitDifference(*m_model, pair.sourceTokens, pair.partnerTokens,
                                                    lastHook, {}, pair.token, pair.versus);
            QVERIFY2(none, qPrintable(none.status().message()));
            QCOMPARE(gpu::restoredFraction(*none, pair.clean, pair.corrupted), 0.0);
            // The source's own difference is larger: its top token is its own.
            QVERIFY(pair.clean > pair.corrupted);
        }
    }

    void patchedEmbeddingsRestoreExactlyWhereTheTokensDiffer()
    {
        // blocks.0.hook_resid_pre is the embedding: patching a position whose token the pair
        // shares changes nothing; when one token differs, patching it makes the inputs equal.
        for (const gpu::PairPatching &pair : m_result.pairs) {
            std::vector<int> differing;
            for (size_t p = 0; p < pair.partnerTokens.size(); ++p) {
                if (pair.sourceTokens[p] == pair.partnerTokens[p]) {
                    QVERIFY(std::abs(pair.restored[0][p]) < 1e-6);
                } else {
                    differing.push_back(int(p));
                }
            }
            QVERIFY(!differing.empty());
            if (differing.size() == 1) {
                QVERIFY(std::abs(pair.restored[0][size_t(differing[0])] - 1.0) < 1e-5);
            }
        }
    }

    void oneCellEqualsAForwardWithTheSpliceWrittenByHand()
    {
        const gpu::PairPatching &pair = m_result.pairs.front();
        const int layer = m_layers / 2;
        const int position = int(pair.partnerTokens.size()) - 1;
        const QString hook = QStringLiteral("blocks.%1.hook_resid_pre").arg(layer);
        gpu::ForwardOptions captureOptions;
        captureOptions.captures = {hook};
        auto source = m_model->forward(pair.sourceTokens, captureOptions);
        QVERIFY2(source, qPrintable(source.status().message()));
        const gpu::FloatTensor &activations = source->activations.at(hook);
        const int64_t width = activations.shape.at(1);
        std::vector<float> row(activations.values.begin() + position * width,
                               activations.values.begin() + (position + 1) * width);

        gpu::detail::HookSet splice;
        splice.add(*gpu::detail::HookPoint::parse(hook, m_layers),
                   [&row, position, width](const at::Tensor &x, const gpu::detail::HookContext &) {
                       at::Tensor out = x.clone();
                       out[0][position] =
                               at::from_blob(row.data(), {width}, at::kFloat).to(x.scalar_type());
                       return out;
                   });
        auto patched = m_model->forward(pair.partnerTokens, {}, &splice);
        QVERIFY2(patched, qPrintable(patched.status().message()));
        const double expected = lastLogitDifference(patched->logits, pair.token, pair.versus);
        QVERIFY2(std::abs(pair.patched[size_t(layer)][size_t(position)] - expected) < 1e-4,
                 qPrintable(QStringLiteral("%1 vs %2")
                                    .arg(pair.patched[size_t(layer)][size_t(position)])
                                    .arg(expected)));
        const double fraction = (expected - pair.corrupted) / (pair.clean - pair.corrupted);
        QVERIFY(std::abs(pair.restored[size_t(layer)][size_t(position)] - fraction) < 1e-4);

        // The unpatched forwards of the two items give the pair's clean and corrupted values.
        auto plain = m_model->forward(pair.partnerTokens);
        QVERIFY(plain);
        QVERIFY(std::abs(lastLogitDifference(plain->logits, pair.token, pair.versus) -
                         pair.corrupted) < 1e-4);
    }

    void studentQuantilesMatchScipy()
    {
        // scipy.stats.t.ppf(0.975, df) and t.ppf(0.95, 9); Boost.Math agrees to ~1e-12.
        QVERIFY(std::abs(gpu::studentTwoSidedCritical(0.95, 4) - 2.7764451051977987) < 1e-10);
        QVERIFY(std::abs(gpu::studentTwoSidedCritical(0.95, 19) - 2.093024054408263) < 1e-10);
        QVERIFY(std::abs(gpu::studentTwoSidedCritical(0.90, 9) - 1.8331129326536335) < 1e-10);
        QVERIFY(std::isnan(gpu::studentTwoSidedCritical(0.95, 0)));
    }

    void mapIsTheMeanOverPairsWithAStudentInterval()
    {
        const gpu::PatchingMap &map = m_result.map;
        size_t longest = 0;
        size_t shortest = 1000;
        for (const gpu::PairPatching &pair : m_result.pairs) {
            longest = std::max(longest, pair.partnerTokens.size());
            shortest = std::min(shortest, pair.partnerTokens.size());
        }
        QVERIFY(shortest < longest);  // the set's two frames differ in length
        QCOMPARE(size_t(map.positions), longest);
        QVERIFY(map.alignEnd);
        for (int l = 0; l < m_layers; ++l) {
            for (size_t column = 0; column < longest; ++column) {
                // Lined up at the last token: a pair of n tokens fills the last n columns.
                std::vector<double> values;
                for (const gpu::PairPatching &pair : m_result.pairs) {
                    const size_t n = pair.partnerTokens.size();
                    if (column + n >= longest) {
                        values.push_back(pair.restored[size_t(l)][column + n - longest]);
                    }
                }
                QCOMPARE(map.count[size_t(l)][column], int(values.size()));
                double mean = 0.0;
                for (const double v : values) {
                    mean += v / double(values.size());
                }
                QVERIFY(std::abs(map.mean[size_t(l)][column] - mean) < 1e-12);
                if (values.size() < 2) {
                    QVERIFY(std::isnan(map.low[size_t(l)][column]));
                    continue;
                }
                double variance = 0.0;
                for (const double v : values) {
                    variance += (v - mean) * (v - mean) / double(values.size() - 1);
                }
                const double half = gpu::studentTwoSidedCritical(0.95, double(values.size() - 1)) *
                                    std::sqrt(variance / double(values.size()));
                QVERIFY(std::abs(map.low[size_t(l)][column] - (mean - half)) < 1e-9);
                QVERIFY(std::abs(map.high[size_t(l)][column] - (mean + half)) < 1e-9);
            }
            QCOMPARE(map.count[size_t(l)][longest - 1], int(m_result.pairs.size()));
        }
    }

    void cliPrintsWhatTheFunctionComputes()
    {
        const test::ProcessRun run =
                test::runCli({QStringLiteral("patch"), QStringLiteral("--model"),
                              test::demoModelPath(), QStringLiteral("--prompts"), agreementSet()});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject json = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(json[QStringLiteral("site")].toString(), QStringLiteral("resid_pre"));
        QCOMPARE(json[QStringLiteral("positions")].toInt(), m_result.map.positions);
        const QJsonArray pairs = json[QStringLiteral("pairs")].toArray();
        QCOMPARE(pairs.size(), qsizetype(m_result.pairs.size()));
        QCOMPARE(json[QStringLiteral("skipped")].toArray().size(),
                 qsizetype(m_result.skipped.size()));
        const QJsonObject first = pairs.first().toObject();
        const gpu::PairPatching &pair = m_result.pairs.front();
        QCOMPARE(first[QStringLiteral("source")].toString(), m_set.items[pair.pair.source].id);
        QCOMPARE(first[QStringLiteral("partner")].toString(), m_set.items[pair.pair.partner].id);
        QCOMPARE(first[QStringLiteral("token")].toInt(), pair.token);
        QCOMPARE(first[QStringLiteral("versus")].toInt(), pair.versus);
        const QJsonArray mean = json[QStringLiteral("mean")].toArray();
        QCOMPARE(mean.size(), m_layers);
        for (int l = 0; l < m_layers; ++l) {
            const QJsonArray row = mean[l].toArray();
            for (int p = 0; p < row.size(); ++p) {
                QVERIFY(std::abs(row[p].toDouble() - m_result.map.mean[size_t(l)][size_t(p)]) <
                        1e-12);
            }
        }

        // Given tokens: the same logit difference for every pair.
        const int token = pair.token;
        const int versus = pair.versus;
        const test::ProcessRun given = test::runCli(
                {QStringLiteral("patch"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), agreementSet(), QStringLiteral("--site"),
                 QStringLiteral("resid_post"), QStringLiteral("--target-id"),
                 QString::number(token), QStringLiteral("--versus-id"), QString::number(versus)});
        QVERIFY2(given.exitCode == 0, qPrintable(given.err));
        const QJsonObject givenJson = QJsonDocument::fromJson(given.out).object();
        QCOMPARE(givenJson[QStringLiteral("hooks")].toArray().last().toString(),
                 QStringLiteral("blocks.%1.hook_resid_post").arg(m_layers - 1));
        for (const QJsonValue &entry : givenJson[QStringLiteral("pairs")].toArray()) {
            QCOMPARE(entry[QStringLiteral("token")].toInt(), token);
            QCOMPARE(entry[QStringLiteral("versus")].toInt(), versus);
            // At the last layer's resid_post, the last position carries all of it.
            const QJsonArray last = entry[QStringLiteral("restored")].toArray().last().toArray();
            QVERIFY(std::abs(last.last().toDouble() - 1.0) < 1e-5);
        }
    }

    void saeFeaturesEqualTheClampSpliceAtEachPosition()
    {
        const std::shared_ptr<const gpu::detail::SaeModule> sae = m_sae;
        const QString hook = sae->config().hookName;
        const gpu::PairPatching &first = m_result.pairs.front();
        // The features of the first pair's source and partner at the SAE's hook, [tokens, d_sae].
        const auto encoded = [&](const std::vector<int> &tokens) {
            gpu::ForwardOptions options;
            options.captures = {hook};
            auto forward = m_model->forward(tokens, options);
            const gpu::FloatTensor &x = forward->activations.at(hook);
            return sae->encode(at::from_blob(const_cast<float *>(x.values.data()),
                                             {x.shape[0], x.shape[1]}, at::kFloat)
                                       .clone());
        };
        const at::Tensor source = encoded(first.sourceTokens);
        const at::Tensor partner = encoded(first.partnerTokens);
        // The two features that differ most at the last token, and one silent in both items.
        const int last = int(first.partnerTokens.size()) - 1;
        const at::Tensor change = (source[last] - partner[last]).abs();
        const at::Tensor top = std::get<1>(change.topk(2));
        const at::Tensor silent =
                at::nonzero((source.abs().sum(0) + partner.abs().sum(0)) == 0).view({-1});
        QVERIFY(silent.numel() > 0);
        const std::vector<int> features{int(top[0].item<int64_t>()), int(top[1].item<int64_t>()),
                                        int(silent[0].item<int64_t>())};

        gpu::PatchingOptions options;
        options.features = features;
        auto result = gpu::patchMinimalPairs(*m_model, m_set, options, {}, sae);
        QVERIFY2(result, qPrintable(result.status().message()));
        const gpu::PatchingMap &map = result->map;
        QCOMPARE(map.site, QStringLiteral("sae_features"));
        QCOMPARE(map.saeHook, hook);
        QCOMPARE(map.hooks.size(), 4);  // each feature, then all three
        QCOMPARE(map.hooks.last(), QStringLiteral("features %1+%2+%3")
                                           .arg(features[0])
                                           .arg(features[1])
                                           .arg(features[2]));
        QCOMPARE(result->pairs.size(), m_result.pairs.size());
        const gpu::PairPatching &pair = result->pairs.front();
        QCOMPARE(pair.clean, first.clean);
        QCOMPARE(pair.corrupted, first.corrupted);

        // Each cell = the partner's forward with the row's features clamped, through the clamp
        // splice, to the source's activations at that one position (error term kept there too).
        const std::vector<std::vector<int>> rows{{0}, {1}, {2}, {0, 1, 2}};
        for (size_t row = 0; row < rows.size(); ++row) {
            for (int position = 0; position <= last; ++position) {
                ClampSet set;
                for (const int index : rows[row]) {
                    FeatureClamp clamp;
                    clamp.feature = features[size_t(index)];
                    clamp.value = source[position][clamp.feature].item<float>();
                    clamp.positions = ClampPositions::Prompt;
                    set.clamps << clamp;
                }
                gpu::detail::HookSet hooks;
                QVERIFY(gpu::detail::addClampSplice(hooks, m_layers, sae, set,
                                                    gpu::ClampScope{position + 1, position})
                                .isOk());
                auto patched = m_model->forward(pair.partnerTokens, {}, &hooks);
                QVERIFY2(patched, qPrintable(patched.status().message()));
                const double expected =
                        lastLogitDifference(patched->logits, pair.token, pair.versus);
                QVERIFY2(std::abs(pair.patched[row][size_t(position)] - expected) < 1e-4,
                         qPrintable(QStringLiteral("row %1, position %2: %3 vs %4")
                                            .arg(row)
                                            .arg(position)
                                            .arg(pair.patched[row][size_t(position)])
                                            .arg(expected)));
            }
        }
        // Where the features differ the patch moves the difference; a feature silent in both
        // items of the pair moves nothing.
        QVERIFY(std::abs(pair.restored[0][size_t(last)]) > 1e-3);
        for (const double restored : pair.restored[2]) {
            QVERIFY(std::abs(restored) < 1e-5);
        }

        // gyrus-cli patch --features prints what the function computes.
        const test::ProcessRun run = test::runCli(
                {QStringLiteral("patch"), QStringLiteral("--model"), test::demoModelPath(),
                 QStringLiteral("--prompts"), agreementSet(), QStringLiteral("--sae"),
                 test::demoSaePath(), QStringLiteral("--features"),
                 QStringLiteral("%1,%2,%3").arg(features[0]).arg(features[1]).arg(features[2])});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        const QJsonObject json = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(json[QStringLiteral("site")].toString(), QStringLiteral("sae_features"));
        QCOMPARE(json[QStringLiteral("sae_hook")].toString(), hook);
        QCOMPARE(json[QStringLiteral("features")].toArray().size(), 3);
        QCOMPARE(json[QStringLiteral("features")].toArray()[1].toInt(), features[1]);
        const QJsonArray mean = json[QStringLiteral("mean")].toArray();
        QCOMPARE(mean.size(), 4);
        for (int r = 0; r < 4; ++r) {
            const QJsonArray values = mean[r].toArray();
            QCOMPARE(values.size(), map.positions);
            for (int c = 0; c < values.size(); ++c) {
                QVERIFY(std::abs(values[c].toDouble() - map.mean[size_t(r)][size_t(c)]) < 1e-9);
            }
        }

        // Bad input: a feature the SAE lacks, features without an SAE, an SAE without features.
        const QStringList base{QStringLiteral("patch"), QStringLiteral("--model"),
                               test::demoModelPath(), QStringLiteral("--prompts"), agreementSet()};
        const test::ProcessRun outside = test::runCli(
                base + QStringList{QStringLiteral("--sae"), test::demoSaePath(),
                                   QStringLiteral("--features"), QStringLiteral("99999")});
        QCOMPARE(outside.exitCode, 2);
        QCOMPARE(outside.err.trimmed().count(QLatin1Char('\n')), 0);
        QVERIFY2(outside.err.contains(QStringLiteral("99999")), qPrintable(outside.err));
        const test::ProcessRun noSae =
                test::runCli(base + QStringList{QStringLiteral("--features"), QStringLiteral("3")});
        QCOMPARE(noSae.exitCode, 2);
        QVERIFY2(noSae.err.contains(QStringLiteral("--sae")), qPrintable(noSae.err));
        auto twice = gpu::patchMinimalPairs(
                *m_model, m_set,
                [] {
                    gpu::PatchingOptions twiceOptions;
                    twiceOptions.features = {3, 3};
                    return twiceOptions;
                }(),
                {}, sae);
        QVERIFY(!twice);
        QVERIFY2(twice.status().message().contains(QStringLiteral("listed twice")),
                 qPrintable(twice.status().message()));
    }

    void badInputIsOneClearLine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("broken.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"schema": "gyrus.promptset/1", "name": "broken", "factors": [],
                      "items": [{"id": "a", "text": "The weather is good", "pair": "b"},
                                {"id": "c", "text": "The weather is bad"}]})");
        file.close();
        const QStringList base{QStringLiteral("patch"), QStringLiteral("--model"),
                               test::demoModelPath(), QStringLiteral("--prompts")};
        const test::ProcessRun missing = test::runCli(base + QStringList{path});
        QCOMPARE(missing.exitCode, 2);
        QCOMPARE(missing.err.trimmed().count(QLatin1Char('\n')), 0);
        QVERIFY2(missing.err.contains(QStringLiteral(
                         "item 'a' names pair 'b', which is not the id of any item")),
                 qPrintable(missing.err));

        const test::ProcessRun site =
                test::runCli(base + QStringList{agreementSet(), QStringLiteral("--site"),
                                                QStringLiteral("mlp")});
        QCOMPARE(site.exitCode, 2);
        QVERIFY2(site.err.contains(QStringLiteral("cannot patch the site 'mlp'")),
                 qPrintable(site.err));

        const test::ProcessRun half =
                test::runCli(base + QStringList{agreementSet(), QStringLiteral("--target-id"),
                                                QStringLiteral("5")});
        QCOMPARE(half.exitCode, 2);
        QVERIFY2(half.err.contains(QStringLiteral("give both tokens")), qPrintable(half.err));
    }
};

QTEST_GUILESS_MAIN(TestPatchCli)
#include "tst_patch_cli.moc"
