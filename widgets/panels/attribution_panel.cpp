#include "widgets/panels/attribution_panel.h"

#include "core/base/table_export.h"
#include "core/engine/hook_layer.h"
#include "core/engine/request_tracker.h"
#include "core/features/token_display.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "widgets/common/adaptive_splitter.h"
#include "widgets/common/eliding_style.h"
#include "widgets/common/export_button.h"
#include "widgets/common/export_tables.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/icons.h"
#include "widgets/common/status_line.h"
#include "widgets/panels/activation_patching_tab.h"
#include "widgets/views/attention_head_grid.h"
#include "widgets/views/attention_pattern_view.h"
#include "widgets/views/attribution_sae_list.h"
#include "widgets/views/colour_legend.h"
#include "widgets/views/feature_matrix_view.h"
#include "widgets/views/logit_lens_grid.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace gyrus::widgets {

namespace {

constexpr int kMatrixFeatures = 24;  // rows of the feature × position matrix

// Columns of the ranked list.
enum FeatureColumn
{
    FeatureCol,
    PositionCol,
    TokenCol,
    ActivationCol,
    GradientCol,
    AttributionCol,
    EstimateCol,
    ActualCol,
    LayerCol,
};

// Where a row of the ranked list keeps which SAE it is of: 0 the loaded one, i + 1 extra[i].
constexpr int kSaeRole = Qt::UserRole + 2;

// A number shown to 4 significant digits, kept at full precision in kNumberRole.
QStandardItem *numberItem(double value)
{
    auto *item = new QStandardItem(QString::number(value, 'g', 4));
    item->setData(value, AttributionPanel::kNumberRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QString signedNumber(double value)
{
    return QString::number(value, 'g', 4);
}

// The attribution as a sparse "activation" table the feature matrix paints: one text whose
// values are activation × gradient.
TokenAnalysisPtr attributionAsAnalysis(const AttributionOutcome &outcome,
                                       const AttributionResult &r, const QString &saeName)
{
    auto analysis = std::make_shared<TokenAnalysis>();
    analysis->hookName = r.hook;
    analysis->saeName = saeName;
    std::vector<std::vector<FeatureValue>> perPosition(r.tokens.size());
    for (const FeatureAttribution &f : r.features) {
        perPosition[size_t(f.position)].push_back({f.feature, f.attribution});
    }
    TextActivations text;
    for (size_t t = 0; t < r.tokens.size(); ++t) {
        AnalyzedToken token;
        token.id = r.tokens[t];
        token.piece = outcome.piece(token.id);
        // Only the first token can be BOS: the matrix greys it and keeps it off the scale.
        token.bos = t == 0 && token.piece.startsWith(QLatin1Char('<')) &&
                    token.piece.endsWith(QLatin1Char('>'));
        text.appendToken(token, std::move(perPosition[t]));
    }
    analysis->texts.push_back(std::move(text));
    return analysis;
}

double pearson(const std::vector<double> &x, const std::vector<double> &y)
{
    const size_t n = x.size();
    if (n < 3) {
        return std::nan("");
    }
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; ++i) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : std::nan("");
}

}  // namespace

AttributionPanel::AttributionPanel(EngineClient *engine, SelectionHub *hub, SessionState *session,
                                   QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_session(sessionOrFollowing(session, engine, this))
{
    buildUi();
    connectEngine();
    connect(m_prompt, &QPlainTextEdit::textChanged, this, &AttributionPanel::stateChanged);
    for (QLineEdit *edit : {m_target, m_versus}) {
        connect(edit, &QLineEdit::textChanged, this, &AttributionPanel::stateChanged);
    }
    for (QSpinBox *spin : {m_position, m_verifyCount}) {
        connect(spin, &QSpinBox::valueChanged, this, &AttributionPanel::stateChanged);
    }
    connect(m_extraSaes, &AttributionSaeList::changed, this, &AttributionPanel::stateChanged);
    if (m_hub) {
        connect(m_hub, &SelectionHub::featureSelected, this,
                [this](int feature, const QString &source) {
                    if (source != QLatin1String("attribution")) {
                        followSelection(feature);
                    }
                });
        connect(m_hub, &SelectionHub::annotationChanged, this,
                [this] { m_matrix->refreshLabels(); });
    }
    updateControls();
}

AttributionPanel::~AttributionPanel() = default;

void AttributionPanel::buildUi()
{
    m_prompt = new QPlainTextEdit(this);
    m_prompt->setPlaceholderText(tr("Type a prompt, then Run (Ctrl+Enter)"));
    m_prompt->setTabChangesFocus(true);
    m_prompt->setFixedHeight(m_prompt->fontMetrics().lineSpacing() * 3 + 12);
    m_runButton = new QPushButton(uiIcon(QStringLiteral("start")), tr("Run"), this);
    m_runButton->setToolTip(
            tr("Compute the shown tab's view of the prompt (the other tabs "
               "follow when you open them)"));
    connect(m_runButton, &QPushButton::clicked, this, &AttributionPanel::run);
    auto *shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), m_prompt);
    connect(shortcut, &QShortcut::activated, this, &AttributionPanel::run);
    m_cancelButton = new QPushButton(uiIcon(QStringLiteral("cancel")), tr("Cancel"), this);
    connect(m_cancelButton, &QPushButton::clicked, this, &AttributionPanel::cancel);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 100);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(6);
    auto *buttons = new QVBoxLayout;
    buttons->addWidget(m_runButton);
    buttons->addWidget(m_cancelButton);
    buttons->addStretch(1);
    auto *promptRow = new QHBoxLayout;
    promptRow->addWidget(m_prompt, 1);
    promptRow->addLayout(buttons);

    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(buildAttributionTab(), tr("Attribution"));

    m_lens = new LogitLensGrid(this);
    m_lensLegend = new ColourLegend(this);
    m_lensLegend->setScale(ColourScale::Sequential, 1.0, QString());
    auto *lensTab = new QWidget(this);
    auto *lensLayout = new QVBoxLayout(lensTab);
    auto *lensHelp = new QLabel(
            tr("Each layer's residual stream decoded as if it were the last (final norm and "
               "unembedding): the top next token per cell, coloured by the probability it gives "
               "the token that actually follows."),
            lensTab);
    lensHelp->setWordWrap(true);
    lensHelp->setForegroundRole(QPalette::PlaceholderText);
    lensLayout->addWidget(lensHelp);
    lensLayout->addWidget(m_lens, 1);
    auto *lensLegendRow = new QHBoxLayout;
    lensLegendRow->addWidget(new QLabel(tr("p(actual next token)"), lensTab));
    lensLegendRow->addWidget(m_lensLegend, 1);
    lensLayout->addLayout(lensLegendRow);
    m_tabs->addTab(lensTab, tr("Logit lens"));

    m_attention = new AttentionHeadGrid(this);
    m_tabs->addTab(m_attention, tr("Attention"));
    connect(m_attention, &AttentionHeadGrid::layerRequested, this, [this](int layer) {
        if (m_requests && !m_ranPrompt[AttentionTab].isEmpty()) {
            requestAttention(m_ranPrompt[AttentionTab], layer);
        }
    });
    m_patching = new widgets::ActivationPatchingTab(m_engine, m_session, this);
    m_tabs->addTab(m_patching, tr("Patching"));
    connect(m_patching, &ActivationPatchingTab::runningChanged, this,
            &AttributionPanel::updateControls);
    connect(m_patching, &ActivationPatchingTab::settingsChanged, this,
            &AttributionPanel::stateChanged);
    connect(m_patching, &widgets::ActivationPatchingTab::patchingShown, this,
            &AttributionPanel::patchingShown);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int tab) {
        // A tab of the prompt shown for the first time on this prompt computes its view (the
        // Patching tab reads the prompt set, not the prompt, and runs on request).
        const QString prompt = m_prompt->toPlainText();
        if (tab < PatchingTab && !prompt.trimmed().isEmpty() && !m_ranPrompt[0].isEmpty() &&
            m_ranPrompt[tab] != prompt) {
            runTab(tab);
        }
        Q_EMIT stateChanged();
    });

    auto writeAttribution = [this](const QString &path) {
        if (!m_attribution) {
            return Status::invalidInput(QStringLiteral("nothing attributed yet"));
        }
        return writeTable(*attributionTable(*m_attribution, m_checks), path);
    };
    auto writeLens = [this](const QString &path) {
        if (!logitLens()) {
            return Status::invalidInput(QStringLiteral("no logit lens yet"));
        }
        return writeTable(*logitLensTable(*logitLens()), path);
    };
    m_export = makeExportButton(
            this,
            {{{tr("Attribution as CSV…"), QStringLiteral("csv"), writeAttribution},
              {tr("Attribution as HDF5…"), QStringLiteral("h5"), writeAttribution}},
             {{tr("Logit lens as CSV…"), QStringLiteral("csv"), writeLens},
              {tr("Logit lens as HDF5…"), QStringLiteral("h5"), writeLens}},
             widgetExportChoices(m_matrix, tr("Feature × position attribution")),
             widgetExportChoices(m_lens, tr("Logit lens")),
             widgetExportChoices(m_attention->largeView(), tr("Attention pattern"))},
            [] { return QStringLiteral("attribution"); },
            [this](const Status &status, const QString &path) {
                setStatus(status.isOk() ? tr("Wrote %1").arg(path) : status.message(),
                          !status.isOk());
            });
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status, 1);
    statusRow->addWidget(m_export);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(promptRow);
    layout->addWidget(m_progress);
    layout->addWidget(m_tabs, 1);
    layout->addLayout(statusRow);
}

QWidget *AttributionPanel::buildAttributionTab()
{
    auto *tab = new QWidget(this);
    m_target = new QLineEdit(tab);
    m_target->setPlaceholderText(tr("the top next token"));
    m_target->setToolTip(
            tr("The token whose log-probability is attributed: one token, as the tokenizer "
               "encodes the text without BOS (a sentencepiece tokenizer reads “the” as "
               "“▁the”). Empty: the model's most likely next token."));
    m_versus = new QLineEdit(tab);
    m_versus->setPlaceholderText(tr("none: log-probability"));
    m_versus->setToolTip(
            tr("A second token: the target becomes logit(target) − logit(this token), e.g. "
               "“ Paris” − “ London”."));
    m_position = new QSpinBox(tab);
    m_position->setRange(-1, 4095);
    m_position->setValue(-1);
    m_position->setSpecialValueText(tr("last"));
    m_position->setToolTip(tr("The position whose next-token output is attributed"));
    auto *targetRow = new QHBoxLayout;
    targetRow->addWidget(new QLabel(tr("Target"), tab));
    targetRow->addWidget(m_target, 2);
    targetRow->addWidget(new QLabel(tr("minus"), tab));
    targetRow->addWidget(m_versus, 2);
    targetRow->addWidget(new QLabel(tr("at"), tab));
    targetRow->addWidget(m_position);
    for (QLineEdit *edit : {m_target, m_versus}) {
        connect(edit, &QLineEdit::returnPressed, this, [this] { runTab(AttributionTab); });
    }

    m_extraSaes = new AttributionSaeList(tab);
    m_layer = new ElidingComboBox(tab);
    m_layer->setToolTip(tr("Whose features the matrix and the per-position table show"));
    connect(m_layer, qOverload<int>(&QComboBox::activated), this,
            [this](int index) { showSae(index); });
    // "Show" goes to a line of its own in a narrow dock rather than widen it.
    auto *layerRow = new FlowLayout(nullptr, 12, 2);
    layerRow->addGroup({m_extraSaes});
    layerRow->addGroup({new QLabel(tr("Show"), tab), m_layer});

    m_summary = new QLabel(tab);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_matrix = new FeatureMatrixView(tab);
    m_matrix->setSignedValues(true, tr("attribution"));
    m_matrix->setFeatureCount(kMatrixFeatures);
    m_matrix->setLabelProvider(
            [this](int feature) { return m_hub ? m_hub->annotation(feature).label : QString(); });
    connect(m_matrix, &FeatureMatrixView::featureClicked, this,
            [this](int feature) { selectFeature(feature, -1); });
    connect(m_matrix, &FeatureMatrixView::tokenClicked, this,
            [this](int position) { pickToken(position); });
    m_matrixLegend = new ColourLegend(tab);
    auto *matrixPane = new QWidget(tab);
    auto *matrixLayout = new QVBoxLayout(matrixPane);
    matrixLayout->setContentsMargins(0, 0, 0, 0);
    matrixLayout->addWidget(m_matrix, 1);
    matrixLayout->addWidget(m_matrixLegend);

    m_features = new QStandardItemModel(0, 9, this);
    m_features->setHorizontalHeaderLabels({tr("Feature"), tr("Pos"), tr("Token"), tr("Activation"),
                                           tr("Gradient"), tr("Attribution"), tr("Estimate"),
                                           tr("Actual"), tr("Layer")});
    m_features->horizontalHeaderItem(LayerCol)->setToolTip(
            tr("The layer of the SAE the feature is of (the loaded SAE's, or one added under "
               "“Other layers”)"));
    m_features->horizontalHeaderItem(EstimateCol)
            ->setToolTip(tr("The linear estimate of ablating the feature: −attribution"));
    m_features->horizontalHeaderItem(ActualCol)->setToolTip(
            tr("The real change of the target with the feature set to 0 (Verify)"));
    m_featureTable = new QTableView(tab);
    m_featureTable->setModel(m_features);
    m_featureTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_featureTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_featureTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_featureTable->verticalHeader()->hide();
    m_featureTable->horizontalHeader()->setStretchLastSection(true);
    m_featureTable->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
    connect(m_featureTable, &QTableView::clicked, this, [this](const QModelIndex &index) {
        const QStandardItem *item = m_features->item(index.row(), FeatureCol);
        const QStandardItem *position = m_features->item(index.row(), PositionCol);
        if (!item || !position) {
            return;
        }
        const int sae = item->data(kSaeRole).toInt();
        if (sae != m_shownSae) {
            showSae(sae);
        }
        selectFeature(item->data(Qt::UserRole).toInt(), position->data(kNumberRole).toInt());
    });

    m_nodes = new QStandardItemModel(0, 6, this);
    m_nodes->setHorizontalHeaderLabels(
            {tr("Pos"), tr("Token"), tr("Σ features"), tr("Error"), tr("Bias"), tr("Total")});
    m_nodes->horizontalHeaderItem(3)->setToolTip(
            tr("The SAE's error (x − x̂) · gradient: what the features do not explain"));
    m_nodes->horizontalHeaderItem(4)->setToolTip(tr("The SAE's decoder bias · gradient"));
    m_nodes->horizontalHeaderItem(5)->setToolTip(
            tr("Gradient × input at the hook = Σ features + error + bias"));
    m_nodeTable = new QTableView(tab);
    m_nodeTable->setModel(m_nodes);
    m_nodeTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_nodeTable->verticalHeader()->hide();
    m_nodeTable->horizontalHeader()->setStretchLastSection(true);
    m_nodeTable->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);

    m_verifyCount = new QSpinBox(tab);
    m_verifyCount->setRange(1, kListedFeatures);
    m_verifyCount->setValue(8);
    m_verifyCount->setPrefix(tr("top "));
    m_verifyButton = new QPushButton(tr("Verify by ablation"), tab);
    m_verifyButton->setToolTip(
            tr("Set each of the top features to 0 in turn and run the model again: the real "
               "change of the target beside the linear estimate"));
    connect(m_verifyButton, &QPushButton::clicked, this, &AttributionPanel::verify);
    m_verifySummary = new QLabel(tab);
    m_verifySummary->setWordWrap(true);
    auto *verifyRow = new QHBoxLayout;
    verifyRow->addWidget(m_verifyButton);
    verifyRow->addWidget(m_verifyCount);
    verifyRow->addWidget(m_verifySummary, 1);

    auto *listPane = new QWidget(tab);
    auto *listLayout = new QVBoxLayout(listPane);
    listLayout->setContentsMargins(0, 0, 0, 0);
    listLayout->addWidget(m_featureTable, 1);
    listLayout->addLayout(verifyRow);
    auto *nodePane = new QWidget(tab);
    auto *nodeLayout = new QVBoxLayout(nodePane);
    nodeLayout->setContentsMargins(0, 0, 0, 0);
    auto *nodeTitle = new QLabel(tr("Per position: features, the SAE's error and bias"), tab);
    nodeTitle->setForegroundRole(QPalette::PlaceholderText);
    nodeLayout->addWidget(nodeTitle);
    nodeLayout->addWidget(m_nodeTable, 1);
    auto *tables = new AdaptiveSplitter(tab);
    tables->addWidget(listPane);
    tables->addWidget(nodePane);
    tables->setStretchFactor(0, 3);
    tables->setStretchFactor(1, 2);
    auto *split = new QSplitter(Qt::Vertical, tab);
    split->addWidget(matrixPane);
    split->addWidget(tables);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(tab);
    layout->addLayout(targetRow);
    layout->addLayout(layerRow);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);
    return tab;
}

void AttributionPanel::connectEngine()
{
    if (!m_engine) {
        return;
    }
    m_requests = new RequestTracker(m_engine, this);
    connect(m_requests, &RequestTracker::runningChanged, this, &AttributionPanel::updateControls);
    m_requests->onResult(
            AttributeSlot, &EngineClient::attributionReady,
            [this](const AttributionOutcomePtr &outcome) { showAttribution(outcome); });
    m_requests->onResult(VerifySlot, &EngineClient::ablationChecked,
                         [this](const AblationCheck &check) { showCheck(check); });
    m_requests->onResult(LensSlot, &EngineClient::logitLensReady,
                         [this](const LogitLensOutcomePtr &outcome) {
                             m_lens->setOutcome(outcome);
                             Q_EMIT logitLensShown();
                         });
    m_requests->onResult(AttentionSlot, &EngineClient::attentionReady,
                         [this](const AttentionOutcomePtr &outcome) {
                             m_attention->setOutcome(outcome);
                             Q_EMIT attentionShown();
                         });
    const std::pair<Slot, QString> requestKinds[] = {{AttributeSlot, tr("Attribution")},
                                                     {VerifySlot, tr("Verification")},
                                                     {LensSlot, tr("Logit lens")},
                                                     {AttentionSlot, tr("Attention")}};
    for (const auto &[slot, what] : requestKinds) {
        m_requests->onProgress(slot, [this, what = what](const JobProgress &progress) {
            if (progress.fraction >= 0) {
                m_progress->setValue(int(std::lround(progress.fraction * 100)));
            }
            setStatus(QStringLiteral("%1: %2").arg(what, progress.message));
        });
        m_requests->onFinished(slot, [this, slot = slot, what = what](const Status &status) {
            onFinished(status, what);
            if (slot == VerifySlot && status.isOk()) {
                showVerificationSummary();
            }
        });
    }
    // A new model or SAE makes the shown attribution's feature numbers other ones.
    auto stale = [this] {
        if (m_attribution) {
            m_ranPrompt[AttributionTab].clear();
            setStatus(tr("The model or SAE changed: Run again to attribute with it."));
        }
        m_ranPrompt[LogitLensTab].clear();
        m_ranPrompt[AttentionTab].clear();
        updateControls();
    };
    connect(m_session, &SessionState::modelChanged, this, stale);
    connect(m_session, &SessionState::saeChanged, this, stale);
}

void AttributionPanel::analyzeText(const QString &text)
{
    setPrompt(text);
    run();
}

void AttributionPanel::setPrompt(const QString &text)
{
    m_prompt->setPlainText(text);
}

void AttributionPanel::setExtraSaes(const QStringList &paths)
{
    m_extraSaes->setPaths(paths);
}

void AttributionPanel::run()
{
    runTab(m_tabs->currentIndex());
}

void AttributionPanel::runAll()
{
    for (int tab : {AttributionTab, LogitLensTab, AttentionTab}) {
        runTab(tab);
    }
}

void AttributionPanel::runTab(int tab)
{
    if (tab == PatchingTab) {
        m_patching->run();
        return;
    }
    if (!m_requests) {
        setStatus(tr("No engine."), true);
        return;
    }
    const QString prompt = m_prompt->toPlainText();
    if (prompt.trimmed().isEmpty()) {
        setStatus(tr("Type a prompt first."), true);
        return;
    }
    m_ranPrompt[tab] = prompt;
    // Every tab is of one prompt: the others recompute when next shown.
    for (int other = 0; other < 3; ++other) {
        if (m_ranPrompt[other] != prompt && other != tab) {
            m_ranPrompt[other].clear();
        }
    }
    m_progress->setValue(0);
    switch (tab) {
        case AttributionTab: {
            AttributionRequest request;
            request.prompt = prompt;
            request.position = m_position->value();
            request.targetToken = m_target->text();
            request.versusToken = m_versus->text();
            request.extraSaes = m_extraSaes->paths();
            m_requests->cancel(VerifySlot);
            m_requests->start(AttributeSlot, m_engine->attribute(request));
            setStatus(tr("Attributing…"));
            break;
        }
        case LogitLensTab:
            m_requests->start(LensSlot, m_engine->computeLogitLens(LogitLensRequest{prompt, 5}));
            setStatus(tr("Decoding every layer…"));
            break;
        case AttentionTab:
            requestAttention(prompt, m_attention->chosenLayer());
            break;
        default:
            break;
    }
    updateControls();
}

void AttributionPanel::requestAttention(const QString &prompt, int layer)
{
    // One layer per request: the grid shows one, and layers × heads × T² floats of every layer
    // would not fit for a long prompt on a large model.
    m_requests->start(AttentionSlot, m_engine->computeAttention(AttentionRequest{prompt, layer}));
    setStatus(tr("Reading layer %1's attention patterns…").arg(layer));
}

void AttributionPanel::verify()
{
    if (!m_requests || !m_attribution) {
        return;
    }
    m_checks.clear();
    for (int row = 0; row < m_features->rowCount(); ++row) {
        m_features->setItem(row, EstimateCol, new QStandardItem);
        m_features->setItem(row, ActualCol, new QStandardItem);
    }
    m_verifySummary->clear();
    AblationRequest request;
    request.attribution = m_attribution;
    request.count = m_verifyCount->value();
    m_progress->setValue(0);
    m_requests->start(VerifySlot, m_engine->verifyAttribution(request));
    setStatus(tr("Ablating the top %1 features one at a time…").arg(request.count));
    updateControls();
}

void AttributionPanel::cancel()
{
    if (m_requests) {
        m_requests->cancelAll();
    }
    m_patching->cancel();
}

QJsonObject AttributionPanel::workspaceState() const
{
    return QJsonObject{
            {QStringLiteral("prompt"), m_prompt->toPlainText()},
            {QStringLiteral("target"), m_target->text()},
            {QStringLiteral("versus"), m_versus->text()},
            {QStringLiteral("position"), m_position->value()},
            {QStringLiteral("verify"), m_verifyCount->value()},
            {QStringLiteral("tab"), m_tabs->currentIndex()},
            {QStringLiteral("patching"), m_patching->state()},
            {QStringLiteral("extra_saes"), QJsonArray::fromStringList(m_extraSaes->paths())}};
}

Status AttributionPanel::restoreWorkspaceState(const QJsonObject &state)
{
    m_prompt->setPlainText(state.value(QStringLiteral("prompt")).toString());
    m_target->setText(state.value(QStringLiteral("target")).toString());
    m_versus->setText(state.value(QStringLiteral("versus")).toString());
    m_position->setValue(state.value(QStringLiteral("position")).toInt(-1));
    m_verifyCount->setValue(state.value(QStringLiteral("verify")).toInt(m_verifyCount->value()));
    m_patching->restoreState(state.value(QStringLiteral("patching")).toObject());
    QStringList extraSaes;
    for (const QJsonValue &path : state.value(QStringLiteral("extra_saes")).toArray()) {
        extraSaes.append(path.toString());
    }
    m_extraSaes->setPaths(extraSaes);
    // Showing a tab would compute it: the restored dock waits for Run.
    const QSignalBlocker blocker(m_tabs);
    m_tabs->setCurrentIndex(
            std::clamp(state.value(QStringLiteral("tab")).toInt(0), 0, m_tabs->count() - 1));
    return Status::ok();
}

void AttributionPanel::resetState()
{
    restoreWorkspaceState(QJsonObject{{QStringLiteral("verify"), 8}});
}

void AttributionPanel::showTab(Tab tab)
{
    m_tabs->setCurrentIndex(tab);
}

LogitLensOutcomePtr AttributionPanel::logitLens() const
{
    return m_lens->outcome();
}

AttentionOutcomePtr AttributionPanel::attention() const
{
    return m_attention->outcome();
}

QString AttributionPanel::featureText(int feature) const
{
    const QString label = m_hub ? m_hub->annotation(feature).label : QString();
    return label.isEmpty() ? QStringLiteral("#%1").arg(feature)
                           : QStringLiteral("#%1 %2").arg(feature).arg(label);
}

void AttributionPanel::showAttribution(const AttributionOutcomePtr &outcome)
{
    m_attribution = outcome;
    m_attributedPrompt = m_ranPrompt[AttributionTab];
    m_checks.clear();
    m_verifySummary->clear();

    // One entry per SAE, the loaded one first; the matrix and the node table show one of them.
    m_layer->clear();
    m_layer->addItem(tr("layer %1 · %2 (loaded)")
                             .arg(hookLayer(outcome->result.hook))
                             .arg(outcome->saeName));
    for (const SaeAttribution &share : outcome->extra) {
        m_layer->addItem(tr("layer %1 · %2").arg(share.layer).arg(share.name));
    }

    // The ranked list: every SAE's features in one ranking, with their layer.
    struct Row
    {
        const FeatureAttribution *feature;
        int sae;
        int layer;
    };

    std::vector<Row> rows;
    const int mainLayer = hookLayer(outcome->result.hook);
    for (const FeatureAttribution &f : outcome->result.features) {
        rows.push_back({&f, 0, mainLayer});
    }
    for (size_t i = 0; i < outcome->extra.size(); ++i) {
        for (const FeatureAttribution &f : outcome->extra[i].result.features) {
            rows.push_back({&f, int(i) + 1, outcome->extra[i].layer});
        }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row &p, const Row &q) {
        return std::abs(p.feature->attribution) > std::abs(q.feature->attribution);
    });
    const AttributionResult &r = outcome->result;
    m_features->removeRows(0, m_features->rowCount());
    const int listed = std::min<int>(kListedFeatures, int(rows.size()));
    for (int i = 0; i < listed; ++i) {
        const FeatureAttribution &f = *rows[size_t(i)].feature;
        const int sae = rows[size_t(i)].sae;
        auto *feature = new QStandardItem(sae == 0 ? featureText(f.feature)
                                                   : QStringLiteral("#%1").arg(f.feature));
        feature->setData(f.feature, Qt::UserRole);
        feature->setData(sae, kSaeRole);
        const int token = r.tokens[size_t(f.position)];
        QStandardItem *attribution = numberItem(f.attribution);
        attribution->setForeground(f.attribution >= 0 ? QColor(0xb2, 0x18, 0x2b)
                                                      : QColor(0x21, 0x66, 0xac));
        QStandardItem *layer = numberItem(rows[size_t(i)].layer);
        layer->setToolTip(m_layer->itemText(sae));
        m_features->appendRow({feature, numberItem(f.position),
                               new QStandardItem(visibleToken(outcome->piece(token))),
                               numberItem(f.activation), numberItem(f.gradient), attribution,
                               new QStandardItem, new QStandardItem, layer});
    }
    m_featureTable->resizeColumnsToContents();
    m_featureTable->setColumnHidden(LayerCol, outcome->extra.empty());

    showSae(0);
    m_extraSaes->markSkipped(outcome->skippedSaes);
    const QString listedText = tr("%1 active (position, feature) pairs; the %2 largest listed "
                                  "(Export has the loaded SAE's).")
                                       .arg(rows.size())
                                       .arg(listed);
    if (outcome->skippedSaes.isEmpty()) {
        setStatus(listedText);
    } else {
        setStatus(tr("Left out: %1. %2")
                          .arg(outcome->skippedSaes.join(QStringLiteral("; ")), listedText),
                  true);
    }
    updateControls();
    Q_EMIT attributionShown();
}

const AttributionResult *AttributionPanel::shownResult() const
{
    if (!m_attribution) {
        return nullptr;
    }
    if (m_shownSae <= 0 || m_shownSae > int(m_attribution->extra.size())) {
        return &m_attribution->result;
    }
    return &m_attribution->extra[size_t(m_shownSae) - 1].result;
}

void AttributionPanel::showSae(int index)
{
    if (!m_attribution) {
        return;
    }
    m_shownSae = std::clamp(index, 0, int(m_attribution->extra.size()));
    if (m_layer->currentIndex() != m_shownSae) {
        m_layer->setCurrentIndex(m_shownSae);
    }
    const AttributionOutcome &outcome = *m_attribution;
    const AttributionResult &r = *shownResult();
    const QString saeName =
            m_shownSae == 0 ? outcome.saeName : outcome.extra[size_t(m_shownSae) - 1].name;
    const AttributionTarget &target = r.target;
    auto quoted = [&](int token) {
        return QStringLiteral("“%1”").arg(visibleToken(outcome.piece(token)).toHtmlEscaped());
    };
    const QString what =
            target.kind == AttributionTarget::Kind::LogitDifference
                    ? tr("logit %1 − logit %2").arg(quoted(target.token), quoted(target.versus))
                    : tr("log p(%1)").arg(quoted(target.token));
    const double sum = r.featureSum() + r.errorSum() + r.biasSum();
    m_summary->setText(
            tr("<b>%1</b> after position %2 = <b>%3</b> &nbsp;·&nbsp; at %4 (%5): Σ features "
               "%6 + error %7 + bias %8 = %9; gradient × input %10 (difference %11)")
                    .arg(what)
                    .arg(target.position)
                    .arg(r.value, 0, 'f', 4)
                    .arg(r.hook.toHtmlEscaped(), saeName.toHtmlEscaped())
                    .arg(signedNumber(r.featureSum()), signedNumber(r.errorSum()),
                         signedNumber(r.biasSum()), signedNumber(sum), signedNumber(r.total()))
                    .arg(std::abs(sum - r.total()), 0, 'g', 2));

    m_matrix->setText(attributionAsAnalysis(outcome, r, saeName), 0);
    m_matrix->setHighlightedToken(target.position);
    m_matrix->setSelectedFeature(m_shownSae == 0 && m_hub ? m_hub->selectedFeature() : -1);
    m_matrixLegend->setScale(ColourScale::Diverging, m_matrix->scaleMaximum(),
                             tr("activation × gradient · red raises the target, blue lowers it"));

    m_nodes->removeRows(0, m_nodes->rowCount());
    const std::vector<double> features = r.featuresPerPosition();
    for (size_t t = 0; t < r.tokens.size(); ++t) {
        m_nodes->appendRow({numberItem(double(t)),
                            new QStandardItem(visibleToken(outcome.piece(r.tokens[t]))),
                            numberItem(features[t]), numberItem(r.errorAttribution[t]),
                            numberItem(r.biasAttribution[t]), numberItem(r.totalAttribution[t])});
    }
    // The target's position carries the total: set in bold and scrolled to.
    QFont bold = m_nodeTable->font();
    bold.setBold(true);
    for (int column = 0; column < m_nodes->columnCount(); ++column) {
        if (QStandardItem *item = m_nodes->item(target.position, column)) {
            item->setFont(bold);
        }
    }
    m_nodeTable->resizeColumnsToContents();
    m_nodeTable->scrollTo(m_nodes->index(target.position, 0));
}

void AttributionPanel::showCheck(const AblationCheck &check)
{
    m_checks.push_back(check);
    for (int row = 0; row < m_features->rowCount(); ++row) {
        if (m_features->item(row, FeatureCol)->data(kSaeRole).toInt() == 0 &&
            m_features->item(row, FeatureCol)->data(Qt::UserRole).toInt() ==
                    check.feature.feature &&
            m_features->item(row, PositionCol)->data(kNumberRole).toInt() ==
                    check.feature.position) {
            m_features->setItem(row, EstimateCol, numberItem(check.estimatedChange));
            m_features->setItem(row, ActualCol, numberItem(check.actualChange));
            break;
        }
    }
}

void AttributionPanel::showVerificationSummary()
{
    std::vector<double> estimated, actual;
    int sameSign = 0;
    for (const AblationCheck &check : m_checks) {
        estimated.push_back(check.estimatedChange);
        actual.push_back(check.actualChange);
        sameSign += (check.estimatedChange >= 0) == (check.actualChange >= 0) ? 1 : 0;
    }
    m_featureTable->resizeColumnsToContents();
    setStatus(tr("Verified: %1 features ablated one at a time.").arg(m_checks.size()));
    const double r = pearson(estimated, actual);
    m_verifySummary->setText(
            tr("%1 ablated: the sign agrees for %2; estimate vs real change r = %3")
                    .arg(m_checks.size())
                    .arg(sameSign)
                    .arg(std::isnan(r) ? QStringLiteral("–") : QString::number(r, 'f', 3)));
    Q_EMIT verificationShown();
}

void AttributionPanel::pickToken(int position)
{
    if (m_hub) {
        m_hub->pickToken(m_attributedPrompt, position, QStringLiteral("attribution"));
    }
}

void AttributionPanel::selectFeature(int feature, int position)
{
    m_matrix->setSelectedFeature(feature);
    if (position >= 0) {
        m_matrix->setHighlightedToken(position);
        pickToken(position);
    }
    if (m_shownSae != 0) {
        // Another layer's SAE: the other docks know only the loaded one's features.
        setStatus(tr("Feature #%1 of %2: an SAE of this dock only, so the other docks keep "
                     "their selection.")
                          .arg(feature)
                          .arg(m_layer->currentText()));
        return;
    }
    if (m_hub) {
        m_hub->selectFeature(feature, QStringLiteral("attribution"));
    }
}

void AttributionPanel::followSelection(int feature)
{
    if (m_shownSae == 0) {
        m_matrix->setSelectedFeature(feature);
    }
    for (int row = 0; row < m_features->rowCount(); ++row) {
        if (m_features->item(row, FeatureCol)->data(kSaeRole).toInt() == 0 &&
            m_features->item(row, FeatureCol)->data(Qt::UserRole).toInt() == feature) {
            m_featureTable->selectRow(row);
            m_featureTable->scrollTo(m_features->index(row, 0));
            return;
        }
    }
    m_featureTable->clearSelection();
}

void AttributionPanel::onFinished(const Status &status, const QString &what)
{
    if (!status.isOk()) {
        setStatus(status.code() == Status::Code::Cancelled
                          ? tr("%1 cancelled.").arg(what)
                          : tr("%1: %2").arg(what, status.message()),
                  status.code() != Status::Code::Cancelled);
    } else {
        m_progress->setValue(100);
    }
    updateControls();
}

void AttributionPanel::updateControls()
{
    const bool running = m_requests && m_requests->anyRunning();
    m_cancelButton->setEnabled(running);
    m_verifyButton->setEnabled(m_attribution && !m_ranPrompt[AttributionTab].isEmpty() &&
                               !(m_requests && m_requests->isRunning(VerifySlot)));
    m_export->setEnabled(m_attribution || logitLens() || attention());
}

bool AttributionPanel::isRunning() const
{
    return (m_requests && m_requests->anyRunning()) || m_patching->isRunning();
}

QString AttributionPanel::summaryText() const
{
    return m_summary->text();
}

QString AttributionPanel::statusText() const
{
    return m_status->text();
}

void AttributionPanel::setStatus(const QString &text, bool error)
{
    showStatusLine(m_status, text, error);
}

}  // namespace gyrus::widgets
