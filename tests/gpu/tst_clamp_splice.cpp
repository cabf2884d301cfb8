// The clamp-set splice (gpu/sae/steering/clamp_splice.h) on the demo model and demo SAE: an empty
// set is no hook at all, an edit that leaves the features as they are is the identity, a clamp to
// the feature's observed maximum moves the next-token distribution, and the positions scope holds.

#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"
#include "gpu/sae/steering/clamp_splice.h"
#include "gpu/sae/steering/steering.h"
#include "tests/gpu/demo_modules.h"

#include <QtTest>

#include <ATen/ATen.h>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

const QString kPrompt = QStringLiteral("The jury said that the city");

FeatureClamp clampOf(int feature, ClampMode mode, double value,
                     ClampPositions positions = ClampPositions::All)
{
    FeatureClamp clamp;
    clamp.feature = feature;
    clamp.mode = mode;
    clamp.value = value;
    clamp.positions = positions;
    return clamp;
}

ClampSet setOf(std::initializer_list<FeatureClamp> clamps)
{
    ClampSet set;
    set.name = QStringLiteral("test");
    set.clamps = clamps;
    return set;
}

}  // namespace

class TestClampSplice : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<LanguageModel> m_model;
    std::shared_ptr<const gpu::detail::SaeModule> m_sae;
    std::vector<int> m_prompt;
    FeatureRange m_strongest;   // the feature most active on the prompt
    FeatureRange m_lastActive;  // the feature most active at the prompt's last token

    /// All logits [tokens, vocab] of `tokens` with `set` spliced in under `scope`.
    at::Tensor logits(const std::vector<int> &tokens, const ClampSet &set, const ClampScope &scope)
    {
        gpu::detail::HookSet hooks;
        const Status added = gpu::detail::addClampSplice(hooks, m_model->config().numHiddenLayers,
                                                         m_sae, set, scope);
        if (!added.isOk()) {
            qWarning("%s", qPrintable(added.message()));
            return at::Tensor();
        }
        std::vector<int64_t> ids(tokens.begin(), tokens.end());
        return m_model->tensorModel()
                .forward(at::tensor(ids, at::kLong).view({1, -1}), hooks.empty() ? nullptr : &hooks)
                .squeeze(0)
                .to(at::kFloat);
    }

    double klAfter(const ClampSet &set)
    {
        auto before = nextTokenLogProbabilities(*m_model, m_sae, ClampSet(), m_prompt);
        auto after = nextTokenLogProbabilities(*m_model, m_sae, set, m_prompt);
        if (!before || !after) {
            return -1.0;
        }
        return klDivergence(before.value(), after.value());
    }

private Q_SLOTS:

    void initTestCase()
    {
        auto demo = test::loadDemoModules();
        QVERIFY2(demo, qPrintable(demo.status().message()));
        m_model = std::move(demo.value().model);
        m_sae = demo.value().sae;
        m_prompt = m_model->encode(kPrompt).value();
        QList<int> all;
        for (int j = 0; j < m_sae->config().dSae; ++j) {
            all.append(j);
        }
        auto ranges = featureRangesOnPrompt(*m_model, *m_sae, m_prompt, all);
        QVERIFY2(ranges.isOk(), qPrintable(ranges.status().message()));
        for (const FeatureRange &range : ranges->ranges) {
            if (range.maximum > m_strongest.maximum) {
                m_strongest = range;
            }
            if (range.last > m_lastActive.last) {
                m_lastActive = range;
            }
        }
        QVERIFY(m_strongest.feature >= 0 && m_strongest.maximum > 0.0);
        QVERIFY(m_lastActive.feature >= 0 && m_lastActive.last > 0.0);
    }

    void emptyOrDisabledSetAddsNoHook()
    {
        gpu::detail::HookSet hooks;
        QVERIFY(gpu::detail::addClampSplice(hooks, 4, m_sae, ClampSet(), {}).isOk());
        FeatureClamp disabled = clampOf(m_strongest.feature, ClampMode::Clamp, 100.0);
        disabled.enabled = false;
        QVERIFY(gpu::detail::addClampSplice(hooks, 4, m_sae, setOf({disabled}), {}).isOk());
        QVERIFY(hooks.empty());
        // Without an SAE an empty set is still fine; a real one is refused with a reason.
        QVERIFY(gpu::detail::addClampSplice(hooks, 4, nullptr, ClampSet(), {}).isOk());
        const Status noSae = gpu::detail::addClampSplice(
                hooks, 4, nullptr, setOf({clampOf(1, ClampMode::Clamp, 1.0)}), {});
        QVERIFY(noSae.message().contains(QLatin1String("no SAE")));
    }

    void emptySetLeavesGenerationBitIdentical()
    {
        GenerateOptions options;
        options.maxNewTokens = 12;
        options.temperature = 0.8;
        options.seed = 7;
        auto plain = m_model->generate(kPrompt, options);
        auto clamped = generateClamped(*m_model, m_sae, ClampSet(), kPrompt, options);
        QVERIFY(plain.isOk() && clamped.isOk());
        QCOMPARE(clamped->tokens, plain->tokens);
        QCOMPARE(clamped->text, plain->text);
        // And the logits over prompt + continuation, with the empty set, are the same bits.
        std::vector<int> sequence = plain->promptTokens;
        sequence.insert(sequence.end(), plain->tokens.begin(), plain->tokens.end());
        const at::Tensor base = logits(sequence, ClampSet(), {});
        const at::Tensor again = logits(sequence, ClampSet(), {});
        QVERIFY(base.defined() && at::equal(base, again));
        // An empty set needs no SAE and gives the same next-token distribution with or without.
        auto withoutSae = nextTokenLogProbabilities(*m_model, nullptr, ClampSet(), m_prompt);
        auto withSae = nextTokenLogProbabilities(*m_model, m_sae, ClampSet(), m_prompt);
        QVERIFY(withoutSae.isOk() && withSae.isOk());
        QVERIFY(withoutSae.value() == withSae.value());
    }

    void editThatKeepsFeaturesIsExactIdentity()
    {
        // Scale 1 and add 0 at every position: f' = f, so h' = h.
        const std::vector<int> &tokens = m_prompt;
        const at::Tensor base = logits(tokens, ClampSet(), {});
        for (const ClampSet &set :
             {setOf({clampOf(m_strongest.feature, ClampMode::Scale, 1.0)}),
              setOf({clampOf(m_strongest.feature, ClampMode::Add, 0.0)}),
              setOf({clampOf(3, ClampMode::Scale, 1.0), clampOf(9, ClampMode::Add, 0.0)})}) {
            const at::Tensor spliced = logits(tokens, set, {});
            QVERIFY(spliced.defined());
            const double worst = (spliced - base).abs().max().item<double>();
            qInfo("identity edit: max |Δlogit| = %g", worst);
            QVERIFY(worst <= 1e-5);
            QVERIFY(klAfter(set) <= 1e-9);
        }
        // Clamping the last position to the value it already has there.
        ClampScope lastOnly{int64_t(tokens.size()), int64_t(tokens.size()) - 1};
        const ClampSet same = setOf({clampOf(m_lastActive.feature, ClampMode::Clamp,
                                             m_lastActive.last, ClampPositions::Prompt)});
        const double worst = (logits(tokens, same, lastOnly) - base).abs().max().item<double>();
        qInfo("feature %d clamped at the last token to its value there (%.4f): max |Δlogit| = %g",
              m_lastActive.feature, m_lastActive.last, worst);
        QVERIFY2(worst <= 1e-5, qPrintable(QString::number(worst)));
        // ... and to another value does change it (the scope really reaches that position).
        const ClampSet other = setOf({clampOf(m_lastActive.feature, ClampMode::Clamp,
                                              m_lastActive.last + 5.0, ClampPositions::Prompt)});
        QVERIFY((logits(tokens, other, lastOnly) - base).abs().max().item<double>() > 1e-3);
    }

    void clampToObservedMaximumMovesTheNextToken()
    {
        const ClampSet set =
                setOf({clampOf(m_strongest.feature, ClampMode::Clamp, m_strongest.maximum)});
        const double kl = klAfter(set);
        qInfo("feature %d (max %.3f on the prompt, last %.3f): KL after clamping to max = %.4g",
              m_strongest.feature, m_strongest.maximum, m_strongest.last, kl);
        QVERIFY(kl > 1e-4);
        // Scale 1 of the same feature, its "current value", changes nothing.
        const double same = klAfter(setOf({clampOf(m_strongest.feature, ClampMode::Scale, 1.0)}));
        qInfo("KL after scale 1.0 = %.3g", same);
        QVERIFY(same <= 1e-9);
    }

    void additiveSteeringFollowsTheDecoderDirection()
    {
        const double zero = klAfter(setOf({clampOf(m_strongest.feature, ClampMode::Add, 0.0)}));
        const double some = klAfter(setOf({clampOf(m_strongest.feature, ClampMode::Add, 8.0)}));
        qInfo("add α=0: KL %.3g; α=8: KL %.4g", zero, some);
        QVERIFY(zero <= 1e-9);
        QVERIFY(some > 1e-4);
    }

    void generatedPositionsLeaveThePromptAlone()
    {
        const ClampSet set = setOf({clampOf(m_strongest.feature, ClampMode::Clamp,
                                            m_strongest.maximum * 3, ClampPositions::Generated)});
        QVERIFY(klAfter(set) == 0.0);
        // Over prompt + continuation: the prompt's logits are the same bits, later ones move.
        GenerateOptions options;
        options.maxNewTokens = 6;
        auto plain = m_model->generate(kPrompt, options);
        QVERIFY(plain.isOk());
        std::vector<int> sequence = plain->promptTokens;
        sequence.insert(sequence.end(), plain->tokens.begin(), plain->tokens.end());
        const int64_t promptLength = int64_t(plain->promptTokens.size());
        const ClampScope scope = clampScopeForPrompt(promptLength, true);
        const at::Tensor base = logits(sequence, ClampSet(), scope);
        const at::Tensor spliced = logits(sequence, set, scope);
        QVERIFY(at::equal(spliced.narrow(0, 0, promptLength), base.narrow(0, 0, promptLength)));
        const int64_t rest = int64_t(sequence.size()) - promptLength;
        QVERIFY((spliced.narrow(0, promptLength, rest) - base.narrow(0, promptLength, rest))
                        .abs()
                        .max()
                        .item<double>() > 1e-3);
        // Prompt-only clamps do move the prompt's last logits.
        const ClampSet promptOnly =
                setOf({clampOf(m_strongest.feature, ClampMode::Clamp, m_strongest.maximum * 3,
                               ClampPositions::Prompt)});
        QVERIFY(klAfter(promptOnly) > 1e-4);
    }

    void generationWithAClampDiffersFromBaseline()
    {
        GenerateOptions options;
        options.maxNewTokens = 16;
        auto plain = m_model->generate(kPrompt, options);
        auto steered = generateClamped(
                *m_model, m_sae,
                setOf({clampOf(m_strongest.feature, ClampMode::Clamp, m_strongest.maximum * 4)}),
                kPrompt, options);
        QVERIFY(plain.isOk() && steered.isOk());
        qInfo("baseline: %s\nsteered:  %s", qPrintable(plain->text), qPrintable(steered->text));
        QVERIFY(steered->tokens != plain->tokens);
    }

    void badClampSetsAreRefusedWithTheEntry()
    {
        gpu::detail::HookSet hooks;
        const Status outside = gpu::detail::addClampSplice(
                hooks, 4, m_sae, setOf({clampOf(5000, ClampMode::Clamp, 1.0)}), {});
        QVERIFY(!outside.isOk());
        QVERIFY2(outside.message().contains(QLatin1String("feature 5000")) &&
                         outside.message().contains(QLatin1String("1536")),
                 qPrintable(outside.message()));
        const Status nan = gpu::detail::addClampSplice(
                hooks, 4, m_sae, setOf({clampOf(2, ClampMode::Scale, std::nan(""))}), {});
        QVERIFY(nan.message().contains(QLatin1String("feature 2")));
        QVERIFY(hooks.empty());
    }
};

QTEST_GUILESS_MAIN(TestClampSplice)
#include "tst_clamp_splice.moc"
