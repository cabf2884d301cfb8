// gyrus-cli forward: one forward pass; tokens, logits and captured hooks to an HDF5 file.

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "core/hdf5/hdf5_writer.h"

#include <QJsonArray>
#include <QJsonObject>

#include <vector>

namespace gyrus::cli {

namespace {

Result<std::vector<int>> parseTokenList(const QString &text)
{
    std::vector<int> ids;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int id = part.trimmed().toInt(&ok);
        if (!ok) {
            return Status::invalidInput(
                    QStringLiteral("--token-ids: '%1' is not an integer token id").arg(part));
        }
        ids.push_back(id);
    }
    return ids;
}

QJsonArray shapeJson(const std::vector<int64_t> &shape)
{
    QJsonArray array;
    for (const int64_t size : shape) {
        array.append(static_cast<qint64>(size));
    }
    return array;
}

Status writeOutput(const QString &path, const gpu::ForwardOutput &out, const ModelInfo &info,
                   const QString &text)
{
    Result<std::unique_ptr<Hdf5Writer>> writer = Hdf5Writer::create(path);
    if (!writer) {
        return writer.status();
    }
    Hdf5Writer &file = *writer.value();
    const std::vector<int32_t> tokens(out.tokens.begin(), out.tokens.end());
    if (Status s = file.writeInt32(QStringLiteral("/tokens"), {static_cast<int64_t>(tokens.size())},
                                   tokens.data());
        !s.isOk()) {
        return s;
    }
    if (!out.logits.values.empty()) {
        if (Status s = file.writeFloat32(QStringLiteral("/logits"), out.logits.shape,
                                         out.logits.values.data());
            !s.isOk()) {
            return s;
        }
    }
    for (const auto &[hook, activation] : out.activations) {
        if (Status s = file.writeFloat32(QStringLiteral("/hooks/") + hook, activation.shape,
                                         activation.values.data());
            !s.isOk()) {
            return s;
        }
    }
    for (const auto &[key, value] : {std::pair{QStringLiteral("model"), info.path},
                                     std::pair{QStringLiteral("dtype"), nameOf(info.dtype)},
                                     std::pair{QStringLiteral("device"), info.device},
                                     std::pair{QStringLiteral("family"), info.family},
                                     std::pair{QStringLiteral("text"), text}}) {
        if (Status s = file.setAttribute(key, value); !s.isOk()) {
            return s;
        }
    }
    return file.commit();
}

int runForward(const QStringList &arguments)
{
    const QString name = QStringLiteral("forward");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Run one forward pass and write /tokens int32 [T], /logits float32 [T,V] and "
            "/hooks/<hook name> float32 [T,d] to an HDF5 file; print a JSON summary."));
    const ModelOptions modelOptions(parser);
    const QCommandLineOption textOption(QStringLiteral("text"),
                                        QStringLiteral("Text to encode (BOS prepended)."),
                                        QStringLiteral("TEXT"));
    const QCommandLineOption tokensOption(
            QStringList{QStringLiteral("token-ids"), QStringLiteral("tokens")},
            QStringLiteral("Token ids instead of text, as given (no BOS added): 1,450,22."),
            QStringLiteral("IDS"));
    const QCommandLineOption centreOption(
            QStringLiteral("center-writing-weights"),
            QStringLiteral("Captured hooks without their per-token mean over d_model, as "
                           "TransformerLens's processed weights give them (LayerNorm models)."));
    const QCommandLineOption noBosOption(QStringLiteral("no-bos"),
                                         QStringLiteral("Do not prepend BOS to --text."));
    const QCommandLineOption captureOption(
            QStringLiteral("capture"),
            QStringLiteral("Hook to capture (repeatable), e.g. blocks.3.hook_resid_post; 'all' "
                           "captures every hook."),
            QStringLiteral("HOOK"));
    const QCommandLineOption noLogitsOption(
            QStringLiteral("no-logits"),
            QStringLiteral("Skip the logits (the pass stops after the deepest captured layer)."));
    const QCommandLineOption outOption(QStringLiteral("out"), QStringLiteral("Output HDF5 file."),
                                       QStringLiteral("FILE.h5"));
    parser.addOptions({textOption, tokensOption, noBosOption, captureOption, noLogitsOption,
                       centreOption, outOption});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty()) {
        return fail(name, QStringLiteral("--model DIR is required"));
    }
    if (parser.isSet(textOption) == parser.isSet(tokensOption)) {
        return fail(name, QStringLiteral("give exactly one of --text and --token-ids"));
    }
    const QString out = parser.value(outOption);
    if (out.isEmpty()) {
        return fail(name, QStringLiteral("--out FILE.h5 is required"));
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    const gpu::LanguageModel &lm = *model.value();
    Result<std::vector<int>> tokens =
            parser.isSet(textOption)
                    ? lm.encode(parser.value(textOption), !parser.isSet(noBosOption))
                    : parseTokenList(parser.value(tokensOption));
    if (!tokens) {
        return failWith(name, tokens.status());
    }
    gpu::ForwardOptions options;
    options.logits = !parser.isSet(noLogitsOption);
    options.centerWritingWeights = parser.isSet(centreOption);
    for (const QString &value : parser.values(captureOption)) {
        for (const QString &hook : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            if (hook.trimmed() == QLatin1String("all")) {
                options.captures << lm.info().hookNames;
            } else if (!options.captures.contains(hook.trimmed())) {
                options.captures << hook.trimmed();
            }
        }
    }
    options.captures.removeDuplicates();
    Result<gpu::ForwardOutput> result = lm.forward(*tokens, options);
    if (!result) {
        return failWith(name, result.status());
    }
    const ModelInfo info = lm.info();
    if (Status s = writeOutput(out, *result, info, parser.value(textOption)); !s.isOk()) {
        return failWith(name, s);
    }
    QJsonObject json;
    json[QStringLiteral("out")] = out;
    json[QStringLiteral("tokens")] = static_cast<int>(result->tokens.size());
    json[QStringLiteral("logits_shape")] = shapeJson(result->logits.shape);
    QJsonObject hooks;
    for (const auto &[hook, activation] : result->activations) {
        hooks[hook] = shapeJson(activation.shape);
    }
    json[QStringLiteral("hooks")] = hooks;
    printJson(json);
    return kExitOk;
}

}  // namespace

Command forwardCommand()
{
    return {QStringLiteral("forward"),
            QStringLiteral("Run a forward pass; logits and captured hooks to HDF5."), &runForward};
}

}  // namespace gyrus::cli
