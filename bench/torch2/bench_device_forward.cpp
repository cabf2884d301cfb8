// bench_device_forward: prefill and KV-cached greedy decode throughput of Gyrus's transformer on
// a Hugging Face checkpoint on any device and dtype (the GPU figures of docs/torch2.md; the peer
// is bench/torch2/device/hf_peer.py, transformers eager and sdpa on the same checkpoint, run by
// bench/torch2/device/run.sh). Writes the float32 logits of the first prefill row's last token
// to --logits-out for the parity check against the peer. Prints JSON.
// Usage: bench_device_forward --model DIR [--device cuda:0] [--dtype bf16] [--batch 8]
//            [--tokens 512] [--decode-tokens 128] [--repeats 3] [--logits-out FILE]

#include "gpu/model/kv_cache.h"
#include "gpu/model/language_model.h"
#include "gpu/model/transformer.h"
#include "gpu/runtime_info.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstdio>

using namespace gyrus;
using namespace gyrus::gpu;

namespace {

[[noreturn]] void fail(const QString &message)
{
    std::fprintf(stderr, "bench_device_forward: %s\n", qPrintable(message));
    std::exit(1);
}

// Waits for the queued kernels (a host copy of one element).
void synchronise(const at::Tensor &t)
{
    (void)t.reshape({-1})[0].item<float>();
}

// The peer's token ids: (7 + 13·i) mod vocab, the same rows the peer builds.
at::Tensor fixedTokens(int64_t batch, int64_t tokens, int64_t vocab, const at::Device &device)
{
    at::Tensor ids = at::arange(batch * tokens, at::kLong).mul_(13).add_(7).remainder_(vocab);
    return ids.view({batch, tokens}).to(device);
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QString modelDir;
    QString device = QStringLiteral("cuda:0");
    QString dtype = QStringLiteral("bf16");
    QString logitsOut;
    int64_t batch = 8, tokens = 512, decodeTokens = 128;
    int repeats = 3;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        const QString &flag = args[i];
        const QString &value = args[i + 1];
        if (flag == QLatin1String("--model")) {
            modelDir = value;
        } else if (flag == QLatin1String("--device")) {
            device = value;
        } else if (flag == QLatin1String("--dtype")) {
            dtype = value;
        } else if (flag == QLatin1String("--batch")) {
            batch = value.toLongLong();
        } else if (flag == QLatin1String("--tokens")) {
            tokens = value.toLongLong();
        } else if (flag == QLatin1String("--decode-tokens")) {
            decodeTokens = value.toLongLong();
        } else if (flag == QLatin1String("--repeats")) {
            repeats = std::max(1, value.toInt());
        } else if (flag == QLatin1String("--logits-out")) {
            logitsOut = value;
        } else {
            fail(QStringLiteral("unknown option %1").arg(flag));
        }
    }
    const Result<Dtype> computeDtype = parseName<Dtype>(dtype);
    if (!computeDtype) {
        fail(computeDtype.status().message());
    }
    LoadOptions options;
    options.device = device;
    options.dtype = computeDtype.value();
    options.checkFinite = false;
    QElapsedTimer loadTimer;
    loadTimer.start();
    auto loaded = LanguageModel::load(modelDir, options);
    if (!loaded) {
        fail(loaded.status().message());
    }
    const double loadSeconds = loadTimer.nsecsElapsed() / 1e9;
    gpu::detail::Transformer &model = loaded.value()->tensorModel();
    const at::Device where = model.device();
    c10::InferenceMode guard;
    const at::Tensor ids = fixedTokens(batch, tokens, model.config().vocabSize, where);

    // Prefill: the whole batch, logits of the last position (what generation needs).
    at::Tensor last = model.forward(ids, nullptr, nullptr, gpu::detail::LogitsMode::Last);
    synchronise(last);
    double prefill = 1e30;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer timer;
        timer.start();
        last = model.forward(ids, nullptr, nullptr, gpu::detail::LogitsMode::Last);
        synchronise(last);
        prefill = std::min(prefill, timer.nsecsElapsed() / 1e9);
    }
    if (!logitsOut.isEmpty()) {
        const at::Tensor row = last[0][0].to(at::kCPU, at::kFloat).contiguous();
        QFile file(logitsOut);
        if (!file.open(QIODevice::WriteOnly)) {
            fail(QStringLiteral("cannot write %1").arg(logitsOut));
        }
        file.write(reinterpret_cast<const char *>(row.data_ptr<float>()), row.numel() * 4);
    }

    // Greedy decode of one sequence with the KV cache, after a 16-token prompt.
    double decode = 1e30;
    for (int r = 0; r < repeats; ++r) {
        gpu::detail::KvCache cache = model.newCache(16 + decodeTokens);
        at::Tensor next = model.forward(ids.narrow(0, 0, 1).narrow(1, 0, 16), nullptr, &cache,
                                        gpu::detail::LogitsMode::Last)
                                  .argmax(-1);
        synchronise(next);
        QElapsedTimer timer;
        timer.start();
        for (int64_t t = 0; t < decodeTokens; ++t) {
            next = model.forward(next, nullptr, &cache, gpu::detail::LogitsMode::Last).argmax(-1);
        }
        synchronise(next);
        decode = std::min(decode, timer.nsecsElapsed() / 1e9);
    }

    const ModelInfo info = loaded.value()->info();
    QJsonObject out;
    out[QStringLiteral("bench")] = QStringLiteral("device_forward");
    out[QStringLiteral("torch")] = runtimeInfo().torchVersion;
    out[QStringLiteral("device")] = info.device;
    out[QStringLiteral("dtype")] = nameOf(info.dtype);
    out[QStringLiteral("family")] = info.family;
    out[QStringLiteral("parameters")] = double(info.parameters);
    out[QStringLiteral("load_seconds")] = loadSeconds;
    out[QStringLiteral("prefill")] =
            QJsonObject{{QStringLiteral("batch"), double(batch)},
                        {QStringLiteral("tokens"), double(tokens)},
                        {QStringLiteral("seconds"), prefill},
                        {QStringLiteral("tokens_per_s"), double(batch * tokens) / prefill}};
    out[QStringLiteral("decode")] =
            QJsonObject{{QStringLiteral("new_tokens"), double(decodeTokens)},
                        {QStringLiteral("seconds"), decode},
                        {QStringLiteral("tokens_per_s"), double(decodeTokens) / decode}};
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Indented).constData());
    return 0;
}
