#include "core/prompts/prompt_set_validation.h"

#include <QHash>
#include <QRegularExpression>
#include <QSet>

namespace gyrus {

namespace {

// Above this many cells the empty-cell check is skipped: listing them would say nothing useful.
constexpr int kMaxCellsToEnumerate = 4096;

class Validator
{
public:
    explicit Validator(const PromptSet &set)
        : m_set(set)
        , m_where(set.displayName())
    {}

    QList<PromptIssue> run()
    {
        for (int i = static_cast<int>(m_set.items.size()) - 1; i >= 0; --i) {
            m_indexOfId.insert(m_set.items.at(i).id, i);  // the first item wins
        }
        checkFactors();
        checkBalance();
        QHash<QString, int> firstWithId;
        QHash<QString, int> firstWithText;
        for (int i = 0; i < m_set.items.size(); ++i) {
            checkItem(i, firstWithId, firstWithText);
        }
        QList<PromptIssue> all = m_setIssues;
        all += m_itemIssues;
        return all;
    }

private:
    void setIssue(PromptIssue::Severity severity, const QString &problem)
    {
        m_setIssues.append({severity, -1, m_where + QStringLiteral(": ") + problem});
    }

    void itemIssue(int index, PromptIssue::Severity severity, const QString &problem)
    {
        const QString id = m_set.items.at(index).id;
        m_itemIssues.append({severity, index,
                             QStringLiteral("%1: item %2 '%3': %4")
                                     .arg(m_where, QString::number(index), id, problem)});
    }

    void checkFactors()
    {
        QSet<QString> names;
        for (int f = 0; f < m_set.factors.size(); ++f) {
            const PromptFactor &factor = m_set.factors.at(f);
            if (factor.name.trimmed().isEmpty()) {
                setIssue(PromptIssue::Severity::Error,
                         QStringLiteral("factor %1 has no name").arg(f));
                continue;
            }
            if (names.contains(factor.name)) {
                setIssue(PromptIssue::Severity::Error,
                         QStringLiteral("factor '%1' is defined twice").arg(factor.name));
            }
            names.insert(factor.name);
            if (factor.levels.size() < 2) {
                setIssue(PromptIssue::Severity::Warning,
                         QStringLiteral("factor '%1' has %2 level(s); a contrast needs two")
                                 .arg(factor.name, QString::number(factor.levels.size())));
            }
            QSet<QString> levels;
            for (const QString &level : factor.levels) {
                if (level.trimmed().isEmpty()) {
                    setIssue(PromptIssue::Severity::Error,
                             QStringLiteral("factor '%1' has an empty level").arg(factor.name));
                } else if (levels.contains(level)) {
                    setIssue(PromptIssue::Severity::Error,
                             QStringLiteral("factor '%1' lists level '%2' twice")
                                     .arg(factor.name, level));
                }
                levels.insert(level);
            }
        }
    }

    // Counts the items in every cell of the full design (each factor's declared levels crossed);
    // items with a level the design does not know are left to the item checks.
    void checkBalance()
    {
        if (m_set.factors.isEmpty() || m_set.items.isEmpty()) {
            return;
        }
        qint64 cells = 1;
        for (const PromptFactor &factor : m_set.factors) {
            cells *= qMax<qint64>(1, factor.levels.size());
            if (cells > kMaxCellsToEnumerate) {
                break;
            }
        }
        QList<PromptCondition> present = m_set.conditions();
        QHash<QString, int> counts;
        for (const PromptCondition &c : present) {
            counts.insert(c.label, static_cast<int>(c.items.size()));
        }
        QStringList labels;  // every cell in design order
        if (cells <= kMaxCellsToEnumerate) {
            labels << QString();
            for (int f = 0; f < m_set.factors.size(); ++f) {
                QStringList next;
                for (const QString &prefix : labels) {
                    for (const QString &level : m_set.factors.at(f).levels) {
                        next << (f == 0 ? level : prefix + QLatin1Char('_') + level);
                    }
                }
                labels = next;
            }
            QStringList empty;
            for (const QString &label : labels) {
                if (!counts.contains(label)) {
                    empty << label;
                }
            }
            if (!empty.isEmpty()) {
                setIssue(PromptIssue::Severity::Warning,
                         QStringLiteral("unbalanced design: no items in condition(s) %1")
                                 .arg(empty.join(QStringLiteral(", "))));
            }
        }
        QSet<int> sizes;
        QStringList parts;
        for (const PromptCondition &c : present) {
            sizes.insert(static_cast<int>(c.items.size()));
            parts << c.label + QLatin1Char(' ') + QString::number(c.items.size());
        }
        if (sizes.size() > 1) {
            setIssue(PromptIssue::Severity::Warning,
                     QStringLiteral("unbalanced design: conditions have different item counts "
                                    "(%1)")
                             .arg(parts.join(QStringLiteral(", "))));
        }
    }

    void checkItem(int i, QHash<QString, int> &firstWithId, QHash<QString, int> &firstWithText)
    {
        const PromptItem &item = m_set.items.at(i);
        using S = PromptIssue::Severity;
        if (item.id.trimmed().isEmpty()) {
            itemIssue(i, S::Error, QStringLiteral("empty id"));
        } else if (const auto it = firstWithId.constFind(item.id); it != firstWithId.cend()) {
            itemIssue(i, S::Error, QStringLiteral("duplicate id (item %1 has it too)").arg(*it));
        } else {
            firstWithId.insert(item.id, i);
        }
        const QString trimmedText = item.text.trimmed();
        if (trimmedText.isEmpty()) {
            itemIssue(i, S::Error, QStringLiteral("empty text"));
        } else if (const auto it = firstWithText.constFind(trimmedText);
                   it != firstWithText.cend()) {
            itemIssue(i, S::Warning,
                      QStringLiteral("duplicate text (same as item %1 '%2')")
                              .arg(*it)
                              .arg(m_set.items.at(*it).id));
        } else {
            firstWithText.insert(trimmedText, i);
        }
        checkLevels(i);
        checkPair(i);
        checkTarget(i);
    }

    void checkLevels(int i)
    {
        const PromptItem &item = m_set.items.at(i);
        for (const PromptFactor &factor : m_set.factors) {
            if (factor.name.trimmed().isEmpty()) {
                continue;
            }
            const QString expected = factor.levels.join(QStringLiteral(", "));
            const auto it = item.levels.constFind(factor.name);
            if (it == item.levels.cend() || it->isEmpty()) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("no level for factor '%1' (expected one of: %2)")
                                  .arg(factor.name, expected));
            } else if (!factor.levels.contains(*it)) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("level '%1' is not a level of factor '%2' (expected one "
                                         "of: %3)")
                                  .arg(*it, factor.name, expected));
            }
        }
        for (auto it = item.levels.cbegin(); it != item.levels.cend(); ++it) {
            if (m_set.factorIndex(it.key()) < 0) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("level '%1' given for unknown factor '%2'")
                                  .arg(it.value(), it.key()));
            }
        }
    }

    void checkPair(int i)
    {
        const PromptItem &item = m_set.items.at(i);
        if (item.pair.isEmpty()) {
            return;
        }
        if (item.pair == item.id) {
            itemIssue(i, PromptIssue::Severity::Error, QStringLiteral("pairs with itself"));
            return;
        }
        const int other = m_indexOfId.value(item.pair, -1);
        if (other < 0) {
            itemIssue(i, PromptIssue::Severity::Error,
                      QStringLiteral("pair '%1' is not the id of any item").arg(item.pair));
            return;
        }
        const QString back = m_set.items.at(other).pair;
        if (!back.isEmpty() && back != item.id) {
            itemIssue(i, PromptIssue::Severity::Warning,
                      QStringLiteral("pairs with '%1', but '%1' pairs with '%2'")
                              .arg(item.pair, back));
        }
    }

    void checkTarget(int i)
    {
        const PromptItem &item = m_set.items.at(i);
        const PromptTarget &target = item.target;
        if (target.kind == PromptTarget::Kind::Span) {
            const int length = codePointCount(item.text);
            if (target.span.begin < 0 || target.span.end > length ||
                target.span.begin > target.span.end) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("target span %1 is outside the text (%2 characters)")
                                  .arg(target.toString(), QString::number(length)));
            } else if (target.span.begin == target.span.end) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("target span %1 is empty").arg(target.toString()));
            }
        } else if (target.kind == PromptTarget::Kind::Regex) {
            const QRegularExpression re(target.regex);
            if (target.regex.isEmpty()) {
                itemIssue(i, PromptIssue::Severity::Error, QStringLiteral("empty target regex"));
            } else if (!re.isValid()) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("invalid target regex %1: %2 at offset %3")
                                  .arg(target.toString(), re.errorString(),
                                       QString::number(re.patternErrorOffset())));
            } else if (!re.match(item.text).hasMatch()) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("target regex %1 does not match the text")
                                  .arg(target.toString()));
            } else if (!resolveTarget(target, item.text)) {
                itemIssue(i, PromptIssue::Severity::Error,
                          QStringLiteral("target regex %1 matches only an empty string")
                                  .arg(target.toString()));
            }
        }
    }

    const PromptSet &m_set;
    QString m_where;
    QHash<QString, int> m_indexOfId;  // pairs are looked up by id: O(1), not a scan per item
    QList<PromptIssue> m_setIssues;
    QList<PromptIssue> m_itemIssues;
};

}  // namespace

QString issueSeverityName(PromptIssue::Severity severity)
{
    return severity == PromptIssue::Severity::Error ? QStringLiteral("error")
                                                    : QStringLiteral("warning");
}

bool hasErrors(const QList<PromptIssue> &issues)
{
    for (const PromptIssue &issue : issues) {
        if (issue.isError()) {
            return true;
        }
    }
    return false;
}

QList<PromptIssue> validatePromptSet(const PromptSet &set)
{
    return Validator(set).run();
}

}  // namespace gyrus
