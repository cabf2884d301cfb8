// gyrus-cli lm-eval: held-out cross-entropy of a model, next to unigram and bigram baselines.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "gpu/lm/lm_eval.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/language_model.h"

#include <QJsonObject>

#include <cmath>

namespace gyrus::cli {

namespace {

int runLmEval(const QStringList &arguments)
{
    const QString name = QStringLiteral("lm-eval");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Cross-entropy (nats/token, BOS targets excluded) and perplexity of a model on a text "
            "file cut into windows; with --baseline-train, the unigram and interpolated bigram "
            "baselines fitted on that file and evaluated on the same text."));
    const QCommandLineOption model(QStringLiteral("model"),
                                   QStringLiteral("Hugging Face model directory."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption text(QStringLiteral("text"),
                                  QStringLiteral("Evaluation text, one line per sentence."),
                                  QStringLiteral("FILE"));
    const QCommandLineOption baselineTrain(QStringLiteral("baseline-train"),
                                           QStringLiteral("Fit n-gram baselines on this text."),
                                           QStringLiteral("FILE"));
    const QCommandLineOption context(QStringLiteral("context"),
                                     QStringLiteral("Window length in tokens."),
                                     QStringLiteral("N"), QStringLiteral("256"));
    const QCommandLineOption maxLines(
            QStringLiteral("max-lines"),
            QStringLiteral("Use the first N lines of each file (0: all)."), QStringLiteral("N"),
            QStringLiteral("0"));
    const QCommandLineOption dtype(QStringLiteral("dtype"), QStringLiteral("fp32, bf16 or fp16."),
                                   QStringLiteral("T"), QStringLiteral("fp32"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("cpu or cuda:N."),
                                    QStringLiteral("DEVICE"), QStringLiteral("cpu"));
    parser.addOptions({model, text, baselineTrain, context, maxLines, dtype, device});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    if (!parser.isSet(model) || !parser.isSet(text)) {
        return fail(name, QStringLiteral("--model and --text are required"));
    }
    const Result<int64_t> window = integerValue(parser, context, 1);
    const Result<int64_t> lineCount = integerValue(parser, maxLines, 0, kInt64Max);
    if (!window || !lineCount) {
        return failWith(name, !window ? window.status() : lineCount.status());
    }
    const int contextLength = int(*window);
    const qint64 lines = *lineCount;
    const Result<Dtype> computeDtype = parseName<Dtype>(parser.value(dtype).trimmed());
    if (!computeDtype) {
        return failWith(name, computeDtype.status());
    }
    gpu::LoadOptions options;
    options.dtype = computeDtype.value();
    options.device = parser.value(device);
    Result<std::unique_ptr<gpu::LanguageModel>> loaded =
            gpu::LanguageModel::load(parser.value(model), options);
    if (!loaded) {
        return failWith(name, loaded.status());
    }
    const gpu::Tokenizer &tokenizer = loaded.value()->tokenizer();
    Result<gpu::TokenCorpus> evalCorpus = gpu::encodeTextFile(parser.value(text), tokenizer, lines);
    if (!evalCorpus) {
        return failWith(name, evalCorpus.status());
    }
    Result<double> loss =
            gpu::languageModelCrossEntropy(*loaded.value(), *evalCorpus, contextLength);
    if (!loss) {
        return failWith(name, loss.status());
    }
    QJsonObject json{{QStringLiteral("model"), parser.value(model)},
                     {QStringLiteral("text"), parser.value(text)},
                     {QStringLiteral("lines"), evalCorpus->lines},
                     {QStringLiteral("tokens"), static_cast<qint64>(evalCorpus->tokens.size())},
                     {QStringLiteral("tokens_per_word"),
                      double(evalCorpus->tokens.size() - evalCorpus->lines) /
                              double(qMax<qint64>(1, evalCorpus->words))},
                     {QStringLiteral("loss"), loss.value()},
                     {QStringLiteral("perplexity"), std::exp(loss.value())}};
    if (parser.isSet(baselineTrain)) {
        Result<gpu::TokenCorpus> trainCorpus =
                gpu::encodeTextFile(parser.value(baselineTrain), tokenizer, lines);
        if (!trainCorpus) {
            return failWith(name, trainCorpus.status());
        }
        const gpu::NgramBaselines baselines = gpu::ngramBaselines(
                *trainCorpus, *evalCorpus, tokenizer.vocabSize(), tokenizer.bosId());
        json.insert(QStringLiteral("unigram_loss"), baselines.unigram);
        json.insert(QStringLiteral("bigram_loss"), baselines.bigram);
        json.insert(QStringLiteral("bigram_interpolation_weight"), baselines.bigramWeight);
    }
    printJson(json);
    return kExitOk;
}

}  // namespace

Command lmEvalCommand()
{
    return {QStringLiteral("lm-eval"),
            QStringLiteral("Held-out cross-entropy of a model next to n-gram baselines."),
            &runLmEval};
}

}  // namespace gyrus::cli
