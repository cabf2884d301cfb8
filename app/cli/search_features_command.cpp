// gyrus-cli search-features: find SAE features by a label or note (a workspace's annotations),
// by text in their top scan examples or among the tokens they boost, by "fires on this token in
// this text", or by decoder cosine to a concept vector (`gyrus-cli concept-vector` JSON).

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/model_options.h"
#include "app/cli/number_options.h"
#include "app/cli/sae_loading.h"
#include "core/session/workspace_file.h"
#include "core/steering/interventions.h"
#include "gpu/analysis/corpus_scan_file.h"
#include "gpu/analysis/feature_search.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace gyrus::cli {

namespace {

/// The annotations of a workspace's "selection" section.
Result<QMap<int, gpu::FeatureNote>> workspaceNotes(const QString &path)
{
    Result<WorkspaceDocument> document = readWorkspaceFile(path);
    if (!document) {
        return document.status();
    }
    QMap<int, gpu::FeatureNote> notes;
    const QJsonObject selection =
            QJsonDocument::fromJson(document->sections.value(QStringLiteral("selection"))).object();
    for (const QJsonValue &entry : selection.value(QStringLiteral("annotations")).toArray()) {
        const QJsonObject object = entry.toObject();
        notes[object.value(QStringLiteral("feature")).toInt(-1)] =
                gpu::FeatureNote{object.value(QStringLiteral("label")).toString(),
                                 object.value(QStringLiteral("notes")).toString()};
    }
    notes.remove(-1);
    return notes;
}

Result<std::vector<float>> conceptFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::notFound(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    }
    Result<SteeringVector> vector = steeringVectorFromJson(file.readAll(), path, 1.0);
    if (!vector) {
        return vector.status();
    }
    return vector->direction;
}

int runSearchFeatures(const QStringList &arguments)
{
    const QString name = QStringLiteral("search-features");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
            "Find SAE features: --label TEXT in a workspace's labels and notes, --example TEXT in "
            "the contexts of their top scan examples, --boosts TOKEN among the tokens their "
            "decoder boosts most, --fires-on TEXT [--at N] (active at token N, default the last, "
            "ranked by activation), --concept FILE (decoder cosine with a concept-vector JSON). "
            "Several criteria keep the features that meet all of them. The scan defaults to the "
            "SAE directory's gyrus_scan.bin."));
    const ModelOptions modelOptions(parser);
    parser.addOptions({
            {QStringLiteral("sae"), QStringLiteral("SAE directory."), QStringLiteral("DIR")},
            {QStringLiteral("scan"),
             QStringLiteral("Corpus scan file (gyrus-cli scan --scan-file)."),
             QStringLiteral("FILE")},
            {QStringLiteral("workspace"),
             QStringLiteral("A .gyrus workspace whose feature labels and notes --label searches."),
             QStringLiteral("FILE")},
            {QStringLiteral("label"), QStringLiteral("Text in a label or note."),
             QStringLiteral("TEXT")},
            {QStringLiteral("example"), QStringLiteral("Text in a top example's context."),
             QStringLiteral("TEXT")},
            {QStringLiteral("boosts"), QStringLiteral("A token the decoder boosts."),
             QStringLiteral("TOKEN")},
            {QStringLiteral("fires-on"), QStringLiteral("A text the feature fires on."),
             QStringLiteral("TEXT")},
            {QStringLiteral("at"), QStringLiteral("Its token (default: the last)."),
             QStringLiteral("N")},
            {QStringLiteral("concept"), QStringLiteral("Concept-vector JSON."),
             QStringLiteral("FILE")},
            {QStringLiteral("limit"), QStringLiteral("Hits to list (default 20)."),
             QStringLiteral("N")},
    });
    if (int exit = parseCommandLine(parser, name, arguments); exit >= 0) {
        return exit;
    }
    const auto limit = integerOption(parser, name, QStringLiteral("limit"), 20, 1);
    const auto at = integerOption(parser, name, QStringLiteral("at"), -1, -1);
    if (!limit || !at) {
        return kExitBadInput;
    }
    gpu::FeatureSearchQuery query;
    query.label = parser.value(QStringLiteral("label"));
    query.exampleText = parser.value(QStringLiteral("example"));
    query.boostedToken = parser.value(QStringLiteral("boosts"));
    query.firesOnText = parser.value(QStringLiteral("fires-on"));
    query.firesAt = static_cast<int>(*at);
    query.limit = static_cast<int>(*limit);
    if (parser.isSet(QStringLiteral("concept"))) {
        Result<std::vector<float>> concept = conceptFile(parser.value(QStringLiteral("concept")));
        if (!concept) {
            return failWith(name, concept.status());
        }
        query.concept = concept.value();
    }
    gpu::FeatureSearchSources sources;
    if (parser.isSet(QStringLiteral("workspace"))) {
        Result<QMap<int, gpu::FeatureNote>> notes =
                workspaceNotes(parser.value(QStringLiteral("workspace")));
        if (!notes) {
            return failWith(name, notes.status());
        }
        sources.notes = notes.value();
    }
    std::unique_ptr<gpu::LanguageModel> model;
    const QString directory = modelOptions.directory(parser);
    if (!directory.isEmpty()) {
        auto loaded = modelOptions.load(parser, directory);
        if (!loaded) {
            return failWith(name, loaded.status());
        }
        model = std::move(loaded).value();
        sources.model = model.get();
    }
    std::shared_ptr<gpu::detail::SaeModule> sae;
    const QString saeDirectory = parser.value(QStringLiteral("sae"));
    if (!saeDirectory.isEmpty()) {
        if (!model) {
            return fail(name, QStringLiteral("--sae needs --model DIR"));
        }
        auto loaded = loadSaeForModel(name, saeDirectory, *model, directory);
        if (!loaded) {
            return failWith(name, loaded.status());
        }
        sae = loaded.value();
        sources.sae = sae.get();
    }
    QString scanPath = parser.value(QStringLiteral("scan"));
    if (scanPath.isEmpty() && !saeDirectory.isEmpty()) {
        const QString shipped = QDir(saeDirectory).filePath(QStringLiteral("gyrus_scan.bin"));
        scanPath = QFileInfo::exists(shipped) ? shipped : QString();
    }
    std::optional<gpu::SavedCorpusScan> scan;
    if (!scanPath.isEmpty()) {
        Result<gpu::SavedCorpusScan> loaded = gpu::loadCorpusScan(scanPath);
        if (!loaded) {
            return failWith(name, loaded.status());
        }
        scan = std::move(loaded).value();
        sources.scan = &scan->scan;
    }
    Result<std::vector<gpu::FeatureSearchHit>> hits = gpu::searchFeatures(sources, query);
    if (!hits) {
        return failWith(name, hits.status());
    }
    QJsonArray list;
    for (const gpu::FeatureSearchHit &hit : hits.value()) {
        QJsonObject entry{{QStringLiteral("feature"), hit.feature},
                          {QStringLiteral("score"), hit.score},
                          {QStringLiteral("match"), hit.match},
                          {QStringLiteral("label"), hit.label}};
        if (hit.density >= 0) {
            entry[QStringLiteral("density")] = hit.density;
        }
        list.append(entry);
    }
    printJson({{QStringLiteral("hits"), list}, {QStringLiteral("scan"), scanPath}});
    return kExitOk;
}

}  // namespace

Command searchFeaturesCommand()
{
    return {QStringLiteral("search-features"),
            QStringLiteral("Find SAE features by label, examples, firing or a concept (JSON)."),
            &runSearchFeatures};
}

}  // namespace gyrus::cli
