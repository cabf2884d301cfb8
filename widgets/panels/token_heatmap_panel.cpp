#include "widgets/panels/token_heatmap_panel.h"

#include "core/base/table_export.h"
#include "core/engine/request_tracker.h"
#include "core/features/token_analysis_archive.h"
#include "core/features/token_display.h"
#include "core/features/token_feature_model.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "widgets/common/empty_state.h"
#include "widgets/common/export_button.h"
#include "widgets/common/export_tables.h"
#include "widgets/common/icons.h"
#include "widgets/common/status_line.h"
#include "widgets/panels/user_visible_work.h"
#include "widgets/views/colour_legend.h"
#include "widgets/views/feature_matrix_view.h"

#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QUuid>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

namespace gyrus::widgets {

namespace {

constexpr int kTableRows = 20;  // features listed for the selected token
constexpr int kTooltipFeatures = 5;

// Shift+click on a table row means "clamp": QTableView's clicked() carries no modifiers.
class ShiftClickFilter : public QObject
{
public:
    ShiftClickFilter(QTableView *table, std::function<void(int row)> onShiftClick)
        : QObject(table)
        , m_table(table)
        , m_onShiftClick(std::move(onShiftClick))
    {
        table->viewport()->installEventFilter(this);
    }

protected:
    bool eventFilter(QObject *, QEvent *event) override
    {
        if (event->type() == QEvent::MouseButtonPress) {
            auto *mouse = static_cast<QMouseEvent *>(event);
            const QModelIndex index = m_table->indexAt(mouse->position().toPoint());
            if (index.isValid() && mouse->button() == Qt::LeftButton &&
                (mouse->modifiers() & Qt::ShiftModifier)) {
                m_onShiftClick(index.row());
                return true;
            }
        }
        return false;
    }

private:
    QTableView *m_table;
    std::function<void(int)> m_onShiftClick;
};

QString featureText(const SelectionHub *hub, int feature)
{
    const QString label = hub ? hub->annotation(feature).label : QString();
    return label.isEmpty() ? QStringLiteral("#%1").arg(feature)
                           : QStringLiteral("#%1 %2").arg(feature).arg(label);
}

}  // namespace

TokenHeatmapPanel::TokenHeatmapPanel(EngineClient *engine, SelectionHub *hub, SessionState *session,
                                     QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_session(sessionOrFollowing(session, engine, this))
{
    buildUi();
    connectSignals();
    m_promptSet = m_session->promptSet();
    updateEmptyState();
}

TokenHeatmapPanel::~TokenHeatmapPanel() = default;

void TokenHeatmapPanel::buildUi()
{
    // Row 1: what to analyse.
    m_sourceMode = new QComboBox(this);
    m_sourceMode->addItem(tr("Typed text"));
    m_sourceMode->addItem(tr("Prompt set"));
    connect(m_sourceMode, &QComboBox::currentIndexChanged, this, &TokenHeatmapPanel::stateChanged);
    m_sourceMode->setToolTip(
            tr("Analyse the text typed here, or every item of the prompt set "
               "open in the Prompt sets dock (one row per item)"));
    m_textEdit = new QPlainTextEdit(this);
    connect(m_textEdit, &QPlainTextEdit::textChanged, this, &TokenHeatmapPanel::stateChanged);
    m_textEdit->setPlaceholderText(tr("Type a prompt, then Analyse (Ctrl+Enter)"));
    m_textEdit->setTabChangesFocus(true);
    const int lineHeight = m_textEdit->fontMetrics().lineSpacing();
    m_textEdit->setFixedHeight(lineHeight * 3 + 12);
    m_analyzeButton = new QPushButton(tr("Analyse"), this);
    m_analyzeButton->setIcon(uiIcon(QStringLiteral("start")));
    m_analyzeButton->setToolTip(tr("Run the model to the SAE's hook and encode every token"));
    auto *shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), m_textEdit);
    connect(shortcut, &QShortcut::activated, this, &TokenHeatmapPanel::analyze);
    auto *inputRow = new QHBoxLayout;
    auto *sourceColumn = new QVBoxLayout;
    sourceColumn->addWidget(m_sourceMode);
    sourceColumn->addWidget(m_analyzeButton);
    sourceColumn->addStretch(1);
    inputRow->addLayout(sourceColumn);
    inputRow->addWidget(m_textEdit, 1);

    // Row 2: what colours the tokens, and the scale.
    m_colourMode = new QComboBox(this);
    m_colourMode->addItem(tr("SAE feature"));
    m_colourMode->addItem(tr("Hook dimension"));
    m_colourMode->setToolTip(
            tr("Colour tokens by an SAE feature's activation, or by one "
               "coordinate of the raw hook vector"));
    m_index = new QSpinBox(this);
    m_index->setRange(0, 0);
    m_index->setPrefix(QStringLiteral("#"));
    m_index->setKeyboardTracking(false);
    m_index->setMinimumWidth(m_index->fontMetrics().horizontalAdvance(QStringLiteral("#000000")) +
                             30);
    m_featureLabel = new QLabel(this);
    m_featureLabel->setForegroundRole(QPalette::PlaceholderText);
    m_featureLabel->setMinimumWidth(60);
    auto *colourRow = new QHBoxLayout;
    colourRow->addWidget(new QLabel(tr("Colour by"), this));
    colourRow->addWidget(m_colourMode);
    colourRow->addWidget(m_index);
    colourRow->addWidget(m_featureLabel, 1);

    // The token strip with its colour scale underneath.
    m_strip = new TokenStripView(this);
    m_strip->setToolTipProvider([this](TokenRef ref) { return toolTipFor(ref); });
    m_legend = new ColourLegend(this);
    auto *stripPane = new QWidget(this);
    auto *stripLayout = new QVBoxLayout(stripPane);
    stripLayout->setContentsMargins(0, 0, 0, 0);
    stripLayout->setSpacing(3);
    stripLayout->addWidget(m_strip, 1);
    stripLayout->addWidget(m_legend);

    // The matrix with its controls and legend.
    m_sortOrder = new QComboBox(this);
    m_sortOrder->addItem(tr("by max"));
    m_sortOrder->addItem(tr("by mean"));
    m_sortOrder->addItem(tr("by feature id"));
    m_sortOrder->setToolTip(tr("Order of the matrix rows"));
    m_rowCount = new QSpinBox(this);
    m_rowCount->setRange(4, 256);
    m_rowCount->setValue(24);
    m_rowCount->setSuffix(tr(" features"));
    m_rowCount->setToolTip(tr("How many of the text's most active features (by max) are rows"));
    auto *zoomOut = new QToolButton(this);
    zoomOut->setText(QStringLiteral("−"));
    zoomOut->setToolTip(tr("Narrower token columns (Ctrl+wheel)"));
    auto *zoomIn = new QToolButton(this);
    zoomIn->setText(QStringLiteral("+"));
    zoomIn->setToolTip(tr("Wider token columns (Ctrl+wheel)"));
    m_matrix = new FeatureMatrixView(this);
    m_matrix->setLabelProvider(
            [this](int feature) { return m_hub ? m_hub->annotation(feature).label : QString(); });
    m_matrixLegend = new ColourLegend(this);
    m_matrixLegend->setToolTip(
            tr("The matrix's colour scale: 0 to the largest activation among its rows (BOS left "
               "out)"));
    auto writeActivations = [this](const QString &path) {
        if (!m_analysis) {
            return Status::invalidInput(QStringLiteral("nothing analysed yet"));
        }
        return writeTable(*tokenActivationTable(*m_analysis), path);
    };
    m_export = makeExportButton(
            this,
            {{{tr("Token activations as CSV…"), QStringLiteral("csv"), writeActivations},
              {tr("Token activations as HDF5…"), QStringLiteral("h5"), writeActivations}},
             widgetExportChoices(m_strip, tr("Heatmap")),
             widgetExportChoices(m_matrix, tr("Feature × token matrix"))},
            [] { return QStringLiteral("token-heatmap"); },
            [this](const Status &status, const QString &path) {
                setStatus(status.isOk() ? tr("Wrote %1").arg(path) : status.message());
            });
    m_export->setObjectName(QStringLiteral("heatmap.export"));
    m_export->setToolTip(
            tr("Every token's active features as data (CSV, HDF5; one row per "
               "token and feature), or the heatmap or matrix as a figure"));
    m_export->setEnabled(false);
    colourRow->addWidget(m_export);
    m_matrixTitle = new QLabel(tr("<b>Features × tokens</b>"), this);
    auto *matrixBar = new QHBoxLayout;
    matrixBar->addWidget(m_matrixTitle);
    matrixBar->addStretch(1);
    matrixBar->addWidget(m_rowCount);
    matrixBar->addWidget(m_sortOrder);
    matrixBar->addWidget(zoomOut);
    matrixBar->addWidget(zoomIn);
    auto *matrixPane = new QWidget(this);
    auto *matrixLayout = new QVBoxLayout(matrixPane);
    matrixLayout->setContentsMargins(0, 0, 0, 0);
    matrixLayout->addLayout(matrixBar);
    matrixLayout->addWidget(m_matrix, 1);
    matrixLayout->addWidget(m_matrixLegend);
    connect(zoomIn, &QToolButton::clicked, m_matrix, &FeatureMatrixView::zoomIn);
    connect(zoomOut, &QToolButton::clicked, m_matrix, &FeatureMatrixView::zoomOut);

    // The selected token's features.
    m_tokenTitle = new QLabel(tr("<b>Selected token</b> — click a token"), this);
    m_tokenTitle->setTextFormat(Qt::RichText);
    m_tokenTitle->setWordWrap(true);  // wraps, not widens, in a narrow dock
    m_tokenFeatures = new TokenFeatureModel(m_hub, this);
    m_table = new QTableView(this);
    m_table->setModel(m_tokenFeatures);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 4);
    m_table->horizontalHeader()->setSectionResizeMode(TokenFeatureModel::LabelColumn,
                                                      QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(TokenFeatureModel::FeatureColumn,
                                                      QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(TokenFeatureModel::ActivationColumn,
                                                      QHeaderView::ResizeToContents);
    m_table->setShowGrid(false);
    m_table->setAlternatingRowColors(true);
    auto *tokenPane = new QWidget(this);
    auto *tokenLayout = new QVBoxLayout(tokenPane);
    tokenLayout->setContentsMargins(0, 0, 0, 0);
    tokenLayout->addWidget(m_tokenTitle);
    tokenLayout->addWidget(m_table, 1);

    auto *lower = new QSplitter(Qt::Horizontal, this);
    lower->addWidget(matrixPane);
    lower->addWidget(tokenPane);
    lower->setStretchFactor(0, 3);
    lower->setStretchFactor(1, 1);
    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->addWidget(stripPane);
    m_splitter->addWidget(lower);
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    m_splitter->setChildrenCollapsible(false);

    m_empty = new EmptyState(tr("Token heatmap"), QString(), this);
    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_empty);
    m_stack->addWidget(m_splitter);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setForegroundRole(QPalette::PlaceholderText);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(inputRow);
    layout->addLayout(colourRow);
    layout->addWidget(m_stack, 1);
    layout->addWidget(m_status);

    m_promptSetDebounce = new QTimer(this);
    m_promptSetDebounce->setSingleShot(true);
    m_promptSetDebounce->setInterval(300);
    updateLegend();
}

void TokenHeatmapPanel::connectSignals()
{
    connect(m_analyzeButton, &QPushButton::clicked, this, &TokenHeatmapPanel::analyze);
    connect(m_sourceMode, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int mode) {
        m_textEdit->setEnabled(mode == 0);
        updatePlaceholder();
        if (mode == 1) {
            analyze();
        }
    });
    connect(m_colourMode, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int mode) { setHookDimensionMode(mode == 1, mode == 1 ? 0 : -1); });
    connect(m_index, qOverload<int>(&QSpinBox::valueChanged), this, [this](int value) {
        if (m_colourMode->currentIndex() == 1) {
            m_strip->setSource(TokenStripView::Source::HookDimension, value);
            updateLegend();
        } else {
            selectFeature(value);
        }
    });
    connect(m_sortOrder, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int order) {
        m_matrix->setSortOrder(static_cast<FeatureMatrixView::SortOrder>(order));
    });
    connect(m_rowCount, qOverload<int>(&QSpinBox::valueChanged), m_matrix,
            &FeatureMatrixView::setFeatureCount);

    connect(m_strip, &TokenStripView::tokenClicked, this, &TokenHeatmapPanel::selectToken);
    connect(m_strip, &TokenStripView::clampRequested, this, [this](TokenRef ref) {
        if (m_strip->source() == TokenStripView::Source::Feature) {
            clampFeature(m_strip->sourceIndex(), ref.text);
        }
    });
    connect(m_matrix, &FeatureMatrixView::featureClicked, this, &TokenHeatmapPanel::selectFeature);
    connect(m_matrix, &FeatureMatrixView::tokenClicked, this, [this](int token) {
        selectToken(TokenRef{m_currentText, token});
    });
    connect(m_matrix, &FeatureMatrixView::clampRequested, this,
            [this](int feature) { clampFeature(feature, m_currentText); });
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex &index) {
        selectFeature(m_tokenFeatures->featureAt(index.row()));
    });
    new ShiftClickFilter(m_table, [this](int row) {
        clampFeature(m_tokenFeatures->featureAt(row), m_strip->selectedToken().text);
    });
    connect(m_promptSetDebounce, &QTimer::timeout, this, [this] {
        if (m_sourceMode->currentIndex() == 1) {
            analyze();
        }
    });

    if (m_hub) {
        connect(m_hub, &SelectionHub::featureSelected, this,
                [this](int feature, const QString &) { followFeature(feature); });
        connect(m_hub, &SelectionHub::annotationChanged, this, [this](int) {
            m_matrix->refreshLabels();
            updateFeatureLabel();
        });
        // A position picked in the Attribution dock is selected here, on the same prompt
        // (analysed first when another text is shown; deferred while the dock is hidden).
        m_pickedTokenWork = new UserVisibleWork(this, [this] { showPickedToken(); });
        connect(m_hub, &SelectionHub::tokenPicked, this,
                [this](const QString &text, int position, const QString &) {
                    if (!text.isEmpty()) {
                        m_pickedText = text;
                        m_pickedPosition = position;
                        m_pickedTokenWork->request();
                    }
                });
    }
    connect(m_session, &SessionState::promptSetChanged, this, [this](const PromptSet &set) {
        m_promptSet = set;
        updatePlaceholder();
        m_promptSetDebounce->start();
    });
    if (!m_engine) {
        return;
    }
    m_requests = new RequestTracker(m_engine, this);
    m_requests->onResult(0, &EngineClient::tokenAnalysisReady,
                         [this](const TokenAnalysisPtr &analysis) {
                             if (analysis) {
                                 m_analysisSaePath = m_session->sae().path;
                                 m_analysisId = QUuid::createUuid().toString(QUuid::WithoutBraces);
                                 showAnalysis(analysis);
                                 Q_EMIT stateChanged();
                             }
                         });
    m_requests->onFinished(0, [this](const Status &status) {
        m_analyzeButton->setEnabled(true);
        if (!status.isOk() && status.code() != Status::Code::Cancelled) {
            setStatus(status.message(), true);
        }
        updateEmptyState();
    });
    connect(m_session, &SessionState::modelChanged, this, [this] { updateEmptyState(); });
    connect(m_session, &SessionState::saeChanged, this, [this](const SaeInfo &info) {
        // The SAE a reopened workspace's analysis was computed with, loaded again: keep it.
        if (!m_analysis || info.path == m_analysisSaePath) {
            updateEmptyState();
            return;
        }
        // Feature numbers of another SAE mean other things: the old analysis is gone.
        m_analysis.reset();
        m_analysisSaePath.clear();
        m_analysisId.clear();
        m_export->setEnabled(false);
        Q_EMIT stateChanged();
        m_strip->setAnalysis(nullptr);
        m_matrix->setText(nullptr, -1);
        m_tokenFeatures->setFeatures({});
        updateEmptyState();
    });
}

void TokenHeatmapPanel::analyzeText(const QString &text)
{
    m_sourceMode->blockSignals(true);
    m_sourceMode->setCurrentIndex(0);
    m_sourceMode->blockSignals(false);
    m_textEdit->setEnabled(true);
    updatePlaceholder();
    m_textEdit->setPlainText(text);
    submit({text}, {});
}

void TokenHeatmapPanel::analyzePromptSet(const PromptSet &set)
{
    m_promptSet = set;
    m_sourceMode->blockSignals(true);
    m_sourceMode->setCurrentIndex(1);
    m_sourceMode->blockSignals(false);
    m_textEdit->setEnabled(false);
    updatePlaceholder();
    analyze();
}

void TokenHeatmapPanel::analyzeCurrentPromptSet()
{
    analyzePromptSet(m_promptSet);
}

void TokenHeatmapPanel::analyze()
{
    if (m_sourceMode->currentIndex() == 0) {
        submit({m_textEdit->toPlainText()}, {});
        return;
    }
    if (m_promptSet.items.isEmpty()) {
        setStatus(tr("The prompt set has no items: open one in the Prompt sets dock."), true);
        return;
    }
    QStringList texts;
    QStringList labels;
    for (const PromptItem &item : m_promptSet.items) {
        texts << item.text;
        labels << item.id;
    }
    submit(texts, labels);
}

void TokenHeatmapPanel::submit(const QStringList &texts, const QStringList &rowLabels)
{
    if (!m_engine) {
        return;
    }
    if (texts.size() == 1 && texts.front().trimmed().isEmpty()) {
        // Said where the user looks: beside the box, which gets the focus to type into.
        setStatus(tr("Type a prompt first: the prompt is empty."), true);
        m_textEdit->setFocus();
        return;
    }
    TokenAnalysisRequest request;
    request.texts = texts;
    // Raw hook vectors (d_model floats per token) only when they are shown: for a large model
    // and a 200-item set they would be most of the result.
    request.hookVectors = m_colourMode->currentIndex() == 1;
    m_pendingTexts = texts;
    m_pendingLabels = rowLabels;
    // Latest wins: a long prompt set still running is cancelled, its result would be stale.
    m_requests->start(0, m_engine->analyzeText(request));
    m_analyzeButton->setEnabled(false);
    setStatus(tr("Analysing %n text(s) …", nullptr, int(texts.size())));
    updateEmptyState();
}

void TokenHeatmapPanel::showAnalysis(const TokenAnalysisPtr &analysis)
{
    // The same texts again (hook vectors fetched): keep the user's place.
    const bool sameTexts = m_analysis && m_pendingTexts == m_analysedTexts;
    const TokenRef previous = sameTexts ? m_strip->selectedToken() : TokenRef{};
    m_analysis = analysis;
    m_analysedTexts = m_pendingTexts;
    m_analysedLabels = m_pendingLabels;
    m_currentText = 0;
    m_strip->setAnalysis(analysis, m_pendingLabels);
    m_index->blockSignals(true);
    m_index->setRange(
            0, std::max(0, (m_colourMode->currentIndex() == 1 ? analysis->dModel : analysis->dSae) -
                                   1));
    m_index->blockSignals(false);
    m_matrix->setText(analysis, 0);
    updateMatrixTitle();
    m_tokenFeatures->setFeatures({});
    m_tokenTitle->setText(tr("<b>Selected token</b> — click a token"));
    if (m_colourMode->currentIndex() == 1) {
        m_strip->setSource(TokenStripView::Source::HookDimension, m_index->value());
    } else if (m_hub && m_hub->selectedFeature() >= 0) {
        followFeature(m_hub->selectedFeature());
    } else {
        // Nothing selected yet: show the prompt's most active feature (selected everywhere).
        int best = -1;
        float bestMax = 0.0f;
        for (const FeatureSummary &summary : summarizeFeatures(*analysis)) {
            if (summary.max > bestMax) {
                bestMax = summary.max;
                best = summary.feature;
            }
        }
        if (best >= 0) {
            selectFeature(best);
        }
    }
    updateLegend();
    updateEmptyState();
    fitStripToText();
    if (previous.isValid()) {
        selectToken(previous);
    } else {
        selectPeakToken();
    }
    const int tokens = analysis->totalTokens();
    const QString what =
            analysis->texts.size() == 1
                    ? tr("%1 tokens").arg(tokens)
                    : tr("%1 items · %2 tokens").arg(analysis->texts.size()).arg(tokens);
    setStatus(tr("%1 · SAE “%2” at %3 · Shift+click a feature to clamp it")
                      .arg(what, analysis->saeName, analysis->hookName));
    m_export->setEnabled(true);
    Q_EMIT analysisShown();
}

void TokenHeatmapPanel::fitStripToText()
{
    // A short prompt needs a few lines, not half the dock: give the rest to the matrix.
    const int total = m_splitter->height();
    if (total <= 0) {
        return;
    }
    const int lines = m_strip->fontMetrics().height() * 3;
    const int wanted = m_strip->contentHeight() + 2 * m_strip->frameWidth() +
                       m_legend->sizeHint().height() + 6;
    const int strip = std::clamp(wanted, lines, total * 55 / 100);
    m_splitter->setSizes({strip, total - strip});
}

void TokenHeatmapPanel::updatePlaceholder()
{
    if (m_sourceMode->currentIndex() == 0) {
        m_textEdit->setPlaceholderText(tr("Type a prompt, then Analyse (Ctrl+Enter)"));
        return;
    }
    m_textEdit->setPlaceholderText(
            m_promptSet.items.isEmpty() ? tr("No prompt set open: open one in the Prompt sets dock")
                                        : tr("The %1 items of %2, one per row")
                                                  .arg(m_promptSet.items.size())
                                                  .arg(m_promptSet.displayName()));
}

void TokenHeatmapPanel::updateMatrixTitle()
{
    // With a prompt set, say which item the matrix shows.
    const QString item = m_analysedLabels.value(m_currentText);
    m_matrixTitle->setText(m_analysis && m_analysis->texts.size() > 1 && !item.isEmpty()
                                   ? tr("<b>Features × tokens</b> · %1").arg(item.toHtmlEscaped())
                                   : tr("<b>Features × tokens</b>"));
}

void TokenHeatmapPanel::selectPeakToken()
{
    // Start on the token where the shown feature peaks, so its features are listed at once.
    if (!m_analysis || m_analysis->texts.empty() ||
        m_strip->source() != TokenStripView::Source::Feature) {
        return;
    }
    TokenRef peak;
    float best = 0.0f;
    for (int i = 0; i < int(m_analysis->texts.size()); ++i) {
        const TextActivations &text = m_analysis->texts[size_t(i)];
        for (int t = 0; t < text.tokenCount(); ++t) {
            const float v = m_strip->value(TokenRef{i, t});
            if (!text.tokens[size_t(t)].bos && v > best) {
                best = v;
                peak = TokenRef{i, t};
            }
        }
    }
    if (peak.isValid()) {
        selectToken(peak);
        m_strip->ensureVisible(peak);
    }
}

void TokenHeatmapPanel::setHookDimensionMode(bool hookDimension, int dimension)
{
    m_colourMode->blockSignals(true);
    m_colourMode->setCurrentIndex(hookDimension ? 1 : 0);
    m_colourMode->blockSignals(false);
    m_index->blockSignals(true);
    if (hookDimension && m_analysis && !m_analysis->texts.empty() &&
        m_analysis->texts.front().hook.empty()) {
        submit(m_analysedTexts, m_analysedLabels);  // the same texts, now with hook vectors
    }
    if (hookDimension) {
        m_index->setPrefix(tr("dim "));
        m_index->setRange(0, std::max(0, (m_analysis ? m_analysis->dModel : 1) - 1));
        m_index->setValue(std::max(0, dimension));
        m_strip->setSource(TokenStripView::Source::HookDimension, m_index->value());
    } else {
        m_index->setPrefix(QStringLiteral("#"));
        const int dSae = m_analysis ? m_analysis->dSae : m_session->sae().dSae;
        m_index->setRange(0, std::max(0, dSae - 1));
        const int feature = m_hub ? m_hub->selectedFeature() : -1;
        if (feature >= 0) {
            m_index->setValue(feature);
        }
        m_strip->setSource(TokenStripView::Source::Feature, feature);
    }
    m_index->blockSignals(false);
    updateLegend();
    updateFeatureLabel();
}

void TokenHeatmapPanel::showPickedToken()
{
    const QString text = m_pickedText;
    const int position = m_pickedPosition;
    const auto showsText = [this, text] {
        return m_analysis && m_analysis->texts.size() == 1 &&
               m_analysis->texts.front().text == text;
    };
    if (showsText()) {
        selectToken({0, position});
        return;
    }
    auto once = std::make_shared<QMetaObject::Connection>();
    *once = connect(this, &TokenHeatmapPanel::analysisShown, this,
                    [this, once, showsText, position] {
                        QObject::disconnect(*once);
                        if (showsText()) {
                            selectToken({0, position});
                        }
                    });
    analyzeText(text);
}

void TokenHeatmapPanel::selectFeature(int feature)
{
    if (feature < 0) {
        return;
    }
    if (m_hub) {
        m_hub->selectFeature(feature, QStringLiteral("heatmap"));
    } else {
        followFeature(feature);
    }
}

void TokenHeatmapPanel::followFeature(int feature)
{
    m_matrix->setSelectedFeature(feature);
    if (m_colourMode->currentIndex() == 0) {
        m_strip->setSource(TokenStripView::Source::Feature, feature);
        if (feature >= 0) {
            m_index->blockSignals(true);
            m_index->setMaximum(std::max(m_index->maximum(), feature));
            m_index->setValue(feature);
            m_index->blockSignals(false);
        }
    }
    updateLegend();
    updateFeatureLabel();
}

void TokenHeatmapPanel::selectToken(TokenRef ref)
{
    if (!m_analysis || ref.text < 0 || ref.text >= int(m_analysis->texts.size())) {
        return;
    }
    const TextActivations &text = m_analysis->texts[size_t(ref.text)];
    if (ref.token < 0 || ref.token >= text.tokenCount()) {
        return;
    }
    m_strip->setSelectedToken(ref);
    if (ref.text != m_currentText) {
        m_currentText = ref.text;
        m_matrix->setText(m_analysis, ref.text);
    }
    updateMatrixTitle();
    m_matrix->setHighlightedToken(ref.token);
    m_tokenFeatures->setFeatures(text.topFeatures(ref.token, kTableRows));
    const AnalyzedToken &token = text.tokens[size_t(ref.token)];
    m_tokenTitle->setText(tr("<b>Token “%1”</b> · id %2 · position %3 · %4 active")
                                  .arg(visibleToken(token.piece).toHtmlEscaped())
                                  .arg(token.id)
                                  .arg(ref.token)
                                  .arg(text.activeCount(ref.token)));
    updateLegend();
}

void TokenHeatmapPanel::clampFeature(int feature, int text)
{
    if (!m_hub || !m_analysis || feature < 0) {
        return;
    }
    if (text < 0 || text >= int(m_analysis->texts.size())) {
        text = m_currentText;
    }
    FeatureClamp clamp;
    clamp.feature = feature;
    clamp.mode = ClampMode::Clamp;
    clamp.value = maxActivation(m_analysis->texts[size_t(text)], feature);
    m_hub->addClamp(clamp);
    setStatus(tr("Clamp set: %1 clamped to %2 (its largest activation in this text); see the "
                 "Steering dock")
                      .arg(featureText(m_hub, feature))
                      .arg(clamp.value, 0, 'g', 4));
}

QString TokenHeatmapPanel::toolTipFor(TokenRef ref) const
{
    if (!m_analysis || ref.text < 0 || ref.text >= int(m_analysis->texts.size())) {
        return {};
    }
    const TextActivations &text = m_analysis->texts[size_t(ref.text)];
    if (ref.token < 0 || ref.token >= text.tokenCount()) {
        return {};
    }
    const AnalyzedToken &token = text.tokens[size_t(ref.token)];
    QString html = tr("<b>“%1”</b> · id %2 · position %3")
                           .arg(visibleToken(token.piece).toHtmlEscaped())
                           .arg(token.id)
                           .arg(ref.token);
    if (token.bos) {
        html += tr(" (BOS: left out of the colour scale)");
    }
    const bool hook = m_strip->source() == TokenStripView::Source::HookDimension;
    html += hook ? tr("<br>hook dim %1: <b>%2</b>")
                            .arg(m_strip->sourceIndex())
                            .arg(double(m_strip->value(ref)), 0, 'g', 4)
                 : tr("<br>%1: <b>%2</b>")
                            .arg(featureText(m_hub, m_strip->sourceIndex()).toHtmlEscaped())
                            .arg(double(m_strip->value(ref)), 0, 'g', 4);
    const std::vector<FeatureValue> top = text.topFeatures(ref.token, kTooltipFeatures);
    if (!top.empty()) {
        html += tr("<br><br>Top features here:<table>");
        for (const FeatureValue &entry : top) {
            html += QStringLiteral("<tr><td>%1</td><td align=right>&nbsp;%2</td></tr>")
                            .arg(featureText(m_hub, entry.feature).toHtmlEscaped())
                            .arg(double(entry.value), 0, 'f', 3);
        }
        html += QStringLiteral("</table>");
    }
    return html;
}

void TokenHeatmapPanel::updateLegend()
{
    const bool hook = m_strip->source() == TokenStripView::Source::HookDimension;
    const int index = m_strip->sourceIndex();
    QString caption;
    if (index >= 0 && m_analysis) {
        const QString over = m_analysis->texts.size() > 1 ? tr("all rows") : tr("the text");
        caption = hook ? tr("hook dim %1 at %2 (±max over %3)")
                                  .arg(index)
                                  .arg(m_analysis->hookName, over)
                       : tr("%1 activation (max over %2, BOS left out)")
                                  .arg(featureText(m_hub, index), over);
    }
    m_legend->setScale(m_strip->colourScale(), m_strip->scaleMaximum(), caption);
    m_matrixLegend->setScale(ColourScale::Sequential, m_matrix->scaleMaximum(), QString());
}

void TokenHeatmapPanel::updateFeatureLabel()
{
    const int feature = m_hub ? m_hub->selectedFeature() : -1;
    const QString label = feature >= 0 && m_hub ? m_hub->annotation(feature).label : QString();
    m_featureLabel->setText(m_colourMode->currentIndex() == 0 ? label : QString());
}

void TokenHeatmapPanel::updateEmptyState()
{
    QString why;
    if (!m_engine || !m_session->hasModel()) {
        why =
                tr("No model loaded. Load one in the Model dock, then an SAE: each token of your "
                   "text is coloured by the selected feature's activation.");
    } else if (!m_session->hasSae()) {
        why = tr("No SAE loaded. Load one in the Model dock to see its features on your text.");
    } else if (!m_analysis && m_requests && m_requests->isRunning(0)) {
        why = tr("Analysing … the heatmap appears when the model has read the text.");
    } else if (!m_analysis) {
        why =
                tr("Nothing analysed yet. Type a prompt above and press Analyse (Ctrl+Enter), or "
                   "choose “Prompt set” to see every item of the open set, one per row.");
    }
    const bool ready = m_engine && m_session->hasModel() && m_session->hasSae();
    m_analyzeButton->setEnabled(ready && !(m_requests && m_requests->isRunning(0)));
    m_empty->setExplanation(why);
    m_stack->setCurrentIndex(why.isEmpty() ? 1 : 0);
}

bool TokenHeatmapPanel::isShowingEmptyState() const
{
    return m_stack->currentIndex() == 0;
}

QString TokenHeatmapPanel::emptyStateText() const
{
    return m_empty->explanation();
}

void TokenHeatmapPanel::setStatus(const QString &text, bool error)
{
    showStatusLine(m_status, text, error);
}

QString TokenHeatmapPanel::statusText() const
{
    return m_status->text();
}

QJsonObject TokenHeatmapPanel::workspaceState(WorkspaceData *data) const
{
    QJsonObject state{{QStringLiteral("text"), m_textEdit->toPlainText()},
                      {QStringLiteral("source"), m_sourceMode->currentIndex() == 1
                                                         ? QStringLiteral("prompt set")
                                                         : QStringLiteral("typed")}};
    if (m_analysis) {
        WorkspaceData ignored;
        WorkspaceData *into = data ? data : &ignored;
        QJsonObject analysis = archiveTokenAnalysis(*m_analysis, QStringLiteral("analysis"), into);
        into->insert(QStringLiteral("analysis.labels"),
                     WorkspaceArray::ofStrings(m_analysedLabels));
        analysis[QStringLiteral("sae_path")] = m_analysisSaePath;
        analysis[QStringLiteral("id")] = m_analysisId;
        state[QStringLiteral("analysis")] = analysis;
    }
    return state;
}

void TokenHeatmapPanel::restoreWorkspaceState(const QJsonObject &state, const WorkspaceData &data,
                                              QStringList *warnings)
{
    m_textEdit->setPlainText(state.value(QStringLiteral("text")).toString());
    const int mode =
            state.value(QStringLiteral("source")).toString() == QLatin1String("prompt set") ? 1 : 0;
    {
        // The mode, without the analysis a switch to prompt-set mode starts: restoring a
        // workspace computes nothing.
        const QSignalBlocker block(m_sourceMode);
        m_sourceMode->setCurrentIndex(mode);
    }
    m_textEdit->setEnabled(mode == 0);
    updatePlaceholder();
    if (m_requests) {
        m_requests->start(0, 0);  // an analysis still running belongs to the old workspace
    }
    m_analysis.reset();
    m_analysisSaePath.clear();
    m_analysisId.clear();
    m_strip->setAnalysis(nullptr);
    m_matrix->setText(nullptr, -1);
    m_tokenFeatures->setFeatures({});
    m_export->setEnabled(false);
    const QJsonObject saved = state.value(QStringLiteral("analysis")).toObject();
    if (!saved.isEmpty()) {
        Result<TokenAnalysisPtr> analysis =
                unarchiveTokenAnalysis(saved, QStringLiteral("analysis"), data);
        const WorkspaceArray labels = data.value(QStringLiteral("analysis.labels"));
        if (!analysis) {
            if (warnings) {
                warnings->append(tr("Token heatmap: the saved analysis was left out (%1); "
                                    "Analyse computes it again.")
                                         .arg(analysis.status().message()));
            }
        } else {
            QStringList texts;
            for (const TextActivations &text : analysis.value()->texts) {
                texts << text.text;
            }
            m_pendingTexts = texts;
            m_pendingLabels = labels.isText && labels.strings.size() == texts.size()
                                      ? labels.strings
                                      : QStringList();
            m_analysisSaePath = saved.value(QStringLiteral("sae_path")).toString();
            m_analysisId = saved.value(QStringLiteral("id")).toString();
            showAnalysis(analysis.value());
        }
    }
    updateEmptyState();
    Q_EMIT stateChanged();
}

}  // namespace gyrus::widgets
