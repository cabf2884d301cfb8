#pragma once

#include "core/base/status.h"
#include "core/prompts/prompt_set.h"
#include "core/prompts/prompt_set_validation.h"

#include <QByteArray>
#include <QList>
#include <QString>

namespace gyrus {

/// The schema tag Gyrus writes as "schema" and recognises its own files by.
inline constexpr char kPromptSetSchema[] = "gyrus.promptset/1";

/// A prompt set as read from a file, with everything worth telling the user about it: notes from
/// reading (a legacy design inferred by fallback, unknown fields ignored) followed by
/// validatePromptSet()'s issues.
struct PromptSetLoad
{
    PromptSet set;
    QList<PromptIssue> issues;
};

/// Reads a prompt set in either format, told apart by content: an object with a "schema" string
/// is the Gyrus schema (as is one with an "items" array of objects and no tag, with a warning);
/// any other object is the legacy condition -> sentences map. Files that cannot be read as a
/// prompt set at all (unreadable, malformed JSON with its line and column, not an object, a
/// condition that is not a list of strings, a repeated condition, fields of the wrong type) give
/// an error Status; problems in the content come back as issues on a loaded set.
Result<PromptSetLoad> loadPromptSet(const QString &path);

/// loadPromptSet() on bytes already in memory; `sourceFile` names them in messages and gives a
/// legacy file its factor name.
Result<PromptSetLoad> parsePromptSet(const QByteArray &json, const QString &sourceFile);

/// The set in the Gyrus schema (UTF-8, 2-space indent, fields in a fixed order, the items in
/// order). Empty pairs and unset targets are left out.
QByteArray promptSetToJson(const PromptSet &set);

/// Writes promptSetToJson() atomically (QSaveFile: a crash leaves the old file whole).
Status savePromptSet(const PromptSet &set, const QString &path);

}  // namespace gyrus
