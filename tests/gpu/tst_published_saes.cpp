// Published SAEs load and encode exactly as they were trained. tests/data/sae/published/
// make_published_sae_fixtures.py writes one tiny SAE in each release layout (SAELens cfg.json of
// several versions and architectures, Gemma Scope params.npz under its release path, Llama Scope
// hyperparams.json + bfloat16 checkpoint) with numpy alone, and the float64 numpy features and
// reconstructions of a batch from each format's documented formulas; Gyrus must reproduce them.

#include "core/steering/clamp_set.h"
#include "gpu/model/safetensors_torch.h"
#include "gpu/sae/published_sae_loaders.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/sae_module.h"
#include "gpu/sae/steering/clamp_hook.h"
#include "tests/support/test_paths.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <ATen/ATen.h>

#include <functional>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

const QString kRoot = QStringLiteral("sae/published/");

at::Tensor expectedTensor(const QString &name, const QString &tensor)
{
    Result<SafetensorsArchive> archive = SafetensorsArchive::open(
            test::dataPath(kRoot + QStringLiteral("expected/%1.safetensors").arg(name)));
    if (!archive) {
        qFatal("%s", qPrintable(archive.status().message()));
    }
    return tensorFromArchive(archive.value(), tensor).to(at::kDouble).clone();
}

// Largest |a − b| relative to the largest |b| (1 when b is all zeros).
double relativeError(const at::Tensor &a, const at::Tensor &b)
{
    const double scale = std::max(1.0, b.abs().max().item<double>());
    return (a.to(at::kDouble) - b.to(at::kDouble)).abs().max().item<double>() / scale;
}

// Copies a fixture directory tree so a test can damage it.
QString copyTree(const QString &relative, const QString &target)
{
    const QString source = test::dataPath(kRoot + relative);
    QDir().mkpath(target);
    for (const QString &file : QDir(source).entryList(QDir::Files)) {
        QFile::copy(QDir(source).filePath(file), QDir(target).filePath(file));
    }
    for (const QString &dir : QDir(source).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        copyTree(relative + QLatin1Char('/') + dir, QDir(target).filePath(dir));
    }
    return target;
}

void editJson(const QString &path, const std::function<void(QJsonObject &)> &edit)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QJsonObject json = QJsonDocument::fromJson(file.readAll()).object();
    file.close();
    edit(json);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QJsonDocument(json).toJson());
}

}  // namespace

class TestPublishedSaes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodesAsTrained_data();
    void encodesAsTrained();
    void configurationWithoutWeights();
    void gemmaScopeReleasePaths_data();
    void gemmaScopeReleasePaths();
    void clampEditsAreInModelUnits();
    void savedNormalisingSaeLoadsBack();
    void errorsNameFileAndField_data();
    void errorsNameFileAndField();
};

void TestPublishedSaes::encodesAsTrained_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<int>("architecture");
    QTest::addColumn<QString>("hook");
    QTest::addColumn<QString>("model");
    QTest::addColumn<bool>("prependBos");
    QTest::addColumn<bool>("centred");
    QTest::addColumn<int>("normalisation");
    QTest::addColumn<QString>("format");
    const int relu = int(SaeArchitecture::Relu);
    const int topk = int(SaeArchitecture::TopK);
    const int jump = int(SaeArchitecture::JumpRelu);
    const int none = int(SaeInputNormalisation::None);
    QTest::newRow("SAELens pre-6, standard, centred (gpt2-small-res-jb)")
            << "saelens_pre6_standard_centred"
            << "saelens_pre6_standard_centred" << relu << "blocks.8.hook_resid_pre"
            << "gpt2-small" << true << true << none << "saelens";
    QTest::newRow("SAELens 6 'meta', JumpReLU from log_threshold")
            << "saelens_v6_meta_jumprelu"
            << "saelens_v6_meta_jumprelu" << jump << "blocks.5.hook_resid_post"
            << "gemma-2-2b" << true << false << none << "saelens";
    QTest::newRow("SAELens pre-6 TopK, layer_norm (OpenAI GPT-2 v5)")
            << "saelens_pre6_topk_layer_norm"
            << "saelens_pre6_topk_layer_norm" << topk << "blocks.6.hook_resid_post"
            << "gpt2-small" << false << false << int(SaeInputNormalisation::LayerNorm) << "saelens";
    QTest::newRow("SAELens 6 TopK, decoder-norm rescale, constant_norm_rescale")
            << "saelens_v6_topk_rescaled_cnr"
            << "saelens_v6_topk_rescaled_cnr" << topk << "blocks.8.hook_resid_pre"
            << "mistral-7b" << true << false << int(SaeInputNormalisation::ConstantNormRescale)
            << "saelens";
    QTest::newRow("SAELens 6 BatchTopK export (JumpReLU), bfloat16")
            << "saelens_v6_batchtopk_bf16"
            << "saelens_v6_batchtopk_bf16" << jump << "blocks.12.hook_resid_post"
            << "gemma-2-2b" << true << false << none << "saelens";
    QTest::newRow("SAELens 5, finetuning scaling_factor")
            << "saelens_v5_finetuning_scale"
            << "saelens_v5_finetuning_scale" << relu << "blocks.3.hook_resid_post"
            << "pythia-70m-deduped" << true << false << none << "saelens";
    QTest::newRow("Gemma Scope params.npz in its release path")
            << "gemma-scope-2b-pt-res/layer_3/width_16k/average_l0_20"
            << "gemma_scope_release" << jump << "blocks.3.hook_resid_post"
            << "gemma-2-2b" << true << false << none << "gemma-scope";
    QTest::newRow("Llama Scope hyperparams.json, bfloat16, dataset norm")
            << "Llama3_1-8B-Base-L7R-8x"
            << "llama_scope" << jump << "blocks.7.hook_resid_post"
            << "meta-llama/Llama-3.1-8B" << true << false << none << "llama-scope";
}

void TestPublishedSaes::encodesAsTrained()
{
    QFETCH(QString, path);
    QFETCH(QString, expected);
    QFETCH(int, architecture);
    QFETCH(QString, hook);
    QFETCH(QString, model);
    QFETCH(bool, prependBos);
    QFETCH(bool, centred);
    QFETCH(int, normalisation);
    QFETCH(QString, format);
    auto loaded = loadSae(test::dataPath(kRoot + path));
    QVERIFY2(loaded, qPrintable(loaded.status().message()));
    const gpu::detail::SaeModule &sae = *loaded.value();
    const SaeConfig &config = sae.config();
    QCOMPARE(int(config.architecture), architecture);
    QCOMPARE(config.hookName, hook);
    QCOMPARE(config.modelName, model);
    QCOMPARE(config.prependBos, prependBos);
    QCOMPARE(config.centreInput, centred);
    QCOMPARE(int(config.inputNormalisation), normalisation);
    QCOMPARE(config.format, format);

    const at::Tensor x = expectedTensor(expected, QStringLiteral("x")).to(at::kFloat);
    const at::Tensor features = expectedTensor(expected, QStringLiteral("features"));
    const at::Tensor reconstruction = expectedTensor(expected, QStringLiteral("reconstruction"));
    const at::Tensor f = sae.encode(x);
    // The same latents fire, with the same values (float32 against the float64 reference).
    QVERIFY(at::equal(f > 0, features > 0));
    QVERIFY2(relativeError(f, features) < 2e-6,
             qPrintable(QString::number(relativeError(f, features))));
    const at::Tensor xHat = sae.reconstruct(x);
    QVERIFY2(relativeError(xHat, reconstruction) < 2e-6,
             qPrintable(QString::number(relativeError(xHat, reconstruction))));
    // decodeFor() is reconstruct() for given features.
    QVERIFY(at::allclose(sae.decodeFor(f, x), xHat));
}

void TestPublishedSaes::configurationWithoutWeights()
{
    Result<SaeFileInfo> llama =
            readSaeInfo(test::dataPath(kRoot + QStringLiteral("Llama3_1-8B-Base-L7R-8x")));
    QVERIFY2(llama, qPrintable(llama.status().message()));
    QCOMPARE(llama->config.format, QStringLiteral("llama-scope"));
    QCOMPARE(llama->config.dIn, 16);
    QCOMPARE(llama->config.dSae, 48);
    QCOMPARE(llama->normalisation, QStringLiteral("dataset-wise"));
    QCOMPARE(llama->foldedInputScale, 4.0 / 6.3125);  // √d_model / norm_in

    Result<SaeFileInfo> oai =
            readSaeInfo(test::dataPath(kRoot + QStringLiteral("saelens_pre6_topk_layer_norm")));
    QVERIFY2(oai, qPrintable(oai.status().message()));
    QCOMPARE(oai->savedArchitecture, QStringLiteral("standard"));  // pre-6: no key
    QCOMPARE(oai->config.k, 5);
    QCOMPARE(oai->normalisation, QStringLiteral("layer_norm"));
    QVERIFY(oai->config.applyBDecToInput);
}

void TestPublishedSaes::gemmaScopeReleasePaths_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("hook");
    QTest::addColumn<QString>("model");
    QTest::newRow("res") << "/d/gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82/params.npz"
                         << "blocks.12.hook_resid_post"
                         << "gemma-2-2b";
    QTest::newRow("hub cache")
            << "/h/models--google--gemma-scope-9b-it-res/snapshots/ab12/layer_20/width_131k/"
               "average_l0_81/params.npz"
            << "blocks.20.hook_resid_post"
            << "gemma-2-9b-it";
    QTest::newRow("mlp") << "gemma-scope-2b-pt-mlp/layer_0/width_65k/average_l0_9"
                         << "blocks.0.hook_mlp_out"
                         << "gemma-2-2b";
    QTest::newRow("att") << "gemma-scope-27b-pt-att/layer_5/width_131k/average_l0_30"
                         << "blocks.5.attn.hook_z"
                         << "gemma-2-27b";
    QTest::newRow("embedding") << "gemma-scope-2b-pt-res/embedding/width_4k/average_l0_6"
                               << "hook_embed"
                               << "gemma-2-2b";
    QTest::newRow("transcoder: no single hook")
            << "gemma-scope-2b-pt-transcoders/layer_3/width_16k/average_l0_54"
            << ""
            << "gemma-2-2b";
    QTest::newRow("Gemma Scope 2")
            << "gemma-scope-2-1b-pt/resid_post/layer_13_width_16k_l0_medium/params.safetensors"
            << "blocks.13.hook_resid_post"
            << "gemma-3-1b";
    QTest::newRow("copied elsewhere") << "/tmp/my_sae/params.npz"
                                      << ""
                                      << "";
}

void TestPublishedSaes::gemmaScopeReleasePaths()
{
    QFETCH(QString, path);
    QFETCH(QString, hook);
    QFETCH(QString, model);
    const gpu::detail::GemmaScopeRelease release = gpu::detail::gemmaScopeReleaseFromPath(path);
    QCOMPARE(release.hookName, hook);
    QCOMPARE(release.modelName, model);
    QCOMPARE(release.embedding, hook == QLatin1String("hook_embed"));
}

// An SAE that normalises per token edits in its own units; the clamp splice must add the edit in
// the model's: exactly reconstruction(f') − reconstruction(f).
void TestPublishedSaes::clampEditsAreInModelUnits()
{
    auto loaded = loadSae(test::dataPath(kRoot + QStringLiteral("saelens_pre6_topk_layer_norm")));
    QVERIFY(loaded);
    const std::shared_ptr<const gpu::detail::SaeModule> sae = loaded.value();
    const at::Tensor x =
            expectedTensor(QStringLiteral("saelens_pre6_topk_layer_norm"), QStringLiteral("x"))
                    .to(at::kFloat);
    const at::Tensor f = sae->encode(x);
    const int feature = static_cast<int>(f.select(0, 3).argmax().item<int64_t>());
    ClampSet set;
    set.clamps = {FeatureClamp{feature, ClampMode::Clamp, 7.5, ClampPositions::All, true}};
    ClampScope scope;
    scope.firstEditable = 0;
    const gpu::detail::HookFn hook = gpu::detail::clampSpliceHook(sae, set, scope);
    gpu::detail::HookContext context;
    context.positions = at::arange(x.size(0), at::kLong);
    const at::Tensor edited = hook(x.unsqueeze(0), context).squeeze(0);
    at::Tensor clamped = f.clone();
    clamped.select(1, feature).fill_(7.5);
    const at::Tensor expected = x + (sae->decodeFor(clamped, x) - sae->decodeFor(f, x));
    QVERIFY2(relativeError(edited, expected) < 1e-5,
             qPrintable(QString::number(relativeError(edited, expected))));
    // Without the per-token scale the edit would be off by σ, which is far from 1 here.
    const at::Tensor sigma = sae->outputScale(x);
    QVERIFY(sigma.defined());
    QVERIFY((sigma - 1).abs().max().item<double>() > 0.1);
}

// Gyrus writes what it loaded: normalisation, centring and BOS survive a save.
void TestPublishedSaes::savedNormalisingSaeLoadsBack()
{
    QTemporaryDir dir;
    for (const char *name : {"saelens_pre6_topk_layer_norm", "saelens_pre6_standard_centred"}) {
        auto loaded = loadSae(test::dataPath(kRoot + QLatin1String(name)));
        QVERIFY(loaded);
        const QString target = dir.filePath(QLatin1String(name));
        QVERIFY(saveSae(*loaded.value(), target).isOk());
        auto again = loadSae(target);
        QVERIFY2(again, qPrintable(again.status().message()));
        const SaeConfig &a = loaded.value()->config();
        const SaeConfig &b = again.value()->config();
        QCOMPARE(int(b.inputNormalisation), int(a.inputNormalisation));
        QCOMPARE(b.centreInput, a.centreInput);
        QCOMPARE(b.prependBos, a.prependBos);
        const at::Tensor x =
                expectedTensor(QLatin1String(name), QStringLiteral("x")).to(at::kFloat);
        QVERIFY(at::equal(again.value()->encode(x), loaded.value()->encode(x)));
    }
}

void TestPublishedSaes::errorsNameFileAndField_data()
{
    using Edit = std::function<void(const QString &)>;
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("file");  // the file the message must name
    QTest::addColumn<Edit>("damage");
    QTest::addColumn<QString>("needle");
    const QString llama = QStringLiteral("Llama3_1-8B-Base-L7R-8x");
    auto hyper = [](const std::function<void(QJsonObject &)> &edit) {
        return Edit([edit](const QString &d) {
            editJson(QDir(d).filePath(QStringLiteral("hyperparams.json")), edit);
        });
    };
    auto cfg = [](const std::function<void(QJsonObject &)> &edit) {
        return Edit([edit](const QString &d) {
            editJson(QDir(d).filePath(QStringLiteral("cfg.json")), edit);
        });
    };
    QTest::newRow("Llama Scope transcoder")
            << llama << "hyperparams.json" << hyper([](QJsonObject &o) {
                   o[QStringLiteral("hook_point_out")] = QStringLiteral("blocks.7.hook_mlp_out");
               })
            << "transcoder";
    QTest::newRow("Llama Scope without its dataset norm")
            << llama << "hyperparams.json" << hyper([](QJsonObject &o) {
                   o.remove(QStringLiteral("dataset_average_activation_norm"));
               })
            << "dataset_average_activation_norm.in";
    QTest::newRow("Llama Scope topk checkpoint")
            << llama << "hyperparams.json"
            << hyper([](QJsonObject &o) { o[QStringLiteral("act_fn")] = QStringLiteral("topk"); })
            << "act_fn 'topk'";
    QTest::newRow("Llama Scope for another width")
            << llama << "final.safetensors"
            << hyper([](QJsonObject &o) { o[QStringLiteral("d_model")] = 32; }) << "encoder.weight";
    QTest::newRow("Llama Scope without weights")
            << llama << "final.safetensors" << Edit([](const QString &d) {
                   QFile::remove(QDir(d).filePath(QStringLiteral("checkpoints/final.safetensors")));
               })
            << "no such file";
    QTest::newRow("unknown normalize_activations")
            << "saelens_pre6_topk_layer_norm"
            << "cfg.json" << cfg([](QJsonObject &o) {
                   o[QStringLiteral("normalize_activations")] = QStringLiteral("batch_norm");
               })
            << "normalize_activations 'batch_norm'";
    QTest::newRow("pre-6 topk without k")
            << "saelens_pre6_topk_layer_norm"
            << "cfg.json"
            << cfg([](QJsonObject &o) { o.remove(QStringLiteral("activation_fn_kwargs")); })
            << "'k'";
    QTest::newRow("gated") << "saelens_v6_meta_jumprelu"
                           << "cfg.json" << cfg([](QJsonObject &o) {
                                  o[QStringLiteral("architecture")] = QStringLiteral("gated");
                              })
                           << "architecture 'gated'";
    QTest::newRow("one attention head")
            << "saelens_v5_finetuning_scale"
            << "cfg.json" << cfg([](QJsonObject &o) { o[QStringLiteral("hook_head_index")] = 2; })
            << "hook_head_index 2";
    QTest::newRow("scaling factor without finetuning_scaling_factor")
            << "saelens_v5_finetuning_scale"
            << "sae_weights.safetensors"
            << cfg([](QJsonObject &o) { o[QStringLiteral("finetuning_scaling_factor")] = false; })
            << "'scaling_factor'";
    QTest::newRow("BatchTopK export without its threshold")
            << "saelens_v6_batchtopk_bf16"
            << "sae_weights.safetensors" << Edit([](const QString &d) {
                   const QString path = QDir(d).filePath(QStringLiteral("sae_weights.safetensors"));
                   std::vector<std::pair<std::string, at::Tensor>> kept;
                   {
                       Result<SafetensorsArchive> archive = SafetensorsArchive::open(path);
                       QVERIFY(archive);
                       for (const char *name : {"W_enc", "b_enc", "W_dec", "b_dec"}) {
                           kept.emplace_back(
                                   name,
                                   tensorFromArchive(archive.value(), QLatin1String(name)).clone());
                       }
                   }
                   QVERIFY(writeTensors(path, kept).isOk());
               })
            << "threshold";
}

void TestPublishedSaes::errorsNameFileAndField()
{
    using Edit = std::function<void(const QString &)>;
    QFETCH(QString, fixture);
    QFETCH(QString, file);
    QFETCH(Edit, damage);
    QFETCH(QString, needle);
    QTemporaryDir dir;
    const QString copy = copyTree(fixture, dir.filePath(QStringLiteral("sae")));
    damage(copy);
    auto loaded = loadSae(copy);
    QVERIFY(!loaded);
    const QString message = loaded.status().message();
    QVERIFY2(message.contains(file) && message.contains(needle), qPrintable(message));
}

QTEST_GUILESS_MAIN(TestPublishedSaes)
#include "tst_published_saes.moc"
