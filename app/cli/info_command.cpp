// gyrus-cli info MODEL_DIR: what a model is, as JSON.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

int runInfo(const QStringList &arguments)
{
    const QString name = QStringLiteral("info");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Load a Hugging Face model directory and print its architecture, sizes, dtype, "
            "device and hook names as JSON."));
    parser.addPositionalArgument(QStringLiteral("MODEL_DIR"),
                                 QStringLiteral("config.json + *.safetensors (+ tokenizer.model)"));
    const ModelOptions modelOptions(parser, /*withModelOption=*/false);
    if (int exit = parseCommandLine(parser, name, arguments, 1, 1); exit >= 0) {
        return exit;
    }
    // No NaN scan: info should answer quickly even for a large checkpoint.
    auto model = modelOptions.load(parser, parser.positionalArguments().front(), false);
    if (!model) {
        return failWith(name, model.status());
    }
    const gpu::ModelInfo info = model.value()->info();
    QJsonObject json;
    json[QStringLiteral("directory")] = info.directory;
    json[QStringLiteral("architecture")] = info.architecture;
    json[QStringLiteral("model_type")] = info.modelType;
    json[QStringLiteral("family")] = info.family;
    json[QStringLiteral("quirks")] = QJsonArray::fromStringList(info.quirks);
    json[QStringLiteral("bos_rule")] = info.bosRule;
    json[QStringLiteral("hook_resid_mid")] =
            info.residMid ? QStringLiteral("present")
                          : QStringLiteral(
                                    "absent: parallel residual, attention and MLP read the "
                                    "same residual");
    json[QStringLiteral("residual_hooks")] =
            info.centringApplies
                    ? QStringLiteral(
                              "raw Hugging Face activations; forward "
                              "--center-writing-weights removes the per-token mean, as "
                              "TransformerLens's processed weights do")
                    : QStringLiteral(
                              "raw Hugging Face activations (equal to TransformerLens's "
                              "for this RMSNorm model)");
    json[QStringLiteral("layers")] = info.layers;
    json[QStringLiteral("d_model")] = info.dModel;
    json[QStringLiteral("heads")] = info.heads;
    json[QStringLiteral("kv_heads")] = info.kvHeads;
    json[QStringLiteral("head_dim")] = info.headDim;
    json[QStringLiteral("ffn")] = info.ffn;
    json[QStringLiteral("vocab")] = info.vocab;
    json[QStringLiteral("max_positions")] = info.maxPositions;
    json[QStringLiteral("rope_theta")] = info.ropeTheta;
    json[QStringLiteral("tied_embeddings")] = info.tiedEmbeddings;
    json[QStringLiteral("parameters")] = info.parameters;
    json[QStringLiteral("weight_bytes")] = info.weightBytes;
    json[QStringLiteral("dtype")] = info.dtype;
    json[QStringLiteral("device")] = info.device;
    json[QStringLiteral("has_tokenizer")] = info.hasTokenizer;
    json[QStringLiteral("hook_names")] = QJsonArray::fromStringList(info.hookNames);
    printJson(json);
    return kExitOk;
}

}  // namespace

Command infoCommand()
{
    return {QStringLiteral("info"),
            QStringLiteral("Describe a model directory (architecture, sizes, hook names)."),
            &runInfo};
}

}  // namespace gyrus::cli
