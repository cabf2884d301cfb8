#pragma once

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace gyrus {

/// A half-open range [begin, end) of Unicode code points in an item's text. Code points, not
/// UTF-16 units or bytes, so a span written by a Python script (`text[begin:end]`) means the same
/// here; utf8ByteRange() converts for tokenizers, which report byte offsets.
struct TextSpan
{
    int begin = 0;
    int end = 0;

    int length() const { return end - begin; }

    friend bool operator==(const TextSpan &a, const TextSpan &b)
    {
        return a.begin == b.begin && a.end == b.end;
    }

    friend bool operator!=(const TextSpan &a, const TextSpan &b) { return !(a == b); }
};

/// Where in an item the analysis window is anchored: nothing, an explicit span, or a regular
/// expression (PCRE syntax, QRegularExpression). A regex resolves to its first match, or to the
/// first match of capture group 1 when the pattern has a group, so "capital of (\\w+)" anchors the
/// city rather than the phrase.
struct PromptTarget
{
    enum class Kind
    {
        None,
        Span,
        Regex
    };

    Kind kind = Kind::None;
    TextSpan span;  ///< for Kind::Span
    QString regex;  ///< for Kind::Regex

    static PromptTarget fromSpan(int begin, int end) { return {Kind::Span, {begin, end}, {}}; }

    static PromptTarget fromRegex(QString pattern) { return {Kind::Regex, {}, std::move(pattern)}; }

    bool isSet() const { return kind != Kind::None; }

    /// "[3,7)" for a span, "/pattern/" for a regex, "" for none: the text the table shows and
    /// parse() reads back.
    QString toString() const;

    /// Reads toString()'s forms, plus "3:7" for a span; "" gives no target. std::nullopt when the
    /// text is neither.
    static std::optional<PromptTarget> parse(const QString &text);

    friend bool operator==(const PromptTarget &a, const PromptTarget &b)
    {
        return a.kind == b.kind && (a.kind != Kind::Span || a.span == b.span) &&
               (a.kind != Kind::Regex || a.regex == b.regex);
    }

    friend bool operator!=(const PromptTarget &a, const PromptTarget &b) { return !(a == b); }
};

/// One experimental factor and its levels, in the order the file gives them.
struct PromptFactor
{
    QString name;
    QStringList levels;

    friend bool operator==(const PromptFactor &a, const PromptFactor &b)
    {
        return a.name == b.name && a.levels == b.levels;
    }
};

/// One stimulus. `levels` maps factor name -> level. `pair` names the item this one is a minimal
/// pair with (its id), empty when none.
struct PromptItem
{
    QString id;
    QString text;
    QMap<QString, QString> levels;
    QString pair;
    PromptTarget target;

    friend bool operator==(const PromptItem &a, const PromptItem &b)
    {
        return a.id == b.id && a.text == b.text && a.levels == b.levels && a.pair == b.pair &&
               a.target == b.target;
    }
};

/// A cell of the design: the items sharing one level of every factor, in file order.
struct PromptCondition
{
    QString label;     ///< the levels joined by '_' in factor order (the legacy key)
    QList<int> items;  ///< indices into PromptSet::items
};

/// A designed stimulus set (ARCHITECTURE.md §5): factors, and items each assigned one level of
/// every factor. A plain value; validation (prompt_set_validation.h) says what is wrong with it.
struct PromptSet
{
    enum class Format
    {
        Legacy,  ///< the seed's object of condition label -> list of strings
        Gyrus,   ///< the "gyrus.promptset/1" schema
    };

    QString name;
    QString description;
    QString sourceFile;  ///< the file it was loaded from; empty for a new set
    Format format = Format::Gyrus;
    QList<PromptFactor> factors;
    QList<PromptItem> items;

    /// Index of the factor called `name`, or -1.
    int factorIndex(const QString &factorName) const;

    /// The factor called `name`, or nullptr.
    const PromptFactor *factor(const QString &factorName) const;

    /// Index of the item with this id, or -1 (the first when ids repeat).
    int indexOfId(const QString &id) const;

    /// The condition label of item `index`: its levels joined by '_' in factor order (a factor
    /// the item has no level for contributes an empty part). Empty when there are no factors.
    QString conditionOf(int index) const;

    /// Every condition that has items, in order of first appearance, each with its items in file
    /// order.
    QList<PromptCondition> conditions() const;

    /// The items of the condition with this label, in file order (empty when none).
    QList<int> itemsInCondition(const QString &label) const;

    /// The name shown in messages: the file name when there is one, else the set's name.
    QString displayName() const;

    /// Compares the content, not where it came from (sourceFile, format).
    friend bool operator==(const PromptSet &a, const PromptSet &b)
    {
        return a.name == b.name && a.description == b.description && a.factors == b.factors &&
               a.items == b.items;
    }
};

/// "legacy" or "gyrus".
QString promptSetFormatName(PromptSet::Format format);

/// Number of Unicode code points in `text`.
int codePointCount(const QString &text);

/// Where `target` lies in `text`, in code points. std::nullopt when there is no target, the regex
/// is invalid or does not match, or the match is empty; a span is returned as is (check it with
/// validation first).
std::optional<TextSpan> resolveTarget(const PromptTarget &target, const QString &text);

/// The UTF-8 byte range of a code-point span of `text` (for tokenizer offsets).
TextSpan utf8ByteRange(const QString &text, const TextSpan &span);

}  // namespace gyrus
