#include "core/llm/explanation.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace gyrus {

namespace {

const QString kSeparator(40, QLatin1Char('-'));

// The seed's instruction (prompts/feature_identification_prompt.txt), with the marks explained.
const char kInstruction[] =
        "Based on these examples, what single semantic concept or pattern might this feature be "
        "detecting? In each example the token where the feature is active is marked like "
        "<<this>>. Answer in a couple words or less, immediately without restating the prompt. "
        "Then, with the delimiter \"EXPLANATION: \" give a sentence description. Focus on the "
        "common theme or concept across these examples.";

QString exampleLine(int number, const FeatureExampleText &e)
{
    return QStringLiteral("Example %1 (activation %2): %3")
            .arg(number)
            .arg(e.activation, 0, 'f', 2)
            .arg(markedExample(e));
}

QString stripThinking(QString text)
{
    static const QRegularExpression think(QStringLiteral("<think>.*?</think>"),
                                          QRegularExpression::DotMatchesEverythingOption);
    text.remove(think);
    return text;
}

QString cleanLabel(QString label)
{
    label.remove(QLatin1String("**"));
    label = label.trimmed().section(QLatin1Char('\n'), 0, 0).trimmed();  // the first line only
    static const QRegularExpression prefix(
            QStringLiteral("^(pattern|label|concept|answer)\\s*:\\s*"),
            QRegularExpression::CaseInsensitiveOption);
    label.remove(prefix);
    const auto unquote = [&label] {
        while (label.size() >= 2 &&
               (label.front() == QLatin1Char('"') || label.front() == QLatin1Char('\'')) &&
               label.back() == label.front()) {
            label = label.mid(1, label.size() - 2).trimmed();
        }
    };
    unquote();
    if (label.endsWith(QLatin1Char('.'))) {
        label.chop(1);
    }
    unquote();
    return label;
}

}  // namespace

QString markedExample(const FeatureExampleText &example)
{
    const QString marked = example.before + QStringLiteral("<<") + example.token +
                           QStringLiteral(">>") + example.after;
    return marked.simplified();
}

Result<ExplainPrompt> buildExplainPrompt(const FeatureDetails &details,
                                         const ExplainOptions &options)
{
    if (details.top.isEmpty()) {
        return Status::invalidInput(QStringLiteral("feature %1 has no activating examples in the "
                                                   "scan of %2: nothing to explain")
                                            .arg(details.feature)
                                            .arg(details.corpusPath));
    }
    ExplainPrompt prompt;
    QStringList lines;
    int number = 0;
    for (const FeatureExampleText &e : details.top) {
        if (prompt.topExamplesUsed == options.topExamples) {
            break;
        }
        lines << exampleLine(++number, e);
        ++prompt.topExamplesUsed;
    }
    // Weaker activations: the highest non-empty bins below the top, strongest first.
    QStringList weaker;
    int binsUsed = 0;
    for (qsizetype b = details.bins.size() - 1; b >= 0 && binsUsed < options.bins; --b) {
        const FeatureBinExamples &bin = details.bins[b];
        if (bin.examples.isEmpty()) {
            continue;
        }
        ++binsUsed;
        int taken = 0;
        for (const FeatureExampleText &e : bin.examples) {
            if (taken == options.binExamples) {
                break;
            }
            const bool duplicate = std::any_of(
                    details.top.begin(), details.top.begin() + prompt.topExamplesUsed,
                    [&](const FeatureExampleText &t) { return t.tokenIndex == e.tokenIndex; });
            if (duplicate) {
                continue;
            }
            weaker << exampleLine(++number, e);
            ++taken;
            ++prompt.binExamplesUsed;
        }
    }
    if (!weaker.isEmpty()) {
        lines << QStringLiteral("Weaker activations:") << weaker;
    }
    const QString user = QLatin1String(kInstruction) + QStringLiteral("\n\n") + kSeparator +
                         QLatin1Char('\n') + lines.join(QLatin1Char('\n')) + QLatin1Char('\n') +
                         kSeparator;
    prompt.messages = {{QStringLiteral("user"), user}};
    return prompt;
}

Result<FeatureExplanation> parseExplanation(const QString &answer)
{
    const QString text = stripThinking(answer).trimmed();
    FeatureExplanation e;
    e.rawAnswer = answer;
    static const QRegularExpression delimiter(QStringLiteral("\\**EXPLANATION\\**\\s*:\\**"),
                                              QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = delimiter.match(text);
    if (m.hasMatch()) {
        e.label = cleanLabel(text.left(m.capturedStart()));
        e.description = text.mid(m.capturedEnd()).trimmed().simplified();
    } else if (!text.contains(QLatin1Char('\n')) &&
               text.split(QLatin1Char(' '), Qt::SkipEmptyParts).size() <= 6) {
        e.label = cleanLabel(text);  // a bare label is still an answer
    }
    if (e.label.isEmpty() || e.label.size() > 80) {
        return Status::invalidInput(
                QStringLiteral("the explainer's answer does not parse (expected a short label, "
                               "then 'EXPLANATION: ' and a sentence): \"") +
                answer.left(200).simplified() + QLatin1Char('"'));
    }
    return e;
}

QJsonObject FeatureExplanation::toJson() const
{
    return {{QStringLiteral("feature"), feature},
            {QStringLiteral("label"), label},
            {QStringLiteral("description"), description},
            {QStringLiteral("explainer"), explainer},
            {QStringLiteral("prompt_version"), promptVersion},
            {QStringLiteral("top_examples_used"), topExamplesUsed},
            {QStringLiteral("bin_examples_used"), binExamplesUsed},
            {QStringLiteral("corpus"), corpusPath},
            {QStringLiteral("raw_answer"), rawAnswer},
            {QStringLiteral("created_utc"), createdUtc.toString(Qt::ISODate)}};
}

Result<FeatureExplanation> FeatureExplanation::fromJson(const QJsonObject &json)
{
    FeatureExplanation e;
    e.feature = json.value(QStringLiteral("feature")).toInt(-1);
    e.label = json.value(QStringLiteral("label")).toString();
    if (e.feature < 0 || e.label.isEmpty()) {
        return Status::invalidInput(
                QStringLiteral("an explanation needs a non-negative 'feature' and a 'label'"));
    }
    e.description = json.value(QStringLiteral("description")).toString();
    e.explainer = json.value(QStringLiteral("explainer")).toString();
    e.promptVersion = json.value(QStringLiteral("prompt_version")).toString();
    e.topExamplesUsed = json.value(QStringLiteral("top_examples_used")).toInt();
    e.binExamplesUsed = json.value(QStringLiteral("bin_examples_used")).toInt();
    e.corpusPath = json.value(QStringLiteral("corpus")).toString();
    e.rawAnswer = json.value(QStringLiteral("raw_answer")).toString();
    e.createdUtc = QDateTime::fromString(json.value(QStringLiteral("created_utc")).toString(),
                                         Qt::ISODate);
    return e;
}

}  // namespace gyrus

namespace gyrus {

Result<FeatureExplanation> explanationFromReply(const FeatureDetails &details,
                                                const ExplainPrompt &prompt, const Status &status,
                                                const ChatReply &reply, const QString &explainer)
{
    const QString context = QStringLiteral("explaining feature %1").arg(details.feature);
    if (!status.isOk()) {
        return status.withContext(context);
    }
    Result<FeatureExplanation> parsed = parseExplanation(reply.text);
    if (!parsed) {
        return parsed.status().withContext(context);
    }
    FeatureExplanation e = std::move(parsed).value();
    e.feature = details.feature;
    e.explainer = explainer + (reply.model.isEmpty() ? QString()
                                                     : QStringLiteral(" (answered by ") +
                                                               reply.model + QLatin1Char(')'));
    e.topExamplesUsed = prompt.topExamplesUsed;
    e.binExamplesUsed = prompt.binExamplesUsed;
    e.corpusPath = details.corpusPath;
    e.createdUtc = QDateTime::currentDateTimeUtc();
    return e;
}

}  // namespace gyrus
