// bench_attribution: the cost of attributing a target to every active feature of a 16k-feature
// SAE over a 128-token prompt (gpu/analysis/attribution.h), as a ratio to a plain forward of the
// same prompt and to a forward plus the SAE's encode (what the heatmap computes), all measured in
// this run on a random Llama (d_model 512, 8 layers, vocabulary 8192; SAE at the middle layer),
// and the same with a second such SAE at layer 2 attributed in the same pass.
// The limit the issue sets is 3× a plain forward on the CPU. Medians of --repeats runs. JSON.

#include "gpu/analysis/attribution.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/model/transformer.h"
#include "gpu/runtime_info.h"
#include "gpu/sae/sae_module.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double medianSeconds(int repeats, const std::function<void()> &run)
{
    run();  // warm-up: first-touch allocations, RoPE tables
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i) {
        const Clock::time_point start = Clock::now();
        run();
        times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

int fail(const QString &message)
{
    std::fprintf(stderr, "bench_attribution: %s\n", qPrintable(message));
    return 1;
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Attribution vs a plain forward (JSON)."));
    parser.addHelpOption();
    parser.addOptions({{QStringLiteral("tokens"), QStringLiteral("Prompt length (128)."),
                        QStringLiteral("T"), QStringLiteral("128")},
                       {QStringLiteral("features"), QStringLiteral("SAE width (16384)."),
                        QStringLiteral("F"), QStringLiteral("16384")},
                       {QStringLiteral("repeats"), QStringLiteral("Timed runs (5)."),
                        QStringLiteral("N"), QStringLiteral("5")}});
    parser.process(app);
    gyrus::gpu::configureThreads();
    const int tokens = parser.value(QStringLiteral("tokens")).toInt();
    const int features = parser.value(QStringLiteral("features")).toInt();
    const int repeats = std::max(1, parser.value(QStringLiteral("repeats")).toInt());
    if (tokens < 2 || features < 1) {
        return fail(QStringLiteral("--tokens must be >= 2 and --features >= 1"));
    }

    gyrus::gpu::ModelConfig config;
    config.hiddenSize = 512;
    config.numHiddenLayers = 8;
    config.numAttentionHeads = 8;
    config.numKeyValueHeads = 8;
    config.intermediateSize = 1408;
    config.vocabSize = 8192;
    config.maxPositionEmbeddings = 1024;
    QTemporaryDir dir;
    if (gyrus::Status s = gyrus::gpu::writeRandomLlama(dir.path(), config, 5); !s.isOk()) {
        return fail(s.message());
    }
    auto loaded = gyrus::gpu::LanguageModel::load(dir.path());
    if (!loaded) {
        return fail(loaded.status().message());
    }
    const gyrus::gpu::LanguageModel &model = *loaded.value();

    // ReLU SAEs whose encoder bias leaves a fraction of the features active per token: the one
    // the limit is about at the middle layer, and a second at layer 2 for the cost of attributing
    // to two SAEs in the same forward and backward.
    const auto randomSae = [&](int layer) {
        gyrus::SaeConfig saeConfig;
        saeConfig.dIn = config.hiddenSize;
        saeConfig.dSae = features;
        saeConfig.hookName = QStringLiteral("blocks.%1.hook_resid_post").arg(layer);
        gyrus::gpu::detail::SaeWeights weights;
        weights.wEnc =
                at::randn({config.hiddenSize, features}) / std::sqrt(double(config.hiddenSize));
        weights.bEnc = at::full({features}, -2.3);
        weights.wDec = at::randn({features, config.hiddenSize});
        weights.wDec = weights.wDec / weights.wDec.norm(2, {1}, true);
        weights.bDec = at::zeros({config.hiddenSize});
        return gyrus::gpu::detail::SaeModule(saeConfig, weights);
    };
    at::manual_seed(7);
    const gyrus::gpu::detail::SaeModule sae = randomSae(4);
    const gyrus::gpu::detail::SaeModule earlySae = randomSae(2);

    std::vector<int> prompt;
    for (int i = 0; i < tokens; ++i) {
        prompt.push_back((i * 7919 + 13) % (config.vocabSize - 3) + 3);
    }
    std::vector<int64_t> ids(prompt.begin(), prompt.end());
    const at::Tensor idTensor = at::tensor(ids, at::kLong).view({1, tokens});
    gyrus::gpu::detail::Transformer &net = model.tensorModel();

    const double forward = medianSeconds(repeats, [&] {
        c10::InferenceMode guard;
        net.forward(idTensor);
    });
    const double forwardEncode = medianSeconds(repeats, [&] {
        c10::InferenceMode guard;
        gyrus::gpu::detail::HookSet hooks;
        hooks.capture(
                gyrus::gpu::detail::HookPoint::block(gyrus::gpu::detail::HookSite::ResidPost, 4));
        net.forward(idTensor, &hooks);
        sae.encode(hooks.captured(gyrus::gpu::detail::HookPoint::block(
                                          gyrus::gpu::detail::HookSite::ResidPost, 4))
                           .select(0, 0));
    });
    int64_t active = 0;
    bool ok = true;
    QString error;
    const double attribution = medianSeconds(repeats, [&] {
        auto result = gyrus::gpu::attributeFeatures(model, sae, prompt, {});
        if (!result) {
            ok = false;
            error = result.status().message();
            return;
        }
        active = static_cast<int64_t>(result->features.size());
    });
    int64_t activeBoth = 0;
    const double attributionTwo = medianSeconds(repeats, [&] {
        auto result = gyrus::gpu::attributeFeatures(model, {&earlySae, &sae}, prompt, {});
        if (!result) {
            ok = false;
            error = result.status().message();
            return;
        }
        activeBoth =
                static_cast<int64_t>(result->at(0).features.size() + result->at(1).features.size());
    });
    if (!ok) {
        return fail(error);
    }
    const double ratio = attribution / forward;
    const double limit = 3.0;
    QJsonObject json{
            {QStringLiteral("bench"), QStringLiteral("attribution")},
            {QStringLiteral("model"),
             QStringLiteral("random Llama d_model 512, 8 layers, 8 heads, SwiGLU 1408, vocab "
                            "8192, fp32, CPU")},
            {QStringLiteral("sae"),
             QStringLiteral("ReLU %1 features at blocks.4.hook_resid_post").arg(features)},
            {QStringLiteral("tokens"), tokens},
            {QStringLiteral("active_feature_positions"), static_cast<double>(active)},
            {QStringLiteral("torch_threads"), at::get_num_threads()},
            {QStringLiteral("repeats"), repeats},
            {QStringLiteral("forward_s"), forward},
            {QStringLiteral("forward_plus_encode_s"), forwardEncode},
            {QStringLiteral("attribution_s"), attribution},
            {QStringLiteral("ratio_to_forward"), ratio},
            {QStringLiteral("ratio_to_forward_plus_encode"), attribution / forwardEncode},
            {QStringLiteral("limit"), limit},
            {QStringLiteral("two_saes"),
             QStringLiteral("the same SAE and a second %1-feature one at "
                            "blocks.2.hook_resid_post, one forward and one backward")
                     .arg(features)},
            {QStringLiteral("active_feature_positions_two_saes"), static_cast<double>(activeBoth)},
            {QStringLiteral("attribution_two_saes_s"), attributionTwo},
            {QStringLiteral("ratio_two_saes_to_forward"), attributionTwo / forward},
            {QStringLiteral("within_limit"), ratio <= limit},
            {QStringLiteral("torch"), gyrus::gpu::runtimeInfo().torchVersion}};
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Indented).constData());
    return 0;
}
