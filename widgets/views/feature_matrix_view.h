#pragma once

#include "core/features/token_analysis_types.h"

#include <QAbstractScrollArea>
#include <QImage>

#include <functional>
#include <vector>

namespace gyrus::widgets {

/// The feature × token matrix of one text: a row per top feature (by max activation), a column
/// per token, each cell coloured by the activation (magma, one scale for the whole matrix).
/// Rows sort by max, mean or feature id; Ctrl+wheel (or zoomIn/zoomOut) changes the column
/// width. The matrix is one pixel per cell in a cached QImage drawn scaled, so zooming and
/// scrolling re-render nothing.
class FeatureMatrixView : public QAbstractScrollArea
{
    Q_OBJECT
public:
    enum class SortOrder
    {
        ByMax,
        ByMean,
        ByFeature,
    };

    explicit FeatureMatrixView(QWidget *parent = nullptr);

    /// Shows text `index` of `analysis` (null: nothing).
    void setText(const TokenAnalysisPtr &analysis, int index);

    /// Signed values (the Attribution dock's activation × gradient) instead of activations:
    /// rows rank by the largest |value|, cells use the diverging blue–white–red scale symmetric
    /// about 0, and tooltips call the value `valueName`. Takes effect at the next setText().
    void setSignedValues(bool signedValues, const QString &valueName = QString());

    bool hasSignedValues() const { return m_signed; }

    /// How many of the text's most active features are rows (the selected feature is added
    /// when it is active but not among them).
    void setFeatureCount(int count);

    void setSortOrder(SortOrder order);

    SortOrder sortOrder() const { return m_order; }

    /// Outlines this feature's row (-1: none).
    void setSelectedFeature(int feature);

    /// Outlines this token's column (-1: none).
    void setHighlightedToken(int token);

    /// The annotation label of a feature, shown after its id.
    void setLabelProvider(std::function<QString(int)> provider);

    /// Re-reads the labels (after an annotation changed).
    void refreshLabels();

    /// Column width in pixels, 2 … 48.
    void setColumnWidth(int pixels);

    int columnWidth() const { return m_columnWidth; }

    void zoomIn();
    void zoomOut();

    /// The rows, top to bottom.
    const std::vector<FeatureSummary> &rows() const { return m_rows; }

    /// The colour scale's maximum (largest non-BOS activation in the matrix; with signed
    /// values, the largest |value|).
    double scaleMaximum() const { return m_max; }

    /// The row's feature and column's token under a viewport position (-1 when outside).
    int featureAt(const QPoint &viewportPosition) const;
    int tokenAt(const QPoint &viewportPosition) const;

    /// A cell's rectangle in viewport coordinates (row of `feature`, column `token`).
    QRect cellRect(int feature, int token) const;

    /// The colour a cell is drawn with.
    QRgb cellColour(int feature, int token) const;

Q_SIGNALS:
    void featureClicked(int feature);
    void tokenClicked(int token);
    void clampRequested(int feature);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    bool viewportEvent(QEvent *event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    void rebuildRows();
    void fitColumns();
    void rebuildImage();
    void updateScrollBars();
    int rowOf(int feature) const;
    int rowAt(int y) const;
    int columnAt(int x) const;
    const TextActivations *text() const;

    TokenAnalysisPtr m_analysis;
    int m_textIndex = -1;
    int m_featureCount = 24;
    SortOrder m_order = SortOrder::ByMax;
    int m_selectedFeature = -1;
    int m_highlightedToken = -1;
    int m_columnWidth = 14;
    bool m_fitPending = false;
    int m_rowHeight = 16;
    int m_gutter = 120;
    int m_header = 20;
    double m_max = 0.0;
    std::vector<FeatureSummary> m_all;  // every active feature of the text, by max (cached)
    std::vector<FeatureSummary> m_rows;
    QStringList m_rowLabels;
    QImage m_image;  // one pixel per cell
    std::function<QString(int)> m_labels;
    bool m_signed = false;
    QString m_valueName;
};

}  // namespace gyrus::widgets
