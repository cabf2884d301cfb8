#pragma once

#include "core/prompts/prompt_set.h"

#include <QList>
#include <QString>

namespace gyrus {

/// One problem found in a prompt set. Errors make the set unusable for an analysis until fixed
/// (an item the design cannot place, a target that anchors nothing); warnings are worth a look but
/// the set still runs (an unbalanced design, a repeated sentence).
struct PromptIssue
{
    enum class Severity
    {
        Warning,
        Error
    };

    Severity severity = Severity::Error;
    int itemIndex = -1;  ///< 0-based index into PromptSet::items; -1 for the set as a whole
    QString message;     ///< names the file, the item (index and id) and the problem

    bool isError() const { return severity == Severity::Error; }
};

/// "error" or "warning".
QString issueSeverityName(PromptIssue::Severity severity);

/// True when any issue is an error.
bool hasErrors(const QList<PromptIssue> &issues);

/// Checks the design and every item: factor names and levels, ids (empty, repeated), texts
/// (empty, repeated), each item's level of every factor, pairs (unknown id, itself, not
/// reciprocal), targets (span outside the text, invalid regex, regex matching nothing), and the
/// balance of the design (cells with different counts, or empty). Issues come in item order, set-
/// level ones first.
QList<PromptIssue> validatePromptSet(const PromptSet &set);

}  // namespace gyrus
