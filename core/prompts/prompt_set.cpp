#include "core/prompts/prompt_set.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace gyrus {

namespace {

// UTF-16 index of the code point with index `codePoint` (clamped to the end of the text).
int utf16Index(const QString &text, int codePoint)
{
    int units = 0;
    for (int cp = 0; cp < codePoint && units < text.size(); ++cp) {
        units += (text.at(units).isHighSurrogate() && units + 1 < text.size() &&
                  text.at(units + 1).isLowSurrogate())
                         ? 2
                         : 1;
    }
    return units;
}

// Code-point index of UTF-16 index `units`.
int codePointIndex(const QString &text, int units)
{
    return codePointCount(text.left(units));
}

}  // namespace

QString PromptTarget::toString() const
{
    switch (kind) {
        case Kind::Span:
            return QStringLiteral("[%1,%2)").arg(span.begin).arg(span.end);
        case Kind::Regex:
            return QLatin1Char('/') + regex + QLatin1Char('/');
        case Kind::None:
            break;
    }
    return {};
}

std::optional<PromptTarget> PromptTarget::parse(const QString &text)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        return PromptTarget{};
    }
    // A regex keeps its inner spaces: only the slashes delimit it.
    if (trimmed.size() >= 3 && trimmed.startsWith(QLatin1Char('/')) &&
        trimmed.endsWith(QLatin1Char('/'))) {
        return fromRegex(trimmed.mid(1, trimmed.size() - 2));
    }
    static const QRegularExpression spanPattern(
            QStringLiteral(R"(^(?:\[\s*(-?\d+)\s*,\s*(-?\d+)\s*\)|(-?\d+)\s*:\s*(-?\d+))$)"));
    const QRegularExpressionMatch match = spanPattern.match(trimmed);
    if (!match.hasMatch()) {
        return std::nullopt;
    }
    const bool bracket = !match.captured(1).isEmpty();
    bool okBegin = false;
    bool okEnd = false;
    const int begin = match.captured(bracket ? 1 : 3).toInt(&okBegin);
    const int end = match.captured(bracket ? 2 : 4).toInt(&okEnd);
    if (!okBegin || !okEnd) {
        return std::nullopt;
    }
    return fromSpan(begin, end);
}

int PromptSet::factorIndex(const QString &factorName) const
{
    for (int i = 0; i < factors.size(); ++i) {
        if (factors.at(i).name == factorName) {
            return i;
        }
    }
    return -1;
}

const PromptFactor *PromptSet::factor(const QString &factorName) const
{
    const int i = factorIndex(factorName);
    return i < 0 ? nullptr : &factors.at(i);
}

int PromptSet::indexOfId(const QString &id) const
{
    for (int i = 0; i < items.size(); ++i) {
        if (items.at(i).id == id) {
            return i;
        }
    }
    return -1;
}

QString PromptSet::conditionOf(int index) const
{
    if (index < 0 || index >= items.size() || factors.isEmpty()) {
        return {};
    }
    QStringList parts;
    parts.reserve(factors.size());
    for (const PromptFactor &f : factors) {
        parts << items.at(index).levels.value(f.name);
    }
    return parts.join(QLatin1Char('_'));
}

QList<PromptCondition> PromptSet::conditions() const
{
    QList<PromptCondition> result;
    if (factors.isEmpty()) {
        return result;
    }
    QMap<QString, int> position;  // label -> index in result
    for (int i = 0; i < items.size(); ++i) {
        const QString label = conditionOf(i);
        auto it = position.find(label);
        if (it == position.end()) {
            it = position.insert(label, static_cast<int>(result.size()));
            result.append({label, {}});
        }
        result[it.value()].items.append(i);
    }
    return result;
}

QList<int> PromptSet::itemsInCondition(const QString &label) const
{
    QList<int> result;
    if (factors.isEmpty()) {
        return result;
    }
    for (int i = 0; i < items.size(); ++i) {
        if (conditionOf(i) == label) {
            result.append(i);
        }
    }
    return result;
}

QString PromptSet::displayName() const
{
    if (!sourceFile.isEmpty()) {
        return QFileInfo(sourceFile).fileName();
    }
    return name.isEmpty() ? QStringLiteral("(unsaved prompt set)") : name;
}

QString promptSetFormatName(PromptSet::Format format)
{
    return format == PromptSet::Format::Legacy ? QStringLiteral("legacy") : QStringLiteral("gyrus");
}

int codePointCount(const QString &text)
{
    int count = 0;
    for (int i = 0; i < text.size(); ++i) {
        if (text.at(i).isHighSurrogate() && i + 1 < text.size() &&
            text.at(i + 1).isLowSurrogate()) {
            ++i;
        }
        ++count;
    }
    return count;
}

std::optional<TextSpan> resolveTarget(const PromptTarget &target, const QString &text)
{
    switch (target.kind) {
        case PromptTarget::Kind::None:
            return std::nullopt;
        case PromptTarget::Kind::Span:
            return target.span;
        case PromptTarget::Kind::Regex:
            break;
    }
    const QRegularExpression re(target.regex);
    if (!re.isValid()) {
        return std::nullopt;
    }
    const QRegularExpressionMatch match = re.match(text);
    if (!match.hasMatch()) {
        return std::nullopt;
    }
    const int group = re.captureCount() > 0 && match.capturedStart(1) >= 0 ? 1 : 0;
    const int start = static_cast<int>(match.capturedStart(group));
    const int end = static_cast<int>(match.capturedEnd(group));
    if (end <= start) {
        return std::nullopt;
    }
    return TextSpan{codePointIndex(text, start), codePointIndex(text, end)};
}

TextSpan utf8ByteRange(const QString &text, const TextSpan &span)
{
    const int begin = utf16Index(text, span.begin);
    const int end = utf16Index(text, span.end);
    const int bytesBefore = static_cast<int>(text.left(begin).toUtf8().size());
    const int bytesInside = static_cast<int>(text.mid(begin, end - begin).toUtf8().size());
    return {bytesBefore, bytesBefore + bytesInside};
}

}  // namespace gyrus
