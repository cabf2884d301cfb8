// gyrus-cli generate: a continuation of a prompt, streamed to stdout as it is produced, optionally
// steered by SAE feature clamps (the same code path as the steering dock's steered column).

#include "app/cli/clamp_options.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/intervention_options.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_loading.h"
#include "gpu/sae/sae_io.h"
#include "gpu/sae/steering/steering.h"

namespace gyrus::cli {

namespace {

int runGenerate(const QStringList &arguments)
{
    const QString name = QStringLiteral("generate");
    QCommandLineParser parser;
    parser.setApplicationDescription(
            QStringLiteral("Continue a prompt with a KV-cached decoder: greedy by default, or "
                           "seeded sampling with --temperature/--top-k/--top-p. The continuation "
                           "is printed as it is produced. With --sae and --clamp/--scale/--steer "
                           "(or --clamp-set) the SAE's features are edited at its hook, with "
                           "the reconstruction error kept, exactly as the steering dock does. "
                           "--ablate-head and --steer-vector add the dock's other interventions: "
                           "attention heads ablated, a concept vector added with strength "
                           "--alpha."));
    const ModelOptions modelOptions(parser);
    const ClampOptions clampOptions(parser);
    const InterventionOptions interventionOptions(parser);
    const QCommandLineOption promptOption(
            QStringLiteral("prompt"), QStringLiteral("The prompt text."), QStringLiteral("TEXT"));
    const QCommandLineOption maxOption(QStringLiteral("max-new-tokens"),
                                       QStringLiteral("Tokens to generate (default 32)."),
                                       QStringLiteral("N"), QStringLiteral("32"));
    const QCommandLineOption temperatureOption(QStringLiteral("temperature"),
                                               QStringLiteral("Sampling temperature; 0 = greedy."),
                                               QStringLiteral("T"), QStringLiteral("0"));
    const QCommandLineOption topPOption(QStringLiteral("top-p"),
                                        QStringLiteral("Nucleus sampling mass (default 1 = off)."),
                                        QStringLiteral("P"), QStringLiteral("1"));
    const QCommandLineOption topKOption(QStringLiteral("top-k"),
                                        QStringLiteral("Keep the K likeliest tokens (0 = off)."),
                                        QStringLiteral("K"), QStringLiteral("0"));
    const QCommandLineOption seedOption(QStringLiteral("seed"),
                                        QStringLiteral("Sampling seed (default 0)."),
                                        QStringLiteral("S"), QStringLiteral("0"));
    const QCommandLineOption ignoreEosOption(QStringLiteral("ignore-eos"),
                                             QStringLiteral("Do not stop at end-of-sequence."));
    parser.addOptions({promptOption, maxOption, temperatureOption, topPOption, topKOption,
                       seedOption, ignoreEosOption});
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const QString directory = modelOptions.directory(parser);
    if (directory.isEmpty() || !parser.isSet(promptOption)) {
        return fail(name, QStringLiteral("--model DIR and --prompt TEXT are required"));
    }
    GenerateOptions options;
    options.stopAtEos = !parser.isSet(ignoreEosOption);
    const Result<int64_t> maxNewTokens = integerValue(parser, maxOption, 0);
    const Result<double> temperature =
            numberValue(parser, temperatureOption, NumberRange::atLeast(0));
    const Result<double> topP = numberValue(parser, topPOption, NumberRange{0, 1, true});
    const Result<int64_t> topK = integerValue(parser, topKOption, 0);
    const Result<int64_t> seed = integerValue(parser, seedOption, 0, kInt64Max);
    for (const Status &status : {maxNewTokens.status(), temperature.status(), topP.status(),
                                 topK.status(), seed.status()}) {
        if (!status.isOk()) {
            return failWith(name, status);
        }
    }
    options.maxNewTokens = int(*maxNewTokens);
    options.temperature = *temperature;
    options.topP = *topP;
    options.topK = int(*topK);
    options.seed = quint64(*seed);
    Result<ClampSet> clamps = clampOptions.clampSet(parser);
    if (!clamps) {
        return failWith(name, clamps.status());
    }
    Result<Interventions> interventions = interventionOptions.interventions(parser);
    if (!interventions) {
        return failWith(name, interventions.status());
    }
    const QString saeDirectory = clampOptions.saeDirectory(parser);
    if (!clamps->isEmpty() && saeDirectory.isEmpty()) {
        return fail(name,
                    QStringLiteral("--clamp, --scale, --steer and --clamp-set need --sae DIR"));
    }
    auto model = modelOptions.load(parser, directory);
    if (!model) {
        return failWith(name, model.status());
    }
    std::shared_ptr<const gpu::detail::SaeModule> sae;
    if (!saeDirectory.isEmpty()) {
        auto loaded = loadSaeForModel(name, saeDirectory, *model.value(), directory,
                                      model.value()->info().device);
        if (!loaded) {
            return failWith(name, loaded.status());
        }
        sae = loaded.value();
    }
    QString streamed;
    auto result = gpu::generateClamped(
            *model.value(), sae, clamps.value(), parser.value(promptOption), options,
            [&](const gpu::GeneratedToken &token) {
                printText(token.text);
                streamed += token.text;
                return true;
            },
            interventions.value());
    if (!result) {
        return failWith(name, result.status());
    }
    // A character whose bytes were still incomplete when the last token came is printed now.
    if (result->text.startsWith(streamed)) {
        printText(result->text.mid(streamed.size()));
    }
    printText(QStringLiteral("\n"));
    return kExitOk;
}

}  // namespace

Command generateCommand()
{
    return {QStringLiteral("generate"),
            QStringLiteral("Continue a prompt (greedy or seeded sampling), streamed."),
            &runGenerate};
}

}  // namespace gyrus::cli
