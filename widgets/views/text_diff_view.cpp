#include "widgets/views/text_diff_view.h"

#include "core/steering/word_diff.h"

namespace gyrus::widgets {

TextDiffView::TextDiffView(QWidget *parent)
    : QTextBrowser(parent)
{
    setOpenLinks(false);
}

void TextDiffView::clearTexts()
{
    m_added = 0;
    m_removed = 0;
    clear();
}

void TextDiffView::setTexts(const QString &before, const QString &after)
{
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    const QString removedBackground = dark ? QStringLiteral("#5c2b2b") : QStringLiteral("#fbd5d5");
    const QString addedBackground = dark ? QStringLiteral("#27502f") : QStringLiteral("#cdf0d2");
    QString html = QStringLiteral("<div style='white-space: pre-wrap'>");
    m_added = 0;
    m_removed = 0;
    for (const DiffSegment &segment : wordDiff(before, after)) {
        const QString text = segment.text.toHtmlEscaped();
        const int words = splitWords(segment.text.trimmed()).size();
        switch (segment.kind) {
            case DiffSegment::Kind::Same:
                html += text;
                break;
            case DiffSegment::Kind::Removed:
                m_removed += words;
                html += QStringLiteral(
                                "<span style='background:%1; text-decoration: "
                                "line-through'>%2</span>")
                                .arg(removedBackground, text);
                break;
            case DiffSegment::Kind::Added:
                m_added += words;
                html += QStringLiteral("<span style='background:%1'>%2</span>")
                                .arg(addedBackground, text);
                break;
        }
    }
    html += QStringLiteral("</div>");
    setHtml(html);
}

}  // namespace gyrus::widgets
