#include "core/features/token_analysis_archive.h"

#include <QJsonArray>

#include <cmath>

namespace gyrus {

namespace {

QString arrayName(const QString &prefix, const char *name)
{
    return prefix + QLatin1Char('.') + QLatin1String(name);
}

}  // namespace

QJsonObject archiveTokenAnalysis(const TokenAnalysis &analysis, const QString &prefix,
                                 WorkspaceData *data)
{
    QStringList texts;
    QStringList pieces;
    std::vector<double> tokenCounts;
    std::vector<double> ids;
    std::vector<double> begins;
    std::vector<double> ends;
    std::vector<double> bos;
    std::vector<double> activeCounts;
    std::vector<double> features;
    std::vector<double> values;
    for (const TextActivations &text : analysis.texts) {
        texts << text.text;
        tokenCounts.push_back(text.tokenCount());
        for (int t = 0; t < text.tokenCount(); ++t) {
            const AnalyzedToken &token = text.tokens[size_t(t)];
            pieces << token.piece;
            ids.push_back(token.id);
            begins.push_back(token.begin);
            ends.push_back(token.end);
            bos.push_back(token.bos ? 1.0 : 0.0);
            activeCounts.push_back(text.activeCount(t));
        }
        for (size_t i = 0; i < text.features.size(); ++i) {
            features.push_back(text.features[i]);
            values.push_back(double(text.values[i]));  // float → double is exact
        }
    }
    const int totalTokens = int(ids.size());
    const qint64 active = qint64(features.size());
    data->insert(arrayName(prefix, "texts"), WorkspaceArray::ofStrings(texts));
    data->insert(arrayName(prefix, "pieces"), WorkspaceArray::ofStrings(pieces));
    data->insert(arrayName(prefix, "token_counts"), WorkspaceArray::ofNumbers(tokenCounts));
    data->insert(arrayName(prefix, "token_ids"), WorkspaceArray::ofNumbers(ids));
    data->insert(arrayName(prefix, "token_begin"), WorkspaceArray::ofNumbers(begins));
    data->insert(arrayName(prefix, "token_end"), WorkspaceArray::ofNumbers(ends));
    data->insert(arrayName(prefix, "token_bos"), WorkspaceArray::ofNumbers(bos));
    data->insert(arrayName(prefix, "active_counts"), WorkspaceArray::ofNumbers(activeCounts));
    data->insert(arrayName(prefix, "features"), WorkspaceArray::ofNumbers(features));
    data->insert(arrayName(prefix, "values"), WorkspaceArray::ofNumbers(values));
    return QJsonObject{
            {QStringLiteral("hook"), analysis.hookName},
            {QStringLiteral("sae_name"), analysis.saeName},
            {QStringLiteral("d_model"), analysis.dModel},
            {QStringLiteral("d_sae"), analysis.dSae},
            {QStringLiteral("texts"), int(analysis.texts.size())},
            {QStringLiteral("tokens"), totalTokens},
            {QStringLiteral("active"), double(active)},
    };
}

Result<TokenAnalysisPtr> unarchiveTokenAnalysis(const QJsonObject &json, const QString &prefix,
                                                const WorkspaceData &data)
{
    const int textCount = json.value(QStringLiteral("texts")).toInt(-1);
    const int totalTokens = json.value(QStringLiteral("tokens")).toInt(-1);
    const auto active = qint64(json.value(QStringLiteral("active")).toDouble(-1));
    auto analysis = std::make_shared<TokenAnalysis>();
    analysis->hookName = json.value(QStringLiteral("hook")).toString();
    analysis->saeName = json.value(QStringLiteral("sae_name")).toString();
    analysis->dModel = json.value(QStringLiteral("d_model")).toInt();
    analysis->dSae = json.value(QStringLiteral("d_sae")).toInt();
    if (textCount < 0 || totalTokens < 0 || active < 0 || analysis->dSae <= 0) {
        return Status::invalidInput(
                QStringLiteral("%1: the analysis lacks its sizes (texts, tokens, active, d_sae)")
                        .arg(prefix));
    }
    // Each array, checked for presence, kind and length before anything reads it.
    auto take = [&](const char *name, qint64 length, bool text) -> Result<WorkspaceArray> {
        const QString key = arrayName(prefix, name);
        const auto found = data.constFind(key);
        if (found == data.constEnd()) {
            return Status::invalidInput(QStringLiteral("array %1 is missing").arg(key));
        }
        const qint64 size = text ? qint64(found->strings.size()) : qint64(found->numbers.size());
        if (found->isText != text || size != length) {
            return Status::invalidInput(QStringLiteral("array %1 holds %2 %3, expected %4")
                                                .arg(key)
                                                .arg(size)
                                                .arg(found->isText ? QStringLiteral("strings")
                                                                   : QStringLiteral("numbers"))
                                                .arg(length));
        }
        return *found;
    };
    Result<WorkspaceArray> texts = take("texts", textCount, true);
    Result<WorkspaceArray> counts = take("token_counts", textCount, false);
    Result<WorkspaceArray> pieces = take("pieces", totalTokens, true);
    Result<WorkspaceArray> ids = take("token_ids", totalTokens, false);
    Result<WorkspaceArray> begins = take("token_begin", totalTokens, false);
    Result<WorkspaceArray> ends = take("token_end", totalTokens, false);
    Result<WorkspaceArray> bos = take("token_bos", totalTokens, false);
    Result<WorkspaceArray> activeCounts = take("active_counts", totalTokens, false);
    Result<WorkspaceArray> features = take("features", active, false);
    Result<WorkspaceArray> values = take("values", active, false);
    for (const Result<WorkspaceArray> *array : {&texts, &counts, &pieces, &ids, &begins, &ends,
                                                &bos, &activeCounts, &features, &values}) {
        if (!*array) {
            return array->status();
        }
    }
    // Counts are whole and non-negative before any of them sizes a loop.
    auto sumOf = [&prefix](const WorkspaceArray &array, const char *name) -> Result<qint64> {
        qint64 sum = 0;
        for (double count : array.numbers) {
            if (!(count >= 0) || count != std::floor(count) || count > 1e9) {
                return Status::invalidInput(
                        QStringLiteral("array %1 holds a count that is not a whole number")
                                .arg(arrayName(prefix, name)));
            }
            sum += qint64(count);
        }
        return sum;
    };
    Result<qint64> tokenTotal = sumOf(counts.value(), "token_counts");
    Result<qint64> activeTotal = sumOf(activeCounts.value(), "active_counts");
    if (!tokenTotal || !activeTotal) {
        return !tokenTotal ? tokenTotal.status() : activeTotal.status();
    }
    const qint64 tokenSum = tokenTotal.value();
    const qint64 activeSum = activeTotal.value();
    if (tokenSum != totalTokens || activeSum != active) {
        return Status::invalidInput(
                QStringLiteral("%1: the token counts (%2) or active counts (%3) do not add up "
                               "to tokens %4 and active %5")
                        .arg(prefix)
                        .arg(tokenSum)
                        .arg(activeSum)
                        .arg(totalTokens)
                        .arg(active));
    }
    size_t token = 0;
    size_t entry = 0;
    for (int i = 0; i < textCount; ++i) {
        TextActivations text;
        text.text = texts->strings.at(i);
        const auto tokens = size_t(counts->numbers[size_t(i)]);
        for (size_t t = 0; t < tokens; ++t, ++token) {
            AnalyzedToken analysed;
            analysed.id = int(ids->numbers[token]);
            analysed.piece = pieces->strings.at(qsizetype(token));
            analysed.begin = int(begins->numbers[token]);
            analysed.end = int(ends->numbers[token]);
            analysed.bos = bos->numbers[token] != 0.0;
            const auto count = size_t(activeCounts->numbers[token]);
            std::vector<FeatureValue> row;
            row.reserve(count);
            for (size_t j = 0; j < count; ++j, ++entry) {
                const double feature = features->numbers[entry];
                if (!(feature >= 0) || feature >= analysis->dSae) {
                    return Status::invalidInput(
                            QStringLiteral("array %1 holds feature %2, outside 0 … %3")
                                    .arg(arrayName(prefix, "features"))
                                    .arg(feature)
                                    .arg(analysis->dSae - 1));
                }
                row.push_back({int(feature), float(values->numbers[entry])});
            }
            text.appendToken(analysed, std::move(row));
        }
        analysis->texts.push_back(std::move(text));
    }
    return TokenAnalysisPtr(std::move(analysis));
}

}  // namespace gyrus
