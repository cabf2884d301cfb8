// bench_forward: prefill and KV-cached decode throughput of the transformer runtime on a random
// model (the Llama demo size, or with --family gpt2 a GPT-2-small-shaped one, 124 M parameters),
// next to a plain-torch peer of the same family (forward_reference.py) run on the same checkpoint
// in the same process tree; and the peak RSS of loading a checkpoint against its file size. JSON.

#include "core/base/memory_budget.h"
#include "gpu/model/language_model.h"
#include "gpu/model/random_llama.h"
#include "gpu/native_blas_kernels.h"
#include "gpu/runtime_info.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using gyrus::processStatusBytes;
using gyrus::resetPeakResidentBytes;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int fail(const QString &message)
{
    std::fprintf(stderr, "bench_forward: %s\n", qPrintable(message));
    return 1;
}

/// The ids forward_reference.py uses too: (i * 7919 + 13) mod (vocab - 3) + 3.
std::vector<int> benchTokens(int64_t first, int64_t count, int vocab)
{
    std::vector<int> ids;
    for (int64_t i = first; i < first + count; ++i) {
        ids.push_back(static_cast<int>((i * 7919 + 13) % (vocab - 3) + 3));
    }
    return ids;
}

}  // namespace

int main(int argc, char **argv)
{
    // As gyrus and gyrus-cli run (the peer inherits OPENBLAS_CORETYPE, so both use the same
    // kernels).
    gyrus::gpu::useNativeBlasKernels(argv);
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Prefill and decode tokens/s of the Llama runtime vs a plain-torch peer, as JSON."));
    parser.addHelpOption();
    auto option = [&](const char *name, const char *help, const char *value) {
        QCommandLineOption o(QLatin1String(name), QLatin1String(help), QStringLiteral("N"),
                             QLatin1String(value));
        parser.addOption(o);
        return o;
    };
    const QCommandLineOption batchOption = option("batch", "Prefill batch.", "8");
    const QCommandLineOption tokensOption = option("tokens", "Prefill tokens per row.", "128");
    const QCommandLineOption promptOption = option("decode-prompt", "Decode prompt tokens.", "16");
    const QCommandLineOption decodeOption = option("decode-tokens", "Tokens to decode.", "128");
    const QCommandLineOption repeatsOption = option("repeats", "Timed repeats per round.", "3");
    const QCommandLineOption roundsOption =
            option("rounds", "Rounds of ours then the peer's (best of all).", "3");
    const QCommandLineOption python(QStringLiteral("python"), QStringLiteral("Peer interpreter."),
                                    QStringLiteral("PATH"), QStringLiteral("/usr/bin/python3"));
    const QCommandLineOption noPeer(QStringLiteral("no-peer"), QStringLiteral("Skip the peer."));
    const QCommandLineOption familyOption(
            QStringLiteral("family"),
            QStringLiteral("llama (the demo size) or gpt2 (GPT-2 small: 768 wide, 12 layers, 12 "
                           "heads, vocabulary 50257)."),
            QStringLiteral("NAME"), QStringLiteral("llama"));
    parser.addOptions({python, noPeer, familyOption});
    parser.process(app);
    const int batch = parser.value(batchOption).toInt();
    const int tokens = parser.value(tokensOption).toInt();
    const int promptLength = parser.value(promptOption).toInt();
    const int decodeTokens = parser.value(decodeOption).toInt();
    const int repeats = std::max(1, parser.value(repeatsOption).toInt());
    const int rounds = std::max(1, parser.value(roundsOption).toInt());

    // The demo size of the brief: d=256, 6 layers, 8 heads over 2 KV heads, ffn 704, vocab 4096.
    gyrus::gpu::ModelConfig config;
    config.hiddenSize = 256;
    config.numHiddenLayers = 6;
    config.numAttentionHeads = 8;
    config.numKeyValueHeads = 2;
    config.intermediateSize = 704;
    config.vocabSize = 4096;
    config.maxPositionEmbeddings = 1024;
    QTemporaryDir dir;
    if (!dir.isValid()) {
        return fail(QStringLiteral("no temporary directory"));
    }
    const QString family = parser.value(familyOption);
    if (family == QLatin1String("gpt2")) {
        const QByteArray gpt2Small = R"({"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
            "n_embd": 768, "n_layer": 12, "n_head": 12, "n_positions": 1024, "vocab_size": 50257,
            "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
            "bos_token_id": 50256, "eos_token_id": 50256, "torch_dtype": "float32"})";
        if (gyrus::Status s = gyrus::gpu::writeRandomModel(dir.path(), gpt2Small, 7); !s.isOk()) {
            return fail(s.message());
        }
        config = *gyrus::gpu::parseModelConfig(gpt2Small, QStringLiteral("gpt2"));
    } else if (family != QLatin1String("llama")) {
        return fail(QStringLiteral("--family: '%1' is not llama or gpt2").arg(family));
    } else if (gyrus::Status s = gyrus::gpu::writeRandomLlama(dir.path(), config, 7); !s.isOk()) {
        return fail(s.message());
    }
    const qint64 fileBytes = QFileInfo(dir.filePath(QStringLiteral("model.safetensors"))).size();

    const gyrus::gpu::RuntimeInfo runtime = gyrus::gpu::runtimeInfo();
    resetPeakResidentBytes();
    const qint64 rssBefore = processStatusBytes("VmRSS");
    auto loaded = gyrus::gpu::LanguageModel::load(dir.path());
    if (!loaded) {
        return fail(loaded.status().message());
    }
    const qint64 peakDuringLoad = processStatusBytes("VmHWM") - rssBefore;
    const gyrus::gpu::LanguageModel &model = *loaded.value();

    // Prefill: batch x tokens, logits for every position (what the peer computes too).
    std::vector<std::vector<int>> rows;
    for (int b = 0; b < batch; ++b) {
        rows.push_back(benchTokens(int64_t(b) * tokens, tokens, config.vocabSize));
    }
    if (!model.forwardBatch({benchTokens(0, 8, config.vocabSize)})) {
        return fail(QStringLiteral("warm-up forward failed"));
    }
    // Decode: batch 1, greedy, KV cache; the time includes the prompt's prefill, as the peer's.
    gyrus::GenerateOptions greedy;
    greedy.maxNewTokens = decodeTokens;
    greedy.stopAtEos = false;
    const std::vector<int> prompt = benchTokens(0, promptLength, config.vocabSize);
    gyrus::GenerateOptions warm = greedy;
    warm.maxNewTokens = 4;
    (void)model.generateFromTokens(prompt, warm);
    double prefillSeconds = 1e30;
    double decodeSeconds = 1e30;
    std::vector<int> generated;
    auto measure = [&]() -> gyrus::Status {
        for (int r = 0; r < repeats; ++r) {
            const auto start = Clock::now();
            const auto out = model.forwardBatch(rows);
            prefillSeconds = std::min(prefillSeconds, secondsSince(start));
            if (!out) {
                return out.status();
            }
        }
        for (int r = 0; r < repeats; ++r) {
            const auto start = Clock::now();
            const auto out = model.generateFromTokens(prompt, greedy);
            decodeSeconds = std::min(decodeSeconds, secondsSince(start));
            if (!out) {
                return out.status();
            }
            generated = out->tokens;
        }
        return gyrus::Status::ok();
    };
    // Rounds alternate ours and the peer's; each side keeps its best time, so a burst of load on
    // a shared machine does not decide the ratio.
    QJsonObject ref;
    double refPrefill = 0.0;
    double refDecode = 0.0;
    for (int round = 0; round < rounds; ++round) {
        if (gyrus::Status s = measure(); !s.isOk()) {
            return fail(s.message());
        }
        if (parser.isSet(noPeer)) {
            continue;
        }
        QProcess peer;
        peer.start(parser.value(python),
                   {QStringLiteral(GYRUS_FORWARD_REFERENCE), QStringLiteral("--model"), dir.path(),
                    QStringLiteral("--batch"), QString::number(batch), QStringLiteral("--tokens"),
                    QString::number(tokens), QStringLiteral("--decode-prompt"),
                    QString::number(promptLength), QStringLiteral("--decode-tokens"),
                    QString::number(decodeTokens), QStringLiteral("--threads"),
                    QString::number(runtime.intraOpThreads), QStringLiteral("--repeats"),
                    QString::number(repeats)});
        if (!peer.waitForFinished(-1) || peer.exitCode() != 0) {
            return fail(QStringLiteral("peer failed: ") +
                        QString::fromUtf8(peer.readAllStandardError()));
        }
        ref = QJsonDocument::fromJson(peer.readAllStandardOutput()).object();
        refPrefill = std::max(refPrefill, ref[QStringLiteral("prefill_tokens_per_s")].toDouble());
        refDecode = std::max(refDecode, ref[QStringLiteral("decode_tokens_per_s")].toDouble());
    }

    const double prefillRate = double(batch) * tokens / prefillSeconds;
    const double decodeRate = decodeTokens / decodeSeconds;
    QJsonObject json;
    json[QStringLiteral("torch")] = runtime.torchVersion;
    json[QStringLiteral("blas")] = runtime.blasLibrary;
    json[QStringLiteral("blas_kernels")] = gyrus::gpu::openBlasCoreName();
    json[QStringLiteral("threads")] = runtime.intraOpThreads;
    json[QStringLiteral("rounds")] = rounds;
    json[QStringLiteral("repeats")] = repeats;
    const gyrus::ModelInfo info = model.info();
    json[QStringLiteral("family")] = info.family;
    json[QStringLiteral("model")] = QJsonObject{{QStringLiteral("d_model"), info.dModel},
                                                {QStringLiteral("layers"), info.layers},
                                                {QStringLiteral("heads"), info.heads},
                                                {QStringLiteral("kv_heads"), info.kvHeads},
                                                {QStringLiteral("ffn"), info.ffn},
                                                {QStringLiteral("vocab"), info.vocabSize},
                                                {QStringLiteral("parameters"), info.parameters}};
    QJsonObject prefill{{QStringLiteral("batch"), batch},
                        {QStringLiteral("tokens"), tokens},
                        {QStringLiteral("gyrus_seconds"), prefillSeconds},
                        {QStringLiteral("gyrus_tokens_per_s"), prefillRate}};
    QJsonObject decode{{QStringLiteral("prompt_tokens"), promptLength},
                       {QStringLiteral("new_tokens"), decodeTokens},
                       {QStringLiteral("gyrus_seconds"), decodeSeconds},
                       {QStringLiteral("gyrus_tokens_per_s"), decodeRate}};
    json[QStringLiteral("load")] = QJsonObject{
            {QStringLiteral("file_bytes"), fileBytes},
            {QStringLiteral("peak_rss_increase_bytes"), peakDuringLoad},
            {QStringLiteral("peak_rss_over_file_size"), double(peakDuringLoad) / fileBytes}};

    bool meets = true;
    if (!parser.isSet(noPeer)) {
        prefill[QStringLiteral("reference_tokens_per_s")] = refPrefill;
        prefill[QStringLiteral("ratio")] = prefillRate / refPrefill;
        decode[QStringLiteral("reference_tokens_per_s")] = refDecode;
        decode[QStringLiteral("ratio")] = decodeRate / refDecode;
        std::vector<int> refTokens;
        for (const QJsonValue &id : ref[QStringLiteral("greedy_tokens")].toArray()) {
            refTokens.push_back(id.toInt());
        }
        // Both sides decode the same checkpoint greedily: the same tokens, or a maths bug.
        json[QStringLiteral("greedy_tokens_match_reference")] = refTokens == generated;
        json[QStringLiteral("reference_torch")] = ref[QStringLiteral("torch")];
        json[QStringLiteral("reference_threads")] = ref[QStringLiteral("threads")];
        meets = prefillRate / refPrefill >= 1.0 && decodeRate / refDecode >= 1.5;
        json[QStringLiteral("targets")] = QJsonObject{{QStringLiteral("prefill_ratio_min"), 1.0},
                                                      {QStringLiteral("decode_ratio_min"), 1.5},
                                                      {QStringLiteral("met"), meets}};
    }
    json[QStringLiteral("prefill")] = prefill;
    json[QStringLiteral("decode")] = decode;
    const QByteArray text = QJsonDocument(json).toJson(QJsonDocument::Indented);
    std::fwrite(text.constData(), 1, static_cast<size_t>(text.size()), stdout);
    return 0;
}
