#pragma once
// Two texts compared word by word (core/steering/word_diff.h): words only in the first struck
// through on red, words only in the second on green, palette-aware.

#include <QTextBrowser>

namespace gyrus::widgets {

class TextDiffView : public QTextBrowser
{
    Q_OBJECT
public:
    explicit TextDiffView(QWidget *parent = nullptr);

    void setTexts(const QString &before, const QString &after);
    void clearTexts();

    /// Words added and removed in the last comparison.
    int addedWords() const { return m_added; }

    int removedWords() const { return m_removed; }

private:
    int m_added = 0;
    int m_removed = 0;
};

}  // namespace gyrus::widgets
