#include "core/prompts/legacy_prompt_set.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <optional>

namespace gyrus {

namespace {

// Labels of seed files have at most four underscores; this bound only stops a pathological file
// from making the search below slow.
constexpr qint64 kMaxSplitCombinations = 1'000'000;

struct Split
{
    QStringList levelsA;  // in order of first appearance
    QStringList levelsB;
    QList<QPair<QString, QString>> cells;  // per label
    int score = 0;                         // sum of split positions: larger = further right

    QString describe() const
    {
        return levelsA.join(QLatin1Char('|')) + QStringLiteral(" x ") +
               levelsB.join(QLatin1Char('|'));
    }
};

// Positions of the underscores of `label` that leave a non-empty part on both sides.
QList<int> splitPositions(const QString &label)
{
    QList<int> positions;
    for (int i = 1; i + 1 < label.size(); ++i) {
        if (label.at(i) == QLatin1Char('_')) {
            positions.append(i);
        }
    }
    return positions;
}

// The split if choosing position choice[k] for label k makes the labels exactly {a1,a2}×{b1,b2}.
std::optional<Split> trySplit(const QStringList &labels, const QList<QList<int>> &options,
                              const QList<int> &choice)
{
    Split split;
    QSet<QPair<QString, QString>> seen;
    for (int k = 0; k < labels.size(); ++k) {
        const int at = options.at(k).at(choice.at(k));
        const QString a = labels.at(k).left(at);
        const QString b = labels.at(k).mid(at + 1);
        if (!split.levelsA.contains(a)) {
            split.levelsA.append(a);
        }
        if (!split.levelsB.contains(b)) {
            split.levelsB.append(b);
        }
        if (split.levelsA.size() > 2 || split.levelsB.size() > 2 || seen.contains({a, b})) {
            return std::nullopt;
        }
        seen.insert({a, b});
        split.cells.append({a, b});
        split.score += at;
    }
    if (split.levelsA.size() != 2 || split.levelsB.size() != 2) {
        return std::nullopt;
    }
    return split;
}

QList<Split> factorialSplits(const QStringList &labels)
{
    QList<QList<int>> options;
    qint64 combinations = 1;
    for (const QString &label : labels) {
        options.append(splitPositions(label));
        combinations *= options.last().size();
        if (combinations == 0 || combinations > kMaxSplitCombinations) {
            return {};
        }
    }
    QList<Split> found;
    QList<int> choice(labels.size(), 0);
    // Odometer over every choice of split position per label.
    while (true) {
        if (std::optional<Split> split = trySplit(labels, options, choice)) {
            found.append(*split);
        }
        int k = static_cast<int>(labels.size()) - 1;
        while (k >= 0 && ++choice[k] == options.at(k).size()) {
            choice[k] = 0;
            --k;
        }
        if (k < 0) {
            break;
        }
    }
    return found;
}

}  // namespace

LegacyDesign inferLegacyDesign(const QStringList &labels, const QString &defaultFactorName)
{
    LegacyDesign design;
    if (labels.size() == 4) {
        QList<Split> splits = factorialSplits(labels);
        if (!splits.isEmpty()) {
            std::stable_sort(splits.begin(), splits.end(),
                             [](const Split &x, const Split &y) { return x.score > y.score; });
            const Split &best = splits.first();
            const QString nameA = QStringLiteral("factor_a");
            const QString nameB = QStringLiteral("factor_b");
            design.factors = {{nameA, best.levelsA}, {nameB, best.levelsB}};
            for (const auto &cell : best.cells) {
                design.levels.append({{nameA, cell.first}, {nameB, cell.second}});
            }
            if (splits.size() > 1) {
                QStringList others;
                for (int i = 1; i < splits.size(); ++i) {
                    others << splits.at(i).describe();
                }
                design.notes << QStringLiteral(
                                        "the condition labels split into two factors in %1 ways; "
                                        "chose %2 (the rightmost split) over %3")
                                        .arg(splits.size())
                                        .arg(best.describe(), others.join(QStringLiteral("; ")));
            }
            return design;
        }
        design.notes << QStringLiteral(
                                "the 4 condition labels (%1) do not split at an underscore into "
                                "a 2x2 design; read as one factor '%2' with 4 levels")
                                .arg(labels.join(QStringLiteral(", ")), defaultFactorName);
    }
    design.factors = {{defaultFactorName, labels}};
    for (const QString &label : labels) {
        design.levels.append({{defaultFactorName, label}});
    }
    return design;
}

QString legacyFactorName(const QString &fileName)
{
    QString stem = QFileInfo(fileName).completeBaseName();
    static const QRegularExpression prefix(QStringLiteral("^(unifactorial|bifactorial)[-_]?"),
                                           QRegularExpression::CaseInsensitiveOption);
    stem.remove(prefix);
    stem.replace(QLatin1Char('-'), QLatin1Char('_'));
    stem.replace(QLatin1Char(' '), QLatin1Char('_'));
    return stem.isEmpty() ? QStringLiteral("condition") : stem;
}

PromptSet promptSetFromLegacy(const LegacyConditions &conditions, const QString &sourceFile,
                              QList<PromptIssue> *notes)
{
    QStringList labels;
    for (const auto &condition : conditions) {
        labels << condition.first;
    }
    const LegacyDesign design = inferLegacyDesign(labels, legacyFactorName(sourceFile));
    PromptSet set;
    set.sourceFile = sourceFile;
    set.format = PromptSet::Format::Legacy;
    set.name = QFileInfo(sourceFile).completeBaseName();
    set.description = QStringLiteral("Imported from the legacy prompt set %1.")
                              .arg(QFileInfo(sourceFile).fileName());
    set.factors = design.factors;
    for (int c = 0; c < conditions.size(); ++c) {
        const QStringList &texts = conditions.at(c).second;
        for (int i = 0; i < texts.size(); ++i) {
            PromptItem item;
            // Concatenated, not arg(): a label may itself contain "%1".
            item.id = conditions.at(c).first + QLatin1Char('_') + QString::number(i);
            item.text = texts.at(i);
            item.levels = design.levels.at(c);
            set.items.append(item);
        }
    }
    if (notes != nullptr) {
        for (const QString &note : design.notes) {
            notes->append({PromptIssue::Severity::Warning, -1,
                           set.displayName() + QStringLiteral(": ") + note});
        }
    }
    return set;
}

}  // namespace gyrus
