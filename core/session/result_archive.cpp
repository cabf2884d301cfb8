#include "core/session/result_archive.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace gyrus {

namespace {

// Arrays are named "<prefix>.<what>"; a missing or wrongly sized one names itself.
class ArrayReader
{
public:
    ArrayReader(const WorkspaceData &data, QString prefix)
        : m_data(data)
        , m_prefix(std::move(prefix))
    {}

    std::vector<double> numbers(const QString &name, int64_t expected)
    {
        const auto found = m_data.constFind(m_prefix + QLatin1Char('.') + name);
        if (found == m_data.cend() || found->isText) {
            fail(QStringLiteral("the array '%1.%2' is missing").arg(m_prefix, name));
            return {};
        }
        if (expected >= 0 && int64_t(found->numbers.size()) != expected) {
            fail(QStringLiteral("the array '%1.%2' holds %3 values, expected %4")
                         .arg(m_prefix, name)
                         .arg(found->numbers.size())
                         .arg(expected));
            return {};
        }
        return found->numbers;
    }

    QStringList strings(const QString &name, int64_t expected)
    {
        const auto found = m_data.constFind(m_prefix + QLatin1Char('.') + name);
        if (found == m_data.cend() || !found->isText ||
            (expected >= 0 && found->strings.size() != expected)) {
            fail(QStringLiteral("the text array '%1.%2' is missing or has the wrong size")
                         .arg(m_prefix, name));
            return {};
        }
        return found->strings;
    }

    bool has(const QString &name) const
    {
        return m_data.contains(m_prefix + QLatin1Char('.') + name);
    }

    Status status() const { return m_status; }

    void fail(const QString &message)
    {
        if (m_status.isOk()) {
            m_status = Status::invalidInput(message);
        }
    }

private:
    const WorkspaceData &m_data;
    QString m_prefix;
    Status m_status = Status::ok();
};

void put(WorkspaceData *data, const QString &prefix, const QString &name,
         std::vector<double> values, std::vector<int64_t> shape = {})
{
    data->insert(prefix + QLatin1Char('.') + name,
                 WorkspaceArray::ofNumbers(std::move(values), std::move(shape)));
}

void putText(WorkspaceData *data, const QString &prefix, const QString &name, QStringList values)
{
    data->insert(prefix + QLatin1Char('.') + name, WorkspaceArray::ofStrings(std::move(values)));
}

QJsonObject comparisonToJson(const RsaComparison &c)
{
    auto number = [](double v) { return std::isfinite(v) ? QJsonValue(v) : QJsonValue(); };
    return {{QStringLiteral("method"), nameOf(c.method)},
            {QStringLiteral("r"), number(c.r)},
            {QStringLiteral("p"), number(c.p)},
            {QStringLiteral("alternative"), nameOf(c.alternative)},
            {QStringLiteral("items"), qint64(c.items)},
            {QStringLiteral("n_pairs"), qint64(c.nPairs)},
            {QStringLiteral("permutations"), qint64(c.permutations)},
            {QStringLiteral("seed"), QString::number(c.seed)},
            {QStringLiteral("bootstraps"), qint64(c.bootstraps)},
            {QStringLiteral("ci_level"), c.ciLevel},
            {QStringLiteral("ci_low"), number(c.ciLow)},
            {QStringLiteral("ci_high"), number(c.ciHigh)}};
}

// The enum named under `key` into *value; no name (workspaces wrote none for a comparison that
// was not computed, the clamped one without an intervention) keeps *value's default.
template <typename E>
Status readOptionalName(const QJsonObject &json, const QString &key, E *value)
{
    const QString name = json.value(key).toString();
    if (name.isEmpty()) {
        return Status::ok();
    }
    Result<E> parsed = parseName<E>(name);
    if (!parsed) {
        return parsed.status();
    }
    *value = parsed.value();
    return Status::ok();
}

Result<RsaComparison> comparisonFromJson(const QJsonObject &json)
{
    const double nan = std::nan("");
    RsaComparison c;
    if (Status read = readOptionalName(json, QStringLiteral("method"), &c.method); !read.isOk()) {
        return read;
    }
    if (Status read = readOptionalName(json, QStringLiteral("alternative"), &c.alternative);
        !read.isOk()) {
        return read;
    }
    c.r = json.value(QStringLiteral("r")).toDouble(nan);
    c.p = json.value(QStringLiteral("p")).toDouble(nan);
    c.items = json.value(QStringLiteral("items")).toInteger();
    c.nPairs = json.value(QStringLiteral("n_pairs")).toInteger();
    c.permutations = json.value(QStringLiteral("permutations")).toInteger();
    c.seed = json.value(QStringLiteral("seed")).toString().toULongLong();
    c.bootstraps = json.value(QStringLiteral("bootstraps")).toInteger();
    c.ciLevel = json.value(QStringLiteral("ci_level")).toDouble(0.95);
    c.ciLow = json.value(QStringLiteral("ci_low")).toDouble(nan);
    c.ciHigh = json.value(QStringLiteral("ci_high")).toDouble(nan);
    return c;
}

void putRdm(WorkspaceData *data, const QString &prefix, const QString &name, const Rdm &rdm)
{
    const int64_t n = rdm.size();
    const std::vector<float> square = rdm.toSquare();
    put(data, prefix, name, std::vector<double>(square.begin(), square.end()), {n, n});
    putText(data, prefix, name + QStringLiteral("_ids"), rdm.ids());
}

Rdm takeRdm(ArrayReader &reader, const QString &name, const QString &metric)
{
    const QStringList ids = reader.strings(name + QStringLiteral("_ids"), -1);
    const std::vector<double> values = reader.numbers(name, int64_t(ids.size()) * ids.size());
    if (!reader.status().isOk()) {
        return Rdm();
    }
    Result<Rdm> rdm =
            Rdm::fromSquare(ids, std::vector<float>(values.begin(), values.end()), metric);
    if (!rdm) {
        reader.fail(QStringLiteral("RDM '%1': %2").arg(name, rdm.status().message()));
        return Rdm();
    }
    return std::move(rdm).value();
}

}  // namespace

QJsonObject provenanceToJson(const ResultProvenance &provenance)
{
    return {{QStringLiteral("settings"), contrastSourceToJson(provenance.source)},
            {QStringLiteral("model"), provenance.modelPath},
            {QStringLiteral("sae"), provenance.saePath},
            {QStringLiteral("id"), provenance.id}};
}

ResultProvenance provenanceFromJson(const QJsonObject &json, const PromptSet &set)
{
    ResultProvenance provenance;
    provenance.source =
            contrastSourceFromJson(json.value(QStringLiteral("settings")).toObject(), set);
    provenance.modelPath = json.value(QStringLiteral("model")).toString();
    provenance.saePath = json.value(QStringLiteral("sae")).toString();
    provenance.id = json.value(QStringLiteral("id")).toString();
    return provenance;
}

namespace {

bool samePath(const QString &a, const QString &b)
{
    return QFileInfo(a).absoluteFilePath() == QFileInfo(b).absoluteFilePath();
}

}  // namespace

QString staleReason(const ResultProvenance &computed, const ResultProvenance &now)
{
    if (!(computed.source.promptSet == now.source.promptSet)) {
        return QObject::tr("the prompt set changed");
    }
    if (contrastSourceToJson(computed.source) != contrastSourceToJson(now.source)) {
        return QObject::tr("the settings changed");
    }
    if (!now.modelPath.isEmpty() && !samePath(now.modelPath, computed.modelPath)) {
        return QObject::tr("another model is loaded");
    }
    if (computed.source.saeFeatures && !now.saePath.isEmpty() &&
        !samePath(now.saePath, computed.saePath)) {
        return QObject::tr("another SAE is loaded");
    }
    return QString();
}

QJsonObject contrastSourceToJson(const ContrastSource &source)
{
    return {{QStringLiteral("factor"), source.factor},
            {QStringLiteral("level_a"), source.levelA},
            {QStringLiteral("level_b"), source.levelB},
            {QStringLiteral("factorial"), source.factorial},
            {QStringLiteral("hook"), source.hookName},
            {QStringLiteral("sae_features"), source.saeFeatures},
            {QStringLiteral("pooling"), nameOf(source.pooling)},
            {QStringLiteral("window"), source.window}};
}

ContrastSource contrastSourceFromJson(const QJsonObject &json, const PromptSet &set,
                                      Status *problem)
{
    ContrastSource source;
    source.promptSet = set;
    source.factor = json.value(QStringLiteral("factor")).toString();
    source.levelA = json.value(QStringLiteral("level_a")).toString();
    source.levelB = json.value(QStringLiteral("level_b")).toString();
    source.factorial = json.value(QStringLiteral("factorial")).toBool();
    source.hookName = json.value(QStringLiteral("hook")).toString();
    source.saeFeatures = json.value(QStringLiteral("sae_features")).toBool();
    Result<Pooling> pooling = parseName<Pooling>(
            json.value(QStringLiteral("pooling")).toString(QStringLiteral("mean")));
    if (pooling) {
        source.pooling = pooling.value();
    } else if (problem) {
        *problem = pooling.status();
    }
    source.window = json.value(QStringLiteral("window")).toInt();
    return source;
}

bool sameContrastSource(const ContrastSource &a, const ContrastSource &b)
{
    return a.promptSet == b.promptSet && contrastSourceToJson(a) == contrastSourceToJson(b);
}

QJsonObject archiveContrast(const ContrastAnalysisResult &result, const QString &prefix,
                            WorkspaceData *data)
{
    QJsonArray effects;
    for (int e = 0; e < result.effects.size(); ++e) {
        const ContrastEffect &effect = result.effects[e];
        const ContrastResult &s = effect.stats;
        const QString name = QStringLiteral("effect%1").arg(e);
        const std::pair<const char *, const std::vector<double> *> columns[] = {
                {"mean_diff", &s.meanDiff},
                {"t", &s.t},
                {"df", &s.df},
                {"p", &s.p},
                {"q", &s.q},
                {"d", &s.d},
                {"g", &s.g},
                {"mean_a", &effect.meanA},
                {"mean_b", &effect.meanB},
                {"paired_t", &s.pairedT},
                {"paired_p", &s.pairedP},
                {"paired_q", &s.pairedQ}};
        for (const auto &[column, values] : columns) {
            if (!values->empty()) {
                put(data, prefix, name + QLatin1Char('.') + QLatin1String(column), *values);
            }
        }
        put(data, prefix, name + QStringLiteral(".zero_variance"),
            std::vector<double>(s.zeroVariance.begin(), s.zeroVariance.end()));
        effects.append(QJsonObject{{QStringLiteral("name"), effect.name},
                                   {QStringLiteral("side_a"), effect.sideA},
                                   {QStringLiteral("side_b"), effect.sideB},
                                   {QStringLiteral("stats_name"), s.name},
                                   {QStringLiteral("pair_count"), qint64(s.pairCount)},
                                   {QStringLiteral("count_a"), qint64(s.countA)},
                                   {QStringLiteral("count_b"), qint64(s.countB)}});
    }
    return {{QStringLiteral("representation"), result.representation},
            {QStringLiteral("items"), qint64(result.itemCount)},
            {QStringLiteral("features"), qint64(result.featureCount)},
            {QStringLiteral("notes"), QJsonArray::fromStringList(result.notes)},
            {QStringLiteral("effects"), effects}};
}

Result<ContrastAnalysisResultPtr> unarchiveContrast(const QJsonObject &json, const QString &prefix,
                                                    const WorkspaceData &data)
{
    auto result = std::make_shared<ContrastAnalysisResult>();
    result->representation = json.value(QStringLiteral("representation")).toString();
    result->itemCount = json.value(QStringLiteral("items")).toInteger();
    result->featureCount = json.value(QStringLiteral("features")).toInteger();
    for (const QJsonValue &note : json.value(QStringLiteral("notes")).toArray()) {
        result->notes << note.toString();
    }
    ArrayReader reader(data, prefix);
    const QJsonArray effects = json.value(QStringLiteral("effects")).toArray();
    for (int e = 0; e < effects.size(); ++e) {
        const QJsonObject object = effects[e].toObject();
        const QString name = QStringLiteral("effect%1.").arg(e);
        const int64_t n = result->featureCount;
        ContrastEffect effect;
        effect.name = object.value(QStringLiteral("name")).toString();
        effect.sideA = object.value(QStringLiteral("side_a")).toString();
        effect.sideB = object.value(QStringLiteral("side_b")).toString();
        ContrastResult &s = effect.stats;
        s.name = object.value(QStringLiteral("stats_name")).toString();
        s.pairCount = object.value(QStringLiteral("pair_count")).toInteger();
        s.countA = object.value(QStringLiteral("count_a")).toInteger();
        s.countB = object.value(QStringLiteral("count_b")).toInteger();
        s.meanDiff = reader.numbers(name + QStringLiteral("mean_diff"), n);
        s.t = reader.numbers(name + QStringLiteral("t"), n);
        s.df = reader.numbers(name + QStringLiteral("df"), n);
        s.p = reader.numbers(name + QStringLiteral("p"), n);
        s.q = reader.numbers(name + QStringLiteral("q"), n);
        s.d = reader.numbers(name + QStringLiteral("d"), n);
        s.g = reader.numbers(name + QStringLiteral("g"), n);
        effect.meanA = reader.numbers(name + QStringLiteral("mean_a"), n);
        effect.meanB = reader.numbers(name + QStringLiteral("mean_b"), n);
        if (reader.has(name + QStringLiteral("paired_t"))) {
            s.pairedT = reader.numbers(name + QStringLiteral("paired_t"), n);
            s.pairedP = reader.numbers(name + QStringLiteral("paired_p"), n);
            s.pairedQ = reader.numbers(name + QStringLiteral("paired_q"), n);
        }
        for (double v : reader.numbers(name + QStringLiteral("zero_variance"), n)) {
            s.zeroVariance.push_back(v != 0.0);
        }
        result->effects.append(effect);
    }
    if (!reader.status().isOk()) {
        return reader.status();
    }
    return ContrastAnalysisResultPtr(result);
}

QJsonObject archiveFeatureRsaMap(const FeatureRsaMap &map, const QString &prefix,
                                 WorkspaceData *data)
{
    // The pooled separations keep the array names of the workspaces that called them RSA.
    put(data, prefix, QStringLiteral("discriminative_rsa"), map.pooledSeparationR);
    put(data, prefix, QStringLiteral("categorical_rsa"), map.pooledSeparationD);
    put(data, prefix, QStringLiteral("max_activation"), map.maxActivation);
    if (!map.temporalDiscriminativeRsa.empty()) {
        put(data, prefix, QStringLiteral("temporal_discriminative_rsa"),
            map.temporalDiscriminativeRsa);
        put(data, prefix, QStringLiteral("temporal_categorical_rsa"), map.temporalCategoricalRsa);
    }
    return {{QStringLiteral("representation"), map.representation},
            {QStringLiteral("side_a"), map.sideA},
            {QStringLiteral("side_b"), map.sideB},
            {QStringLiteral("items"), qint64(map.itemCount)},
            {QStringLiteral("features"), qint64(map.featureCount())}};
}

Result<FeatureRsaMapPtr> unarchiveFeatureRsaMap(const QJsonObject &json, const QString &prefix,
                                                const WorkspaceData &data)
{
    auto map = std::make_shared<FeatureRsaMap>();
    map->representation = json.value(QStringLiteral("representation")).toString();
    map->sideA = json.value(QStringLiteral("side_a")).toString();
    map->sideB = json.value(QStringLiteral("side_b")).toString();
    map->itemCount = json.value(QStringLiteral("items")).toInteger();
    const int64_t n = json.value(QStringLiteral("features")).toInteger();
    ArrayReader reader(data, prefix);
    map->pooledSeparationR = reader.numbers(QStringLiteral("discriminative_rsa"), n);
    map->pooledSeparationD = reader.numbers(QStringLiteral("categorical_rsa"), n);
    map->maxActivation = reader.numbers(QStringLiteral("max_activation"), n);
    if (reader.has(QStringLiteral("temporal_discriminative_rsa"))) {
        map->temporalDiscriminativeRsa =
                reader.numbers(QStringLiteral("temporal_discriminative_rsa"), n);
        map->temporalCategoricalRsa = reader.numbers(QStringLiteral("temporal_categorical_rsa"), n);
    }
    if (!reader.status().isOk()) {
        return reader.status();
    }
    return FeatureRsaMapPtr(map);
}

QJsonObject archiveMethodComparison(const MethodComparisonResult &result, const QString &prefix,
                                    WorkspaceData *data)
{
    QStringList methods;
    std::vector<double> numbers;
    std::vector<double> selected;
    const int64_t k = result.rows.isEmpty() ? 0 : int64_t(result.rows[0].selectedFeatures.size());
    for (const MethodComparisonRow &row : result.rows) {
        methods << nameOf(row.method);
        numbers.insert(numbers.end(), {row.balancedAccuracy, row.balancedAccuracyLow,
                                       row.balancedAccuracyHigh, row.auc, row.aucLow, row.aucHigh,
                                       row.nullMean, row.nullLow, row.nullHigh, row.p});
        for (int64_t r = 0; r < k; ++r) {
            selected.push_back(r < int64_t(row.selectedFeatures.size())
                                       ? row.selectedFeatures[size_t(r)]
                                       : -1.0);
        }
    }
    const int64_t rows = result.rows.size();
    putText(data, prefix, QStringLiteral("methods"), methods);
    put(data, prefix, QStringLiteral("scores"), numbers, {rows, 10});
    put(data, prefix, QStringLiteral("selected_features"), selected, {rows, k});
    // The ensemble classifiers (SAE comparisons) beside their features, NaN where a row has
    // none, so that "Steer with ensemble" works after reopening without comparing again.
    const bool hasEnsemble =
            std::any_of(result.rows.begin(), result.rows.end(),
                        [](const MethodComparisonRow &r) { return !r.ensembleWeights.empty(); });
    if (hasEnsemble) {
        std::vector<double> weights;
        std::vector<double> sds;
        for (const MethodComparisonRow &row : result.rows) {
            const bool complete = row.ensembleWeights.size() == row.selectedFeatures.size() &&
                                  row.ensembleSds.size() == row.selectedFeatures.size();
            for (int64_t r = 0; r < k; ++r) {
                const bool present = complete && r < int64_t(row.ensembleWeights.size());
                weights.push_back(present ? row.ensembleWeights[size_t(r)] : std::nan(""));
                sds.push_back(present ? row.ensembleSds[size_t(r)] : std::nan(""));
            }
        }
        put(data, prefix, QStringLiteral("ensemble_weights"), weights, {rows, k});
        put(data, prefix, QStringLiteral("ensemble_sds"), sds, {rows, k});
    }
    const MethodComparisonRequest &s = result.settings;
    return {{QStringLiteral("representation"), result.representation},
            {QStringLiteral("side_a"), result.sideA},
            {QStringLiteral("side_b"), result.sideB},
            {QStringLiteral("items"), qint64(result.itemCount)},
            {QStringLiteral("source"), contrastSourceToJson(s.source)},
            {QStringLiteral("k"), s.k},
            {QStringLiteral("folds"), s.folds},
            {QStringLiteral("repeats"), s.repeats},
            {QStringLiteral("permutations"), s.permutations},
            {QStringLiteral("seed"), QString::number(s.seed)},
            {QStringLiteral("scores_columns"),
             QJsonArray::fromStringList(
                     {QStringLiteral("balanced_accuracy"), QStringLiteral("balanced_accuracy_low"),
                      QStringLiteral("balanced_accuracy_high"), QStringLiteral("auc"),
                      QStringLiteral("auc_low"), QStringLiteral("auc_high"),
                      QStringLiteral("null_mean"), QStringLiteral("null_low"),
                      QStringLiteral("null_high"), QStringLiteral("p")})}};
}

Result<MethodComparisonResultPtr> unarchiveMethodComparison(const QJsonObject &json,
                                                            const QString &prefix,
                                                            const WorkspaceData &data)
{
    auto result = std::make_shared<MethodComparisonResult>();
    result->representation = json.value(QStringLiteral("representation")).toString();
    result->sideA = json.value(QStringLiteral("side_a")).toString();
    result->sideB = json.value(QStringLiteral("side_b")).toString();
    result->itemCount = json.value(QStringLiteral("items")).toInteger();
    MethodComparisonRequest &s = result->settings;
    Status sourceProblem;
    s.source = contrastSourceFromJson(json.value(QStringLiteral("source")).toObject(), PromptSet(),
                                      &sourceProblem);
    if (!sourceProblem.isOk()) {
        return sourceProblem;
    }
    s.k = json.value(QStringLiteral("k")).toInt();
    s.folds = json.value(QStringLiteral("folds")).toInt();
    s.repeats = json.value(QStringLiteral("repeats")).toInt();
    s.permutations = json.value(QStringLiteral("permutations")).toInt();
    s.seed = json.value(QStringLiteral("seed")).toString().toULongLong();
    ArrayReader reader(data, prefix);
    const QStringList methods = reader.strings(QStringLiteral("methods"), -1);
    const int64_t rows = methods.size();
    const std::vector<double> scores = reader.numbers(QStringLiteral("scores"), rows * 10);
    const std::vector<double> selected = reader.numbers(QStringLiteral("selected_features"), -1);
    if (!reader.status().isOk()) {
        return reader.status();
    }
    const int64_t k = rows > 0 ? int64_t(selected.size()) / rows : 0;
    // Workspaces from before the ensembles were kept have none: steering waits for a new run.
    std::vector<double> weights;
    std::vector<double> sds;
    if (reader.has(QStringLiteral("ensemble_weights"))) {
        weights = reader.numbers(QStringLiteral("ensemble_weights"), rows * k);
        sds = reader.numbers(QStringLiteral("ensemble_sds"), rows * k);
        if (!reader.status().isOk()) {
            return reader.status();
        }
    }
    for (int64_t r = 0; r < rows; ++r) {
        MethodComparisonRow row;
        Result<SelectionMethod> method = parseName<SelectionMethod>(methods[int(r)]);
        if (!method) {
            return method.status();
        }
        row.method = method.value();
        const double *v = scores.data() + r * 10;
        row.balancedAccuracy = v[0];
        row.balancedAccuracyLow = v[1];
        row.balancedAccuracyHigh = v[2];
        row.auc = v[3];
        row.aucLow = v[4];
        row.aucHigh = v[5];
        row.nullMean = v[6];
        row.nullLow = v[7];
        row.nullHigh = v[8];
        row.p = v[9];
        for (int64_t j = 0; j < k; ++j) {
            const double feature = selected[size_t(r * k + j)];
            if (feature >= 0) {
                row.selectedFeatures.push_back(int(feature));
                const size_t at = size_t(r * k + j);
                if (!weights.empty() && std::isfinite(weights[at]) && std::isfinite(sds[at])) {
                    row.ensembleWeights.push_back(weights[at]);
                    row.ensembleSds.push_back(sds[at]);
                }
            }
        }
        if (row.ensembleWeights.size() != row.selectedFeatures.size()) {
            row.ensembleWeights.clear();  // a partial ensemble would steer with the wrong features
            row.ensembleSds.clear();
        }
        result->rows.append(row);
    }
    return MethodComparisonResultPtr(result);
}

QJsonObject archiveRsaResult(const RsaResult &result, const QString &prefix, WorkspaceData *data)
{
    const RsaRequest &r = result.request;
    putRdm(data, prefix, QStringLiteral("rdm"), result.rdm);
    if (result.hasIntervention) {
        putRdm(data, prefix, QStringLiteral("rdm_clamped"), result.clampedRdm);
    }
    put(data, prefix, QStringLiteral("items"),
        std::vector<double>(result.items.begin(), result.items.end()));
    putText(data, prefix, QStringLiteral("texts"), result.texts);
    putText(data, prefix, QStringLiteral("conditions"), result.conditions);
    put(data, prefix, QStringLiteral("mds_x"), result.mdsX);
    put(data, prefix, QStringLiteral("mds_y"), result.mdsY);
    QJsonArray models;
    for (int m = 0; m < result.models.size(); ++m) {
        const RsaModelFit &fit = result.models[m];
        putRdm(data, prefix, QStringLiteral("model%1").arg(m), fit.model);
        models.append(QJsonObject{
                {QStringLiteral("name"), fit.name},
                {QStringLiteral("metric"), fit.model.metric()},
                {QStringLiteral("comparison"), comparisonToJson(fit.comparison)},
                {QStringLiteral("clamped_comparison"), comparisonToJson(fit.clampedComparison)}});
    }
    QJsonArray features;
    for (int f : result.features) {
        features.append(f);
    }
    QJsonArray requested;
    for (int f : r.features) {
        requested.append(f);
    }
    const QJsonObject request{
            {QStringLiteral("hook"), r.hookName},
            {QStringLiteral("sae_features"), r.saeFeatures},
            {QStringLiteral("pooling"), nameOf(r.pooling)},
            {QStringLiteral("window"), r.window},
            {QStringLiteral("metric"), nameOf(r.metric)},
            {QStringLiteral("subset"), rsaFeatureSubsetName(r.subset)},
            {QStringLiteral("top_k"), r.topK},
            {QStringLiteral("selection_method"), nameOf(r.selectionMethod)},
            {QStringLiteral("features"), requested},
            {QStringLiteral("comparison_method"), nameOf(r.comparisonMethod)},
            {QStringLiteral("permutations"), r.permutations},
            {QStringLiteral("bootstraps"), r.bootstraps},
            {QStringLiteral("seed"), QString::number(r.seed)},
            {QStringLiteral("intervention"), r.intervention},
            {QStringLiteral("clamps"), QJsonDocument::fromJson(clampSetToJson(r.clamps)).object()}};
    return {{QStringLiteral("request"), request},
            {QStringLiteral("rdm_metric"), result.rdm.metric()},
            {QStringLiteral("models"), models},
            {QStringLiteral("mds_explained"), result.mdsExplained},
            {QStringLiteral("features"), features},
            {QStringLiteral("feature_count"), result.featureCount},
            {QStringLiteral("notes"), QJsonArray::fromStringList(result.notes)},
            {QStringLiteral("has_intervention"), result.hasIntervention}};
}

Result<std::shared_ptr<const RsaResult>> unarchiveRsaResult(const QJsonObject &json,
                                                            const QString &prefix,
                                                            const WorkspaceData &data,
                                                            const PromptSet &set)
{
    auto result = std::make_shared<RsaResult>();
    const QJsonObject request = json.value(QStringLiteral("request")).toObject();
    RsaRequest &r = result->request;
    r.set = set;
    r.hookName = request.value(QStringLiteral("hook")).toString();
    r.saeFeatures = request.value(QStringLiteral("sae_features")).toBool();
    // Each choice by name: an unknown one fails here, naming the valid ones.
    Result<Pooling> pooling =
            parseName<Pooling>(request.value(QStringLiteral("pooling")).toString());
    Result<RdmMetric> rdmMetric =
            parseName<RdmMetric>(request.value(QStringLiteral("metric")).toString());
    Result<SelectionMethod> selection = parseName<SelectionMethod>(
            request.value(QStringLiteral("selection_method")).toString());
    Result<RsaMethod> comparison =
            parseName<RsaMethod>(request.value(QStringLiteral("comparison_method")).toString());
    for (const Status &status :
         {pooling.status(), rdmMetric.status(), selection.status(), comparison.status()}) {
        if (!status.isOk()) {
            return status;
        }
    }
    r.pooling = pooling.value();
    r.window = request.value(QStringLiteral("window")).toInt();
    r.metric = rdmMetric.value();
    const QString subset = request.value(QStringLiteral("subset")).toString();
    r.subset = subset == QLatin1String("top-k")      ? RsaFeatureSubset::TopK
               : subset == QLatin1String("explicit") ? RsaFeatureSubset::Explicit
                                                     : RsaFeatureSubset::All;
    r.topK = request.value(QStringLiteral("top_k")).toInt();
    r.selectionMethod = selection.value();
    for (const QJsonValue &f : request.value(QStringLiteral("features")).toArray()) {
        r.features << f.toInt();
    }
    r.comparisonMethod = comparison.value();
    r.permutations = request.value(QStringLiteral("permutations")).toInt();
    r.bootstraps = request.value(QStringLiteral("bootstraps")).toInt();
    r.seed = request.value(QStringLiteral("seed")).toString().toULongLong();
    r.intervention = request.value(QStringLiteral("intervention")).toBool();
    Result<ClampSet> clamps = clampSetFromJson(
            QJsonDocument(request.value(QStringLiteral("clamps")).toObject()).toJson(),
            QStringLiteral("the workspace's RSA clamp set"));
    if (clamps) {
        r.clamps = clamps.value();
    }

    ArrayReader reader(data, prefix);
    const QString metric = json.value(QStringLiteral("rdm_metric")).toString();
    result->rdm = takeRdm(reader, QStringLiteral("rdm"), metric);
    const int64_t n = result->rdm.size();
    result->hasIntervention = json.value(QStringLiteral("has_intervention")).toBool();
    if (result->hasIntervention) {
        result->clampedRdm = takeRdm(reader, QStringLiteral("rdm_clamped"), metric);
    }
    for (double item : reader.numbers(QStringLiteral("items"), n)) {
        result->items << int(item);
    }
    result->texts = reader.strings(QStringLiteral("texts"), n);
    result->conditions = reader.strings(QStringLiteral("conditions"), n);
    result->mdsX = reader.numbers(QStringLiteral("mds_x"), -1);
    result->mdsY = reader.numbers(QStringLiteral("mds_y"), int64_t(result->mdsX.size()));
    const QJsonArray models = json.value(QStringLiteral("models")).toArray();
    for (int m = 0; m < models.size(); ++m) {
        const QJsonObject object = models[m].toObject();
        RsaModelFit fit;
        fit.name = object.value(QStringLiteral("name")).toString();
        fit.model = takeRdm(reader, QStringLiteral("model%1").arg(m),
                            object.value(QStringLiteral("metric")).toString());
        Result<RsaComparison> fitted =
                comparisonFromJson(object.value(QStringLiteral("comparison")).toObject());
        Result<RsaComparison> clamped =
                comparisonFromJson(object.value(QStringLiteral("clamped_comparison")).toObject());
        if (!fitted || !clamped) {
            return fitted ? clamped.status() : fitted.status();
        }
        fit.comparison = fitted.value();
        fit.clampedComparison = clamped.value();
        result->models.append(fit);
    }
    for (const QJsonValue &f : json.value(QStringLiteral("features")).toArray()) {
        result->features << f.toInt();
    }
    result->featureCount = json.value(QStringLiteral("feature_count")).toInt();
    result->mdsExplained = json.value(QStringLiteral("mds_explained")).toDouble();
    for (const QJsonValue &note : json.value(QStringLiteral("notes")).toArray()) {
        result->notes << note.toString();
    }
    if (!reader.status().isOk()) {
        return reader.status();
    }
    for (int item : result->items) {
        if (item < 0 || item >= set.items.size()) {
            return Status::invalidInput(
                    QStringLiteral("the RSA result refers to item %1 of a set of %2: the prompt "
                                   "set changed")
                            .arg(item)
                            .arg(set.items.size()));
        }
    }
    return std::shared_ptr<const RsaResult>(result);
}

}  // namespace gyrus
