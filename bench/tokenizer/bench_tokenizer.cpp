// bench_tokenizer: tokens per second of Gyrus's tokenizer.json engine on Llama-3's tokenizer,
// against Hugging Face's Rust `tokenizers` on the same texts in the same run (single thread:
// RAYON_NUM_THREADS=1, encode_batch so Python's per-call cost stays out), and against Gyrus's
// sentencepiece path on the demo tokenizer; and how long Gemma-3's 33 MB tokenizer.json takes to
// load. Prints JSON.
//
// Usage: bench_tokenizer [--shared DIR] [--python PYTHON] [--repeat N]
//   DIR: the real tokenizer files (default ../shared/tokenizers beside the source tree)
//   PYTHON: a python with `tokenizers` (default: what scripts/tokenizer-reference --python says)

#include "core/tokenizer/hf_tokenizer.h"
#include "gpu/model/tokenizer.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

using gyrus::tokenizer::HfTokenizer;

namespace {

QString argument(const QStringList &args, const QString &name, const QString &fallback)
{
    const int at = args.indexOf(name);
    return at >= 0 && at + 1 < args.size() ? args[at + 1] : fallback;
}

QStringList corpusLines()
{
    QFile file(QStringLiteral(GYRUS_SOURCE_DIR "/datasets/corpus/heldout.txt"));
    if (!file.open(QIODevice::ReadOnly)) {
        return {};
    }
    QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    lines.removeAll(QString());
    return lines;
}

double cpuSeconds()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

struct Timing
{
    double cpu = 1e30;   // best CPU seconds of a pass: what the ratio uses on a shared machine
    double wall = 1e30;  // best wall seconds of a pass
    long long tokens = 0;
};

// The best of `repeat` passes of `pass` (after one warm-up pass), and the tokens of one pass.
template <typename Pass>
Timing bestOf(int repeat, Pass pass)
{
    Timing timing;
    timing.tokens = pass();
    for (int r = 0; r < repeat; ++r) {
        QElapsedTimer timer;
        timer.start();
        const double cpu = cpuSeconds();
        timing.tokens = pass();
        timing.cpu = std::min(timing.cpu, cpuSeconds() - cpu);
        timing.wall = std::min(timing.wall, double(timer.nsecsElapsed()) * 1e-9);
    }
    return timing;
}

// Hugging Face's Rust tokenizers in the venv's python, single-threaded, same texts and passes.
QJsonObject runPeer(const QString &python, const QString &tokenizerPath, const QString &textsPath,
                    int repeat, QString *error)
{
    const QString script = QStringLiteral(R"(
import json, sys, time
import tokenizers
tok = tokenizers.Tokenizer.from_file(sys.argv[1])
texts = json.load(open(sys.argv[2], encoding="utf-8"))
repeat = int(sys.argv[3])
def one():
    return sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False))
tokens = one()
cpu = wall = 1e30
for _ in range(repeat):
    t, c = time.perf_counter(), time.process_time()
    tokens = one()
    cpu, wall = min(cpu, time.process_time() - c), min(wall, time.perf_counter() - t)
c = time.process_time(); tokenizers.Tokenizer.from_file(sys.argv[4]); load = time.process_time() - c
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "tokens": tokens,
                  "version": tokenizers.__version__, "gemma3_load_cpu_s": load}))
)");
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("RAYON_NUM_THREADS"), QStringLiteral("1"));
    environment.insert(QStringLiteral("TOKENIZERS_PARALLELISM"), QStringLiteral("false"));
    process.setProcessEnvironment(environment);
    const QString gemma3 =
            QFileInfo(tokenizerPath).dir().filePath(QStringLiteral("../gemma3/tokenizer.json"));
    process.start(python, {QStringLiteral("-c"), script, tokenizerPath, textsPath,
                           QString::number(repeat), gemma3});
    if (!process.waitForFinished(600000) || process.exitCode() != 0) {
        *error = QStringLiteral("peer failed: %1")
                         .arg(QString::fromUtf8(process.readAllStandardError()).trimmed());
        return {};
    }
    return QJsonDocument::fromJson(process.readAllStandardOutput()).object();
}

QString defaultPython()
{
    QProcess process;
    process.setWorkingDirectory(QStringLiteral(GYRUS_SOURCE_DIR));
    process.start(QStringLiteral(GYRUS_SOURCE_DIR "/scripts/tokenizer-reference"),
                  {QStringLiteral("--python")});
    process.waitForFinished(600000);
    const QString path = QString::fromUtf8(process.readAllStandardOutput()).trimmed();
    return path.isEmpty() ? QString() : QDir(QStringLiteral(GYRUS_SOURCE_DIR)).filePath(path);
}

}  // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const QString shared = argument(args, QStringLiteral("--shared"),
                                    QStringLiteral(GYRUS_SOURCE_DIR "/../shared/tokenizers"));
    const int repeat =
            std::max(1, argument(args, QStringLiteral("--repeat"), QStringLiteral("3")).toInt());
    const QString llama3 = shared + QStringLiteral("/llama3/tokenizer.json");
    const QString gemma3 = shared + QStringLiteral("/gemma3/tokenizer.json");
    const QStringList lines = corpusLines();
    if (lines.isEmpty() || !QFile::exists(llama3)) {
        std::fprintf(stderr, "bench_tokenizer: needs %s and the held-out corpus\n",
                     qPrintable(llama3));
        return 2;
    }
    std::vector<std::string> texts;
    long long bytes = 0;
    for (const QString &line : lines) {
        texts.push_back(line.toStdString());
        bytes += (long long)texts.back().size();
    }

    // Gemma-3's load, cold in this process (the file is in the page cache after the first run).
    QElapsedTimer timer;
    timer.start();
    const double loadCpu = cpuSeconds();
    auto gemma = HfTokenizer::loadJson(gemma3, QString());
    const double gemmaLoad = cpuSeconds() - loadCpu;
    const double gemmaLoadWall = double(timer.nsecsElapsed()) * 1e-9;
    if (!gemma) {
        std::fprintf(stderr, "bench_tokenizer: %s\n", qPrintable(gemma.status().message()));
        return 2;
    }

    auto loaded = HfTokenizer::loadJson(llama3, QString());
    if (!loaded) {
        std::fprintf(stderr, "bench_tokenizer: %s\n", qPrintable(loaded.status().message()));
        return 2;
    }
    const HfTokenizer &tokenizer = *loaded.value();
    const Timing gyrus = bestOf(repeat, [&] {
        long long n = 0;
        for (const std::string &text : texts) {
            n += (long long)tokenizer.encode(text, false).size();
        }
        return n;
    });

    // The sentencepiece path (Gyrus's Tokenizer facade) on the demo tokenizer, same texts.
    const auto demo = gyrus::gpu::Tokenizer::load(
            QStringLiteral(GYRUS_SOURCE_DIR "/datasets/demo/tokenizer/tokenizer.model"));
    Timing sentencepiece;
    if (demo) {
        sentencepiece = bestOf(repeat, [&] {
            long long n = 0;
            for (const QString &line : lines) {
                n += demo->encode(line, false).ids.size();
            }
            return n;
        });
    }

    QString python = argument(args, QStringLiteral("--python"), QString());
    if (python.isEmpty()) {
        python = defaultPython();
    }
    QTemporaryDir dir;
    const QString textsPath = dir.filePath(QStringLiteral("texts.json"));
    QFile textsFile(textsPath);
    if (textsFile.open(QIODevice::WriteOnly)) {
        textsFile.write(QJsonDocument(QJsonArray::fromStringList(lines)).toJson());
        textsFile.close();
    }
    QString peerError;
    const QJsonObject peer = python.isEmpty()
                                     ? QJsonObject()
                                     : runPeer(python, llama3, textsPath, repeat, &peerError);

    const double gyrusRate = double(gyrus.tokens) / gyrus.cpu;
    QJsonObject out;
    out[QStringLiteral("timing")] = QStringLiteral(
            "best of repeat passes after a warm-up; rates and ratios from CPU time (the machine "
            "is shared), wall-clock rates beside them");
    out[QStringLiteral("texts")] = int(texts.size());
    out[QStringLiteral("bytes")] = double(bytes);
    out[QStringLiteral("threads")] = 1;
    out[QStringLiteral("repeat")] = repeat;
    out[QStringLiteral("gyrus_llama3_tokens")] = double(gyrus.tokens);
    out[QStringLiteral("gyrus_llama3_tokens_per_s")] = gyrusRate;
    out[QStringLiteral("gyrus_llama3_tokens_per_wall_s")] = double(gyrus.tokens) / gyrus.wall;
    if (!peer.isEmpty()) {
        const double peerTokens = peer.value(QStringLiteral("tokens")).toDouble();
        const double peerRate = peerTokens / peer.value(QStringLiteral("cpu_s")).toDouble();
        out[QStringLiteral("hf_llama3_tokens_per_wall_s")] =
                peerTokens / peer.value(QStringLiteral("wall_s")).toDouble();
        out[QStringLiteral("hf_tokenizers_version")] = peer.value(QStringLiteral("version"));
        out[QStringLiteral("hf_llama3_tokens")] = peer.value(QStringLiteral("tokens"));
        out[QStringLiteral("hf_llama3_tokens_per_s")] = peerRate;
        out[QStringLiteral("ratio_gyrus_over_hf")] = gyrusRate / peerRate;
        out[QStringLiteral("same_token_count")] = peerTokens == double(gyrus.tokens);
        out[QStringLiteral("hf_gemma3_load_cpu_s")] =
                peer.value(QStringLiteral("gemma3_load_cpu_s"));
    } else {
        out[QStringLiteral("hf_peer_error")] =
                peerError.isEmpty() ? QStringLiteral("no python with tokenizers") : peerError;
    }
    if (sentencepiece.tokens > 0) {
        const double spRate = double(sentencepiece.tokens) / sentencepiece.cpu;
        out[QStringLiteral("sentencepiece_demo_tokens_per_s")] = spRate;
        out[QStringLiteral("ratio_gyrus_llama3_over_sentencepiece_demo")] = gyrusRate / spRate;
    }
    out[QStringLiteral("gyrus_gemma3_load_cpu_s")] = gemmaLoad;
    out[QStringLiteral("gyrus_gemma3_load_wall_s")] = gemmaLoadWall;
    out[QStringLiteral("gemma3_load_limit_s")] = 1.5;
    out[QStringLiteral("gemma3_load_within_limit")] = gemmaLoad < 1.5;
    std::printf("%s", QJsonDocument(out).toJson().constData());
    return 0;
}
