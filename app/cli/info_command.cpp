// gyrus-cli info MODEL_DIR: what a model is, as JSON.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "core/base/memory_budget.h"
#include "gpu/model/precision_cost.h"

#include <QJsonArray>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

QJsonObject weightUseJson(const ModelInfo &info, int jobLayer)
{
    const WeightUse &use = info.weightUse;
    QJsonObject json;
    json[QStringLiteral("checkpoint_bytes")] = use.checkpointBytes;
    json[QStringLiteral("checkpoint_dtype")] = use.checkpointDtype;
    json[QStringLiteral("shards")] = use.shards;
    json[QStringLiteral("embedding_bytes")] = use.embeddingBytes;
    json[QStringLiteral("layer_bytes")] =
            use.layerBytes.empty() ? qint64(0) : use.layerBytes.front();
    json[QStringLiteral("head_bytes")] = use.headBytes;
    json[QStringLiteral("rule")] = QStringLiteral(
            "opening maps the checkpoint and reads no weight; a job reading the residual stream "
            "at layer L (heatmap, contrast, RSA, SAE, scan) reads the embedding and layers 0..L "
            "only; generation and logit views read every layer and the head");
    QJsonObject job;
    job[QStringLiteral("layer")] = jobLayer;
    job[QStringLiteral("bytes_held")] = use.bytesForLayer(jobLayer);
    job[QStringLiteral("summary")] =
            QStringLiteral("a job at layer %1 holds %2 of weights in %3; generation holds %4")
                    .arg(jobLayer)
                    .arg(formatBytes(use.bytesForLayer(jobLayer)), nameOf(info.dtype),
                         formatBytes(use.bytesForGeneration()));
    json[QStringLiteral("job_at_layer")] = job;
    json[QStringLiteral("generation_bytes_held")] = use.bytesForGeneration();
    QJsonObject read;
    read[QStringLiteral("tensors")] = use.tensorsRead;
    read[QStringLiteral("tensors_total")] = use.tensorsTotal;
    read[QStringLiteral("bytes")] = use.bytesRead;
    read[QStringLiteral("converted_bytes")] = use.convertedBytes;
    read[QStringLiteral("layers_ready")] = use.layersReady;
    read[QStringLiteral("shards")] = QJsonArray::fromStringList(use.shardsRead);
    json[QStringLiteral("read_so_far")] = read;
    json[QStringLiteral("available_memory_bytes")] = availableMemoryBytes();
    return json;
}

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
    const QCommandLineOption layer(
            QStringLiteral("layer"),
            QStringLiteral("Also say what a job reading the residual stream at layer L touches "
                           "(an SAE's layer, say)."),
            QStringLiteral("L"));
    parser.addOption(layer);
    const QCommandLineOption precision(
            QStringLiteral("precision"),
            QStringLiteral("Also measure what bf16 costs against fp32 on this model: the same "
                           "tokens through both, compared at the residual stream and the "
                           "logits (loads the model twice)."));
    parser.addOption(precision);
    if (int exit = parseCommandLine(parser, name, arguments, 1, 1); exit >= 0) {
        return exit;
    }
    // No NaN scan: info should answer quickly even for a large checkpoint.
    auto model = modelOptions.load(parser, parser.positionalArguments().front(), false);
    if (!model) {
        return failWith(name, model.status());
    }
    const ModelInfo info = model.value()->info();
    QJsonObject json;
    json[QStringLiteral("directory")] = info.path;
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
    json[QStringLiteral("vocab")] = info.vocabSize;
    json[QStringLiteral("max_positions")] = info.maxPositions;
    json[QStringLiteral("rope_theta")] = info.ropeTheta;
    json[QStringLiteral("tied_embeddings")] = info.tiedEmbeddings;
    json[QStringLiteral("parameters")] = info.parameters;
    json[QStringLiteral("weight_bytes")] = info.memoryBytes;
    json[QStringLiteral("dtype")] = nameOf(info.dtype);
    json[QStringLiteral("device")] = info.device;
    json[QStringLiteral("has_tokenizer")] = info.hasTokenizer;
    json[QStringLiteral("hook_names")] = QJsonArray::fromStringList(info.hookNames);
    int jobLayer = info.layers - 1;
    if (parser.isSet(layer)) {
        const Result<int64_t> chosen = integerValue(parser, layer, 0, info.layers - 1);
        if (!chosen) {
            return failWith(name, chosen.status());
        }
        jobLayer = int(*chosen);
    }
    json[QStringLiteral("weights")] = weightUseJson(info, jobLayer);
    if (parser.isSet(precision)) {
        const Result<gpu::PrecisionCost> cost =
                gpu::measurePrecisionCost(parser.positionalArguments().front());
        if (!cost) {
            return failWith(name, cost.status());
        }
        QJsonObject costJson;
        costJson[QStringLiteral("tokens")] = cost->tokens;
        QJsonObject residual;
        for (const auto &[layerIndex, error] : cost->residualRelativeError) {
            residual[QStringLiteral("blocks.%1.hook_resid_post").arg(layerIndex)] = error;
        }
        costJson[QStringLiteral("residual_relative_error")] = residual;
        costJson[QStringLiteral("logit_relative_error")] = cost->logitRelativeError;
        costJson[QStringLiteral("logit_max_abs_error")] = cost->logitMaxAbsError;
        costJson[QStringLiteral("top1_agreement")] = cost->top1Agreement;
        json[QStringLiteral("bf16_vs_fp32")] = costJson;
    }
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
