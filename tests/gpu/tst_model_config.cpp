// config.json of Llama-family models: real configs, defaults, every refusal, the round trip and
// the expected tensor list.

#include "gpu/model/model_config.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>

using gyrus::Result;
using gyrus::Status;
using namespace gyrus::gpu;

namespace {

// TinyLlama-1.1B-Chat-v1.0's config.json as published on the Hugging Face hub.
const char *const kTinyLlama = R"({
  "architectures": ["LlamaForCausalLM"],
  "attention_bias": false,
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 5632,
  "max_position_embeddings": 2048,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 22,
  "num_key_value_heads": 4,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": null,
  "rope_theta": 10000.0,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.35.0",
  "use_cache": true,
  "vocab_size": 32000
})";

// Mistral-7B-v0.1's config.json.
const char *const kMistral = R"({
  "architectures": ["MistralForCausalLM"],
  "bos_token_id": 1,
  "eos_token_id": 2,
  "hidden_act": "silu",
  "hidden_size": 4096,
  "initializer_range": 0.02,
  "intermediate_size": 14336,
  "max_position_embeddings": 32768,
  "model_type": "mistral",
  "num_attention_heads": 32,
  "num_hidden_layers": 32,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-05,
  "rope_theta": 10000.0,
  "sliding_window": 4096,
  "tie_word_embeddings": false,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.34.0.dev0",
  "use_cache": true,
  "vocab_size": 32000
})";

QByteArray edited(const char *base, const std::function<void(QJsonObject &)> &edit)
{
    QJsonObject object = QJsonDocument::fromJson(base).object();
    edit(object);
    return QJsonDocument(object).toJson();
}

}  // namespace

class TestModelConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:

    void tinyLlamaFromFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("config.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(kTinyLlama);
        file.close();
        const Result<ModelConfig> config = loadModelConfig(path);
        QVERIFY2(config.isOk(), qPrintable(config.status().message()));
        QCOMPARE(config->architecture, QStringLiteral("LlamaForCausalLM"));
        QCOMPARE(config->modelType, QStringLiteral("llama"));
        QCOMPARE(config->hiddenSize, 2048);
        QCOMPARE(config->numHiddenLayers, 22);
        QCOMPARE(config->numAttentionHeads, 32);
        QCOMPARE(config->numKeyValueHeads, 4);
        QCOMPARE(config->intermediateSize, 5632);
        QCOMPARE(config->rmsNormEps, 1e-5);
        QCOMPARE(config->ropeTheta, 10000.0);
        QVERIFY(!config->ropeScaling.has_value());
        QCOMPARE(config->vocabSize, 32000);
        QCOMPARE(config->tieWordEmbeddings, false);
        QCOMPARE(config->bosTokenId, 1);
        QCOMPARE(config->eosTokenId, 2);
        QCOMPARE(config->maxPositionEmbeddings, 2048);
        QCOMPARE(config->torchDtype, QStringLiteral("bfloat16"));
        QCOMPARE(config->headDim(), 64);
    }

    void mistral()
    {
        const Result<ModelConfig> config = parseModelConfig(kMistral, QStringLiteral("m.json"));
        QVERIFY2(config.isOk(), qPrintable(config.status().message()));
        QCOMPARE(config->architecture, QStringLiteral("MistralForCausalLM"));
        QCOMPARE(config->modelType, QStringLiteral("mistral"));
        QCOMPARE(config->numKeyValueHeads, 8);
        QCOMPARE(config->headDim(), 128);
        QCOMPARE(config->slidingWindow, std::optional<int>(4096));
        QCOMPARE(config->maxPositionEmbeddings, 32768);
    }

    void defaults()
    {
        const QByteArray minimal = R"({"model_type": "llama", "hidden_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
            "vocab_size": 300})";
        const Result<ModelConfig> config = parseModelConfig(minimal, QStringLiteral("c.json"));
        QVERIFY2(config.isOk(), qPrintable(config.status().message()));
        QCOMPARE(config->architecture, QStringLiteral("LlamaForCausalLM"));  // from model_type
        QCOMPARE(config->numKeyValueHeads, 4);                               // = heads
        QCOMPARE(config->ropeTheta, 10000.0);
        QCOMPARE(config->rmsNormEps, 1e-6);
        QCOMPARE(config->tieWordEmbeddings, false);
    }

    void linearRopeScalingAndListEos()
    {
        const QByteArray json = edited(kTinyLlama, [](QJsonObject &o) {
            o[QStringLiteral("rope_scaling")] =
                    QJsonObject{{QStringLiteral("type"), QStringLiteral("linear")},
                                {QStringLiteral("factor"), 4.0}};
            o[QStringLiteral("eos_token_id")] = QJsonArray{2, 7};
        });
        const Result<ModelConfig> config = parseModelConfig(json, QStringLiteral("c.json"));
        QVERIFY2(config.isOk(), qPrintable(config.status().message()));
        QVERIFY(config->ropeScaling.has_value());
        QCOMPARE(config->ropeScaling->type, QStringLiteral("linear"));
        QCOMPARE(config->ropeScaling->factor, 4.0);
        QCOMPARE(config->eosTokenId, 2);
    }

    void refusals_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        const auto remove = [](const char *field) {
            return edited(kTinyLlama, [field](QJsonObject &o) { o.remove(QLatin1String(field)); });
        };
        const auto set = [](const char *field, const QJsonValue &value) {
            return edited(kTinyLlama,
                          [field, value](QJsonObject &o) { o[QLatin1String(field)] = value; });
        };
        QTest::newRow("malformed")
                << QByteArray("{\"hidden_size\": ") << QStringLiteral("malformed JSON");
        QTest::newRow("array") << QByteArray("[]") << QStringLiteral("not a JSON object");
        QTest::newRow("unknown architecture")
                << set("architectures", QJsonArray{QStringLiteral("FalconForCausalLM")})
                << QStringLiteral(
                           "unsupported architecture 'FalconForCausalLM' (supported: "
                           "LlamaForCausalLM, MistralForCausalLM, GPT2LMHeadModel");
        QTest::newRow("architecture of another family")
                << set("architectures", QJsonArray{QStringLiteral("GPT2LMHeadModel")})
                << QStringLiteral("architecture 'GPT2LMHeadModel' contradicts model_type 'llama'");
        QTest::newRow("no architecture, unknown model_type")
                << edited(kTinyLlama,
                          [](QJsonObject &o) {
                              o.remove(QStringLiteral("architectures"));
                              o[QStringLiteral("model_type")] = QStringLiteral("falcon");
                          })
                << QStringLiteral(
                           "unsupported model_type 'falcon' (supported: llama, mistral, "
                           "gpt2, gemma2, gemma3_text, gemma3, qwen2, qwen3, gpt_neox)");
        QTest::newRow("missing hidden_size")
                << remove("hidden_size")
                << QStringLiteral("missing required field \"hidden_size\"");
        QTest::newRow("missing vocab_size")
                << remove("vocab_size") << QStringLiteral("missing required field \"vocab_size\"");
        QTest::newRow("missing intermediate_size")
                << remove("intermediate_size")
                << QStringLiteral("missing required field \"intermediate_size\"");
        QTest::newRow("string layers")
                << set("num_hidden_layers", QStringLiteral("22"))
                << QStringLiteral(
                           "field \"num_hidden_layers\" must be a positive integer, got \"22\"");
        QTest::newRow("zero heads") << set("num_attention_heads", 0)
                                    << QStringLiteral(
                                               "field \"num_attention_heads\" must be a "
                                               "positive integer, got 0");
        QTest::newRow("negative eps")
                << set("rms_norm_eps", -1.0)
                << QStringLiteral("field \"rms_norm_eps\" must be a positive number");
        QTest::newRow("hidden not divisible by heads")
                << set("hidden_size", 2050)
                << QStringLiteral("hidden_size 2050 is not divisible by num_attention_heads 32");
        QTest::newRow("heads not divisible by kv heads")
                << set("num_key_value_heads", 5)
                << QStringLiteral(
                           "num_attention_heads 32 is not divisible by num_key_value_heads 5");
        QTest::newRow("dynamic rope")
                << set("rope_scaling",
                       QJsonObject{{QStringLiteral("type"), QStringLiteral("dynamic")},
                                   {QStringLiteral("factor"), 2.0}})
                << QStringLiteral("rope_scaling type 'dynamic' is not implemented");
        QTest::newRow("rope without factor")
                << set("rope_scaling",
                       QJsonObject{{QStringLiteral("rope_type"), QStringLiteral("linear")}})
                << QStringLiteral("rope_scaling.factor");
        QTest::newRow("relu6") << set("hidden_act", QStringLiteral("relu6"))
                               << QStringLiteral("unsupported hidden_act 'relu6'");
        QTest::newRow("tie not bool")
                << set("tie_word_embeddings", 1)
                << QStringLiteral("\"tie_word_embeddings\" must be true or false");
        QTest::newRow("bos outside vocab")
                << set("bos_token_id", 32000) << QStringLiteral("bos_token_id 32000");
    }

    void refusals()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const Result<ModelConfig> config =
                parseModelConfig(json, QStringLiteral("some/config.json"));
        QVERIFY(!config.isOk());
        QCOMPARE(config.status().code(), Status::Code::InvalidInput);
        QVERIFY2(config.status().message().contains(expected),
                 qPrintable(config.status().message()));
        QVERIFY2(config.status().message().startsWith(QStringLiteral("some/config.json: ")),
                 qPrintable(config.status().message()));
    }

    void missingFile()
    {
        const Result<ModelConfig> config =
                loadModelConfig(QStringLiteral("/nonexistent/config.json"));
        QVERIFY(!config.isOk());
        QCOMPARE(config.status().code(), Status::Code::NotFound);
        QVERIFY(config.status().message().contains(QStringLiteral("/nonexistent/config.json")));
    }

    void roundTrip()
    {
        for (const char *source : {kTinyLlama, kMistral}) {
            Result<ModelConfig> parsed = parseModelConfig(source, QStringLiteral("a.json"));
            QVERIFY(parsed.isOk());
            ModelConfig config = parsed.value();
            config.ropeScaling = RopeScaling{QStringLiteral("linear"), 2.5};
            config.tieWordEmbeddings = true;
            const QByteArray json = modelConfigToJson(config);
            const Result<ModelConfig> again = parseModelConfig(json, QStringLiteral("b.json"));
            QVERIFY2(again.isOk(), qPrintable(again.status().message()));
            QCOMPARE(again->architecture, config.architecture);
            QCOMPARE(again->modelType, config.modelType);
            QCOMPARE(again->hiddenSize, config.hiddenSize);
            QCOMPARE(again->numHiddenLayers, config.numHiddenLayers);
            QCOMPARE(again->numAttentionHeads, config.numAttentionHeads);
            QCOMPARE(again->numKeyValueHeads, config.numKeyValueHeads);
            QCOMPARE(again->intermediateSize, config.intermediateSize);
            QCOMPARE(again->rmsNormEps, config.rmsNormEps);
            QCOMPARE(again->ropeTheta, config.ropeTheta);
            QCOMPARE(again->ropeScaling->factor, 2.5);
            QCOMPARE(again->vocabSize, config.vocabSize);
            QCOMPARE(again->tieWordEmbeddings, true);
            QCOMPARE(again->bosTokenId, config.bosTokenId);
            QCOMPARE(again->eosTokenId, config.eosTokenId);
            QCOMPARE(again->maxPositionEmbeddings, config.maxPositionEmbeddings);
            QCOMPARE(again->torchDtype, config.torchDtype);
            QCOMPARE(again->slidingWindow, config.slidingWindow);
            // What transformers' LlamaConfig reads: model_type and the architectures list; the
            // rope_scaling object with exactly {type, factor} (older versions demand two keys).
            const QJsonObject object = QJsonDocument::fromJson(json).object();
            QCOMPARE(object.value(QStringLiteral("model_type")).toString(), config.modelType);
            QCOMPARE(object.value(QStringLiteral("architectures")).toArray().first().toString(),
                     config.architecture);
            QCOMPARE(object.value(QStringLiteral("rope_scaling")).toObject().size(), 2);
            QCOMPARE(object.value(QStringLiteral("hidden_act")).toString(), QStringLiteral("silu"));
        }
    }

    void expectedTensors()
    {
        Result<ModelConfig> parsed = parseModelConfig(kTinyLlama, QStringLiteral("a.json"));
        QVERIFY(parsed.isOk());
        ModelConfig config = parsed.value();
        std::vector<ExpectedTensor> tensors = expectedLlamaTensors(config);
        QCOMPARE(int(tensors.size()), 22 * 9 + 3);
        QMap<QString, QVector<qint64>> byName;
        for (const auto &[name, shape] : tensors) {
            QVERIFY2(!byName.contains(name), qPrintable(name));
            byName.insert(name, shape);
        }
        // Shapes of TinyLlama's published model.safetensors (GQA: k/v have 4 heads of 64).
        QCOMPARE(byName.value(QStringLiteral("model.embed_tokens.weight")),
                 (QVector<qint64>{32000, 2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.21.self_attn.q_proj.weight")),
                 (QVector<qint64>{2048, 2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.0.self_attn.k_proj.weight")),
                 (QVector<qint64>{256, 2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.0.self_attn.v_proj.weight")),
                 (QVector<qint64>{256, 2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.0.self_attn.o_proj.weight")),
                 (QVector<qint64>{2048, 2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.3.mlp.gate_proj.weight")),
                 (QVector<qint64>{5632, 2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.3.mlp.up_proj.weight")),
                 (QVector<qint64>{5632, 2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.3.mlp.down_proj.weight")),
                 (QVector<qint64>{2048, 5632}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.5.input_layernorm.weight")),
                 (QVector<qint64>{2048}));
        QCOMPARE(byName.value(QStringLiteral("model.layers.5.post_attention_layernorm.weight")),
                 (QVector<qint64>{2048}));
        QCOMPARE(byName.value(QStringLiteral("model.norm.weight")), (QVector<qint64>{2048}));
        QCOMPARE(byName.value(QStringLiteral("lm_head.weight")), (QVector<qint64>{32000, 2048}));
        QVERIFY(!byName.contains(QStringLiteral("model.layers.22.input_layernorm.weight")));

        config.tieWordEmbeddings = true;
        tensors = expectedLlamaTensors(config);
        QCOMPARE(int(tensors.size()), 22 * 9 + 2);
        for (const auto &entry : tensors) {
            QVERIFY(entry.first != QStringLiteral("lm_head.weight"));
        }
    }
};

QTEST_GUILESS_MAIN(TestModelConfig)
#include "tst_model_config.moc"
