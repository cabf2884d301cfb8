// Every supported model family against an independent float64 reference: small random
// checkpoints in exact Hugging Face layout (single and sharded safetensors, float32 and bfloat16)
// and the logits and hooks of a numpy forward written from Hugging Face's modeling semantics, both
// made at test time by tests/data/model_families/make_checkpoints.py. Also: the hook names each
// family has, the KV cache against the full forward (sliding windows, two RoPE tables), centring,
// and config errors.

#include "gpu/engine/cards.h"
#include "gpu/engine/engine_state.h"
#include "gpu/model/hook_set.h"
#include "gpu/model/language_model.h"
#include "gpu/model/model_config.h"
#include "gpu/model/transformer.h"
#include "gpu/sae/sae_module.h"
#include "tests/support/process_run.h"
#include "tests/support/test_paths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

// float32 against float64: max |diff| within this fraction of the largest reference magnitude.
constexpr double kFloat32Bound = 1e-5;
// bfloat16 keeps 8 significant bits (a relative step of 2^-8 = 0.0039); every op of 3-4 layers
// rounds again, so hooks deep in the model drift further (measured worst: 3.3% of the largest
// magnitude, an MLP output of the last layer; see README).
constexpr double kBfloat16Bound = 6e-2;

// make_checkpoints.py's cases: 11 families and layouts, then three with transformers 5's
// rope_parameters.
constexpr int kCases = 14;

struct Reference
{
    std::vector<int64_t> shape;
    std::vector<double> values;

    double maxAbs() const
    {
        double m = 0.0;
        for (const double v : values) {
            m = std::max(m, std::abs(v));
        }
        return m;
    }
};

double maxAbsDiff(const FloatTensor &actual, const Reference &expected)
{
    if (actual.shape != expected.shape) {
        return INFINITY;
    }
    double worst = 0.0;
    for (size_t i = 0; i < expected.values.size(); ++i) {
        worst = std::max(worst, std::abs(double(actual.values[i]) - expected.values[i]));
    }
    return worst;
}

QString shapeText(const std::vector<int64_t> &shape)
{
    QStringList parts;
    for (const int64_t s : shape) {
        parts << QString::number(s);
    }
    return QLatin1Char('[') + parts.join(QLatin1Char(',')) + QLatin1Char(']');
}

// A tokenizer.json over `rows` one-character tokens '0', '1', ... (ids 0..rows-1), no BOS and
// no post-processor; with `imageToken`, the added special token <image_soft_token> = rows.
void writeCharacterTokenizer(const QString &directory, int rows, bool imageToken)
{
    QJsonObject vocab;
    for (int id = 0; id < rows; ++id) {
        vocab[QString(QChar(u'0' + id))] = id;
    }
    QJsonArray added;
    if (imageToken) {
        added.append(QJsonObject{{QStringLiteral("id"), rows},
                                 {QStringLiteral("content"), QStringLiteral("<image_soft_token>")},
                                 {QStringLiteral("single_word"), false},
                                 {QStringLiteral("lstrip"), false},
                                 {QStringLiteral("rstrip"), false},
                                 {QStringLiteral("normalized"), false},
                                 {QStringLiteral("special"), true}});
    }
    const QJsonObject tokenizer{
            {QStringLiteral("version"), QStringLiteral("1.0")},
            {QStringLiteral("added_tokens"), added},
            {QStringLiteral("normalizer"), QJsonValue::Null},
            {QStringLiteral("pre_tokenizer"), QJsonValue::Null},
            {QStringLiteral("post_processor"), QJsonValue::Null},
            {QStringLiteral("decoder"), QJsonValue::Null},
            {QStringLiteral("model"), QJsonObject{{QStringLiteral("type"), QStringLiteral("BPE")},
                                                  {QStringLiteral("vocab"), vocab},
                                                  {QStringLiteral("merges"), QJsonArray{}}}}};
    QFile file(QDir(directory).filePath(QStringLiteral("tokenizer.json")));
    if (!file.open(QIODevice::WriteOnly)) {
        qFatal("cannot write %s", qPrintable(file.fileName()));
    }
    file.write(QJsonDocument(tokenizer).toJson());
}

void copyDirectory(const QString &source, const QString &target)
{
    for (const QString &file : QDir(source).entryList(QDir::Files)) {
        if (!QFile::copy(QDir(source).filePath(file), QDir(target).filePath(file))) {
            qFatal("cannot copy %s", qPrintable(file));
        }
    }
}

}  // namespace

class TestModelFamilies : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const test::ProcessRun run = test::runProcess(
                QStringLiteral("/usr/bin/python3"),
                {test::dataPath(QStringLiteral("model_families/make_checkpoints.py")),
                 m_dir.path()},
                120000);
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QFile file(QDir(m_dir.path()).filePath(QStringLiteral("manifest.json")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        m_cases =
                QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray();
        QCOMPARE(m_cases.size(), kCases);
    }

    void parity_data()
    {
        QTest::addColumn<int>("index");
        for (int i = 0; i < kCases; ++i) {
            QTest::newRow(qPrintable(QStringLiteral("case %1").arg(i))) << i;
        }
    }

    // Logits and every hook the reference computes, against float64.
    void parity()
    {
        QFETCH(int, index);
        const QJsonObject c = m_cases[index].toObject();
        const QString name = c[QStringLiteral("name")].toString();
        const bool bf16 = c[QStringLiteral("dtype")].toString() == QLatin1String("BF16");
        LoadOptions options;
        options.dtype = bf16 ? Dtype::BFloat16 : Dtype::Float32;
        auto model = LanguageModel::load(
                QDir(m_dir.path()).filePath(c[QStringLiteral("dir")].toString()), options);
        QVERIFY2(model, qPrintable(model.status().message()));
        const QJsonObject outputs = c[QStringLiteral("outputs")].toObject();

        // The model has exactly the hooks the family's reference has (no resid_mid with a
        // parallel residual, hook_pos_embed with learned positions).
        QStringList referenceHooks = outputs.keys();
        referenceHooks.removeAll(QStringLiteral("logits"));
        QStringList modelHooks = model.value()->info().hookNames;
        referenceHooks.sort();
        modelHooks.sort();
        QCOMPARE(modelHooks, referenceHooks);

        std::vector<int> tokens;
        for (const QJsonValue &id : c[QStringLiteral("tokens")].toArray()) {
            tokens.push_back(id.toInt());
        }
        ForwardOptions forward;
        forward.captures = referenceHooks;
        auto out = model.value()->forward(tokens, forward);
        QVERIFY2(out, qPrintable(out.status().message()));
        const double bound = bf16 ? kBfloat16Bound : kFloat32Bound;
        double worstRelative = 0.0;
        for (const QString &key : outputs.keys()) {
            const Reference expected = read(outputs[key].toObject());
            const FloatTensor &actual =
                    key == QLatin1String("logits") ? out->logits : out->activations.at(key);
            QVERIFY2(actual.shape == expected.shape,
                     qPrintable(QStringLiteral("%1 %2: shape %3, expected %4")
                                        .arg(name, key, shapeText(actual.shape),
                                             shapeText(expected.shape))));
            const double diff = maxAbsDiff(actual, expected);
            const double scale = expected.maxAbs();
            worstRelative = std::max(worstRelative, diff / scale);
            QVERIFY2(diff <= bound * scale,
                     qPrintable(QStringLiteral("%1 %2: max |diff| %3 > %4 x max |ref| %5")
                                        .arg(name, key)
                                        .arg(diff)
                                        .arg(bound)
                                        .arg(scale)));
            if (key == QLatin1String("logits")) {
                qInfo("%s logits: max |diff| %.3g, max |ref| %.3g", qPrintable(name), diff, scale);
            }
        }
        qInfo("%s: worst max|diff| / max|ref| over logits and %d hooks: %.3g (bound %.0e)",
              qPrintable(name), int(referenceHooks.size()), worstRelative, bound);
    }

    void huggingFaceParity_data()
    {
        QTest::addColumn<QString>("name");
        QFile file(test::dataPath(QStringLiteral("model_families/hf/manifest.json")));
        if (!file.open(QIODevice::ReadOnly)) {
            qFatal("cannot read %s", qPrintable(file.fileName()));
        }
        const QJsonObject manifest = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonArray cases = manifest[QStringLiteral("cases")].toArray();
        if (cases.size() != kCases) {
            qFatal("the transformers fixture has %d cases, make_checkpoints.py %d: rerun "
                   "scripts/hf-reference",
                   int(cases.size()), kCases);
        }
        for (const QJsonValue &c : cases) {
            const QString name = c.toObject()[QStringLiteral("name")].toString();
            QTest::newRow(qPrintable(name)) << name;
        }
    }

    // Against Hugging Face transformers itself (tests/data/model_families/hf, made by
    // scripts/hf-reference: eager attention, float64 and the checkpoint's dtype): the logits and
    // every layer's residual stream in and out. The fixture names the SHA-256 of every file
    // transformers read, so the weights here are the ones it ran.
    void huggingFaceParity()
    {
        QFETCH(QString, name);
        const QJsonObject fixture = hfCase(name);
        const QDir directory(QDir(m_dir.path()).filePath(name));
        const QJsonObject files = fixture[QStringLiteral("files")].toObject();
        QCOMPARE(QStringList(directory.entryList(QDir::Files)), files.keys());
        for (const QString &file : files.keys()) {
            QFile f(directory.filePath(file));
            QVERIFY(f.open(QIODevice::ReadOnly));
            QCOMPARE(QString::fromLatin1(
                             QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256)
                                     .toHex()),
                     files[file].toString());
        }
        const QJsonObject runs = fixture[QStringLiteral("runs")].toObject();
        const bool bf16 = runs.contains(QStringLiteral("bfloat16"));
        LoadOptions options;
        options.dtype = bf16 ? Dtype::BFloat16 : Dtype::Float32;
        auto model = LanguageModel::load(directory.path(), options);
        QVERIFY2(model, qPrintable(model.status().message()));
        std::vector<int> tokens;
        for (const QJsonValue &id : fixture[QStringLiteral("tokens")].toArray()) {
            tokens.push_back(id.toInt());
        }
        for (const QString &dtype : runs.keys()) {
            const QJsonObject run = runs[dtype].toObject();
            const QJsonObject tensors = run[QStringLiteral("tensors")].toObject();
            ForwardOptions forward;
            for (const QString &key : tensors.keys()) {
                if (key.startsWith(QLatin1String("blocks."))) {
                    forward.captures << key;
                }
            }
            auto out = model.value()->forward(tokens, forward);
            QVERIFY2(out, qPrintable(out.status().message()));
            // Gyrus in float32 against transformers in float64 or float32: 1e-5 of the largest
            // magnitude; bfloat16 against either: the bfloat16 bound.
            const double bound = bf16 ? kBfloat16Bound : kFloat32Bound;
            double worstRelative = 0.0;
            QString worstKey;
            for (const QString &key : forward.captures + QStringList{QStringLiteral("logits")}) {
                const Reference expected = readHf(run, key);
                const FloatTensor &actual =
                        key == QLatin1String("logits") ? out->logits : out->activations.at(key);
                QVERIFY2(actual.shape == expected.shape,
                         qPrintable(QStringLiteral("%1 %2: shape %3, transformers %4")
                                            .arg(name, key, shapeText(actual.shape),
                                                 shapeText(expected.shape))));
                const double diff = maxAbsDiff(actual, expected);
                const double scale = expected.maxAbs();
                if (diff / scale > worstRelative) {
                    worstRelative = diff / scale;
                    worstKey = key;
                }
                QVERIFY2(diff <= bound * scale,
                         qPrintable(QStringLiteral("%1 %2 vs transformers %3: max |diff| %4 > "
                                                   "%5 x max |ref| %6")
                                            .arg(name, key, dtype)
                                            .arg(diff)
                                            .arg(bound)
                                            .arg(scale)));
                if (key == QLatin1String("logits")) {
                    qInfo("%s vs transformers %s: logits max |diff| %.3g of max |ref| %.3g",
                          qPrintable(name), qPrintable(dtype), diff, scale);
                }
            }
            qInfo("%s vs transformers %s: worst max|diff| / max|ref| %.3g (%s; %d tensors, bound "
                  "%.0e)",
                  qPrintable(name), qPrintable(dtype), worstRelative, qPrintable(worstKey),
                  int(forward.captures.size()) + 1, bound);
        }
    }

    // Decoding with the KV cache, one token at a time, gives the full forward's logits: the
    // sliding windows, Gemma-3's two RoPE tables and learned positions all continue correctly.
    void cacheMatchesFullForward_data()
    {
        QTest::addColumn<QString>("name");
        for (const char *name : {"gpt2_f32", "gemma2_f32_sharded", "gemma3_text_f32",
                                 "gpt_neox_f32", "qwen2_f32", "llama3_f32_sharded"}) {
            QTest::newRow(name) << QString::fromLatin1(name);
        }
    }

    void cacheMatchesFullForward()
    {
        QFETCH(QString, name);
        const QJsonObject c = caseNamed(name);
        auto model = LanguageModel::load(QDir(m_dir.path()).filePath(name));
        QVERIFY2(model, qPrintable(model.status().message()));
        gpu::detail::Transformer &net = model.value()->tensorModel();
        std::vector<int64_t> ids;
        for (const QJsonValue &id : c[QStringLiteral("tokens")].toArray()) {
            ids.push_back(id.toInt());
        }
        const int64_t t = static_cast<int64_t>(ids.size());
        const at::Tensor tokens = at::tensor(ids, at::kLong).view({1, t});
        const at::Tensor full = net.forward(tokens);
        gpu::detail::KvCache cache = net.newCache(4);
        const int64_t prefill = 3;
        at::Tensor step = net.forward(tokens.narrow(1, 0, prefill), nullptr, &cache);
        double worst = (step - full.narrow(1, 0, prefill)).abs().max().item<double>();
        for (int64_t i = prefill; i < t; ++i) {
            step = net.forward(tokens.narrow(1, i, 1), nullptr, &cache,
                               gpu::detail::LogitsMode::Last);
            worst = std::max(worst, (step - full.narrow(1, i, 1)).abs().max().item<double>());
        }
        const double scale = full.abs().max().item<double>();
        QVERIFY2(worst <= 1e-5 * scale,
                 qPrintable(QStringLiteral("%1: cached decode differs by %2 (max |logit| %3)")
                                    .arg(name)
                                    .arg(worst)
                                    .arg(scale)));
    }

    // TransformerLens's center_writing_weights as an option: residual hooks lose their
    // per-token mean, logits do not change, and RMSNorm models refuse it.
    void centring()
    {
        const QJsonObject c = caseNamed(QStringLiteral("gpt2_f32"));
        auto model = LanguageModel::load(QDir(m_dir.path()).filePath(QStringLiteral("gpt2_f32")));
        QVERIFY(model);
        QVERIFY(model.value()->info().centringApplies);
        std::vector<int> tokens;
        for (const QJsonValue &id : c[QStringLiteral("tokens")].toArray()) {
            tokens.push_back(id.toInt());
        }
        ForwardOptions options;
        options.captures = {QStringLiteral("blocks.1.hook_resid_post"),
                            QStringLiteral("blocks.2.hook_mlp_out")};
        options.centerWritingWeights = true;
        auto out = model.value()->forward(tokens, options);
        QVERIFY(out);
        const QJsonObject outputs = c[QStringLiteral("outputs")].toObject();
        for (const QString &hook : options.captures) {
            Reference expected = read(outputs[hook].toObject());
            const int64_t d = expected.shape.back();
            for (size_t row = 0; row < expected.values.size() / size_t(d); ++row) {
                double mean = 0.0;
                for (int64_t j = 0; j < d; ++j) {
                    mean += expected.values[row * size_t(d) + size_t(j)];
                }
                mean /= double(d);
                for (int64_t j = 0; j < d; ++j) {
                    expected.values[row * size_t(d) + size_t(j)] -= mean;
                }
            }
            QVERIFY(maxAbsDiff(out->activations.at(hook), expected) <= 1e-5 * expected.maxAbs());
        }
        const Reference logits = read(outputs[QStringLiteral("logits")].toObject());
        QVERIFY(maxAbsDiff(out->logits, logits) <= 1e-5 * logits.maxAbs());

        auto gemma =
                LanguageModel::load(QDir(m_dir.path()).filePath(QStringLiteral("gemma3_text_f32")));
        QVERIFY(gemma);
        QVERIFY(!gemma.value()->info().centringApplies);
        const auto refused = gemma.value()->forward({1, 2, 3}, options);
        QVERIFY(!refused);
        QVERIFY(refused.status().message().contains(QLatin1String("LayerNorm")));
    }

    // What `info` and the Model dock read.
    void familyFacts()
    {
        auto neox =
                LanguageModel::load(QDir(m_dir.path()).filePath(QStringLiteral("gpt_neox_f32")));
        QVERIFY(neox);
        const ModelInfo info = neox.value()->info();
        QCOMPARE(info.family, QStringLiteral("gpt_neox"));
        QVERIFY(!info.residMid);
        QVERIFY(info.quirks.join(u' ').contains(QLatin1String("parallel residual")));
        QVERIFY(info.bosRule.contains(QLatin1String("no BOS")));
        const auto unknown = neox.value()->forward(
                {1, 2}, ForwardOptions{{QStringLiteral("blocks.0.hook_resid_mid")}, true, false});
        QVERIFY(!unknown);
        QVERIFY(unknown.status().message().contains(QLatin1String("no hook_resid_mid")));

        auto gemma = LanguageModel::load(
                QDir(m_dir.path()).filePath(QStringLiteral("gemma3_multimodal_f32")));
        QVERIFY2(gemma, qPrintable(gemma.status().message()));
        const QString quirks = gemma.value()->info().quirks.join(QStringLiteral("; "));
        QVERIFY2(quirks.contains(QLatin1String("vision tower ignored")), qPrintable(quirks));
        QVERIFY2(quirks.contains(QLatin1String("sliding window 4 on 3 of 4 layers")),
                 qPrintable(quirks));
        QVERIFY(gemma.value()->info().bosRule.contains(QLatin1String("prepends BOS (id 2)")));
    }

    // Bad configs and checkpoints: one message naming the field or tensor.
    void badInput_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("gpt2 missing n_embd")
                << QByteArray(R"({"model_type":"gpt2","n_layer":2,"n_head":2,"vocab_size":9})")
                << QStringLiteral("\"n_embd\"");
        QTest::newRow("kv heads not dividing")
                << QByteArray(R"({"model_type":"qwen2","hidden_size":32,"num_hidden_layers":1,
                        "num_attention_heads":4,"num_key_value_heads":3,"intermediate_size":8,
                        "vocab_size":64})")
                << QStringLiteral("num_key_value_heads 3");
        QTest::newRow("hidden not divisible")
                << QByteArray(R"({"model_type":"llama","hidden_size":30,"num_hidden_layers":1,
                        "num_attention_heads":4,"intermediate_size":8,"vocab_size":64})")
                << QStringLiteral("hidden_size 30");
        QTest::newRow("dynamic rope")
                << QByteArray(R"({"model_type":"llama","hidden_size":32,"num_hidden_layers":1,
                        "num_attention_heads":4,"intermediate_size":8,"vocab_size":64,
                        "rope_scaling":{"rope_type":"dynamic","factor":2.0}})")
                << QStringLiteral("'dynamic' is not implemented");
        QTest::newRow("llama3 without low_freq_factor")
                << QByteArray(R"({"model_type":"llama","hidden_size":32,"num_hidden_layers":1,
                        "num_attention_heads":4,"intermediate_size":8,"vocab_size":64,
                        "rope_scaling":{"rope_type":"llama3","factor":8.0}})")
                << QStringLiteral("rope_scaling.low_freq_factor");
        QTest::newRow("unknown activation")
                << QByteArray(R"({"model_type":"gemma2","hidden_size":32,"num_hidden_layers":1,
                        "num_attention_heads":4,"intermediate_size":8,"vocab_size":64,
                        "hidden_activation":"relu6"})")
                << QStringLiteral("hidden_activation 'relu6'");
        QTest::newRow("contradictory architecture")
                << QByteArray(R"({"model_type":"gpt2","architectures":["LlamaForCausalLM"]})")
                << QStringLiteral("contradicts model_type 'gpt2'");
        QTest::newRow("unknown model_type") << QByteArray(R"({"model_type":"mamba"})")
                                            << QStringLiteral("unsupported model_type 'mamba'");
        QTest::newRow("gemma3 without text_config")
                << QByteArray(R"({"model_type":"gemma3"})") << QStringLiteral("text_config");
    }

    void badInput()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const auto config = parseModelConfig(json, QStringLiteral("dir/config.json"));
        QVERIFY(!config);
        QVERIFY2(config.status().message().contains(expected),
                 qPrintable(config.status().message()));
        QVERIFY(config.status().message().startsWith(QLatin1String("dir/config.json")));
    }

    void missingAndMisshapenTensors()
    {
        const QString source = QDir(m_dir.path()).filePath(QStringLiteral("qwen3_f32"));
        QTemporaryDir copy;
        for (const QString &file : QDir(source).entryList(QDir::Files)) {
            QVERIFY(QFile::copy(QDir(source).filePath(file), copy.filePath(file)));
        }
        // A config that wants a bigger head than the checkpoint has.
        QFile config(copy.filePath(QStringLiteral("config.json")));
        QVERIFY(config.open(QIODevice::ReadOnly));
        QJsonObject json = QJsonDocument::fromJson(config.readAll()).object();
        config.close();
        json[QStringLiteral("head_dim")] = 8;
        QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
        config.write(QJsonDocument(json).toJson());
        config.close();
        const auto wrong = LanguageModel::load(copy.path());
        QVERIFY(!wrong);
        QVERIFY2(wrong.status().message().contains(
                         QLatin1String("'model.layers.0.self_attn.q_proj.weight' has shape "
                                       "[64,32], expected [32,32]")),
                 qPrintable(wrong.status().message()));
        QVERIFY(wrong.status().message().contains(QLatin1String("q_norm.weight")));
    }

    // Gemma-3's tokenizer.json has one id more than config.json's vocab_size (262145 vs 262144,
    // <image_soft_token>). transformers loads that model and fails only when the id is used;
    // Gyrus loads it too, says so on the card, and refuses the id when a forward meets it.
    void tokenizerWithIdsBeyondTheEmbedding()
    {
        QTemporaryDir copy;
        copyDirectory(QDir(m_dir.path()).filePath(QStringLiteral("gemma3_text_f32")), copy.path());
        constexpr int kRows = 64;  // the checkpoint's vocab_size
        writeCharacterTokenizer(copy.path(), kRows, true);

        auto model = LanguageModel::load(copy.path());
        QVERIFY2(model, qPrintable(model.status().message()));
        QVERIFY(model.value()->info().hasTokenizer);
        QCOMPARE(model.value()->info().vocabSize, kRows);
        const QString quirks = model.value()->info().quirks.join(QStringLiteral("; "));
        QVERIFY2(quirks.contains(QLatin1String("tokenizer ids 64..64 have no embedding row")),
                 qPrintable(quirks));

        const auto plain = model.value()->encode(QStringLiteral("abc"), false);
        QVERIFY(plain);
        QCOMPARE(plain.value(), (std::vector<int>{'a' - '0', 'b' - '0', 'c' - '0'}));
        QVERIFY(model.value()->forward(plain.value(), ForwardOptions{}));

        const auto imageIds = model.value()->encode(QStringLiteral("a<image_soft_token>"), false);
        QVERIFY(imageIds);
        QCOMPARE(imageIds.value(), (std::vector<int>{'a' - '0', kRows}));
        const auto refused = model.value()->forward(imageIds.value(), ForwardOptions{});
        QVERIFY(!refused);
        QVERIFY2(refused.status().message().contains(
                         QLatin1String("token id 64 outside the vocabulary [0, 64)")),
                 qPrintable(refused.status().message()));
    }

    // An SAE trained through TransformerLens with prepend_bos and center_writing_weights (the
    // gpt2-small-res-jb releases) makes the model put BOS first, though GPT-2's tokenizer adds
    // none, and centre its residual hooks; the engine applies the loaded SAE's card, and
    // unloading it restores Hugging Face's behaviour.
    void saeConventionsReachTokensAndHooks()
    {
        QTemporaryDir copy;
        copyDirectory(QDir(m_dir.path()).filePath(QStringLiteral("gpt2_f32")), copy.path());
        writeCharacterTokenizer(copy.path(), 64, false);
        auto loaded = LanguageModel::load(copy.path());
        QVERIFY2(loaded, qPrintable(loaded.status().message()));
        const std::vector<int> plain{'a' - '0', 'b' - '0', 'c' - '0'};
        QCOMPARE(loaded.value()->encode(QStringLiteral("abc")).value(), plain);

        EngineState state;
        state.setModel(std::move(loaded).value());
        LanguageModel &model = *state.model;
        SaeConfig config;
        config.architecture = SaeArchitecture::Relu;
        config.dIn = 32;
        config.dSae = 8;
        config.hookName = QStringLiteral("blocks.1.hook_resid_pre");
        config.prependBos = true;
        config.centreInput = true;
        auto sae = std::make_shared<gpu::detail::SaeModule>(
                config, gpu::detail::SaeWeights{at::randn({32, 8}),
                                                at::zeros({8}),
                                                at::randn({8, 32}),
                                                at::zeros({32}),
                                                {}});
        state.setSae(sae, saeCard(config, QStringLiteral("res-jb"), QStringLiteral("cpu")));

        constexpr int kBos = 50;  // make_checkpoints.py's GPT-2 bos_token_id; no tokenizer BOS
        std::vector<int> withBos{kBos};
        withBos.insert(withBos.end(), plain.begin(), plain.end());
        QCOMPARE(model.encode(QStringLiteral("abc")).value(), withBos);
        QCOMPARE(model.tokenizer().encode(QStringLiteral("abc"), true).ids.size(), 4);
        QCOMPARE(model.encode(QStringLiteral("abc"), false).value(), plain);  // ids as asked

        const QString hook = QStringLiteral("blocks.1.hook_resid_pre");
        const auto centred = model.forward(withBos, ForwardOptions{{hook}, false, false});
        ForwardOptions explicitOptions{{hook}, false, false};
        explicitOptions.centerWritingWeights = true;
        const auto expected = model.forward(withBos, explicitOptions);
        QVERIFY(centred && expected);
        const FloatTensor &x = centred->activations.at(hook);
        QCOMPARE(x.values, expected->activations.at(hook).values);
        double worstMean = 0.0;
        for (size_t row = 0; row < x.values.size() / 32; ++row) {
            double mean = 0.0;
            for (size_t i = 0; i < 32; ++i) {
                mean += x.values[row * 32 + i] / 32.0;
            }
            worstMean = std::max(worstMean, std::abs(mean));
        }
        QVERIFY2(worstMean < 1e-5, qPrintable(QString::number(worstMean)));

        state.setSae(nullptr, gyrus::SaeInfo());
        QCOMPARE(model.encode(QStringLiteral("abc")).value(), plain);
        const auto raw = model.forward(withBos, ForwardOptions{{hook}, false, false});
        QVERIFY(raw && raw->activations.at(hook).values != x.values);
    }

private:
    QJsonObject caseNamed(const QString &name) const
    {
        for (const QJsonValue &c : m_cases) {
            if (c.toObject()[QStringLiteral("name")].toString() == name) {
                return c.toObject();
            }
        }
        qFatal("no case %s", qPrintable(name));
    }

    static QJsonObject hfCase(const QString &name)
    {
        QFile file(test::dataPath(QStringLiteral("model_families/hf/manifest.json")));
        if (!file.open(QIODevice::ReadOnly)) {
            qFatal("cannot read %s", qPrintable(file.fileName()));
        }
        for (const QJsonValue &c :
             QJsonDocument::fromJson(file.readAll()).object()[QStringLiteral("cases")].toArray()) {
            if (c.toObject()[QStringLiteral("name")].toString() == name) {
                return c.toObject();
            }
        }
        qFatal("no transformers case %s", qPrintable(name));
    }

    // One tensor of a transformers run: float64 or float32 little-endian at its offset.
    static Reference readHf(const QJsonObject &run, const QString &key)
    {
        const QJsonObject entry = run[QStringLiteral("tensors")].toObject()[key].toObject();
        Reference r;
        size_t count = 1;
        for (const QJsonValue &s : entry[QStringLiteral("shape")].toArray()) {
            r.shape.push_back(s.toInteger());
            count *= size_t(s.toInteger());
        }
        const int element = run[QStringLiteral("element")].toInt();
        QFile file(test::dataPath(QStringLiteral("model_families/hf/") +
                                  run[QStringLiteral("file")].toString()));
        if (entry.isEmpty() || !file.open(QIODevice::ReadOnly) ||
            !file.seek(entry[QStringLiteral("offset")].toInteger())) {
            qFatal("cannot read %s from %s", qPrintable(key), qPrintable(file.fileName()));
        }
        const QByteArray bytes = file.read(qint64(count) * element);
        if (bytes.size() != qint64(count) * element) {
            qFatal("%s: %s is truncated", qPrintable(file.fileName()), qPrintable(key));
        }
        r.values.resize(count);
        for (size_t i = 0; i < count; ++i) {
            if (element == 8) {
                double v;
                std::memcpy(&v, bytes.constData() + i * 8, 8);
                r.values[i] = v;
            } else {
                float v;
                std::memcpy(&v, bytes.constData() + i * 4, 4);
                r.values[i] = v;
            }
        }
        return r;
    }

    Reference read(const QJsonObject &entry) const
    {
        Reference r;
        size_t count = 1;
        for (const QJsonValue &s : entry[QStringLiteral("shape")].toArray()) {
            r.shape.push_back(s.toInteger());
            count *= size_t(s.toInteger());
        }
        QFile file(QDir(m_dir.path()).filePath(entry[QStringLiteral("file")].toString()));
        if (!file.open(QIODevice::ReadOnly) || file.size() != qint64(count * 8)) {
            qFatal("cannot read %s", qPrintable(file.fileName()));
        }
        r.values.resize(count);
        file.read(reinterpret_cast<char *>(r.values.data()), qint64(count * 8));
        return r;
    }

    QTemporaryDir m_dir;
    QJsonArray m_cases;
};

QTEST_GUILESS_MAIN(TestModelFamilies)
#include "tst_model_families.moc"
