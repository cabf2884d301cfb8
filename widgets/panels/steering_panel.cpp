#include "widgets/panels/steering_panel.h"

#include "core/engine/request_tracker.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "core/steering/clamp_set_model.h"
#include "core/steering/next_token_shift_model.h"
#include "widgets/common/export_button.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/icons.h"
#include "widgets/panels/concept_sweep_tab.h"
#include "widgets/panels/user_visible_work.h"
#include "widgets/views/clamp_value_editor.h"
#include "widgets/views/interventions_editor.h"
#include "widgets/views/strength_sweep_plot.h"
#include "widgets/views/text_diff_view.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace gyrus::widgets {

namespace {

const QString kDefaultPrompt = QStringLiteral("The jury said that the city");

QLabel *heading(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    QFont font = label->font();
    font.setBold(true);
    label->setFont(font);
    return label;
}

QPlainTextEdit *readOnlyText(QWidget *parent)
{
    auto *edit = new QPlainTextEdit(parent);
    edit->setReadOnly(true);
    edit->setMinimumHeight(36);
    return edit;
}

}  // namespace

SteeringPanel::SteeringPanel(EngineClient *engine, SelectionHub *hub, SessionState *session,
                             QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_clamps(new ClampSetModel(hub, this))
    , m_nextTokens(new NextTokenShiftModel(this))
    , m_requests(new RequestTracker(engine, this))
    , m_status(new QLabel(this))
    , m_rangeTimer(new QTimer(this))
{
    // Top: what to clamp and what to run it on; bottom: what it did. The user can move the line.
    auto *setup = new QWidget(this);
    auto *setupLayout = new QVBoxLayout(setup);
    setupLayout->setContentsMargins(0, 0, 0, 0);
    setupLayout->addWidget(makeClampSection(), 1);
    setupLayout->addWidget(makeRunSection());
    // The wrapped status line sits under the results, inside the splitter: beside the splitter
    // it would make the panel's layout report a height for its width, which the dock's scroll
    // area takes from the children's preferred heights (not their minimums), so the dock
    // scrolled at 1600×1000 while everything fitted (the concept chart's axis below the fold).
    m_status->setWordWrap(true);
    auto *results = new QWidget(this);
    auto *resultsLayout = new QVBoxLayout(results);
    resultsLayout->setContentsMargins(0, 0, 0, 0);
    resultsLayout->addWidget(makeResults(), 1);
    resultsLayout->addWidget(m_status);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(setup);
    splitter->addWidget(results);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter, 1);

    m_rangeTimer->setSingleShot(true);
    m_rangeTimer->setInterval(300);
    // The observed ranges follow the selection only while the dock is seen (QGIS isUserVisible).
    auto *rangeWork = new UserVisibleWork(this, [this] { requestRanges(); });
    connect(m_rangeTimer, &QTimer::timeout, rangeWork, &UserVisibleWork::request);
    connect(m_hub, &SelectionHub::featureSelected, this, [this](int, const QString &) {
        updateEnabled();
        m_rangeTimer->start();
    });
    connect(m_hub, &SelectionHub::clampSetChanged, this, [this](const ClampSet &) {
        showCurrentClamp();
        updateEnabled();
        m_rangeTimer->start();
    });
    connect(m_session, &SessionState::saeChanged, this, [this] { m_rangeTimer->start(); });
    connect(m_session, &SessionState::modelChanged, this,
            [this](const ModelInfo &info) { m_interventions->setHookNames(info.hookNames); });
    m_interventions->setHookNames(m_session->model().hookNames);
    // The open prompt set's contrast is what the concept-vector intervention uses (the sweep
    // reads the session itself).
    m_interventions->setPromptSet(m_session->promptSet());
    connect(m_session, &SessionState::promptSetChanged, m_interventions,
            &InterventionsEditor::setPromptSet);
    m_requests->onResult(Steer, &EngineClient::steeringToken,
                         [this](SteeringStream stream, const QString &text) {
                             QPlainTextEdit *edit =
                                     stream == SteeringStream::Baseline ? m_baseline : m_steered;
                             edit->moveCursor(QTextCursor::End);
                             edit->insertPlainText(text);
                         });
    m_requests->onResult(Steer, &EngineClient::steeringFinished,
                         [this](const SteeringOutcome &outcome) { showOutcome(outcome); });
    m_requests->onResult(
            NextToken, &EngineClient::nextTokenShift, [this](const NextTokenShift &shift) {
                m_nextTokens->setShift(shift);
                m_lastKl = shift.kl;
                m_klLabel->setText(tr("KL(baseline ‖ steered) = %1 nats over the next token "
                                      "after %2 prompt tokens")
                                           .arg(shift.kl, 0, 'g', 4)
                                           .arg(shift.promptTokens));
            });
    m_requests->onResult(Sweep, &EngineClient::strengthSweepPoint,
                         [this](const StrengthSweepPoint &point) { m_sweepPlot->addPoint(point); });
    m_requests->onResult(
            Sweep, &EngineClient::strengthSweepFinished,
            [this](const StrengthSweepResult &result) { m_sweepPlot->setResult(result); });
    m_requests->onProgress(Sweep, [this](const JobProgress &progress) {
        if (progress.fraction >= 0) {
            m_sweepProgress->setValue(static_cast<int>(progress.fraction * 100));
        }
    });
    m_requests->onResult(Ranges, &EngineClient::featureRangesReady,
                         [this](const FeatureRanges &ranges) {
                             m_clamps->setRanges(ranges);
                             showCurrentClamp();
                         });
    m_requests->onResult(Example, &EngineClient::featureRangesReady,
                         [this](const FeatureRanges &ranges) { startExample(ranges); });
    m_requests->onFinished(Steer, [this](const Status &status) {
        if (showError(status)) {
            return;
        }
        m_status->setText(!status.isOk()                ? tr("Cancelled.")
                          : m_lastOutcomeReusedBaseline ? tr("Done: baseline reused (same prompt, "
                                                             "settings and seed), steered from "
                                                             "the same seed.")
                                                        : tr("Done: baseline and steered from the "
                                                             "same seed."));
    });
    m_requests->onFinished(NextToken, [this](const Status &status) { showError(status); });
    m_requests->onFinished(Sweep, [this](const Status &status) {
        if (!showError(status)) {
            m_status->setText(status.isOk() ? tr("Sweep done.") : tr("Sweep cancelled."));
        }
        m_sweepProgress->setValue(status.isOk() ? 100 : m_sweepProgress->value());
    });
    m_requests->onFinished(Ranges, [this](const Status &status) { showError(status); });
    m_requests->onFinished(Example, [this](const Status &status) {
        if (!status.isOk()) {
            m_status->setText(status.message());
        }
    });
    connect(m_requests, &RequestTracker::runningChanged, this, [this] {
        updateEnabled();
        if (!m_requests->isRunning(Steer) && !m_requests->isRunning(NextToken) &&
            !m_requests->isRunning(Sweep) && m_runStarted) {
            m_runStarted = false;
            Q_EMIT runFinished();
        }
    });
    m_status->setText(
            tr("Select a feature anywhere (heatmap, inspector, contrast) and press "
               "“Add selected”, then Run."));
    showCurrentClamp();
    updateEnabled();
}

QWidget *SteeringPanel::makeClampSection()
{
    auto *box = new QWidget(this);
    m_table = new QTableView(box);
    m_table->setModel(m_clamps);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    // Every column as wide as its content (the feature's label first of all); the last fills.
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(ClampSetModel::EnabledColumn, 34);
    m_table->setAlternatingRowColors(true);
    m_table->setMinimumHeight(72);

    m_addSelected = new QPushButton(tr("Add selected"), box);
    m_addSelected->setIcon(uiIcon(QStringLiteral("add")));
    m_addSelected->setToolTip(
            tr("Clamp the feature selected in any dock (to its maximum on the "
               "prompt when known)"));
    m_remove = new QPushButton(tr("Remove"), box);
    m_remove->setIcon(uiIcon(QStringLiteral("remove")));
    // Load and save share one menu button, so the row fits a narrow dock.
    m_file = new QToolButton(box);
    m_file->setText(tr("JSON"));
    m_file->setToolTip(tr("Load, save or export the clamp set as JSON"));
    m_file->setPopupMode(QToolButton::InstantPopup);
    auto *fileMenu = new QMenu(m_file);
    QAction *loadAction = fileMenu->addAction(tr("Load clamp set…"));
    QAction *saveAction = fileMenu->addAction(tr("Save clamp set…"));
    m_file->setMenu(fileMenu);
    m_example = new QPushButton(tr("Example"), box);
    m_example->setToolTip(
            tr("Clamp the feature most active on the prompt to three times its "
               "activation, then run and sweep it"));
    // Rows that reflow into more lines in a narrow dock instead of making it scroll sideways.
    auto *buttons = new FlowLayout(nullptr, 4, 3);
    for (QPushButton *button : {m_addSelected, m_remove, m_example}) {
        buttons->addWidget(button);
    }
    buttons->addWidget(m_file);

    m_currentLabel = new QLabel(box);
    m_mode = new QComboBox(box);
    for (ClampMode mode : {ClampMode::Clamp, ClampMode::Scale, ClampMode::Add}) {
        m_mode->addItem(clampModeName(mode));
    }
    m_mode->setToolTip(
            tr("clamp: hold the activation at the value · scale: multiply it · add: "
               "add value × the feature's decoder direction"));
    m_valueEditor = new ClampValueEditor(box);
    m_positions = new QComboBox(box);
    for (ClampPositions p :
         {ClampPositions::All, ClampPositions::Prompt, ClampPositions::Generated}) {
        m_positions->addItem(clampPositionsName(p));
    }
    m_positions->setToolTip(tr("Which tokens the edit applies to (BOS is never edited)"));
    auto *editor = new FlowLayout(nullptr, 6, 3);
    for (QWidget *widget :
         {static_cast<QWidget *>(m_currentLabel), static_cast<QWidget *>(m_mode),
          static_cast<QWidget *>(m_valueEditor), static_cast<QWidget *>(m_positions)}) {
        editor->addWidget(widget);
    }
    // Beside the clamps: heads to ablate and the prompt set's concept vector.
    m_interventions = new InterventionsEditor(box);

    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
    layout->addLayout(editor);
    layout->addWidget(m_interventions);

    connect(m_addSelected, &QPushButton::clicked, this, &SteeringPanel::addSelectedFeature);
    connect(m_remove, &QPushButton::clicked, this, [this] {
        const FeatureClamp clamp = m_clamps->clampAt(m_table->currentIndex().row());
        if (clamp.feature >= 0) {
            m_hub->removeClamp(clamp.feature);
        }
    });
    connect(saveAction, &QAction::triggered, this, &SteeringPanel::saveWithDialog);
    connect(m_example, &QPushButton::clicked, this, &SteeringPanel::runExample);
    connect(loadAction, &QAction::triggered, this, &SteeringPanel::loadWithDialog);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                const FeatureClamp clamp = m_clamps->clampAt(current.row());
                if (clamp.feature >= 0) {
                    m_hub->selectFeature(clamp.feature, QStringLiteral("steering"));
                }
                showCurrentClamp();
                updateEnabled();
            });
    connect(m_clamps, &QAbstractItemModel::modelReset, this, [this] {
        if (m_clamps->rowCount() > 0 && !m_table->currentIndex().isValid()) {
            setCurrentRow(m_clamps->rowCount() - 1);
        }
    });
    connect(m_mode, &QComboBox::textActivated, this, [this](const QString &name) {
        editCurrentClamp([&](FeatureClamp &clamp) {
            const ClampMode mode = clampModeFromName(name).value_or(ClampMode::Clamp);
            if (mode != clamp.mode) {
                // A value that means "unchanged" in the new mode, so switching never surprises.
                clamp.value = mode == ClampMode::Scale ? 1.0
                              : mode == ClampMode::Add ? 0.0
                                                       : clamp.value;
                clamp.mode = mode;
            }
        });
    });
    connect(m_positions, &QComboBox::textActivated, this, [this](const QString &name) {
        editCurrentClamp([&](FeatureClamp &clamp) {
            clamp.positions = clampPositionsFromName(name).value_or(ClampPositions::All);
        });
    });
    connect(m_valueEditor, &ClampValueEditor::valueEdited, this, [this](double value) {
        editCurrentClamp([&](FeatureClamp &clamp) { clamp.value = value; });
    });
    return box;
}

QWidget *SteeringPanel::makeRunSection()
{
    auto *box = new QWidget(this);
    m_prompt = new QLineEdit(kDefaultPrompt, box);
    m_prompt->setPlaceholderText(tr("Prompt to continue"));
    m_maxTokens = new QSpinBox(box);
    m_maxTokens->setRange(1, 512);
    m_maxTokens->setValue(24);
    m_maxTokens->setToolTip(tr("Tokens to generate"));
    m_temperature = new QDoubleSpinBox(box);
    m_temperature->setRange(0.0, 5.0);
    m_temperature->setSingleStep(0.1);
    m_temperature->setToolTip(tr("Sampling temperature; 0 = greedy"));
    m_seed = new QSpinBox(box);
    m_seed->setRange(0, 99'999);
    m_seed->setToolTip(tr("Sampling seed, the same for baseline and steered"));
    m_run = new QPushButton(tr("Run"), box);
    m_run->setIcon(uiIcon(QStringLiteral("start")));
    m_run->setDefault(true);
    m_run->setToolTip(
            tr("Generate the baseline and the steered continuation with the same seed, "
               "and compare the next-token distributions"));
    m_cancel = new QPushButton(tr("Cancel"), box);
    m_cancel->setIcon(uiIcon(QStringLiteral("cancel")));
    // Two rows, so the prompt stays readable in a narrow dock.
    auto *promptRow = new QHBoxLayout;
    promptRow->addWidget(m_prompt, 1);
    promptRow->addWidget(m_run);
    promptRow->addWidget(m_cancel);
    auto *settings = new FlowLayout(nullptr, 12, 2);
    settings->addGroup({new QLabel(tr("tokens"), box), m_maxTokens});
    settings->addGroup({new QLabel(tr("temp."), box), m_temperature});
    settings->addGroup({new QLabel(tr("seed"), box), m_seed});
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(promptRow);
    layout->addLayout(settings);
    connect(m_run, &QPushButton::clicked, this, &SteeringPanel::run);
    connect(m_prompt, &QLineEdit::returnPressed, this, &SteeringPanel::run);
    connect(m_cancel, &QPushButton::clicked, this, &SteeringPanel::cancel);
    connect(m_prompt, &QLineEdit::textChanged, m_rangeTimer, qOverload<>(&QTimer::start));
    return box;
}

QWidget *SteeringPanel::makeResults()
{
    auto *tabs = new QTabWidget(this);

    auto *generation = new QWidget(tabs);
    // Small minimums: the dock shares its column; the splitter gives the space out.
    m_baseline = readOnlyText(generation);
    m_steered = readOnlyText(generation);
    m_diff = new TextDiffView(generation);
    m_diff->setMinimumHeight(36);
    m_diffCaption = new QLabel(tr("Difference"), generation);
    auto *grid = new QGridLayout(generation);
    grid->setContentsMargins(2, 2, 2, 2);
    grid->addWidget(heading(tr("Baseline"), generation), 0, 0);
    grid->addWidget(heading(tr("Steered"), generation), 0, 1);
    grid->addWidget(m_baseline, 1, 0);
    grid->addWidget(m_steered, 1, 1);
    grid->addWidget(m_diffCaption, 2, 0, 1, 2);
    grid->addWidget(m_diff, 3, 0, 1, 2);
    grid->setRowStretch(1, 3);
    grid->setRowStretch(3, 2);
    tabs->addTab(generation, tr("Generation"));

    auto *next = new QWidget(tabs);
    m_klLabel = new QLabel(tr("Run to compare the next-token distributions."), next);
    m_klLabel->setWordWrap(true);
    auto *sorted = new QSortFilterProxyModel(next);
    sorted->setSourceModel(m_nextTokens);
    sorted->setSortRole(NextTokenShiftModel::SortRole);
    m_nextTable = new QTableView(next);
    m_nextTable->setModel(sorted);
    m_nextTable->setSortingEnabled(true);
    // The biggest shifts first: sorting by the token's text would bury them.
    m_nextTable->sortByColumn(NextTokenShiftModel::ChangeColumn, Qt::DescendingOrder);
    m_nextTable->verticalHeader()->hide();
    m_nextTable->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_nextTable->setAlternatingRowColors(true);
    auto *nextLayout = new QVBoxLayout(next);
    nextLayout->setContentsMargins(2, 2, 2, 2);
    auto *nextHeader = new QHBoxLayout;
    nextHeader->addWidget(m_klLabel, 1);
    nextHeader->addWidget(makeExportButton(
            next, {tableExportChoices(m_nextTokens, NextTokenShiftModel::ValueRole, tr("Table"))},
            [] { return QStringLiteral("next-token"); },
            [this](const Status &status, const QString &path) {
                m_status->setText(status.isOk() ? tr("Wrote %1").arg(path) : status.message());
            }));
    nextLayout->addLayout(nextHeader);
    nextLayout->addWidget(m_nextTable, 1);
    tabs->addTab(next, tr("Next token"));

    auto *sweep = new QWidget(tabs);
    m_sweepFrom = new QDoubleSpinBox(sweep);
    m_sweepTo = new QDoubleSpinBox(sweep);
    for (QDoubleSpinBox *spin : {m_sweepFrom, m_sweepTo}) {
        spin->setRange(-1e4, 1e4);
        spin->setDecimals(2);
    }
    m_sweepTo->setValue(20.0);
    m_sweepSteps = new QSpinBox(sweep);
    m_sweepSteps->setRange(2, 200);
    m_sweepSteps->setValue(21);
    m_sweepTarget = new QLineEdit(sweep);
    m_sweepTarget->setPlaceholderText(tr("baseline's top token"));
    m_sweepTarget->setToolTip(
            tr("Token whose log-probability is tracked (its text; the first "
               "token of its encoding)"));
    m_sweepButton = new QPushButton(tr("Sweep"), sweep);
    m_sweepButton->setToolTip(
            tr("Clamp the current row's feature at each value of the grid "
               "(other clamps unchanged) and chart log p and KL"));
    m_sweepProgress = new QProgressBar(sweep);
    m_sweepProgress->setRange(0, 100);
    m_sweepProgress->setMaximumWidth(90);
    m_sweepPlot = new StrengthSweepPlot(sweep);
    // Two rows: the grid, then the tracked token and the action (narrow docks stay narrow).
    auto *grid2 = new QHBoxLayout;
    grid2->addWidget(new QLabel(tr("from"), sweep));
    grid2->addWidget(m_sweepFrom);
    grid2->addWidget(new QLabel(tr("to"), sweep));
    grid2->addWidget(m_sweepTo);
    grid2->addWidget(new QLabel(tr("steps"), sweep));
    grid2->addWidget(m_sweepSteps);
    grid2->addStretch(1);
    auto *action = new QHBoxLayout;
    action->addWidget(new QLabel(tr("token"), sweep));
    action->addWidget(m_sweepTarget, 1);
    action->addWidget(m_sweepButton);
    action->addWidget(m_sweepProgress);
    action->addWidget(makeExportButton(
            sweep, {plotExportChoices(m_sweepPlot->plot(), QSize(720, 420), tr("Plot"))},
            [] { return QStringLiteral("strength-sweep"); },
            [this](const Status &status, const QString &path) {
                m_status->setText(status.isOk() ? tr("Wrote %1").arg(path) : status.message());
            }));
    auto *controls = new QVBoxLayout;
    controls->setSpacing(2);
    controls->addLayout(grid2);
    controls->addLayout(action);
    auto *sweepLayout = new QVBoxLayout(sweep);
    sweepLayout->setContentsMargins(2, 2, 2, 2);
    sweepLayout->addLayout(controls);
    sweepLayout->addWidget(m_sweepPlot, 1);
    tabs->addTab(sweep, tr("Strength sweep"));
    connect(m_sweepButton, &QPushButton::clicked, this, &SteeringPanel::sweep);

    m_conceptSweep = new ConceptSweepTab(m_engine, m_session, tabs);
    m_conceptSweep->setPromptSource([this] { return m_prompt->text(); });
    connect(m_conceptSweep, &ConceptSweepTab::sweepShown, this, &SteeringPanel::conceptSweepShown);
    tabs->addTab(m_conceptSweep, tr("Concept vs features"));
    m_resultTabs = tabs;
    return tabs;
}

void SteeringPanel::addSelectedFeature()
{
    const int feature = m_hub->selectedFeature();
    if (feature < 0) {
        return;
    }
    FeatureClamp clamp;
    clamp.feature = feature;
    const int existing = m_hub->clampSet().indexOf(feature);
    if (existing >= 0) {
        clamp = m_hub->clampSet().clamps.at(existing);
        clamp.enabled = true;
    } else if (const auto range = m_clamps->rangeOf(feature); range && range->maximum > 0) {
        clamp.value = range->maximum;
    }
    m_hub->addClamp(clamp);
    setCurrentRow(m_clamps->rowOf(feature));
}

void SteeringPanel::showResultsTab(int index)
{
    m_resultTabs->setCurrentIndex(index);
}

void SteeringPanel::setConceptSides(const QString &sideA, const QString &sideB)
{
    m_conceptSweep->setSides(sideA, sideB);
}

void SteeringPanel::runConceptSweep()
{
    m_conceptSweep->run();
}

void SteeringPanel::run()
{
    Result<Interventions> interventions = m_interventions->interventions();
    if (!interventions) {
        m_status->setText(interventions.status().message());
        return;
    }
    SteeringRequest request;
    request.prompt = m_prompt->text();
    request.clamps = m_hub->clampSet();
    request.interventions = interventions.value();
    request.options.maxNewTokens = m_maxTokens->value();
    request.options.temperature = m_temperature->value();
    request.options.seed = static_cast<quint64>(m_seed->value());
    m_baseline->clear();
    m_steered->clear();
    m_diff->clearTexts();
    m_diffCaption->setText(tr("Difference"));
    // A second Run replaces the first: the tracker cancels it rather than finishing both.
    m_runStarted = true;
    m_lastOutcomeReusedBaseline = false;
    m_requests->start(Steer, m_engine->steer(request));
    NextTokenRequest next;
    next.prompt = request.prompt;
    next.clamps = request.clamps;
    next.interventions = request.interventions;
    m_requests->start(NextToken, m_engine->compareNextToken(next));
    const QString edits = InterventionsEditor::describe(request.interventions);
    m_status->setText(request.clamps.isEmpty() && edits.isEmpty()
                              ? tr("Running without enabled clamps: steered = baseline.")
                      : edits.isEmpty() ? tr("Generating baseline and steered …")
                                        : tr("Generating baseline and steered (%1) …").arg(edits));
    updateEnabled();
}

void SteeringPanel::sweep()
{
    const FeatureClamp clamp = m_clamps->clampAt(m_table->currentIndex().row());
    if (clamp.feature < 0) {
        m_status->setText(tr("Choose a row of the clamp set to sweep."));
        return;
    }
    StrengthSweepRequest request;
    request.prompt = m_prompt->text();
    request.clamps = m_hub->clampSet();
    request.swept = clamp;
    request.targetToken = m_sweepTarget->text();
    const int steps = m_sweepSteps->value();
    for (int i = 0; i < steps; ++i) {
        request.values.append(m_sweepFrom->value() +
                              (m_sweepTo->value() - m_sweepFrom->value()) * i / (steps - 1));
    }
    m_sweepPlot->clear();
    m_sweepProgress->setValue(0);
    m_runStarted = true;
    m_requests->start(Sweep, m_engine->sweepStrength(request));
    m_status->setText(tr("Sweeping feature #%1 (%2) over %3 values …")
                              .arg(clamp.feature)
                              .arg(clampModeName(clamp.mode))
                              .arg(steps));
    updateEnabled();
}

void SteeringPanel::runExample()
{
    const int dSae = m_session->sae().dSae;
    if (dSae <= 0) {
        m_status->setText(tr("Load an SAE first (Model dock)."));
        return;
    }
    FeatureRangeRequest request;
    request.prompt = m_prompt->text();
    for (int feature = 0; feature < dSae; ++feature) {
        request.features.append(feature);
    }
    m_requests->start(Example, m_engine->featureRanges(request));
    m_status->setText(tr("Looking for the feature most active on the prompt …"));
}

void SteeringPanel::cancel()
{
    for (Slot slot : {Steer, NextToken, Sweep}) {
        m_requests->cancel(slot);
    }
}

Status SteeringPanel::saveClampSet(const QString &path)
{
    ClampSet set = m_hub->clampSet();
    if (set.name.isEmpty()) {
        set.name = QFileInfo(path).completeBaseName();
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(clampSetToJson(set)) < 0 || !file.commit()) {
        return Status::invalidInput(QStringLiteral("%1: cannot write the clamp set (%2)")
                                            .arg(path, file.errorString()));
    }
    m_status->setText(tr("Saved the clamp set to %1.").arg(path));
    return Status::ok();
}

Status SteeringPanel::loadClampSet(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Status::notFound(
                QStringLiteral("%1: cannot read the clamp set (%2)").arg(path, file.errorString()));
    }
    Result<ClampSet> set = clampSetFromJson(file.readAll(), path);
    if (!set) {
        return set.status();
    }
    m_hub->setClampSet(set.value());
    m_status->setText(tr("Loaded %1 clamps from %2.").arg(set->clamps.size()).arg(path));
    return Status::ok();
}

void SteeringPanel::saveWithDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save clamp set"), QString(),
                                                      tr("Clamp sets (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    if (Status saved = saveClampSet(path); !saved.isOk()) {
        QMessageBox::warning(this, tr("Save clamp set"), saved.message());
    }
}

void SteeringPanel::loadWithDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load clamp set"), QString(),
                                                      tr("Clamp sets (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    if (Status loaded = loadClampSet(path); !loaded.isOk()) {
        QMessageBox::warning(this, tr("Load clamp set"), loaded.message());
    }
}

void SteeringPanel::setPrompt(const QString &prompt)
{
    m_prompt->setText(prompt);
}

QString SteeringPanel::prompt() const
{
    return m_prompt->text();
}

void SteeringPanel::setSampling(int maxNewTokens, double temperature, quint64 seed)
{
    m_maxTokens->setValue(maxNewTokens);
    m_temperature->setValue(temperature);
    m_seed->setValue(static_cast<int>(seed));
}

void SteeringPanel::setCurrentRow(int row)
{
    if (row >= 0 && row < m_clamps->rowCount()) {
        m_table->setCurrentIndex(m_clamps->index(row, ClampSetModel::FeatureColumn));
    }
}

void SteeringPanel::setSweepGrid(double from, double to, int steps)
{
    m_sweepFrom->setValue(from);
    m_sweepTo->setValue(to);
    m_sweepSteps->setValue(steps);
}

QString SteeringPanel::baselineText() const
{
    return m_baseline->toPlainText();
}

QString SteeringPanel::steeredText() const
{
    return m_steered->toPlainText();
}

QString SteeringPanel::statusText() const
{
    return m_status->text();
}

void SteeringPanel::requestRanges()
{
    if (!m_session->hasSae() || !m_session->hasModel() || m_prompt->text().trimmed().isEmpty()) {
        return;
    }
    FeatureRangeRequest request;
    request.prompt = m_prompt->text();
    for (const FeatureClamp &clamp : m_hub->clampSet().clamps) {
        request.features.append(clamp.feature);
    }
    const int selected = m_hub->selectedFeature();
    if (selected >= 0 && !request.features.contains(selected)) {
        request.features.append(selected);
    }
    if (!request.features.isEmpty()) {
        m_requests->start(Ranges, m_engine->featureRanges(request));
    }
}

void SteeringPanel::showCurrentClamp()
{
    const FeatureClamp clamp = m_clamps->clampAt(m_table->currentIndex().row());
    const bool has = clamp.feature >= 0;
    for (QWidget *w : {static_cast<QWidget *>(m_mode), static_cast<QWidget *>(m_valueEditor),
                       static_cast<QWidget *>(m_positions)}) {
        w->setEnabled(has);
    }
    if (!has) {
        m_currentLabel->setText(tr("no row"));
        return;
    }
    m_currentLabel->setText(QStringLiteral("#%1").arg(clamp.feature));
    m_mode->setCurrentText(clampModeName(clamp.mode));
    m_positions->setCurrentText(clampPositionsName(clamp.positions));
    std::optional<std::pair<double, double>> observed;
    if (const auto range = m_clamps->rangeOf(clamp.feature)) {
        observed = std::make_pair(range->minimum, range->maximum);
    }
    m_valueEditor->setClamp(clamp.mode, clamp.value, observed);
}

void SteeringPanel::editCurrentClamp(const std::function<void(FeatureClamp &)> &edit)
{
    FeatureClamp clamp = m_clamps->clampAt(m_table->currentIndex().row());
    if (clamp.feature < 0) {
        return;
    }
    edit(clamp);
    m_hub->addClamp(clamp);
}

void SteeringPanel::updateEnabled()
{
    m_addSelected->setEnabled(m_hub->selectedFeature() >= 0);
    m_remove->setEnabled(m_table->currentIndex().isValid());
    m_sweepButton->setEnabled(m_table->currentIndex().isValid() && !m_requests->isRunning(Sweep));
    m_cancel->setEnabled(m_requests->isRunning(Steer) || m_requests->isRunning(NextToken) ||
                         m_requests->isRunning(Sweep));
}

bool SteeringPanel::showError(const Status &status)
{
    if (status.isOk() || status.code() == Status::Code::Cancelled) {
        return false;
    }
    m_status->setText(status.message());
    return true;
}

void SteeringPanel::showOutcome(const SteeringOutcome &outcome)
{
    m_lastOutcomeReusedBaseline = outcome.baselineReused;
    m_baseline->setPlainText(outcome.baselineText);
    m_steered->setPlainText(outcome.steeredText);
    m_diff->setTexts(outcome.baselineText, outcome.steeredText);
    m_diffCaption->setText(outcome.baselineText == outcome.steeredText
                                   ? tr("Difference: none, the texts are identical")
                                   : tr("Difference: %1 words added, %2 removed")
                                             .arg(m_diff->addedWords())
                                             .arg(m_diff->removedWords()));
}

void SteeringPanel::startExample(const FeatureRanges &ranges)
{
    FeatureRange strongest;
    for (const FeatureRange &range : ranges.ranges) {
        if (range.maximum > strongest.maximum) {
            strongest = range;
        }
    }
    if (strongest.feature < 0) {
        m_status->setText(tr("No feature is active on this prompt."));
        return;
    }
    m_clamps->setRanges(FeatureRanges{{strongest}});
    FeatureClamp clamp;
    clamp.feature = strongest.feature;
    clamp.value = 3.0 * strongest.maximum;
    m_hub->selectFeature(strongest.feature, QStringLiteral("steering"));
    m_hub->addClamp(clamp);
    setCurrentRow(m_clamps->rowOf(strongest.feature));
    setSweepGrid(0.0, 4.0 * strongest.maximum, 17);
    run();
    sweep();
}

}  // namespace gyrus::widgets
