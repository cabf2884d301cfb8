// gyrus-cli train-lm: train a Llama-architecture language model from scratch on a text corpus
// and save it as a Hugging Face directory (the demo model's recipe).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/number_options.h"
#include "gpu/lm/lm_trainer.h"
#include "gpu/lm/token_corpus.h"
#include "gpu/model/tokenizer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <cstdio>

namespace gyrus::cli {

namespace {

struct IntOption
{
    const char *name;
    const char *help;
    int defaultValue;
};

const IntOption kIntOptions[] = {
        {"layers", "Transformer blocks.", 6},
        {"d-model", "Residual stream width.", 256},
        {"heads", "Attention heads.", 8},
        {"kv-heads", "Key/value heads (grouped-query attention).", 2},
        {"ffn", "SwiGLU hidden width.", 688},
        {"context", "Tokens per training sequence.", 256},
        {"batch", "Sequences per step.", 16},
        {"steps", "Optimiser steps.", 2000},
        {"warmup", "Linear warm-up steps.", 100},
        {"eval-every", "Held-out loss every N steps (0: never).", 250},
        {"eval-sequences", "Held-out sequences per evaluation.", 64},
        {"checkpoint-every", "Write the checkpoint every N steps.", 500},
        {"seed", "Random seed (weights and batches).", 0},
        {"max-lines", "Use only the first N lines of each text file (0: all).", 0},
};

QString formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0) {
        return QStringLiteral("?");
    }
    const auto s = static_cast<qint64>(seconds);
    if (s >= 3600) {
        return QStringLiteral("%1h%2m").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    }
    return QStringLiteral("%1m%2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

int runTrainLm(const QStringList &arguments)
{
    const QString name = QStringLiteral("train-lm");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Train a Llama-architecture language model from scratch (AdamW, warm-up + cosine "
            "decay, gradient clipping; resumable) and save it as a Hugging Face directory "
            "(config.json, model.safetensors, tokenizer.model). Progress goes to stderr, a JSONL "
            "log to OUT/train_log.jsonl, the summary as JSON to stdout."));
    const QCommandLineOption train(
            QStringLiteral("train"),
            QStringLiteral("Training text, one line per sentence or paragraph."),
            QStringLiteral("FILE"));
    const QCommandLineOption heldout(
            QStringLiteral("heldout"),
            QStringLiteral("Held-out text for the evaluation loss and the n-gram baselines."),
            QStringLiteral("FILE"));
    const QCommandLineOption tokenizer(QStringLiteral("tokenizer"),
                                       QStringLiteral("sentencepiece tokenizer.model."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("Output Hugging Face directory."),
                                 QStringLiteral("DIR"));
    const QCommandLineOption lr(QStringLiteral("lr"), QStringLiteral("Peak learning rate."),
                                QStringLiteral("X"), QStringLiteral("0.003"));
    const QCommandLineOption weightDecay(QStringLiteral("weight-decay"),
                                         QStringLiteral("AdamW weight decay."), QStringLiteral("X"),
                                         QStringLiteral("0.1"));
    const QCommandLineOption device(QStringLiteral("device"), QStringLiteral("cpu or cuda:N."),
                                    QStringLiteral("DEVICE"), QStringLiteral("cpu"));
    const QCommandLineOption precision(QStringLiteral("precision"),
                                       QStringLiteral("fp32, or bf16 (autocast on CUDA)."),
                                       QStringLiteral("P"), QStringLiteral("fp32"));
    const QCommandLineOption saveDtype(QStringLiteral("save-dtype"),
                                       QStringLiteral("Saved weights: fp32, fp16 or bf16."),
                                       QStringLiteral("T"), QStringLiteral("fp16"));
    const QCommandLineOption checkpoint(
            QStringLiteral("checkpoint"),
            QStringLiteral("Checkpoint file (default OUT.train/checkpoint.safetensors); resumed "
                           "when it exists."),
            QStringLiteral("FILE"));
    const QCommandLineOption untied(
            QStringLiteral("untied"),
            QStringLiteral("Separate LM head (default: tied to the embedding)."));
    parser.addOptions({train, heldout, tokenizer, out, lr, weightDecay, device, precision,
                       saveDtype, checkpoint, untied});
    QList<QCommandLineOption> intOptions;
    for (const IntOption &o : kIntOptions) {
        intOptions.append(QCommandLineOption(QString::fromLatin1(o.name),
                                             QString::fromLatin1(o.help), QStringLiteral("N"),
                                             QString::number(o.defaultValue)));
        parser.addOption(intOptions.last());
    }
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    for (const QCommandLineOption *required : {&train, &tokenizer, &out}) {
        if (!parser.isSet(*required)) {
            return fail(name, QStringLiteral("--%1 is required").arg(required->names().first()));
        }
    }
    QHash<QString, int> ints;
    for (const QCommandLineOption &option : intOptions) {
        const Result<int64_t> value = integerValue(parser, option, 0);
        if (!value) {
            return failWith(name, value.status());
        }
        ints.insert(option.names().first(), int(*value));
    }
    const Result<double> rate = numberValue(parser, lr, NumberRange::above(0));
    const Result<double> decayValue = numberValue(parser, weightDecay, NumberRange::atLeast(0));
    if (!rate || !decayValue) {
        return failWith(name, !rate ? rate.status() : decayValue.status());
    }
    const double learningRate = *rate;
    const double decay = *decayValue;

    Result<gpu::Tokenizer> tok = gpu::Tokenizer::load(parser.value(tokenizer));
    if (!tok) {
        return failWith(name, tok.status());
    }
    const QString outDir = parser.value(out);
    if (!QDir().mkpath(outDir)) {
        return fail(name, QStringLiteral("%1: cannot create the directory").arg(outDir));
    }
    // Checkpoints and token caches live beside the model directory, not in it: a second
    // .safetensors file in a Hugging Face directory reads as an incomplete sharded checkpoint.
    const QString workDir = QDir::cleanPath(outDir) + QStringLiteral(".train");
    if (!QDir().mkpath(workDir)) {
        return fail(name, QStringLiteral("%1: cannot create the directory").arg(workDir));
    }
    const qint64 maxLines = ints.value(QStringLiteral("max-lines"));
    auto encode = [&](const QString &path) -> Result<gpu::TokenCorpus> {
        std::fprintf(stderr, "train-lm: tokenizing %s\n", qPrintable(path));
        if (maxLines > 0) {
            return gpu::encodeTextFile(path, tok.value(), maxLines);
        }
        return gpu::encodeTextFileCached(
                path, tok.value(),
                QDir(workDir).filePath(QFileInfo(path).fileName() + QStringLiteral(".tokens")));
    };
    Result<gpu::TokenCorpus> trainCorpus = encode(parser.value(train));
    if (!trainCorpus) {
        return failWith(name, trainCorpus.status());
    }
    std::optional<gpu::TokenCorpus> heldoutCorpus;
    if (parser.isSet(heldout)) {
        Result<gpu::TokenCorpus> encoded = encode(parser.value(heldout));
        if (!encoded) {
            return failWith(name, encoded.status());
        }
        heldoutCorpus = std::move(encoded).value();
    }

    gpu::LmTrainConfig config;
    gpu::ModelConfig &model = config.model;
    model.hiddenSize = ints.value(QStringLiteral("d-model"));
    model.numHiddenLayers = ints.value(QStringLiteral("layers"));
    model.numAttentionHeads = ints.value(QStringLiteral("heads"));
    model.numKeyValueHeads = ints.value(QStringLiteral("kv-heads"));
    model.intermediateSize = ints.value(QStringLiteral("ffn"));
    model.vocabSize = tok->vocabSize();
    model.bosTokenId = tok->bosId();
    model.eosTokenId = tok->eosId();
    model.tieWordEmbeddings = !parser.isSet(untied);
    model.rmsNormEps = 1e-5;
    model.maxPositionEmbeddings = qMax(2048, ints.value(QStringLiteral("context")));
    config.contextLength = ints.value(QStringLiteral("context"));
    config.batchSize = ints.value(QStringLiteral("batch"));
    config.steps = ints.value(QStringLiteral("steps"));
    config.warmupSteps = ints.value(QStringLiteral("warmup"));
    config.learningRate = learningRate;
    config.weightDecay = decay;
    config.seed = static_cast<quint64>(ints.value(QStringLiteral("seed")));
    config.device = parser.value(device);
    const std::optional<Dtype> computeDtype = fromName<Dtype>(parser.value(precision));
    if (!computeDtype || *computeDtype == Dtype::Float16) {
        return fail(name, QStringLiteral("--precision must be fp32 or bf16, got '%1'")
                                  .arg(parser.value(precision)));
    }
    config.precision = *computeDtype;
    // Checked before training, not after it.
    const std::optional<Dtype> storedDtype = fromName<Dtype>(parser.value(saveDtype));
    if (!storedDtype || *storedDtype == Dtype::BFloat16Autocast) {
        return fail(name, QStringLiteral("--save-dtype must be fp32, fp16 or bf16, got '%1'")
                                  .arg(parser.value(saveDtype)));
    }
    config.evalEvery = ints.value(QStringLiteral("eval-every"));
    config.evalSequences = qMax(1, ints.value(QStringLiteral("eval-sequences")));

    Result<std::unique_ptr<gpu::LmTrainer>> created = gpu::LmTrainer::create(
            config, &trainCorpus.value(), heldoutCorpus ? &*heldoutCorpus : nullptr);
    if (!created) {
        return failWith(name, created.status());
    }
    gpu::LmTrainer &trainer = *created.value();
    const QString checkpointPath =
            parser.isSet(checkpoint)
                    ? parser.value(checkpoint)
                    : QDir(workDir).filePath(QStringLiteral("checkpoint.safetensors"));
    if (QFileInfo::exists(checkpointPath)) {
        if (Status resumed = trainer.resume(checkpointPath); !resumed.isOk()) {
            return failWith(name, resumed);
        }
        std::fprintf(stderr, "train-lm: resumed from %s at step %lld\n", qPrintable(checkpointPath),
                     static_cast<long long>(trainer.stepsDone()));
    }
    std::fprintf(stderr,
                 "train-lm: %lld parameters, %zu training tokens, %d x %d tokens per step\n",
                 static_cast<long long>(trainer.parameterCount()), trainCorpus->tokens.size(),
                 config.batchSize, config.contextLength);

    QFile log(QDir(outDir).filePath(QStringLiteral("train_log.jsonl")));
    if (!log.open(QIODevice::Append | QIODevice::Text)) {
        return fail(name, QStringLiteral("%1: cannot write the log").arg(log.fileName()));
    }
    const int checkpointEvery = ints.value(QStringLiteral("checkpoint-every"));
    std::optional<double> lastHeldout;
    double lastLoss = 0.0;
    double tokensPerSecond = 0.0;
    QElapsedTimer sincePrint;
    sincePrint.start();
    Status checkpointStatus;
    Result<qint64> ran = trainer.run(config.steps, [&](const gpu::LmTrainStep &step) {
        lastLoss = step.loss;
        tokensPerSecond = step.tokensPerSecond;
        QJsonObject record{{QStringLiteral("step"), step.step},
                           {QStringLiteral("tokens"), step.tokens},
                           {QStringLiteral("loss"), step.loss},
                           {QStringLiteral("lr"), step.learningRate},
                           {QStringLiteral("grad_norm"), step.gradientNorm},
                           {QStringLiteral("tokens_per_s"), step.tokensPerSecond}};
        if (step.heldoutLoss) {
            lastHeldout = step.heldoutLoss;
            record.insert(QStringLiteral("heldout_loss"), *step.heldoutLoss);
        }
        log.write(QJsonDocument(record).toJson(QJsonDocument::Compact) + '\n');
        log.flush();
        if (step.heldoutLoss || sincePrint.elapsed() > 10000 || step.step == config.steps) {
            sincePrint.restart();
            std::fprintf(stderr,
                         "step %lld/%lld  loss %.4f%s  lr %.2e  |g| %.2f  %.0f tok/s  ETA %s\n",
                         static_cast<long long>(step.step), static_cast<long long>(config.steps),
                         step.loss,
                         step.heldoutLoss ? qPrintable(QStringLiteral("  held-out %1")
                                                               .arg(*step.heldoutLoss, 0, 'f', 4))
                                          : "",
                         step.learningRate, step.gradientNorm, step.tokensPerSecond,
                         qPrintable(formatDuration(step.etaSeconds)));
        }
        if (checkpointEvery > 0 && step.step % checkpointEvery == 0 && step.step < config.steps) {
            checkpointStatus = trainer.saveCheckpoint(checkpointPath);
            if (!checkpointStatus.isOk()) {
                return false;
            }
        }
        return true;
    });
    if (!ran) {
        trainer.saveCheckpoint(checkpointPath);  // keep what was learned before the failure
        return failWith(name, ran.status());
    }
    if (!checkpointStatus.isOk()) {
        return failWith(name, checkpointStatus);
    }
    if (Status saved = trainer.saveCheckpoint(checkpointPath); !saved.isOk()) {
        return failWith(name, saved);
    }
    if (Status saved = trainer.saveHuggingFace(outDir, *storedDtype, parser.value(tokenizer));
        !saved.isOk()) {
        return failWith(name, saved);
    }

    QJsonObject summary{
            {QStringLiteral("out"), outDir},
            {QStringLiteral("parameters"), trainer.parameterCount()},
            {QStringLiteral("steps"), trainer.stepsDone()},
            {QStringLiteral("tokens_seen"),
             trainer.stepsDone() * config.batchSize * config.contextLength},
            {QStringLiteral("train_tokens"), static_cast<qint64>(trainCorpus->tokens.size())},
            {QStringLiteral("final_train_loss"), lastLoss},
            {QStringLiteral("tokens_per_s"), tokensPerSecond}};
    if (heldoutCorpus) {
        const double heldoutLoss = trainer.heldoutLoss();
        const gpu::NgramBaselines baselines =
                gpu::ngramBaselines(*trainCorpus, *heldoutCorpus, tok->vocabSize(), tok->bosId());
        summary.insert(QStringLiteral("heldout_loss"), heldoutLoss);
        summary.insert(QStringLiteral("heldout_perplexity"), std::exp(heldoutLoss));
        summary.insert(QStringLiteral("unigram_loss"), baselines.unigram);
        summary.insert(QStringLiteral("bigram_loss"), baselines.bigram);
        summary.insert(QStringLiteral("bigram_interpolation_weight"), baselines.bigramWeight);
    }
    printJson(summary);
    return kExitOk;
}

}  // namespace

Command trainLmCommand()
{
    return {QStringLiteral("train-lm"),
            QStringLiteral("Train a Llama-architecture model from scratch on a text corpus."),
            &runTrainLm};
}

}  // namespace gyrus::cli
