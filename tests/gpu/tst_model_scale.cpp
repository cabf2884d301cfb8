// Loading only what a job uses, at a size CI can afford: a sharded bf16 checkpoint with one layer
// per shard. A job at layer L must read the embedding and layers 0..L and nothing above (counted
// in tensors and shards); the memory budget must refuse an oversized request before reading
// anything; a corrupt shard must be named when first touched, leaving what was read in use.

#include "core/base/memory_budget.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/model/transformer.h"
#include "gpu/model/weight_footprint.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <memory>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

constexpr int kLayers = 4;

ModelConfig shardedConfig()
{
    ModelConfig c;
    c.hiddenSize = 64;
    c.numHiddenLayers = kLayers;
    c.numAttentionHeads = 4;
    c.numKeyValueHeads = 2;
    c.intermediateSize = 96;
    c.vocabSize = 256;
    c.ropeTheta = 10000.0;
    c.maxPositionEmbeddings = 64;
    c.tieWordEmbeddings = false;
    return c;
}

// Per-layer tensors of this Llama: two norms, q, k, v, o, gate, up, down.
constexpr int kTensorsPerLayer = 9;

std::unique_ptr<LanguageModel> open(const QString &dir, Dtype dtype = Dtype::Float32)
{
    LoadOptions options;
    options.dtype = dtype;
    Result<std::unique_ptr<LanguageModel>> model = LanguageModel::load(dir, options);
    if (!model) {
        qWarning("%s", qPrintable(model.status().message()));
        return nullptr;
    }
    return std::move(model).value();
}

ForwardOptions captureAt(int layer)
{
    ForwardOptions options;
    options.logits = false;
    options.captures << QStringLiteral("blocks.%1.hook_resid_post").arg(layer);
    return options;
}

const std::vector<int> kTokens = {1, 17, 42, 99, 7, 200};

class EnvGuard
{
public:
    explicit EnvGuard(const QByteArray &value) { qputenv("GYRUS_MEMORY_AVAILABLE", value); }

    ~EnvGuard() { qunsetenv("GYRUS_MEMORY_AVAILABLE"); }
};

}  // namespace

class ModelScaleTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_model;
    QString m_corrupt;

private Q_SLOTS:

    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        qunsetenv("GYRUS_MEMORY_AVAILABLE");
        m_model = m_dir.filePath(QStringLiteral("sharded"));
        m_corrupt = m_dir.filePath(QStringLiteral("corrupt"));
        const QByteArray json = modelConfigToJson(shardedConfig());
        QVERIFY(writeRandomShardedModel(m_model, json, 5, DType::BF16, 1).isOk());
        QVERIFY(writeRandomShardedModel(m_corrupt, json, 5, DType::BF16, 1, /*corruptLayer=*/2)
                        .isOk());
        QCOMPARE(QDir(m_model).entryList({QStringLiteral("*.safetensors")}).size(), kLayers);
        // Only the corrupt copy holds a NaN: the stem tensors (layer -1) of an uncorrupted one
        // are finite everywhere, the middle embedding row included.
        for (const QString &dir : {m_model, m_corrupt}) {
            const auto archive = SafetensorsArchive::open(dir);
            QVERIFY(archive);
            bool finite = true;
            for (const QString &name : archive->tensorNames()) {
                finite = finite &&
                         at::isfinite(tensorFromArchive(*archive, name)).all().item<bool>();
            }
            QCOMPARE(finite, dir == m_model);
        }
    }

    void openingReadsNoWeight()
    {
        const auto model = open(m_model);
        QVERIFY(model);
        const WeightUse use = model->info().weightUse;
        QCOMPARE(use.tensorsRead, 0);
        QCOMPARE(use.shardsRead.size(), 0);
        QCOMPARE(use.shards, kLayers);
        QCOMPARE(use.checkpointDtype, QStringLiteral("bf16"));
        // 1 embedding + 4 layers + final norm + head.
        QCOMPARE(use.tensorsTotal, 1 + kLayers * kTensorsPerLayer + 2);
    }

    void jobAtLayerReadsOnlyLayersUpToIt()
    {
        const auto model = open(m_model);
        QVERIFY(model);
        Result<ForwardOutput> out = model->forward(kTokens, captureAt(1));
        QVERIFY2(out.isOk(), qPrintable(out.status().message()));
        const WeightUse use = model->info().weightUse;
        QCOMPARE(use.tensorsRead, 1 + 2 * kTensorsPerLayer);
        QCOMPARE(use.layersReady, 2);
        QVERIFY(!use.headReady);
        // Shard k holds layer k-1 (and the embedding is in the first): shards 1 and 2 only.
        QCOMPARE(use.shardsRead.size(), 2);
        QVERIFY(use.shardsRead[0].endsWith(QStringLiteral("model-00001-of-00004.safetensors")));
        QVERIFY(use.shardsRead[1].endsWith(QStringLiteral("model-00002-of-00004.safetensors")));
        // The prediction made from the headers alone says the same.
        const WeightFootprint &footprint = model->tensorModel().footprint();
        const JobTouch predicted = jobTouch(footprint, 1, false, {DType::F32, true});
        QCOMPARE(predicted.tensors, use.tensorsRead);
        QCOMPARE(predicted.shards, use.shardsRead);
        QCOMPARE(predicted.fileBytes, use.bytesRead);
        // Layer tensors converted to fp32, the embedding kept in bf16: half the file bytes of
        // the layers are added as copies twice their size.
        QCOMPARE(use.convertedBytes, predicted.convertedBytes);
        QCOMPARE(use.bytesForLayer(1), predicted.residentBytes);

        // Reading lazily changes nothing in the outputs: a model that read everything agrees.
        const auto full = open(m_model);
        ForwardOptions all = captureAt(1);
        all.logits = true;
        Result<ForwardOutput> reference = full->forward(kTokens, all);
        QVERIFY(reference.isOk());
        QCOMPARE(full->info().weightUse.tensorsRead, full->info().weightUse.tensorsTotal);
        QCOMPARE(full->info().weightUse.shardsRead.size(), kLayers);
        const FloatTensor &a = out->activations.at(QStringLiteral("blocks.1.hook_resid_post"));
        const FloatTensor &b =
                reference->activations.at(QStringLiteral("blocks.1.hook_resid_post"));
        QCOMPARE(a.shape, b.shape);
        QCOMPARE(a.values, b.values);
    }

    void bf16ComputeKeepsTheFileMapped()
    {
        const auto model = open(m_model, Dtype::BFloat16);
        QVERIFY(model);
        QVERIFY(model->forward(kTokens, captureAt(2)).isOk());
        const WeightUse use = model->info().weightUse;
        QCOMPARE(use.layersReady, 3);
        QCOMPARE(use.convertedBytes, qint64(0));  // used in place, no copy
    }

    void budgetRefusesAnOversizedRequestBeforeReading()
    {
        const auto model = open(m_model);
        QVERIFY(model);
        {
            const EnvGuard budget("64K");
            Result<ForwardOutput> out = model->forward(kTokens, captureAt(3));
            QVERIFY(!out.isOk());
            QCOMPARE(out.status().code(), Status::Code::OutOfMemory);
            const QString message = out.status().message();
            QVERIFY2(message.contains(QStringLiteral("a forward of 1 x 6 tokens to layer 3 needs")),
                     qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("but 66 KB are available")),
                     qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("weights still to read in fp32")),
                     qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("ways out: open the model in bf16")),
                     qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("a lower layer (layer 1 needs")),
                     qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("fewer tokens or a smaller batch")),
                     qPrintable(message));
            // Refused before anything was read.
            QCOMPARE(model->info().weightUse.tensorsRead, 0);
        }
        // The model is still there and works once memory allows.
        QVERIFY(model->forward(kTokens, captureAt(3)).isOk());
        QCOMPARE(model->info().weightUse.layersReady, kLayers);
    }

    void corruptShardIsNamedWhenTouched()
    {
        const auto model = open(m_corrupt);
        QVERIFY(model);  // opening reads headers only: the NaN is not seen yet
        QVERIFY(model->forward(kTokens, captureAt(1)).isOk());
        Result<ForwardOutput> bad = model->forward(kTokens, captureAt(3));
        QVERIFY(!bad.isOk());
        const QString message = bad.status().message();
        const QString shard = QDir(m_corrupt).absoluteFilePath(
                QStringLiteral("model-00003-of-00004.safetensors"));
        QVERIFY2(message.startsWith(shard + QStringLiteral(" (")), qPrintable(message));
        QVERIFY2(message.contains(formatBytes(QFileInfo(shard).size())), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("model.layers.2.")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("NaN or infinite")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("layers 0..1 stay in use")), qPrintable(message));
        // Nothing read before is lost: layers 0..1 still answer, and nothing of layer 2 stuck.
        QCOMPARE(model->info().weightUse.layersReady, 2);
        QVERIFY(model->forward(kTokens, captureAt(1)).isOk());
    }

    void budgetRefusesAnSaeTooWideForMemory()
    {
        // A real SAELens directory, written by Gyrus's own writer.
        SaeConfig config;
        config.architecture = SaeArchitecture::JumpRelu;
        config.dIn = 64;
        config.dSae = 1024;
        config.hookName = QStringLiteral("blocks.1.hook_resid_post");
        gpu::detail::SaeWeights w;
        w.wEnc = at::randn({64, 1024});
        w.bEnc = at::zeros({1024});
        w.wDec = at::randn({1024, 64});
        w.bDec = at::zeros({64});
        w.threshold = at::ones({1024});
        const QString dir = m_dir.filePath(QStringLiteral("sae"));
        QVERIFY(saveSae(gpu::detail::SaeModule(config, w), dir).isOk());
        {
            const EnvGuard budget("100K");
            const auto refused = loadSae(dir);
            QVERIFY(!refused.isOk());
            QCOMPARE(refused.status().code(), Status::Code::OutOfMemory);
            const QString message = refused.status().message();
            const QString weights = QDir(dir).filePath(QStringLiteral("sae_weights.safetensors"));
            // Names the file, its size, the width and what the load needs: the fp32 matrices
            // (524 KB), the vectors (13 KB) and one block of the batched encode (1,024 tokens x
            // (16 x 1024 + 8 x 64) bytes = 17 MB).
            QVERIFY2(message.startsWith(
                             QStringLiteral("loading the SAE %1 (%2; 1024 features x "
                                            "d_in 64) needs 18 MB (W_enc and W_dec in fp32 "
                                            "524 KB, biases and thresholds 13 KB, one block of "
                                            "a batched encode 17 MB)")
                                     .arg(weights, formatBytes(QFileInfo(weights).size()))),
                     qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("but 102 KB are available")),
                     qPrintable(message));
            QVERIFY2(message.contains(QStringLiteral("a narrower SAE of the same release (256 "
                                                     "features need 131 KB)")),
                     qPrintable(message));
        }
        QVERIFY(loadSae(dir).isOk());
    }

    void deviceRequestsAreCheckedAgainstTheDevice()
    {
        // A CUDA request's budget is the device's free memory, not the host's; the CUDA path
        // itself (cudaMemGetInfo through dlopen) needs a GPU and is not exercised here.
        const EnvGuard host("64G");
        qputenv("GYRUS_DEVICE_MEMORY_AVAILABLE", "1M");
        QCOMPARE(availableMemoryBytesOn(QStringLiteral("cpu")), qint64(64) << 30);
        QCOMPARE(availableMemoryBytesOn(QStringLiteral("cuda")), qint64(1) << 20);
        QCOMPARE(availableMemoryBytesOn(QStringLiteral("cuda:1")), qint64(1) << 20);
        QCOMPARE(availableMemoryBytesOn(QStringLiteral("mps")), qint64(-1));
        MemoryRequest request;
        request.what = QStringLiteral("a forward on cuda:0");
        request.parts.push_back({QStringLiteral("weights"), 4 << 20});
        const Status refused =
                checkMemoryBudget(request, availableMemoryBytesOn(QStringLiteral("cuda:0")));
        qunsetenv("GYRUS_DEVICE_MEMORY_AVAILABLE");
        QCOMPARE(refused.code(), Status::Code::OutOfMemory);
        QVERIFY2(refused.message().contains(QStringLiteral("needs 4 MB (weights 4 MB) but 1 MB "
                                                           "are available")),
                 qPrintable(refused.message()));
    }

    void formatBytesReadsLikeAFileManager()
    {
        QCOMPARE(formatBytes(16'060'000'000), QStringLiteral("16.1 GB"));
        QCOMPARE(formatBytes(512'000'000), QStringLiteral("512 MB"));
        QCOMPARE(formatBytes(3'000), QStringLiteral("3 KB"));
        QCOMPARE(formatBytes(12), QStringLiteral("12 bytes"));
    }
};

QTEST_GUILESS_MAIN(ModelScaleTest)
#include "tst_model_scale.moc"
