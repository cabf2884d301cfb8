// gyrus-cli tokenizer train|encode: build a Llama-style sentencepiece BPE tokenizer from text
// files, and show how a tokenizer splits a text (ids, pieces, character spans).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "gpu/model/tokenizer.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

Result<QString> sha256Of(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::internal(
                QStringLiteral("%1: cannot read back: %2").arg(path, file.errorString()));
    }
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&file);
    return QString::fromLatin1(hash.result().toHex());
}

// A positive integer option, `fallback` when it is not given.
Result<int64_t> positiveInt(const QCommandLineParser &parser, const QCommandLineOption &option,
                            int fallback)
{
    return parser.isSet(option) ? integerValue(parser, option, 1) : Result<int64_t>(fallback);
}

int runTrain(const QStringList &arguments)
{
    const QString name = QStringLiteral("tokenizer train");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Train a sentencepiece BPE tokenizer with Llama's settings (byte fallback, digits "
            "split, unk=0, bos=1, eos=2, no pad) on plain-text files, deterministically (one "
            "thread, fixed seed). Writes DIR/tokenizer.model and DIR/tokenizer.vocab and prints "
            "the vocabulary size and the model's SHA-256 as JSON."));
    const QCommandLineOption input(QStringLiteral("input"),
                                   QStringLiteral("A text file, one sentence or paragraph per "
                                                  "line (repeat for several)."),
                                   QStringLiteral("FILE"));
    const QCommandLineOption vocabSize(QStringLiteral("vocab-size"),
                                       QStringLiteral("Vocabulary size, including the 256 byte "
                                                      "pieces and 3 special tokens (required)."),
                                       QStringLiteral("N"));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("Output directory (created if missing; required)."),
                                 QStringLiteral("DIR"));
    const QCommandLineOption coverage(QStringLiteral("character-coverage"),
                                      QStringLiteral("Share of characters kept as pieces; the "
                                                     "rest fall back to bytes (default 0.9995)."),
                                      QStringLiteral("X"));
    const QCommandLineOption sentences(QStringLiteral("input-sentence-size"),
                                       QStringLiteral("Lines sampled from the input (default "
                                                      "2000000)."),
                                       QStringLiteral("N"));
    const QCommandLineOption seed(QStringLiteral("seed"),
                                  QStringLiteral("Random seed of the line sampling (default 42)."),
                                  QStringLiteral("N"));
    parser.addOptions({input, vocabSize, out, coverage, sentences, seed});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (parser.values(input).isEmpty()) {
        return fail(name, QStringLiteral("missing --input FILE (see --help)"));
    }
    if (!parser.isSet(vocabSize)) {
        return fail(name, QStringLiteral("missing --vocab-size N (see --help)"));
    }
    if (!parser.isSet(out) || parser.value(out).isEmpty()) {
        return fail(name, QStringLiteral("missing --out DIR (see --help)"));
    }
    gpu::TokenizerTrainOptions options;
    options.inputFiles = parser.values(input);
    const Result<int64_t> size = positiveInt(parser, vocabSize, 0);
    const Result<int64_t> sentenceCount = positiveInt(parser, sentences, options.inputSentenceSize);
    const Result<int64_t> seedValue = positiveInt(parser, seed, int(options.seed));
    for (const Status &status : {size.status(), sentenceCount.status(), seedValue.status()}) {
        if (!status.isOk()) {
            return failWith(name, status);
        }
    }
    options.vocabSize = int(size.value());
    options.inputSentenceSize = int(sentenceCount.value());
    options.seed = unsigned(seedValue.value());
    if (parser.isSet(coverage)) {
        const Result<double> share = numberValue(parser, coverage);
        if (!share) {
            return failWith(name, share.status());
        }
        options.characterCoverage = *share;
    }
    const QString dir = parser.value(out);
    if (QFileInfo(dir).exists() && !QFileInfo(dir).isDir()) {
        return fail(name, QStringLiteral("%1: exists and is not a directory").arg(dir));
    }
    if (!QDir().mkpath(dir)) {
        return fail(name, QStringLiteral("%1: cannot create the directory").arg(dir));
    }
    options.modelPrefix = QDir(dir).filePath(QStringLiteral("tokenizer"));
    if (const Status trained = gpu::trainSentencepieceBpe(options); !trained.isOk()) {
        return failWith(name, trained);
    }
    const QString modelPath = options.modelPrefix + QStringLiteral(".model");
    const Result<gpu::Tokenizer> tokenizer = gpu::Tokenizer::load(modelPath);
    if (!tokenizer) {
        return failWith(name, Status::internal(tokenizer.status().message()));
    }
    const Result<QString> sha = sha256Of(modelPath);
    if (!sha) {
        return failWith(name, sha.status());
    }
    QJsonArray inputs;
    for (const QString &file : options.inputFiles) {
        inputs.append(QFileInfo(file).absoluteFilePath());
    }
    QJsonObject json;
    json[QStringLiteral("model")] = QFileInfo(modelPath).absoluteFilePath();
    json[QStringLiteral("vocab_size")] = tokenizer->vocabSize();
    json[QStringLiteral("sha256")] = sha.value();
    json[QStringLiteral("inputs")] = inputs;
    json[QStringLiteral("character_coverage")] = options.characterCoverage;
    json[QStringLiteral("byte_fallback")] = options.byteFallback;
    json[QStringLiteral("seed")] = int(options.seed);
    json[QStringLiteral("bos_id")] = tokenizer->bosId();
    json[QStringLiteral("eos_id")] = tokenizer->eosId();
    json[QStringLiteral("unk_id")] = tokenizer->unkId();
    json[QStringLiteral("pad_id")] = tokenizer->padId();
    printJson(json);
    return kExitOk;
}

int runEncode(const QStringList &arguments)
{
    const QString name = QStringLiteral("tokenizer encode");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Encode a text with a tokenizer and print, as JSON, the token ids, "
            "their pieces (raw, and for display with \u2581 as a space), and each token's "
            "character span [begin, end) in the text (UTF-16 code units)."));
    const QCommandLineOption tokenizerPath(
            QStringLiteral("tokenizer"),
            QStringLiteral("A tokenizer.model, a tokenizer.json, GPT-2's "
                           "vocab.json, or a model directory "
                           "(required)."),
            QStringLiteral("FILE"));
    const QCommandLineOption text(QStringLiteral("text"),
                                  QStringLiteral("The text to encode (required)."),
                                  QStringLiteral("TEXT"));
    const QCommandLineOption bos(QStringLiteral("bos"),
                                 QStringLiteral("Prepend the beginning-of-sequence token."));
    parser.addOptions({tokenizerPath, text, bos});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(tokenizerPath)) {
        return fail(name, QStringLiteral("missing --tokenizer FILE (see --help)"));
    }
    if (!parser.isSet(text)) {
        return fail(name, QStringLiteral("missing --text TEXT (see --help)"));
    }
    const Result<gpu::Tokenizer> tokenizer = gpu::Tokenizer::load(parser.value(tokenizerPath));
    if (!tokenizer) {
        return failWith(name, tokenizer.status());
    }
    const QString input = parser.value(text);
    const gpu::Encoding encoding = tokenizer->encode(input, parser.isSet(bos));
    QJsonArray ids;
    QJsonArray pieces;
    QJsonArray display;
    QJsonArray spans;
    for (int i = 0; i < encoding.ids.size(); ++i) {
        const int id = encoding.ids[i];
        ids.append(id);
        pieces.append(tokenizer->pieceToString(id));
        display.append(tokenizer->displayPiece(id));
        spans.append(QJsonArray{encoding.spans[i].begin, encoding.spans[i].end});
    }
    QJsonObject json;
    json[QStringLiteral("tokenizer")] = QFileInfo(parser.value(tokenizerPath)).absoluteFilePath();
    json[QStringLiteral("text")] = input;
    json[QStringLiteral("count")] = int(encoding.ids.size());
    json[QStringLiteral("ids")] = ids;
    json[QStringLiteral("pieces")] = pieces;
    json[QStringLiteral("display")] = display;
    json[QStringLiteral("spans")] = spans;
    printJson(json);
    return kExitOk;
}

QString usage()
{
    return QStringLiteral(
            "Usage: gyrus-cli tokenizer <train|encode> [options]\n\n"
            "Sentencepiece tokenizers (Llama's tokenizer.model format); encode also reads\n"
            "tokenizer.json and vocab.json + merges.txt (see also `gyrus-cli tokenize`).\n\n"
            "Subcommands:\n"
            "  train --input FILE... --vocab-size N --out DIR   Train a BPE tokenizer.\n"
            "  encode --tokenizer FILE --text TEXT              Show ids, pieces and spans.\n\n"
            "`gyrus-cli tokenizer <subcommand> --help` explains one.\n");
}

int runTokenizer(const QStringList &arguments)
{
    return runSubcommand(
            QStringLiteral("tokenizer"), arguments,
            {{QStringLiteral("train"), &runTrain}, {QStringLiteral("encode"), &runEncode}},
            usage());
}

}  // namespace

Command tokenizerCommand()
{
    return {QStringLiteral("tokenizer"),
            QStringLiteral("Train a sentencepiece BPE tokenizer; encode a text (ids, spans)."),
            &runTokenizer};
}

}  // namespace gyrus::cli
