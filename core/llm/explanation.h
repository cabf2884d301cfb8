#pragma once
// Explaining a feature with a language model: the prompt built from its top and quantile
// examples, and the answer parsed into a short label and a one-sentence description.
//
// Prompt format "gyrus-explain-v1" (docs/auto-interpretation.md): the seed project's
// identification instruction (a couple of words, then "EXPLANATION: " and a sentence), followed
// by the examples between two lines of 40 dashes, one per line as
//     Example 3 (activation 4.21): the tall <<Golden>> Gate towers
// with the activating token between << >> as Delphi and Neuronpedia mark it. The top examples
// come first; then, under "Weaker activations:", examples drawn from the histogram's upper
// bins, so the explainer sees the feature at more than its peak.

#include "core/base/status.h"
#include "core/chat/chat_template.h"
#include "core/features/feature_inspector_types.h"
#include "core/llm/chat_backend.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace gyrus {

inline constexpr char kExplainPromptVersion[] = "gyrus-explain-v1";

struct ExplainOptions
{
    int topExamples = 10;  ///< best examples shown
    int binExamples = 2;   ///< examples taken from each quantile bin
    int bins = 3;          ///< how many of the highest non-empty bins to draw from
    int maxTokens = 120;   ///< answer budget
    double temperature = 0;
    qint64 seed = 0;
};

struct ExplainPrompt
{
    QList<ChatMessage> messages;
    int topExamplesUsed = 0;
    int binExamplesUsed = 0;
};

/// The label the user sees, with where it came from. Accepted explanations become the feature's
/// label like a hand-written one; provenance stays beside it in the workspace.
struct FeatureExplanation
{
    int feature = -1;
    QString label;        ///< a few words
    QString description;  ///< one sentence
    QString explainer;    ///< the backend's describe(): endpoint and model, never a key
    QString promptVersion = QLatin1String(kExplainPromptVersion);
    int topExamplesUsed = 0;
    int binExamplesUsed = 0;
    QString corpusPath;
    QString rawAnswer;
    QDateTime createdUtc;

    QJsonObject toJson() const;
    static Result<FeatureExplanation> fromJson(const QJsonObject &json);
};

/// "the tall <<Golden>> Gate towers": the example with its activating token marked.
QString markedExample(const FeatureExampleText &example);

/// The chat messages asking for a label of details.feature; InvalidInput when the feature has
/// no examples (never active in the scan).
Result<ExplainPrompt> buildExplainPrompt(const FeatureDetails &details,
                                         const ExplainOptions &options = {});

/// Parses "label\n\nEXPLANATION: description" (reasoning in <think> blocks and markdown are
/// dropped). An answer without a usable label is an InvalidInput quoting it.
Result<FeatureExplanation> parseExplanation(const QString &answer);

}  // namespace gyrus

namespace gyrus {

/// The explanation of details.feature from the explainer's reply, with its provenance filled
/// in; the request's own failure, or an answer that does not parse, as a Status.
Result<FeatureExplanation> explanationFromReply(const FeatureDetails &details,
                                                const ExplainPrompt &prompt, const Status &status,
                                                const ChatReply &reply, const QString &explainer);

}  // namespace gyrus
