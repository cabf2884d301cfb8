#pragma once

#include "core/features/token_analysis_types.h"
#include "widgets/views/activation_colour_map.h"

#include <QAbstractScrollArea>
#include <QHash>
#include <QImage>
#include <QStaticText>

#include <functional>
#include <vector>

namespace gyrus::widgets {

/// A token's place in an analysis: text (row) and token index; invalid when text < 0.
struct TokenRef
{
    int text = -1;
    int token = -1;

    bool isValid() const { return text >= 0 && token >= 0; }

    bool operator==(const TokenRef &o) const { return text == o.text && token == o.token; }

    bool operator!=(const TokenRef &o) const { return !(*this == o); }
};

/// The texts of a TokenAnalysis as rows of token cells, each cell's background coloured by one
/// feature's activation (or one hook dimension). Built for thousands of tokens: the layout is
/// computed once per analysis and width, the cells are painted into cached image tiles once per
/// colouring, and a paint event only copies tiles and draws the hover/selection outlines; hover
/// never re-lays out or re-renders anything.
class TokenStripView : public QAbstractScrollArea
{
    Q_OBJECT
public:
    enum class Source
    {
        Feature,        ///< the SAE feature's activation (magma, 0 unpainted)
        HookDimension,  ///< one coordinate of the raw hook vector (diverging)
    };

    explicit TokenStripView(QWidget *parent = nullptr);

    /// Shows `analysis` with one label per text in a left gutter (none when `rowLabels` is
    /// empty). Clears hover and selection.
    void setAnalysis(const TokenAnalysisPtr &analysis, const QStringList &rowLabels = {});

    TokenAnalysisPtr analysis() const { return m_analysis; }

    /// Recolours every token by `index` (a feature or a hook dimension); layout is kept.
    void setSource(Source source, int index);

    Source source() const { return m_source; }

    int sourceIndex() const { return m_index; }

    /// The colour scale's maximum: the largest |value| over the non-BOS tokens.
    double scaleMaximum() const { return m_max; }

    ColourScale colourScale() const;

    /// The value and background colour of a token under the current colouring.
    float value(TokenRef ref) const;
    QRgb tokenColour(TokenRef ref) const;

    /// The token's cell in viewport coordinates (empty when unknown).
    QRect tokenRect(TokenRef ref) const;

    /// The token under a viewport position (invalid when none).
    TokenRef tokenAt(const QPoint &viewportPosition) const;

    void setSelectedToken(TokenRef ref);

    TokenRef selectedToken() const { return m_selected; }

    TokenRef hoveredToken() const { return m_hover; }

    /// Builds the hover tooltip of a token (the panel adds labels and top features).
    void setToolTipProvider(std::function<QString(TokenRef)> provider);

    /// Scrolls so that the token is visible.
    void ensureVisible(TokenRef ref);

    /// The height all rows need (for sizing the view to a short text).
    int contentHeight() const { return m_contentHeight; }

    /// Counters for the performance probe and tests: layouts built, tiles rendered.
    int layoutCount() const { return m_layoutCount; }

    int tileRenderCount() const { return m_tileRenders; }

Q_SIGNALS:
    /// A plain click on a token.
    void tokenClicked(gyrus::widgets::TokenRef ref);
    /// Shift-click (or the context menu's "Clamp feature"): clamp the shown feature.
    void clampRequested(gyrus::widgets::TokenRef ref);
    void hoveredTokenChanged(gyrus::widgets::TokenRef ref);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;
    void changeEvent(QEvent *event) override;
    bool viewportEvent(QEvent *event) override;

private:
    struct Cell
    {
        QRect rect;  // content coordinates
        int text = 0;
        int token = 0;
        QString label;   // what the cell shows (whitespace made visible)
        int glyphs = 0;  // index of its laid-out text in m_glyphs
    };

    struct Line
    {
        int top = 0;
        int bottom = 0;
        int firstCell = 0;
        int endCell = 0;
    };

    void relayout();
    void recolour();
    void invalidateTiles();
    const QImage &tile(int index);
    void renderTile(int index, QImage *image) const;
    int cellIndex(TokenRef ref) const;
    int cellAt(const QPoint &contentPosition) const;
    void setHover(TokenRef ref);
    QRect toViewport(const QRect &content) const;

    TokenAnalysisPtr m_analysis;
    QStringList m_rowLabels;
    Source m_source = Source::Feature;
    int m_index = -1;
    double m_max = 0.0;
    std::vector<float> m_values;        // per cell
    std::vector<QRgb> m_colours;        // per cell
    std::vector<QRgb> m_textColours;    // per cell; 0: the palette's text colour
    std::vector<QStaticText> m_glyphs;  // one laid-out text per distinct label (pieces repeat)
    std::vector<Cell> m_cells;
    std::vector<Line> m_lines;
    std::vector<int> m_textFirstCell;  // per text
    int m_gutter = 0;
    int m_contentHeight = 0;
    int m_layoutWidth = -1;
    std::vector<QImage> m_tiles;  // lazily rendered strips of the content, null until needed
    TokenRef m_hover;
    TokenRef m_selected;
    std::function<QString(TokenRef)> m_toolTip;
    int m_layoutCount = 0;
    int m_tileRenders = 0;
};

}  // namespace gyrus::widgets

Q_DECLARE_METATYPE(gyrus::widgets::TokenRef)
