// The torch-free LanguageModel facade on a Hugging Face directory the test writes itself: random
// weights (writeRandomLlama) and a tokenizer trained with the project's BPE trainer.

#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/safetensors.h"
#include "gpu/model/tokenizer.h"
#include "gpu/model/torch_compat.h"
#include "gpu/model/transformer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <cmath>
#include <memory>
#include <vector>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

constexpr int kVocab = 320;

QByteArray corpus()
{
    const QStringList words = {
            QStringLiteral("the"),    QStringLiteral("bridge"), QStringLiteral("golden"),
            QStringLiteral("gate"),   QStringLiteral("river"),  QStringLiteral("city"),
            QStringLiteral("walked"), QStringLiteral("over"),   QStringLiteral("fog"),
            QStringLiteral("red"),    QStringLiteral("and"),    QStringLiteral("a"),
            QStringLiteral("ship"),   QStringLiteral("sailed"), QStringLiteral("under"),
            QStringLiteral("night"),  QStringLiteral("sees"),   QStringLiteral("light")};
    QRandomGenerator generator(11);
    QByteArray text;
    for (int line = 0; line < 500; ++line) {
        QStringList sentence;
        for (int i = 0; i < 8; ++i) {
            sentence << words[int(generator.bounded(quint32(words.size())))];
        }
        text += (sentence.join(QLatin1Char(' ')) + QStringLiteral(".\n")).toUtf8();
    }
    return text;
}

ModelConfig tinyConfig()
{
    ModelConfig c;
    c.hiddenSize = 32;
    c.numHiddenLayers = 2;
    c.numAttentionHeads = 4;
    c.numKeyValueHeads = 2;
    c.intermediateSize = 48;
    c.vocabSize = kVocab;
    c.ropeTheta = 10000.0;
    c.maxPositionEmbeddings = 64;
    c.tieWordEmbeddings = true;
    return c;
}

double maxAbsDiff(const FloatTensor &a, const FloatTensor &b)
{
    if (a.shape != b.shape) {
        return INFINITY;
    }
    double worst = 0.0;
    for (size_t i = 0; i < a.values.size(); ++i) {
        worst = std::max(worst, static_cast<double>(std::abs(a.values[i] - b.values[i])));
    }
    return worst;
}

}  // namespace

class TestLanguageModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_modelDir = m_dir.filePath(QStringLiteral("model"));
        QVERIFY(writeRandomLlama(m_modelDir, tinyConfig(), 5).isOk());
        const QString text = m_dir.filePath(QStringLiteral("corpus.txt"));
        QFile file(text);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(corpus());
        file.close();
        TokenizerTrainOptions options;
        options.inputFiles = {text};
        options.modelPrefix = m_dir.filePath(QStringLiteral("model/tokenizer"));
        options.vocabSize = kVocab;
        options.characterCoverage = 1.0;
        const Status trained = trainSentencepieceBpe(options);
        QVERIFY2(trained.isOk(), qPrintable(trained.message()));
        auto model = LanguageModel::load(m_modelDir);
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        m_model = std::move(model).value();
    }

    void infoDescribesTheModel()
    {
        const ModelInfo info = m_model->info();
        QCOMPARE(info.architecture, QStringLiteral("LlamaForCausalLM"));
        QCOMPARE(info.layers, 2);
        QCOMPARE(info.dModel, 32);
        QCOMPARE(info.heads, 4);
        QCOMPARE(info.kvHeads, 2);
        QCOMPARE(info.vocabSize, kVocab);
        QCOMPARE(info.dtype, Dtype::Float32);
        QCOMPARE(info.device, QStringLiteral("cpu"));
        QVERIFY(info.hasTokenizer);
        QCOMPARE(info.hookNames.size(), 2 + 5 * 2);
        QCOMPARE(info.hookNames.front(), QStringLiteral("hook_embed"));
        QVERIFY(info.hookNames.contains(QStringLiteral("blocks.1.hook_mlp_out")));
        QCOMPARE(info.hookNames.back(), QStringLiteral("ln_final.hook_normalized"));
        // Embedding (tied head counted once), per layer 2 norms + q,k,v,o + 3 MLP matrices,
        // final norm.
        const qint64 perLayer = 2 * 32 + 32 * 32 + 2 * 16 * 32 + 32 * 32 + 3 * 32 * 48;
        QCOMPARE(info.parameters, qint64(kVocab) * 32 + 2 * perLayer + 32);
        QCOMPARE(info.memoryBytes, info.parameters * 4);
    }

    void forwardReturnsLogitsAndCaptures()
    {
        auto tokens = m_model->encode(QStringLiteral("the golden gate bridge"));
        QVERIFY(tokens.isOk());
        QCOMPARE(tokens->front(), m_model->tokenizer().bosId());
        const auto t = static_cast<int64_t>(tokens->size());
        ForwardOptions options;
        options.captures = m_model->info().hookNames;
        auto out = m_model->forward(*tokens, options);
        QVERIFY2(out.isOk(), qPrintable(out.status().message()));
        QCOMPARE(out->logits.shape, (std::vector<int64_t>{t, kVocab}));
        QCOMPARE(out->activations.size(), size_t(12));
        for (const auto &[name, activation] : out->activations) {
            QCOMPARE(activation.shape, (std::vector<int64_t>{t, 32}));
        }
        // Captures without logits (the forward stops early) give the same values.
        ForwardOptions shallow;
        shallow.captures = {QStringLiteral("blocks.0.hook_resid_post")};
        shallow.logits = false;
        auto early = m_model->forward(*tokens, shallow);
        QVERIFY(early.isOk());
        QVERIFY(early->logits.values.empty());
        QCOMPARE(maxAbsDiff(early->activations.at(shallow.captures.front()),
                            out->activations.at(shallow.captures.front())),
                 0.0);
    }

    void batchEqualsSeparateForwards()
    {
        const std::vector<std::vector<int>> sequences{
                {1, 40, 41, 42}, {1, 7, 8, 9, 10, 11, 12}, {1}};
        ForwardOptions options;
        options.captures = {QStringLiteral("blocks.1.hook_attn_out")};
        auto batch = m_model->forwardBatch(sequences, options);
        QVERIFY(batch.isOk());
        for (size_t i = 0; i < sequences.size(); ++i) {
            auto alone = m_model->forward(sequences[i], options);
            QVERIFY(alone.isOk());
            QVERIFY(maxAbsDiff(batch->at(i).logits, alone->logits) < 1e-5);
            QVERIFY(maxAbsDiff(batch->at(i).activations.at(options.captures.front()),
                               alone->activations.at(options.captures.front())) < 1e-5);
        }
    }

    void generationStreamsTheContinuation()
    {
        GenerateOptions options;
        options.maxNewTokens = 10;
        options.stopAtEos = false;
        QString streamed;
        int calls = 0;
        bool piecesMatch = true;
        auto result = m_model->generate(
                QStringLiteral("the ship sailed"), options, [&](const GeneratedToken &token) {
                    streamed += token.text;
                    piecesMatch = piecesMatch &&
                                  token.piece == m_model->tokenizer().displayPiece(token.id);
                    ++calls;
                    return true;
                });
        QVERIFY2(result.isOk(), qPrintable(result.status().message()));
        QCOMPARE(result->tokens.size(), size_t(10));
        QCOMPARE(calls, 10);
        QVERIFY(piecesMatch);
        QCOMPARE(result->stopReason, QStringLiteral("max-tokens"));
        QCOMPARE(streamed, result->text);
        QVector<int> all(result->promptTokens.begin(), result->promptTokens.end());
        const QString prompt = m_model->tokenizer().decode(all);
        all.append(QVector<int>(result->tokens.begin(), result->tokens.end()));
        QCOMPARE(prompt + result->text, m_model->tokenizer().decode(all));
        // Greedy: the first new token is the argmax of the prompt's last logits.
        auto logits = m_model->forward(result->promptTokens);
        QVERIFY(logits.isOk());
        const float *last = logits->logits.values.data() +
                            (result->promptTokens.size() - 1) * static_cast<size_t>(kVocab);
        QCOMPARE(int(std::max_element(last, last + kVocab) - last), result->tokens.front());
    }

    void seededSamplingRepeatsAndCancelStops()
    {
        GenerateOptions options;
        options.maxNewTokens = 12;
        options.temperature = 1.5;
        options.topP = 0.95;
        options.topK = 50;
        options.seed = 1234;
        options.stopAtEos = false;
        auto a = m_model->generate(QStringLiteral("fog"), options);
        auto b = m_model->generate(QStringLiteral("fog"), options);
        QVERIFY(a.isOk() && b.isOk());
        QCOMPARE(a->tokens, b->tokens);
        options.seed = 99;
        auto c = m_model->generate(QStringLiteral("fog"), options);
        QVERIFY(c->tokens != a->tokens);
        int seen = 0;
        auto cancelled = m_model->generate(QStringLiteral("fog"), options,
                                           [&](const GeneratedToken &) { return ++seen < 4; });
        QVERIFY(cancelled.isOk());
        QCOMPARE(cancelled->stopReason, QStringLiteral("cancelled"));
        QCOMPARE(cancelled->tokens.size(), size_t(4));
    }

    void shardedCheckpointGivesTheSameLogits()
    {
        // Split model.safetensors into two shards with a Hugging Face index.
        auto single = SafetensorsArchive::open(m_modelDir + QStringLiteral("/model.safetensors"));
        QVERIFY(single.isOk());
        const QString sharded = m_dir.filePath(QStringLiteral("sharded"));
        QVERIFY(QDir().mkpath(sharded));
        QList<TensorToWrite> shards[2];
        QJsonObject weightMap;
        const QStringList names = single->tensorNames();
        for (int i = 0; i < names.size(); ++i) {
            const TensorInfo info = *single->info(names[i]);
            const int shard = i < names.size() / 2 ? 0 : 1;
            shards[shard].append(TensorToWrite{
                    info.name, info.dtype, info.shape,
                    QByteArrayView(reinterpret_cast<const char *>(info.data), info.bytes)});
            weightMap[info.name] = QStringLiteral("model-%1-of-00002.safetensors")
                                           .arg(shard + 1, 5, 10, QLatin1Char('0'));
        }
        for (int shard = 0; shard < 2; ++shard) {
            const QString file = sharded + QStringLiteral("/model-%1-of-00002.safetensors")
                                                   .arg(shard + 1, 5, 10, QLatin1Char('0'));
            QVERIFY(writeSafetensors(file, shards[shard]).isOk());
        }
        QFile index(sharded + QStringLiteral("/model.safetensors.index.json"));
        QVERIFY(index.open(QIODevice::WriteOnly));
        index.write(QJsonDocument(QJsonObject{{QStringLiteral("metadata"), QJsonObject()},
                                              {QStringLiteral("weight_map"), weightMap}})
                            .toJson());
        index.close();
        QVERIFY(QFile::copy(m_modelDir + QStringLiteral("/config.json"),
                            sharded + QStringLiteral("/config.json")));
        auto model = LanguageModel::load(sharded);
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        const std::vector<int> tokens{1, 30, 31, 32, 33};
        auto a = model.value()->forward(tokens);
        auto b = m_model->forward(tokens);
        QVERIFY(a.isOk() && b.isOk());
        QCOMPARE(maxAbsDiff(a->logits, b->logits), 0.0);
        QVERIFY(!model.value()->info().hasTokenizer);
        QVERIFY(!model.value()->encode(QStringLiteral("fog")).isOk());
    }

    void weightsAreMappedNotCopied()
    {
        // fp32 on the CPU from an fp32 file: the embedding lives inside the file's mapping.
        const QString file =
                QFileInfo(m_modelDir + QStringLiteral("/model.safetensors")).canonicalFilePath();
        auto inMapping = [&](const void *pointer) {
            QFile maps(QStringLiteral("/proc/self/maps"));
            if (!maps.open(QIODevice::ReadOnly)) {
                return false;
            }
            const auto address = reinterpret_cast<quintptr>(pointer);
            for (const QByteArray &line : maps.readAll().split('\n')) {
                if (!line.endsWith(file.toUtf8())) {
                    continue;
                }
                const QList<QByteArray> range = line.split(' ').front().split('-');
                if (address >= range[0].toULongLong(nullptr, 16) &&
                    address < range[1].toULongLong(nullptr, 16)) {
                    return true;
                }
            }
            return false;
        };
        // Layers are read when a forward first needs them: read them all.
        m_model->tensorModel().ensureWeights(m_model->info().layers - 1, true);
        QVERIFY(inMapping(m_model->tensorModel().weights().embed.data_ptr()));
        QVERIFY(inMapping(m_model->tensorModel().weights().layers[1].down.weight.data_ptr()));
        LoadOptions bf16;
        bf16.dtype = Dtype::BFloat16;
        auto converted = LanguageModel::load(m_modelDir, bf16);
        QVERIFY(converted.isOk());
        converted.value()->tensorModel().ensureWeights(m_model->info().layers - 1, true);
        // Converted layers are copies; the embedding stays in the file's dtype, in the mapping
        // (a forward converts the rows it gathers), and the tied head is a bf16 copy of it.
        QVERIFY(!inMapping(
                converted.value()->tensorModel().weights().layers[1].down.weight.data_ptr()));
        QVERIFY(inMapping(converted.value()->tensorModel().weights().embed.data_ptr()));
        QVERIFY(!inMapping(converted.value()->tensorModel().weights().lmHead.data_ptr()));
        QCOMPARE(converted.value()->info().memoryBytes, m_model->info().memoryBytes / 2);
        LoadOptions mixed;
        mixed.dtype = Dtype::BFloat16Autocast;
        auto autocast = LanguageModel::load(m_modelDir, mixed);
        QVERIFY(autocast.isOk());
        QCOMPARE(autocast.value()->info().dtype, Dtype::BFloat16Autocast);
        QCOMPARE(autocast.value()->info().memoryBytes, m_model->info().memoryBytes);
        if (!gpu::detail::compat::kHasCpuHalfMatmul) {
            LoadOptions fp16;
            fp16.dtype = Dtype::Float16;
            auto refused = LanguageModel::load(m_modelDir, fp16);
            QCOMPARE(refused.status().code(), Status::Code::InvalidInput);
            QVERIFY(refused.status().message().contains(QStringLiteral("bf16")));
        }
    }

    // A weights file truncated under a loaded model (a download restarted into the same path):
    // the zero-copy weights' pages are gone, which would raise SIGBUS and stop the app. The
    // pages read as zeros instead, and the model says which file changed.
    void truncatedWeightsFileIsAnErrorNotACrash()
    {
        const QString dir = m_dir.filePath(QStringLiteral("truncated"));
        QVERIFY(writeRandomLlama(dir, tinyConfig(), 9).isOk());
        auto model = LanguageModel::load(dir);
        QVERIFY2(model.isOk(), qPrintable(model.status().message()));
        const std::vector<int> tokens = {1, 5, 9, 3};
        QVERIFY(model.value()->forward(tokens).isOk());
        const QString weights = dir + QStringLiteral("/model.safetensors");
        QVERIFY(QFile::resize(weights, 4096));
        const Result<ForwardOutput> after = model.value()->forward(tokens);
        QVERIFY(!after.isOk());
        QVERIFY2(after.status().message().contains(QStringLiteral("model.safetensors: changed on "
                                                                  "disk while open")),
                 qPrintable(after.status().message()));
        GenerateOptions greedy;
        greedy.maxNewTokens = 2;
        QVERIFY(!model.value()->generateFromTokens(tokens, greedy).isOk());
        // Loading the damaged directory again is refused up front by the header check.
        QVERIFY(!LanguageModel::load(dir).isOk());
    }

    void interventionsApplyToForwardAndCaptures()
    {
        const std::vector<int> tokens{1, 40, 41, 42, 43, 44};
        const QString site = QStringLiteral("blocks.0.hook_resid_post");
        ForwardOptions options;
        options.captures = {site, QStringLiteral("blocks.1.hook_resid_pre")};
        auto plain = m_model->forward(tokens, options);
        QVERIFY(plain.isOk());
        const at::Tensor steer = at::full({32}, 0.5f);
        gpu::detail::HookSet hooks;
        hooks.add(
                *gpu::detail::HookPoint::parse(site, 2),
                [&](const at::Tensor &x, const gpu::detail::HookContext &) { return x + steer; },
                gpu::detail::PositionRange{3, 100});
        auto steered = m_model->forward(tokens, options, &hooks);
        QVERIFY(steered.isOk());
        const FloatTensor &before = plain->activations.at(site);
        const FloatTensor &after = steered->activations.at(site);
        for (size_t t = 0; t < tokens.size(); ++t) {
            for (size_t i = 0; i < 32; ++i) {
                const float expected = before.values[t * 32 + i] + (t >= 3 ? 0.5f : 0.0f);
                QVERIFY(std::abs(after.values[t * 32 + i] - expected) < 1e-5f);
            }
        }
        QCOMPARE(maxAbsDiff(after,
                            steered->activations.at(QStringLiteral("blocks.1.hook_resid_pre"))),
                 0.0);
        QVERIFY(maxAbsDiff(plain->logits, steered->logits) > 1e-3);
        // The caller's set is copied, not filled or changed.
        QVERIFY(!hooks.captured(*gpu::detail::HookPoint::parse(site, 2)).defined());
    }

    void badRequestsFailWithClearMessages()
    {
        ForwardOptions options;
        options.captures = {QStringLiteral("blocks.7.hook_resid_post")};
        auto hook = m_model->forward({1, 2, 3}, options);
        QVERIFY(!hook.isOk());
        QCOMPARE(hook.status().code(), Status::Code::InvalidInput);
        QVERIFY(hook.status().message().contains(QStringLiteral("blocks.7.hook_resid_post")));
        auto id = m_model->forward({1, kVocab});
        QVERIFY(!id.isOk());
        QVERIFY(id.status().message().contains(QStringLiteral("token id 320")));
        QVERIFY(!m_model->forward({}).isOk());
        GenerateOptions generate;
        generate.topP = 0.0;
        QVERIFY(!m_model->generate(QStringLiteral("fog"), generate).isOk());
    }

    void badDirectoriesAreRefused()
    {
        auto missing = LanguageModel::load(m_dir.filePath(QStringLiteral("nowhere")));
        QCOMPARE(missing.status().code(), Status::Code::NotFound);
        QVERIFY(missing.status().message().contains(QStringLiteral("nowhere")));

        const QString empty = m_dir.filePath(QStringLiteral("empty"));
        QVERIFY(QDir().mkpath(empty));
        auto noConfig = LanguageModel::load(empty);
        QVERIFY(!noConfig.isOk());
        QVERIFY2(noConfig.status().message().contains(QStringLiteral("config.json")),
                 qPrintable(noConfig.status().message()));

        // A checkpoint of another shape under the same config: every mismatch named.
        const QString other = m_dir.filePath(QStringLiteral("other"));
        ModelConfig wider = tinyConfig();
        wider.intermediateSize = 64;
        QVERIFY(writeRandomLlama(other, wider, 1).isOk());
        QFile::remove(other + QStringLiteral("/config.json"));
        QVERIFY(QFile::copy(m_modelDir + QStringLiteral("/config.json"),
                            other + QStringLiteral("/config.json")));
        auto shapes = LanguageModel::load(other);
        QCOMPARE(shapes.status().code(), Status::Code::InvalidInput);
        QVERIFY2(shapes.status().message().contains(QStringLiteral("mlp.up_proj.weight")),
                 qPrintable(shapes.status().message()));

        LoadOptions options;
        // A dtype is a Dtype: an unknown name is refused where it is read.
        QCOMPARE(parseName<Dtype>(QStringLiteral("int8")).status().code(),
                 Status::Code::InvalidInput);
        options.dtype = Dtype::Float32;
        options.device = QStringLiteral("tpu");
        QCOMPARE(LanguageModel::load(m_modelDir, options).status().code(),
                 Status::Code::InvalidInput);
        options.device = QStringLiteral("cpu");
        options.progress = [](double fraction) { return fraction < 0.5; };
        QCOMPARE(LanguageModel::load(m_modelDir, options).status().code(), Status::Code::Cancelled);
    }

private:
    QTemporaryDir m_dir;
    QString m_modelDir;
    std::unique_ptr<LanguageModel> m_model;
};

QTEST_GUILESS_MAIN(TestLanguageModel)
#include "tst_language_model.moc"
