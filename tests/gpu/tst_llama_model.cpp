// The transformer's maths on a tiny in-memory Llama: each op against its textbook formula, the
// KV cache against the full forward, causality, hooks, padding, sampling and generation.

#include "gpu/model/generation.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/random_llama_weights.h"
#include "gpu/model/sampler.h"
#include "gpu/model/torch_compat.h"
#include "gpu/model/transformer.h"
#include "gpu/model/transformer_ops.h"

#include <QtTest>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <map>
#include <memory>
#include <vector>

using namespace gyrus;
using namespace gyrus::gpu::detail;

namespace {

gpu::ModelConfig tinyConfig()
{
    gpu::ModelConfig c;
    c.hiddenSize = 32;
    c.numHiddenLayers = 2;
    c.numAttentionHeads = 4;
    c.numKeyValueHeads = 2;
    c.intermediateSize = 48;
    c.vocabSize = 64;
    c.ropeTheta = 5000.0;
    c.maxPositionEmbeddings = 16;  // small, so that long inputs grow the RoPE table
    c.rmsNormEps = 1e-6;
    return c;
}

std::shared_ptr<Transformer> tinyModel(at::ScalarType dtype = at::kFloat, uint64_t seed = 0,
                                       const gpu::ModelConfig &config = tinyConfig())
{
    auto model = Transformer::fromTensors(config, randomLlamaTensors(config, seed),
                                          at::Device(at::kCPU), dtype);
    if (!model) {
        qFatal("%s", qPrintable(model.status().message()));
    }
    return model.value();
}

at::Tensor randomTokens(int64_t batch, int64_t n, uint64_t seed = 1)
{
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return at::randint(3, tinyConfig().vocabSize, {batch, n}, gen, at::kLong);
}

at::Tensor randn(at::IntArrayRef sizes, uint64_t seed)
{
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return at::randn(sizes, gen, at::kFloat);
}

double maxAbsDiff(const at::Tensor &a, const at::Tensor &b)
{
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>();
}

}  // namespace

class TestLlamaModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase() { at::set_num_threads(1); }

    void rmsNormMatchesFormula()
    {
        const at::Tensor x = randn({2, 3, 8}, 3);
        const at::Tensor w = randn({8}, 4);
        const at::Tensor out = rmsNorm(x, w, 1e-5);
        for (int64_t b = 0; b < 2; ++b) {
            for (int64_t t = 0; t < 3; ++t) {
                double meanSquare = 0.0;
                for (int64_t i = 0; i < 8; ++i) {
                    meanSquare += std::pow(x[b][t][i].item<double>(), 2) / 8.0;
                }
                for (int64_t i = 0; i < 8; ++i) {
                    const double expected = w[i].item<double>() * x[b][t][i].item<double>() /
                                            std::sqrt(meanSquare + 1e-5);
                    QVERIFY(std::abs(out[b][t][i].item<double>() - expected) < 1e-5);
                }
            }
        }
    }

    void ropeMatchesCosSinFormula()
    {
        // Pair (i, i + d/2) rotates by angle position/scale * theta^(-2i/d) (HF rotate_half).
        const int64_t d = 8;
        const double theta = 500.0;
        const double scale = 2.0;
        const at::Tensor x = randn({1, 5, 3, d}, 5);
        const at::Tensor positions = at::arange(7, 12, at::kLong);
        const at::Tensor out = applyRope(x, ropeTables(positions, d, theta, scale));
        for (int64_t t = 0; t < 5; ++t) {
            const double pos = static_cast<double>(7 + t) / scale;
            for (int64_t h = 0; h < 3; ++h) {
                for (int64_t i = 0; i < d / 2; ++i) {
                    const double angle = pos * std::pow(theta, -2.0 * i / d);
                    const double a = x[0][t][h][i].item<double>();
                    const double b = x[0][t][h][i + d / 2].item<double>();
                    QVERIFY(std::abs(out[0][t][h][i].item<double>() -
                                     (a * std::cos(angle) - b * std::sin(angle))) < 1e-5);
                    QVERIFY(std::abs(out[0][t][h][i + d / 2].item<double>() -
                                     (b * std::cos(angle) + a * std::sin(angle))) < 1e-5);
                }
            }
        }
    }

    void groupedQueryAttentionMatchesExpandedHeads_data()
    {
        QTest::addColumn<int>("tokens");
        QTest::addColumn<int>("past");
        QTest::addColumn<int>("window");
        QTest::newRow("prefill") << 6 << 0 << 0;
        QTest::newRow("chunk after past") << 3 << 4 << 0;
        QTest::newRow("one token decode") << 1 << 7 << 0;
        QTest::newRow("sliding window prefill") << 7 << 0 << 3;
        QTest::newRow("sliding window chunk") << 3 << 5 << 4;
        QTest::newRow("sliding window decode") << 1 << 8 << 5;
        QTest::newRow("window longer than history") << 4 << 2 << 9;
    }

    void groupedQueryAttentionMatchesExpandedHeads()
    {
        QFETCH(int, tokens);
        QFETCH(int, past);
        QFETCH(int, window);
        const int64_t batch = 2, heads = 6, kvHeads = 2, d = 4, keys = tokens + past;
        const at::Tensor q = randn({batch, tokens, heads, d}, 11);
        const at::Tensor k = randn({batch, kvHeads, keys, d}, 12);
        const at::Tensor v = randn({batch, kvHeads, keys, d}, 13);
        const at::Tensor out = groupedQueryAttention(q, k, v, window);
        QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{batch, tokens, heads * d}));
        // Multi-head attention with each KV head repeated for its group, one head at a time.
        for (int64_t b = 0; b < batch; ++b) {
            for (int64_t h = 0; h < heads; ++h) {
                const int64_t kv = h / (heads / kvHeads);
                for (int64_t t = 0; t < tokens; ++t) {
                    // Keys first .. past + t: all of them, or the last `window`.
                    const int64_t last = past + t;
                    const int64_t first = window > 0 ? std::max<int64_t>(0, last - window + 1) : 0;
                    const int64_t visible = last - first + 1;
                    const at::Tensor scores =
                            at::mv(k[b][kv].narrow(0, first, visible), q[b][t][h]) / std::sqrt(4.0);
                    const at::Tensor expected =
                            at::mv(v[b][kv].narrow(0, first, visible).t(), at::softmax(scores, 0));
                    QVERIFY(maxAbsDiff(out[b][t].narrow(0, h * d, d), expected) < 1e-5);
                }
            }
        }
    }

    void fusedAttentionEqualsEagerPath_data()
    {
        QTest::addColumn<int>("tokens");
        QTest::addColumn<int>("past");
        QTest::addColumn<int>("window");
        QTest::addColumn<double>("scale");
        QTest::addColumn<bool>("bf16");
        QTest::newRow("prefill") << 6 << 0 << 0 << 0.0 << false;
        QTest::newRow("chunk after past") << 3 << 4 << 0 << 0.0 << false;
        QTest::newRow("one token decode") << 1 << 7 << 0 << 0.0 << false;
        QTest::newRow("sliding window chunk") << 3 << 5 << 4 << 0.0 << false;
        QTest::newRow("sliding window decode") << 1 << 8 << 5 << 0.0 << false;
        QTest::newRow("query_pre_attn_scalar scale") << 5 << 2 << 0 << 0.125 << false;
        QTest::newRow("bf16 prefill") << 6 << 0 << 0 << 0.0 << true;
    }

    // LibTorch 2.5+ runs attention through at::scaled_dot_product_attention; on the CPU it must
    // give what the eager path (checked above against the per-head formula) gives.
    void fusedAttentionEqualsEagerPath()
    {
        if (!compat::kHasFusedAttention) {
            QSKIP("this LibTorch has no fused attention (before 2.5)");
        }
        QFETCH(int, tokens);
        QFETCH(int, past);
        QFETCH(int, window);
        QFETCH(double, scale);
        QFETCH(bool, bf16);
        const int64_t batch = 2, heads = 6, kvHeads = 2, d = 8, keys = tokens + past;
        const at::ScalarType type = bf16 ? at::kBFloat16 : at::kFloat;
        const at::Tensor q = randn({batch, tokens, heads, d}, 21).to(type);
        const at::Tensor k = randn({batch, kvHeads, keys, d}, 22).to(type);
        const at::Tensor v = randn({batch, kvHeads, keys, d}, 23).to(type);
        AttentionShape shape;
        shape.slidingWindow = window;
        shape.scale = scale;
        const at::Tensor fused = groupedQueryAttention(q, k, v, shape);
        shape.allowFused = false;
        const at::Tensor eager = groupedQueryAttention(q, k, v, shape);
        QCOMPARE(fused.sizes().vec(), eager.sizes().vec());
        QCOMPARE(fused.scalar_type(), type);
        // bf16 outputs are rounded to 8 significant bits: two roundings apart at most.
        const double bound = bf16 ? 2.0 * std::ldexp(1.0, -8) * 4.0 : 1e-5;
        QVERIFY2(maxAbsDiff(fused.to(at::kFloat), eager.to(at::kFloat)) < bound,
                 qPrintable(
                         QString::number(maxAbsDiff(fused.to(at::kFloat), eager.to(at::kFloat)))));
    }

    void softCappedAttentionStaysEager()
    {
        // Gemma-2's capped scores: the fused kernel cannot cap, so both settings give the eager
        // result bit for bit.
        const at::Tensor q = randn({1, 4, 4, 8}, 31);
        const at::Tensor k = randn({1, 2, 4, 8}, 32).mul(4.0);
        const at::Tensor v = randn({1, 2, 4, 8}, 33);
        AttentionShape shape;
        shape.softcap = 2.0;
        const at::Tensor a = groupedQueryAttention(q, k, v, shape);
        shape.allowFused = false;
        QVERIFY(at::equal(a, groupedQueryAttention(q, k, v, shape)));
        shape.softcap = 0.0;
        shape.allowFused = false;
        QVERIFY(maxAbsDiff(a, groupedQueryAttention(q, k, v, shape)) > 1e-3);  // the cap mattered
    }

    void kvCacheDecodingEqualsFullForward()
    {
        auto model = tinyModel();
        // 24 tokens: beyond max_position_embeddings (16) and the cache's initial capacity (4).
        const at::Tensor tokens = randomTokens(1, 24);
        const at::Tensor full = model->forward(tokens);
        KvCache cache = model->newCache(4);
        std::vector<at::Tensor> steps{model->forward(tokens.narrow(1, 0, 5), nullptr, &cache)};
        for (int64_t t = 5; t < 24; ++t) {
            steps.push_back(model->forward(tokens.narrow(1, t, 1), nullptr, &cache));
        }
        QCOMPARE(cache.length(), int64_t(24));
        const double diff = maxAbsDiff(at::cat(steps, 1), full);
        QVERIFY2(diff < 1e-4, qPrintable(QString::number(diff)));
    }

    void slidingWindowLimitsTheReceptiveField()
    {
        // Window 3 over 2 layers: position i depends on tokens i-4 .. i only (Mistral).
        gpu::ModelConfig config = tinyConfig();
        config.slidingWindow = 3;
        auto model = tinyModel(at::kFloat, 0, config);
        const at::Tensor tokens = randomTokens(1, 14);
        at::Tensor changed = tokens.clone();
        changed[0][2] = (tokens[0][2].item<int64_t>() + 9) % config.vocabSize;
        const at::Tensor a = model->forward(tokens);
        const at::Tensor b = model->forward(changed);
        QVERIFY(maxAbsDiff(a.narrow(1, 0, 2), b.narrow(1, 0, 2)) < 1e-6);
        QVERIFY(maxAbsDiff(a.narrow(1, 6, 1), b.narrow(1, 6, 1)) > 1e-4);
        QVERIFY(maxAbsDiff(a.narrow(1, 7, 7), b.narrow(1, 7, 7)) < 1e-6);
        // Incremental decoding applies the same window to the cached history.
        KvCache cache = model->newCache(2);
        std::vector<at::Tensor> steps{model->forward(tokens.narrow(1, 0, 4), nullptr, &cache)};
        for (int64_t t = 4; t < 14; ++t) {
            steps.push_back(model->forward(tokens.narrow(1, t, 1), nullptr, &cache));
        }
        QVERIFY(maxAbsDiff(at::cat(steps, 1), a) < 1e-4);
    }

    void changingATokenLeavesEarlierLogitsUnchanged()
    {
        auto model = tinyModel();
        const at::Tensor tokens = randomTokens(1, 12);
        at::Tensor changed = tokens.clone();
        changed[0][7] = (tokens[0][7].item<int64_t>() + 5) % tinyConfig().vocabSize;
        const at::Tensor a = model->forward(tokens);
        const at::Tensor b = model->forward(changed);
        QVERIFY(maxAbsDiff(a.narrow(1, 0, 7), b.narrow(1, 0, 7)) < 1e-6);
        QVERIFY(maxAbsDiff(a.narrow(1, 7, 5), b.narrow(1, 7, 5)) > 1e-3);
    }

    void identityHooksLeaveLogitsBitIdentical()
    {
        auto model = tinyModel();
        const at::Tensor tokens = randomTokens(2, 9);
        const at::Tensor plain = model->forward(tokens);
        HookSet same;
        HookSet copies;
        HookSet ranged;
        int calls = 0;
        for (const QString &name : hookNames(tinyConfig().numHiddenLayers)) {
            const HookPoint point = *HookPoint::parse(name, tinyConfig().numHiddenLayers);
            same.add(point, [&](const at::Tensor &x, const HookContext &) {
                ++calls;
                return x;
            });
            copies.add(point, [](const at::Tensor &x, const HookContext &) { return x.clone(); });
            ranged.add(
                    point, [](const at::Tensor &x, const HookContext &) { return x.clone(); },
                    PositionRange{2, 5});
        }
        QVERIFY(at::equal(model->forward(tokens, &same), plain));
        QCOMPARE(calls, 1 + 5 * 2 + 1);
        QVERIFY(at::equal(model->forward(tokens, &copies), plain));
        QVERIFY(at::equal(model->forward(tokens, &ranged), plain));
    }

    void captureAtEverySiteHasConsistentValues()
    {
        auto model = tinyModel();
        const at::Tensor tokens = randomTokens(2, 7);
        HookSet hooks;
        const QStringList names = hookNames(2);
        QCOMPARE(names.size(), 12);
        for (const QString &name : names) {
            hooks.capture(*HookPoint::parse(name, 2));
        }
        model->forward(tokens, &hooks);
        for (const QString &name : names) {
            const at::Tensor t = hooks.captured(*HookPoint::parse(name, 2));
            QVERIFY2(t.defined(), qPrintable(name));
            QCOMPARE(t.sizes().vec(), (std::vector<int64_t>{2, 7, 32}));
        }
        auto at = [&](const char *name) {
            return hooks.captured(*HookPoint::parse(QLatin1String(name), 2));
        };
        // The residual stream adds up: TransformerLens semantics, not just shapes.
        QVERIFY(at::equal(at("hook_embed"), at("blocks.0.hook_resid_pre")));
        QVERIFY(maxAbsDiff(at("blocks.0.hook_resid_pre") + at("blocks.0.hook_attn_out"),
                           at("blocks.0.hook_resid_mid")) < 1e-6);
        QVERIFY(maxAbsDiff(at("blocks.1.hook_resid_mid") + at("blocks.1.hook_mlp_out"),
                           at("blocks.1.hook_resid_post")) < 1e-6);
        QVERIFY(at::equal(at("blocks.0.hook_resid_post"), at("blocks.1.hook_resid_pre")));
        // ln_final.hook_normalized is taken before the norm's weight (TransformerLens).
        const at::Tensor final = at("ln_final.hook_normalized") * model->finalNormGain();
        QVERIFY(maxAbsDiff(at::linear(final, model->weights().lmHead), model->forward(tokens)) <
                1e-5);
    }

    void forwardWithoutLogitsStopsAtTheDeepestHook()
    {
        auto model = tinyModel();
        const at::Tensor tokens = randomTokens(1, 6);
        HookSet full;
        full.capture(HookPoint::block(HookSite::MlpOut, 0));
        model->forward(tokens, &full);
        HookSet shallow;
        shallow.capture(HookPoint::block(HookSite::MlpOut, 0));
        int deeperCalls = 0;
        QVERIFY(!model->forward(tokens, &shallow, nullptr, LogitsMode::None).defined());
        QVERIFY(at::equal(shallow.captured(HookPoint::block(HookSite::MlpOut, 0)),
                          full.captured(HookPoint::block(HookSite::MlpOut, 0))));
        QCOMPARE(shallow.deepestLayer(2), 0);
        // A hook on ln_final needs every layer even without logits.
        HookSet final;
        final.add(HookPoint::block(HookSite::ResidPost, 1),
                  [&](const at::Tensor &, const HookContext &) {
                      ++deeperCalls;
                      return at::Tensor();
                  });
        final.capture(HookPoint::finalNormalized());
        model->forward(tokens, &final, nullptr, LogitsMode::None);
        QCOMPARE(deeperCalls, 1);
        QVERIFY(final.captured(HookPoint::finalNormalized()).defined());
    }

    void replacementInARangeChangesOnlyLaterPositions()
    {
        auto model = tinyModel();
        const at::Tensor tokens = randomTokens(1, 10);
        const at::Tensor plain = model->forward(tokens);
        HookSet hooks;
        std::vector<int64_t> seenPositions;
        hooks.add(
                HookPoint::block(HookSite::ResidPre, 1),
                [&](const at::Tensor &x, const HookContext &context) {
                    seenPositions.assign(
                            context.positions.data_ptr<int64_t>(),
                            context.positions.data_ptr<int64_t>() + context.positions.numel());
                    return at::zeros_like(x);
                },
                PositionRange{4, 6});
        const at::Tensor edited = model->forward(tokens, &hooks);
        QCOMPARE(seenPositions, (std::vector<int64_t>{4, 5}));
        QVERIFY(at::equal(edited.narrow(1, 0, 4), plain.narrow(1, 0, 4)));
        QVERIFY(maxAbsDiff(edited.narrow(1, 4, 1), plain.narrow(1, 4, 1)) > 1e-3);
        QVERIFY(maxAbsDiff(edited.narrow(1, 9, 1), plain.narrow(1, 9, 1)) > 1e-6);
    }

    void rightPaddedBatchEqualsSeparateForwards()
    {
        auto model = tinyModel();
        const std::vector<int64_t> lengths{5, 9, 3};
        std::vector<at::Tensor> prompts;
        at::Tensor batch = at::zeros({3, 9}, at::kLong);
        for (size_t i = 0; i < lengths.size(); ++i) {
            prompts.push_back(randomTokens(1, lengths[i], 20 + i));
            batch[static_cast<int64_t>(i)].narrow(0, 0, lengths[i]).copy_(prompts[i][0]);
        }
        HookSet hooks;
        hooks.capture(HookPoint::block(HookSite::ResidPost, 0));
        const at::Tensor logits = model->forward(batch, &hooks);
        const at::Tensor resid = hooks.captured(HookPoint::block(HookSite::ResidPost, 0));
        for (size_t i = 0; i < lengths.size(); ++i) {
            HookSet single;
            single.capture(HookPoint::block(HookSite::ResidPost, 0));
            const at::Tensor alone = model->forward(prompts[i], &single);
            const auto row = static_cast<int64_t>(i);
            QVERIFY(maxAbsDiff(logits[row].narrow(0, 0, lengths[i]), alone[0]) < 1e-5);
            QVERIFY(maxAbsDiff(resid[row].narrow(0, 0, lengths[i]),
                               single.captured(HookPoint::block(HookSite::ResidPost, 0))[0]) <
                    1e-5);
        }
    }

    void seededSamplingIsReproducibleAndFollowsTheDistribution()
    {
        const at::Tensor logits = at::tensor({2.0f, 1.0f, 0.0f, -1.0f, 0.5f});
        auto draw = [&](SamplingOptions options, int n) {
            Sampler sampler(options);
            std::vector<int64_t> out;
            for (int i = 0; i < n; ++i) {
                out.push_back(sampler.next(logits));
            }
            return out;
        };
        const SamplingOptions seeded{1.0, 0, 1.0, 42};
        QCOMPARE(draw(seeded, 50), draw(seeded, 50));
        QVERIFY(draw(seeded, 50) != draw(SamplingOptions{1.0, 0, 1.0, 43}, 50));
        // Frequencies approach softmax(logits / T).
        const std::vector<int64_t> many = draw(SamplingOptions{0.5, 0, 1.0, 7}, 20000);
        const at::Tensor probs = at::softmax(logits / 0.5, 0);
        for (int64_t id = 0; id < 5; ++id) {
            const double freq = std::count(many.begin(), many.end(), id) / 20000.0;
            QVERIFY2(std::abs(freq - probs[id].item<double>()) < 0.015,
                     qPrintable(QStringLiteral("id %1: %2").arg(id).arg(freq)));
        }
        // top-k 2 keeps ids 0 and 1; top-p 0.5 keeps only the argmax (p = 0.51 at T = 1).
        for (int64_t id : draw(SamplingOptions{1.0, 2, 1.0, 3}, 200)) {
            QVERIFY(id == 0 || id == 1);
        }
        for (int64_t id : draw(SamplingOptions{1.0, 0, 0.5, 3}, 50)) {
            QCOMPARE(id, int64_t(0));
        }
        QCOMPARE(draw(SamplingOptions{0.0, 0, 1.0, 0}, 1).front(), int64_t(0));
    }

    void greedyGenerationEqualsArgmaxOfFullForwards()
    {
        auto model = tinyModel();
        const at::Tensor prompt = randomTokens(1, 6);
        const std::vector<int64_t> promptIds(prompt.data_ptr<int64_t>(),
                                             prompt.data_ptr<int64_t>() + 6);
        GenerationSettings settings;
        settings.maxNewTokens = 12;
        std::vector<int64_t> streamed;
        const GenerationOutput output =
                generateTokens(*model, promptIds, settings, nullptr, [&](int64_t token) {
                    streamed.push_back(token);
                    return true;
                });
        QCOMPARE(output.tokens.size(), size_t(12));
        QCOMPARE(streamed, output.tokens);
        QVERIFY(output.reason == StopReason::MaxTokens);
        std::vector<int64_t> sequence = promptIds;
        for (int64_t expected : output.tokens) {
            const at::Tensor ids = at::tensor(sequence, at::kLong)
                                           .view({1, static_cast<int64_t>(sequence.size())});
            const int64_t argmax = model->forward(ids)[0][-1].argmax().item<int64_t>();
            QCOMPARE(expected, argmax);
            sequence.push_back(argmax);
        }
    }

    void interventionsStayActiveDuringCachedGeneration()
    {
        // A steering vector added from position 4 on, through prefill and decode steps, gives
        // the tokens that full forwards with the same hook give.
        auto model = tinyModel();
        const at::Tensor steer = randn({32}, 99) * 4.0;
        auto makeHooks = [&](HookSet &hooks) {
            hooks.add(
                    HookPoint::block(HookSite::ResidPost, 0),
                    [&](const at::Tensor &x, const HookContext &) { return x + steer; },
                    PositionRange{4, 1000});
        };
        const std::vector<int64_t> prompt{5, 9, 14, 3, 22, 41};
        GenerationSettings settings;
        settings.maxNewTokens = 8;
        HookSet hooks;
        makeHooks(hooks);
        const GenerationOutput steered = generateTokens(*model, prompt, settings, &hooks);
        const GenerationOutput plain = generateTokens(*model, prompt, settings);
        QVERIFY(steered.tokens != plain.tokens);
        std::vector<int64_t> sequence = prompt;
        for (int64_t expected : steered.tokens) {
            HookSet fullHooks;
            makeHooks(fullHooks);
            const at::Tensor ids = at::tensor(sequence, at::kLong)
                                           .view({1, static_cast<int64_t>(sequence.size())});
            const int64_t argmax = model->forward(ids, &fullHooks)[0][-1].argmax().item<int64_t>();
            QCOMPARE(expected, argmax);
            sequence.push_back(argmax);
        }
    }

    void generationStopsAtEosAndOnCancel()
    {
        auto model = tinyModel();
        const std::vector<int64_t> prompt{5, 9, 14};
        GenerationSettings settings;
        settings.maxNewTokens = 10;
        const GenerationOutput free = generateTokens(*model, prompt, settings);
        settings.eosId = free.tokens[3];
        const GenerationOutput stopped = generateTokens(*model, prompt, settings);
        QVERIFY(stopped.reason == StopReason::Eos);
        const auto firstEos = std::find(free.tokens.begin(), free.tokens.end(), settings.eosId);
        QCOMPARE(stopped.tokens, std::vector<int64_t>(free.tokens.begin(), firstEos + 1));
        settings.eosId = -1;
        int seen = 0;
        const GenerationOutput cancelled = generateTokens(*model, prompt, settings, nullptr,
                                                          [&](int64_t) { return ++seen < 3; });
        QVERIFY(cancelled.reason == StopReason::Cancelled);
        QCOMPARE(cancelled.tokens.size(), size_t(3));
    }

    void bf16StaysCloseToFp32()
    {
        const at::Tensor tokens = randomTokens(1, 10);
        const at::Tensor fp32 = tinyModel(at::kFloat)->forward(tokens);
        auto bf16Model = tinyModel(at::kBFloat16);
        const at::Tensor bf16 = bf16Model->forward(tokens);
        QCOMPARE(bf16.scalar_type(), at::kBFloat16);
        const double scale = fp32.abs().max().item<double>();
        QVERIFY2(maxAbsDiff(bf16, fp32) < 0.05 * scale,
                 qPrintable(QStringLiteral("%1 vs %2").arg(maxAbsDiff(bf16, fp32)).arg(scale)));
        KvCache cache = bf16Model->newCache();
        bf16Model->forward(tokens.narrow(1, 0, 9), nullptr, &cache);
        const at::Tensor last = bf16Model->forward(tokens.narrow(1, 9, 1), nullptr, &cache);
        QVERIFY(maxAbsDiff(last[0][0], bf16[0][9]) < 0.05 * scale);
    }

    // Mixed precision for the forward: float32 weights, matmuls in bf16 under autocast.
    void bf16AutocastStaysCloseToFp32()
    {
        const at::Tensor tokens = randomTokens(1, 10);
        auto model = tinyModel(at::kFloat);
        const at::Tensor fp32 = model->forward(tokens);
        model->setAutocast(at::kBFloat16);
        const at::Tensor mixed = model->forward(tokens);
        QCOMPARE(mixed.scalar_type(), at::kFloat);  // logits in the weights' dtype
        QCOMPARE(model->dtype(), at::kFloat);
        const double scale = fp32.abs().max().item<double>();
        const double difference = maxAbsDiff(mixed, fp32);
        QVERIFY2(difference < 0.05 * scale,
                 qPrintable(QStringLiteral("%1 vs %2").arg(difference).arg(scale)));
        QVERIFY(difference > 0.0);  // the matmuls did run in bf16
        KvCache cache = model->newCache();
        model->forward(tokens.narrow(1, 0, 9), nullptr, &cache);
        const at::Tensor last = model->forward(tokens.narrow(1, 9, 1), nullptr, &cache);
        QVERIFY(maxAbsDiff(last[0][0], mixed[0][9]) < 0.05 * scale);
        // The scope ends with the forward: a float32 product afterwards is float32 again.
        const at::Tensor x = at::ones({2, 2});
        QCOMPARE(at::mm(x, x).scalar_type(), at::kFloat);
        model->setAutocast(std::nullopt);
        QVERIFY(at::equal(model->forward(tokens), fp32));
    }

    void rejectsBadWeightsAndTokens()
    {
        const gpu::ModelConfig config = tinyConfig();
        auto tensors = randomLlamaTensors(config, 0);
        tensors.erase("model.layers.1.mlp.up_proj.weight");
        auto missing = Transformer::fromTensors(config, tensors, at::Device(at::kCPU), at::kFloat);
        QVERIFY(!missing.isOk());
        QVERIFY(missing.status().message().contains(
                QStringLiteral("model.layers.1.mlp.up_proj.weight")));

        tensors = randomLlamaTensors(config, 0);
        tensors["model.layers.0.self_attn.k_proj.weight"] = at::zeros({32, 32});
        auto shape = Transformer::fromTensors(config, tensors, at::Device(at::kCPU), at::kFloat);
        QVERIFY(!shape.isOk());
        QVERIFY2(shape.status().message().contains(QStringLiteral("[32,32], expected [16,32]")),
                 qPrintable(shape.status().message()));

        tensors = randomLlamaTensors(config, 0);
        tensors["model.norm.weight"][3] = NAN;
        auto nan = Transformer::fromTensors(config, tensors, at::Device(at::kCPU), at::kFloat);
        QVERIFY(!nan.isOk());
        QVERIFY(nan.status().message().contains(QStringLiteral("model.norm.weight")));
        // The element is named too: the damaged checkpoint can be inspected where it broke.
        QVERIFY2(nan.status().message().contains(
                         QStringLiteral("nan at [3], 1 non-finite value in all")),
                 qPrintable(nan.status().message()));
        tensors = randomLlamaTensors(config, 0);
        tensors["model.layers.0.self_attn.k_proj.weight"][5][7] = -INFINITY;
        tensors["model.layers.0.self_attn.k_proj.weight"][9][1] = NAN;
        auto inf = Transformer::fromTensors(config, tensors, at::Device(at::kCPU), at::kFloat);
        QVERIFY2(inf.status().message().contains(QStringLiteral(
                         "'model.layers.0.self_attn.k_proj.weight' holds NaN or infinite values: "
                         "-inf at [5, 7], 2 non-finite values in all")),
                 qPrintable(inf.status().message()));

        auto model = tinyModel();
        QVERIFY_THROWS_EXCEPTION(c10::Error, model->forward(at::full({1, 2}, 64, at::kLong)));
    }
};

QTEST_APPLESS_MAIN(TestLlamaModel)
#include "tst_llama_model.moc"
