// Prompt-set items to vectors: pooling over token windows, raw or through an SAE.

#include "gpu/analysis/prompt_representation.h"
#include "gpu/analysis/representation_cache.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/safetensors.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/sae/sae_module.h"
#include "tests/gpu/tiny_models.h"
#include "tests/support/test_paths.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <algorithm>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

constexpr int kWidth = 32;
const QString kHook = QStringLiteral("blocks.1.hook_resid_post");

PromptSet makeSet(const QStringList &texts, const QString &targetRegex = QString())
{
    PromptSet set;
    set.name = QStringLiteral("test");
    set.factors.append(
            PromptFactor{QStringLiteral("f"), {QStringLiteral("a"), QStringLiteral("b")}});
    for (int i = 0; i < texts.size(); ++i) {
        PromptItem item;
        item.id = QStringLiteral("item_%1").arg(i);
        item.text = texts[i];
        item.levels.insert(QStringLiteral("f"), i % 2 ? QStringLiteral("b") : QStringLiteral("a"));
        if (!targetRegex.isEmpty()) {
            item.target = PromptTarget::fromRegex(targetRegex);
        }
        set.items.append(item);
    }
    return set;
}

}  // namespace

class TestPromptRepresentation : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<LanguageModel> m_model;

    // The hook's activations of one text, [tokens, d], BOS at row 0.
    at::Tensor rowsOf(const QString &text)
    {
        ForwardOptions options;
        options.captures = {kHook};
        options.logits = false;
        const auto ids = m_model->encode(text).value();
        const FloatTensor t = m_model->forward(ids, options).value().activations.at(kHook);
        return at::from_blob(const_cast<float *>(t.values.data()), {t.shape[0], t.shape[1]},
                             at::kFloat)
                .clone();
    }

    at::Tensor row(const PromptRepresentations &r, int i)
    {
        return at::from_blob(const_cast<float *>(r.values.values.data()) + i * r.values.cols,
                             {r.values.cols}, at::kFloat);
    }

    static double maxDiff(const at::Tensor &a, const at::Tensor &b)
    {
        return (a - b).abs().max().item<double>();
    }

private Q_SLOTS:

    void initTestCase()
    {
        const QString dir = m_dir.filePath(QStringLiteral("model"));
        QVERIFY(test::writeTinyDemoVocabModel(dir, kWidth, 6).isOk());
        // A failed load stops the test case here (its message shown) instead of leaving a null
        // model for every test to dereference.
        auto loaded = LanguageModel::load(dir);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));
        m_model = std::move(loaded).value();
    }

    void lastAndMeanMatchTheForward()
    {
        const QStringList texts = {
                QStringLiteral("The jury said the election was fair."),
                QStringLiteral("It rained."),
                QStringLiteral("A much longer sentence about the town and its people.")};
        const PromptSet set = makeSet(texts);
        RepresentationOptions options;
        options.hookName = kHook;
        options.pooling = Pooling::LastToken;
        const auto last = promptRepresentations(*m_model, set, options);
        QVERIFY2(last.isOk(), qPrintable(last.status().message()));
        options.pooling = Pooling::Mean;
        const auto mean = promptRepresentations(*m_model, set, options);
        QVERIFY(mean.isOk());
        QCOMPARE(last->values.rows, 3);
        QCOMPARE(last->values.cols, kWidth);
        for (int i = 0; i < 3; ++i) {
            const at::Tensor rows = rowsOf(texts[i]);
            // Batched with right padding, so the other items' lengths must not matter.
            QVERIFY(maxDiff(row(last.value(), i), rows[rows.size(0) - 1]) < 1e-5);
            QVERIFY(maxDiff(row(mean.value(), i), rows.narrow(0, 1, rows.size(0) - 1).mean(0)) <
                    1e-5);
        }
    }

    void targetWindowAnchorsOnTheTarget()
    {
        // The target is the last word, so a zero-width window around it is the last token(s).
        const QStringList texts = {QStringLiteral("I saw a dog"), QStringLiteral("We met a dog")};
        RepresentationOptions options;
        options.hookName = kHook;
        options.pooling = Pooling::TargetWindow;
        const auto target =
                promptRepresentations(*m_model, makeSet(texts, QStringLiteral("dog")), options);
        QVERIFY2(target.isOk(), qPrintable(target.status().message()));
        const auto ids = m_model->encode(texts[0]).value();
        const Encoding encoding = m_model->tokenizer().encode(texts[0], true);
        int firstDog = int(ids.size()) - 1;
        while (firstDog > 1 &&
               encoding.spans[firstDog - 1].end > texts[0].indexOf(QStringLiteral("dog"))) {
            --firstDog;
        }
        const at::Tensor rows = rowsOf(texts[0]);
        const at::Tensor expected = rows.narrow(0, firstDog, rows.size(0) - firstDog).mean(0);
        QVERIFY(maxDiff(row(target.value(), 0), expected) < 1e-5);

        options.window = 1;  // one more token on the left
        const auto wider =
                promptRepresentations(*m_model, makeSet(texts, QStringLiteral("dog")), options);
        QVERIFY(maxDiff(row(wider.value(), 0),
                        rows.narrow(0, firstDog - 1, rows.size(0) - firstDog + 1).mean(0)) < 1e-5);
    }

    void targetWindowNeedsATarget()
    {
        RepresentationOptions options;
        options.hookName = kHook;
        options.pooling = Pooling::TargetWindow;
        const auto missing = promptRepresentations(
                *m_model, makeSet({QStringLiteral("No target here.")}), options);
        QCOMPARE(missing.status().code(), Status::Code::InvalidInput);
        QVERIFY(missing.status().message().contains(QStringLiteral("item_0")));
    }

    void legacyCentredDropsShortItemsAndCentres()
    {
        const QStringList texts = {
                QStringLiteral("Short."),
                QStringLiteral(
                        "The committee said the new plan would help the farmers of the county.")};
        RepresentationOptions options;
        options.hookName = kHook;
        options.pooling = Pooling::LegacyCentred;
        options.window = 3;
        const auto centred = promptRepresentations(*m_model, makeSet(texts), options);
        QVERIFY(centred.isOk());
        QCOMPARE(centred->items, QList<int>{1});
        QCOMPARE(centred->notes.size(), 1);
        QVERIFY(centred->notes.first().contains(QStringLiteral("item_0")));
        const at::Tensor rows = rowsOf(texts[1]);
        const int64_t m = (rows.size(0) - 1) / 2 + 1;  // seed: r // 2 + 1 with r tokens after BOS
        QVERIFY(maxDiff(row(centred.value(), 0), rows.narrow(0, m - 3, 7).mean(0)) < 1e-5);
    }

    void legacyLeftFirstPadsWithZerosLikeTheSeed()
    {
        const QString text = QStringLiteral("It rained.");
        RepresentationOptions options;
        options.hookName = kHook;
        options.pooling = Pooling::LegacyLeftFirst;
        options.window = 50;
        const auto left = promptRepresentations(*m_model, makeSet({text}), options);
        QVERIFY(left.isOk());
        const at::Tensor rows = rowsOf(text);
        const at::Tensor expected =
                rows.narrow(0, 1, rows.size(0) - 1).sum(0) / 50.0;  // zeros diluting
        QVERIFY(maxDiff(row(left.value(), 0), expected) < 1e-5);
        // Its 50 rows are kept as the pattern the seed's temporal RSA saw: padding included.
        const TemporalTable &rowsKept = left->patterns;
        QCOMPARE(rowsKept.items, int64_t(1));
        QCOMPARE(rowsKept.positions, int64_t(50));
        QVERIFY(std::all_of(rowsKept.mask.begin(), rowsKept.mask.end(),
                            [](uint8_t m) { return m == 1; }));
    }

    void saeFeaturesArePooledAfterEncoding()
    {
        RepresentationOptions options;
        options.hookName = kHook;
        options.pooling = Pooling::Mean;
        options.sae = std::make_shared<gpu::detail::SaeModule>(test::mirrorSae(kWidth));
        const QString text = QStringLiteral("The jury said the election was fair.");
        const auto features = promptRepresentations(*m_model, makeSet({text}), options);
        QVERIFY(features.isOk());
        QCOMPARE(features->values.cols, 2 * kWidth);
        const at::Tensor rows = rowsOf(text).narrow(0, 1, rowsOf(text).size(0) - 1);
        const at::Tensor expected = at::cat({at::relu(rows), at::relu(-rows)}, 1).mean(0);
        QVERIFY(maxDiff(row(features.value(), 0), expected) < 1e-5);
    }

    void cacheHitsOnlyForTheSameInputs()
    {
        QTemporaryDir cache;
        const QStringList texts = {QStringLiteral("The jury said the election was fair."),
                                   QStringLiteral("It rained.")};
        RepresentationOptions options;
        options.hookName = kHook;
        options.pooling = Pooling::Mean;
        const CacheKeyInputs key{m_dir.filePath(QStringLiteral("model")), QString()};
        bool hit = true;
        const auto first = cachedPromptRepresentations(*m_model, makeSet(texts), options, key,
                                                       cache.path(), &hit);
        QVERIFY(first.isOk());
        QVERIFY(!hit);
        const auto second = cachedPromptRepresentations(*m_model, makeSet(texts), options, key,
                                                        cache.path(), &hit);
        QVERIFY(hit);
        QCOMPARE(second->values.values, first->values.values);
        QCOMPARE(second->items, first->items);
        // Any change of the inputs misses: the stimuli, the pooling.
        cachedPromptRepresentations(*m_model, makeSet({texts[0], QStringLiteral("It snowed.")}),
                                    options, key, cache.path(), &hit);
        QVERIFY(!hit);
        options.pooling = Pooling::LastToken;
        const auto last = cachedPromptRepresentations(*m_model, makeSet(texts), options, key,
                                                      cache.path(), &hit);
        QVERIFY(!hit);
        QVERIFY(last->values.values != first->values.values);
    }

    void poolingNamesRoundTrip()
    {
        for (const QString &name :
             {QStringLiteral("last"), QStringLiteral("mean"), QStringLiteral("target"),
              QStringLiteral("legacy-centred"), QStringLiteral("legacy-left-first")}) {
            QCOMPARE(nameOf(fromName<Pooling>(name).value()), name);
        }
        QVERIFY(!fromName<Pooling>(QStringLiteral("max")).has_value());
    }

    // Finite weights that overflow on one token: its embedding points along dimension 0 (1000
    // there; no other token's has a dimension 0, and attention writes none), and layer 0's MLP
    // maps dimension 0 to 3e38 per unit, past float32's range. The MLP works token by token, so
    // after layer 0 only that token's row is not finite: the request fails naming the item, the
    // hook and the token instead of pooling NaN.
    void nonFiniteActivationsNameItemHookAndToken()
    {
        const QString dir = m_dir.filePath(QStringLiteral("overflowing"));
        QVERIFY(test::writeTinyDemoVocabModel(dir, kWidth, 6).isOk());
        const QStringList texts = {QStringLiteral("It rained."),
                                   QStringLiteral("The jury said the election was fair.")};
        const std::vector<int> first = m_model->encode(texts[0]).value();
        const std::vector<int> second = m_model->encode(texts[1]).value();
        constexpr int kPosition = 3;
        const int token = second.at(kPosition);
        QVERIFY(std::find(first.begin(), first.end(), token) == first.end());
        QVERIFY(std::find(second.begin(), second.begin() + kPosition, token) ==
                second.begin() + kPosition);
        const QString file = dir + QStringLiteral("/model.safetensors");
        auto archive = SafetensorsArchive::open(file);
        QVERIFY2(archive.isOk(), qPrintable(archive.status().message()));
        std::vector<std::pair<std::string, at::Tensor>> tensors;
        for (const QString &name : archive->tensorNames()) {
            at::Tensor t = tensorFromArchive(archive.value(), name).to(at::kFloat).clone();
            if (name == QLatin1String("model.embed_tokens.weight")) {
                t.select(1, 0).zero_();
                t[token][0] = 1000.0F;
            } else if (name == QLatin1String("model.layers.0.self_attn.o_proj.weight")) {
                t.select(0, 0).zero_();
            } else if (name == QLatin1String("model.layers.0.mlp.gate_proj.weight") ||
                       name == QLatin1String("model.layers.0.mlp.up_proj.weight")) {
                t.select(1, 0).fill_(3e38F);
            }
            tensors.emplace_back(name.toStdString(), t);
        }
        archive = SafetensorsArchive();  // unmapped before the file is replaced
        QVERIFY(writeTensors(file, tensors).isOk());
        auto loaded = LanguageModel::load(dir);
        QVERIFY2(loaded.isOk(), qPrintable(loaded.status().message()));  // every weight finite
        RepresentationOptions options;
        options.hookName = QStringLiteral("blocks.0.hook_resid_post");
        const auto result = promptRepresentations(*loaded.value(), makeSet(texts), options);
        QVERIFY(!result.isOk());
        const QString message = result.status().message();
        qInfo("%s", qPrintable(message));
        QVERIFY2(message.startsWith(QStringLiteral("item 2: non-finite activation at hook "
                                                   "'blocks.0.hook_resid_post', token %1: ")
                                            .arg(kPosition)),
                 qPrintable(message));
        QCOMPARE(result.status().code(), Status::Code::InvalidInput);
    }
};

QTEST_GUILESS_MAIN(TestPromptRepresentation)
#include "tst_prompt_representation.moc"
