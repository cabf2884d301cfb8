#include "app/cli/feature_table.h"

#include "app/cli/sae_loading.h"
#include "core/hdf5/hdf5_reader.h"
#include "core/prompts/prompt_set_io.h"
#include "gpu/analysis/prompt_representation.h"
#include "gpu/analysis/representation_cache.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QStandardPaths>

#include <set>

namespace gyrus::cli {

QString buildIdentity()
{
    const QFileInfo executable(QCoreApplication::applicationFilePath());
    return executable.absoluteFilePath() + QLatin1Char('@') +
           QString::number(executable.lastModified().toMSecsSinceEpoch());
}

namespace {

// /X float [items, positions, features] and /mask [items, positions] as `represent --pooling
// window` writes them.
Result<gpu::TemporalTable> readWindows(const Hdf5Reader &reader)
{
    Result<std::vector<int64_t>> shape = reader.shape(QStringLiteral("X"));
    Result<std::vector<int64_t>> maskShape = reader.shape(QStringLiteral("mask"));
    if (!shape || !maskShape) {
        return Status::invalidInput(
                QStringLiteral("%1: /X needs /mask [items, positions] beside it")
                        .arg(reader.path()));
    }
    if (shape->size() != 3 || *maskShape != std::vector<int64_t>{shape->at(0), shape->at(1)}) {
        return Status::invalidInput(
                QStringLiteral("%1: /X must be [items, positions, features] and /mask [items, "
                               "positions]")
                        .arg(reader.path()));
    }
    Result<std::vector<double>> values = reader.readDoubles(QStringLiteral("X"));
    Result<std::vector<double>> mask = reader.readDoubles(QStringLiteral("mask"));
    if (!values || !mask) {
        return !values ? values.status() : mask.status();
    }
    gpu::TemporalTable table;
    table.items = shape->at(0);
    table.positions = shape->at(1);
    table.features = shape->at(2);
    table.values.assign(values->begin(), values->end());
    for (double m : mask.value()) {
        if (m != 0.0 && m != 1.0) {
            return Status::invalidInput(
                    QStringLiteral("%1: /mask holds %2; only 0 and 1 are allowed")
                            .arg(reader.path())
                            .arg(m));
        }
        table.mask.push_back(m != 0.0 ? 1 : 0);
    }
    return table;
}

// Two label values become 0 (the smaller: the factor's first level) and 1.
Result<FeatureTable> labelled(FeatureTable table, const std::vector<int64_t> &raw)
{
    const std::set<int64_t> values(raw.begin(), raw.end());
    if (values.size() != 2) {
        return Status::invalidInput(
                QStringLiteral("the labels must take exactly two values, found %1")
                        .arg(values.size()));
    }
    for (int64_t v : raw) {
        table.labels.push_back(v == *values.begin() ? 0 : 1);
    }
    return table;
}

}  // namespace

FeatureTableOptions::FeatureTableOptions(QCommandLineParser &parser, QString command)
    : m_command(std::move(command))
    , m_model(parser)
    , m_dataset(QStringLiteral("dataset"), QStringLiteral("Feature table in --input."),
                QStringLiteral("NAME"), QStringLiteral("features"))
    , m_labels(QStringLiteral("labels-dataset"), QStringLiteral("Two-valued labels in --input."),
               QStringLiteral("NAME"), QStringLiteral("labels"))
    , m_prompts(QStringLiteral("prompts"), QStringLiteral("Prompt set, instead of --input."),
                QStringLiteral("FILE"))
    , m_hook(QStringLiteral("hook"),
             QStringLiteral("Hook point (with --prompts; default: the --sae's hook)."),
             QStringLiteral("NAME"))
    , m_sae(QStringLiteral("sae"), QStringLiteral("SAE directory (with --prompts): its features."),
            QStringLiteral("DIR"))
    , m_pooling(QStringLiteral("pooling"),
                QStringLiteral("last, mean, target, legacy-centred, legacy-left-first, window."),
                QStringLiteral("P"), QStringLiteral("mean"))
    , m_window(QStringLiteral("window"),
               QStringLiteral("± tokens around the target, D of a legacy window, or the "
                              "positions of an aligned window (pooling window; default 32)."),
               QStringLiteral("K"))
    , m_align(QStringLiteral("align"),
              QStringLiteral("Aligned windows (pooling window) start at: left or target."),
              QStringLiteral("A"), QStringLiteral("left"))
    , m_factor(QStringLiteral("factor"),
               QStringLiteral("The factor whose two levels are contrasted (default: the first)."),
               QStringLiteral("NAME"))
{
    parser.addOptions({m_dataset, m_labels, m_prompts, m_hook, m_sae, m_pooling, m_window, m_align,
                       m_factor});
}

bool FeatureTableOptions::fromPrompts(const QCommandLineParser &parser) const
{
    return parser.isSet(m_prompts);
}

Result<FeatureTable> FeatureTableOptions::read(const QCommandLineParser &parser,
                                               const QString &input, bool withSae) const
{
    FeatureTable table;
    std::vector<int64_t> raw;
    if (!fromPrompts(parser)) {
        auto reader = Hdf5Reader::open(input);
        if (!reader) {
            return reader.status();
        }
        Result<FloatMatrix> x = reader.value()->readFloatMatrix(parser.value(m_dataset));
        Result<std::vector<int64_t>> labels = reader.value()->readIntVector(parser.value(m_labels));
        if (!x || !labels) {
            return !x ? x.status() : labels.status();
        }
        table.x = std::move(x).value();
        raw = std::move(labels).value();
        if (reader.value()->hasDataset(QStringLiteral("X"))) {
            Result<gpu::TemporalTable> windows = readWindows(*reader.value());
            if (!windows) {
                return windows.status();
            }
            table.windows = std::move(windows).value();
            if (table.windows.items != table.x.rows) {
                return Status::invalidInput(QStringLiteral("%1: /X has %2 items, /%3 has %4")
                                                    .arg(input)
                                                    .arg(table.windows.items)
                                                    .arg(parser.value(m_dataset))
                                                    .arg(table.x.rows));
            }
        }
    } else {
        return readFromPrompts(parser, withSae, parser.value(m_pooling),
                               parser.isSet(m_window) ? parser.value(m_window) : QString());
    }
    return labelled(std::move(table), raw);
}

Result<FeatureTable> FeatureTableOptions::readPooled(const QCommandLineParser &parser, bool withSae,
                                                     const QString &pooling, int window) const
{
    return readFromPrompts(parser, withSae, pooling, QString::number(window));
}

Result<FeatureTable> FeatureTableOptions::readWithTexts(const QCommandLineParser &parser,
                                                        bool withSae, const QStringList &texts,
                                                        FloatMatrix *textValues) const
{
    return readFromPrompts(parser, withSae, parser.value(m_pooling),
                           parser.isSet(m_window) ? parser.value(m_window) : QString(), &texts,
                           textValues);
}

Result<FeatureTable> FeatureTableOptions::readFromPrompts(const QCommandLineParser &parser,
                                                          bool withSae, const QString &poolingName,
                                                          const QString &windowText,
                                                          const QStringList *texts,
                                                          FloatMatrix *textValues) const
{
    FeatureTable table;
    std::vector<int64_t> raw;
    {
        const QString directory = m_model.directory(parser);
        if (directory.isEmpty()) {
            return Status::invalidInput(QStringLiteral("--prompts needs --model"));
        }
        // The raw table of a comparison reads where the SAE does unless --hook says otherwise.
        Result<QString> hookName = hookOrSaeHook(parser.value(m_hook), parser.value(m_sae));
        if (!hookName) {
            return hookName.status();
        }
        Result<PromptSetLoad> loaded = loadPromptSet(parser.value(m_prompts));
        if (!loaded) {
            return loaded.status();
        }
        const PromptSet &set = loaded->set;
        const QString factorName =
                parser.isSet(m_factor) ? parser.value(m_factor) : set.factors.value(0).name;
        const PromptFactor *factor = set.factor(factorName);
        if (!factor || factor->levels.size() != 2) {
            return Status::invalidInput(
                    QStringLiteral("%1: factor '%2' must exist and have two levels")
                            .arg(set.displayName(), factorName));
        }
        gpu::RepresentationOptions options;
        options.hookName = hookName.value();
        const std::optional<Pooling> pooling = fromName<Pooling>(poolingName);
        if (!pooling) {
            return Status::invalidInput(QStringLiteral("unknown pooling '%1'").arg(poolingName));
        }
        options.pooling = *pooling;
        options.window = !windowText.isEmpty()                ? windowText.toInt()
                         : options.pooling == Pooling::Window ? 32
                                                              : 0;
        const std::optional<WindowAlignment> alignment =
                fromName<WindowAlignment>(parser.value(m_align));
        if (!alignment) {
            return Status::invalidInput(QStringLiteral("--align takes left or target, not '%1'")
                                                .arg(parser.value(m_align)));
        }
        options.alignment = *alignment;
        auto model = m_model.load(parser, directory);
        if (!model) {
            return model.status();
        }
        // Checked against the model as the engine does: a missing hook or another width
        // refuses, another model_name warns.
        const QString saeDirectory = withSae ? parser.value(m_sae) : QString();
        if (!saeDirectory.isEmpty()) {
            auto module = loadSaeForModel(m_command, saeDirectory, *model.value(), directory);
            if (!module) {
                return module.status();
            }
            options.sae = module.value();
        }
        const QString cache =
                QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
                QStringLiteral("/gyrus/representations");
        Result<gpu::PromptRepresentations> r = gpu::cachedPromptRepresentations(
                *model.value(), set, options, {directory, saeDirectory, buildIdentity()}, cache);
        if (!r) {
            return r.status();
        }
        table.x = r->values;
        table.windows = r->patterns;
        if (texts && textValues) {
            if (options.pooling != Pooling::Mean && options.pooling != Pooling::LastToken) {
                return Status::invalidInput(
                        QStringLiteral("texts without targets take --pooling mean or last"));
            }
            PromptSet corpus;
            corpus.name = QStringLiteral("texts");
            for (qsizetype i = 0; i < texts->size(); ++i) {
                PromptItem item;
                item.id = QString::number(i);
                item.text = texts->at(i);
                corpus.items.append(item);
            }
            Result<gpu::PromptRepresentations> t =
                    gpu::promptRepresentations(*model.value(), corpus, options);
            if (!t) {
                return t.status();
            }
            if (t->values.rows != texts->size()) {
                return Status::invalidInput(
                        QStringLiteral("%1 of %2 texts are too short to represent")
                                .arg(texts->size() - t->values.rows)
                                .arg(texts->size()));
            }
            *textValues = t->values;
        }
        for (int item : r->items) {
            raw.push_back(factor->levels.indexOf(set.items[item].levels.value(factor->name)));
        }
    }
    return labelled(std::move(table), raw);
}

}  // namespace gyrus::cli
