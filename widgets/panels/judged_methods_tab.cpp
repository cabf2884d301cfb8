#include "widgets/panels/judged_methods_tab.h"

#include "core/base/table_export.h"
#include "core/engine/engine_client.h"
#include "core/engine/request_tracker.h"
#include "core/llm/chat_backend.h"
#include "core/llm/chat_job.h"
#include "widgets/common/export_button.h"
#include "widgets/common/export_tables.h"
#include "widgets/common/flow_layout.h"
#include "widgets/views/contrast_settings_form.h"

#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace gyrus::widgets {

namespace {

enum NumbersColumn
{
    RepresentationColumn,
    MethodColumn,
    MeanColumn,
    IntervalColumn,
    RatedColumn,
    UColumn,
    PColumn,
    FeaturesColumn,
};

constexpr int kNumberRole = Qt::UserRole + 1;

QStandardItem *numberItem(double value, int decimals)
{
    auto *item = new QStandardItem(std::isfinite(value) ? QString::number(value, 'f', decimals)
                                                        : QStringLiteral("–"));
    item->setData(value, kNumberRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    item->setEditable(false);
    return item;
}

QStandardItem *textItem(const QString &text)
{
    auto *item = new QStandardItem(text);
    item->setEditable(false);
    return item;
}

QTableView *makeTable(QStandardItemModel *model, QWidget *parent)
{
    auto *table = new QTableView(parent);
    table->setModel(model);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    return table;
}

Result<QStringList> readCorpus(const QString &path)
{
    QFile in(path);
    if (path.isEmpty()) {
        return Status::invalidInput(
                QObject::tr("Choose a corpus file: held-out texts, one per "
                            "line."));
    }
    if (!in.open(QIODevice::ReadOnly | QIODevice::Text)) {
        return Status::notFound(QObject::tr("%1: cannot open (%2)").arg(path, in.errorString()));
    }
    QStringList lines;
    for (const QString &line : QString::fromUtf8(in.readAll()).split(QLatin1Char('\n'))) {
        if (!line.trimmed().isEmpty()) {
            lines << line.trimmed();  // as gyrus-cli judge-methods reads --corpus
        }
    }
    return lines;
}

}  // namespace

JudgedMethodsTab::JudgedMethodsTab(EngineClient *engine, ContrastSettingsForm *form,
                                   QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_form(form)
    , m_requests(new RequestTracker(engine, this))
    , m_concept(new QLineEdit(this))
    , m_corpusPath(new QLineEdit(this))
    , m_browse(new QToolButton(this))
    , m_methods(new QLineEdit(this))
    , m_k(new QSpinBox(this))
    , m_top(new QSpinBox(this))
    , m_repeats(new QSpinBox(this))
    , m_permutations(new QSpinBox(this))
    , m_run(new QPushButton(tr("Judge methods"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_numbersModel(new QStandardItemModel(0, 8, this))
    , m_textsModel(new QStandardItemModel(0, 3, this))
    , m_numbers(makeTable(m_numbersModel, this))
    , m_texts(makeTable(m_textsModel, this))
{
    setObjectName(QStringLiteral("judgedMethods"));
    m_concept->setObjectName(QStringLiteral("judged.concept"));
    m_concept->setPlaceholderText(tr("level A's name"));
    m_concept->setToolTip(tr("What the judge rates each text's relevance to"));
    m_corpusPath->setObjectName(QStringLiteral("judged.corpus"));
    m_corpusPath->setPlaceholderText(tr("held-out texts, one per line"));
    m_browse->setText(tr("…"));
    m_methods->setObjectName(QStringLiteral("judged.methods"));
    m_methods->setToolTip(
            tr("Pooled selection methods, comma-separated: mean-difference, "
               "univariate, pooled-separation-r, pooled-separation-d, "
               "seed-max-activation"));
    m_k->setRange(1, 256);
    m_top->setRange(2, 500);
    m_repeats->setRange(1, 20);
    m_permutations->setRange(0, 99999);
    m_k->setPrefix(tr("k = "));
    m_top->setPrefix(tr("top "));
    m_repeats->setSuffix(tr(" repeats"));
    m_permutations->setSuffix(tr(" permutations"));
    m_top->setToolTip(tr("Texts rated per method, and random texts for the baseline"));
    m_run->setObjectName(QStringLiteral("judged.run"));
    m_cancel->setObjectName(QStringLiteral("judged.cancel"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(12);
    for (QLabel *label : {m_status, m_summary}) {
        label->setWordWrap(true);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    }
    m_numbers->setObjectName(QStringLiteral("judged.numbers"));
    m_texts->setObjectName(QStringLiteral("judged.texts"));
    m_numbersModel->setHorizontalHeaderLabels({tr("Representation"), tr("Method"), tr("Rating"),
                                               tr("95 % CI"), tr("Texts"), tr("U vs random"),
                                               tr("p vs random"), tr("Features")});
    m_textsModel->setHorizontalHeaderLabels({tr("Line"), tr("Rating"), tr("Text")});

    const auto numbers = [this](const QString &path) { return exportNumbers(path); };
    const auto texts = [this](const QString &path) { return exportTexts(path); };
    m_export = makeExportButton(
            this,
            {{{tr("Numbers as CSV…"), QStringLiteral("csv"), numbers},
              {tr("Numbers as HDF5…"), QStringLiteral("h5"), numbers},
              {tr("Rated texts as CSV…"), QStringLiteral("csv"), texts},
              {tr("Rated texts as HDF5…"), QStringLiteral("h5"), texts}}},
            [this] { return m_form->promptSet().name + QStringLiteral("-judged-methods"); },
            [this](const Status &status, const QString &path) {
                m_status->setText(status.isOk() ? tr("Exported to %1").arg(path)
                                                : status.message());
            });
    m_export->setObjectName(QStringLiteral("judged.export"));

    auto *corpusRow = new QHBoxLayout;
    corpusRow->addWidget(m_corpusPath, 1);
    corpusRow->addWidget(m_browse);
    // The numbers and the buttons reflow into more lines in a narrow dock.
    auto *numbersRow = new FlowLayout(nullptr, 6, 3);
    for (QWidget *w : {static_cast<QWidget *>(m_k), static_cast<QWidget *>(m_top),
                       static_cast<QWidget *>(m_repeats), static_cast<QWidget *>(m_permutations),
                       static_cast<QWidget *>(m_run), static_cast<QWidget *>(m_cancel),
                       static_cast<QWidget *>(m_export)}) {
        numbersRow->addWidget(w);
    }
    auto *settings = new QFormLayout;
    settings->addRow(tr("Concept"), m_concept);
    settings->addRow(tr("Corpus"), corpusRow);
    settings->addRow(tr("Methods"), m_methods);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_numbers);
    splitter->addWidget(m_texts);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(settings);
    layout->addLayout(numbersRow);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_summary);
    layout->addWidget(splitter, 1);

    connect(m_browse, &QToolButton::clicked, this, [this] {
        const QString path =
                QFileDialog::getOpenFileName(this, tr("Held-out corpus"), m_corpusPath->text(),
                                             tr("Text (*.txt);;All files (*)"));
        if (!path.isEmpty()) {
            m_corpusPath->setText(path);
        }
    });
    connect(m_run, &QPushButton::clicked, this, &JudgedMethodsTab::run);
    connect(m_cancel, &QPushButton::clicked, this, &JudgedMethodsTab::cancel);
    connect(m_numbers->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showTexts(current.row()); });
    m_requests->onResult(0, &EngineClient::textRankingReady,
                         [this](const MethodTextRankingsPtr &r) { onRankings(r); });
    m_requests->onProgress(0, [this](const JobProgress &p) {
        if (p.fraction >= 0) {
            m_progress->setValue(qRound(500 * p.fraction));
        }
        m_status->setText(tr("Stage 1 of 2 (the model): %1").arg(p.message));
    });
    m_requests->onFinished(0, [this](const Status &status) {
        if (m_running && !m_job && !status.isOk()) {
            finish(status, status.code() == Status::Code::Cancelled
                                   ? tr("Cancelled; the previous result is kept.")
                                   : status.message() + tr(" — the previous result is kept."));
        }
    });
    setSettings(Settings());
    updateButtons();
}

JudgedMethodsTab::~JudgedMethodsTab()
{
    if (m_job) {
        m_job->cancel();
    }
}

void JudgedMethodsTab::setBackend(ChatBackend *backend)
{
    if (m_running && backend != m_backend) {
        cancel();
    }
    m_backend = backend;
    updateButtons();
}

void JudgedMethodsTab::setSettings(const Settings &s)
{
    m_corpusPath->setText(s.corpusPath);
    m_concept->setText(s.concept);
    m_methods->setText(s.methods);
    m_k->setValue(s.k);
    m_top->setValue(s.top);
    m_repeats->setValue(s.judge.repeats);
    m_permutations->setValue(s.permutations);
    m_active.judge = s.judge;
}

JudgedMethodsTab::Settings JudgedMethodsTab::settings() const
{
    Settings s;
    s.corpusPath = m_corpusPath->text().trimmed();
    s.concept = m_concept->text().trimmed();
    s.methods = m_methods->text().trimmed();
    s.k = m_k->value();
    s.top = m_top->value();
    s.permutations = m_permutations->value();
    s.judge = m_active.judge;  // seed, temperature and batch as set; repeats from the box
    s.judge.repeats = m_repeats->value();
    return s;
}

void JudgedMethodsTab::run()
{
    if (m_running) {
        return;
    }
    QString problem = m_form->problem();
    const ContrastSource source = m_form->source();
    Settings s = settings();
    if (problem.isEmpty() && (source.levelA.isEmpty() || source.levelA == source.levelB)) {
        problem = tr("The judged comparison decodes level A against B: choose both.");
    }
    if (problem.isEmpty() && !m_backend) {
        problem =
                tr("No language-model endpoint configured (Settings ▸ Language model "
                   "endpoint…): nothing is sent without one.");
    }
    QList<SelectionMethod> methods;
    for (const QString &name : s.methods.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const Result<SelectionMethod> method = parseName<SelectionMethod>(name.trimmed());
        if (problem.isEmpty() && !method) {
            problem = method.status().message();
        }
        if (method) {
            methods.append(method.value());
        }
    }
    Result<QStringList> corpus =
            problem.isEmpty() ? readCorpus(s.corpusPath) : Result<QStringList>(QStringList());
    if (problem.isEmpty() && !corpus) {
        problem = corpus.status().message();
    }
    if (problem.isEmpty() && corpus->size() < 2 * s.top) {
        problem = tr("%1: %2 texts; top %3 needs at least %4.")
                          .arg(s.corpusPath)
                          .arg(corpus->size())
                          .arg(s.top)
                          .arg(2 * s.top);
    }
    if (!problem.isEmpty()) {
        m_status->setText(problem);
        return;
    }
    if (s.concept.isEmpty()) {
        s.concept = source.levelA;
    }
    m_active = s;
    m_corpus = corpus.value();
    TextRankingRequest request;
    request.source = source;
    request.corpus = m_corpus;
    request.methods = methods;
    request.k = s.k;
    request.top = s.top;
    m_running = true;
    m_progress->setValue(0);
    m_status->setText(
            tr("Stage 1 of 2 (the model): ranking %1 corpus lines…").arg(m_corpus.size()));
    updateButtons();
    m_requests->start(0, m_engine->rankCorpusTexts(request));
}

void JudgedMethodsTab::onRankings(const MethodTextRankingsPtr &rankings)
{
    if (!m_running || !rankings) {
        return;
    }
    if (!m_backend) {
        finish(Status::invalidInput(QStringLiteral("no judge")),
               tr("The language-model endpoint was turned off; the previous result is kept."));
        return;
    }
    m_rankings = *rankings;
    m_baseline = randomBaselineLines(int(m_corpus.size()), m_active.top, m_active.judge.seed);
    m_rated = linesToRate(m_rankings, m_baseline);
    QStringList texts;
    for (int line : m_rated) {
        texts << m_corpus.value(line);
    }
    m_plan = planRelevance(m_active.concept, texts, m_active.judge);
    auto *job = new ChatJob(m_backend, m_plan.requests, 4, this);
    m_job = job;
    connect(job, &ChatJob::progress, this, [this](int done, int total, double eta) {
        m_progress->setValue(500 + int(500.0 * done / std::max(1, total)));
        m_status->setText(
                tr("Stage 2 of 2 (the judge): %1 rated %2 / %3%4")
                        .arg(m_backend ? m_backend->describe() : QString())
                        .arg(done)
                        .arg(total)
                        .arg(eta >= 0 ? tr(" · ETA %1 s").arg(std::ceil(eta)) : QString()));
    });
    connect(job, &ChatJob::finished, this, &JudgedMethodsTab::onAnswers);
    m_status->setText(tr("Stage 2 of 2 (the judge): asking %1 about %2 texts, %3 repeats…")
                              .arg(m_backend->describe())
                              .arg(texts.size())
                              .arg(m_active.judge.repeats));
    job->start();
}

void JudgedMethodsTab::onAnswers(const Status &status)
{
    ChatJob *job = m_job;
    if (!job) {
        return;
    }
    m_job = nullptr;
    job->deleteLater();
    if (!status.isOk()) {
        finish(status, status.code() == Status::Code::Cancelled
                               ? tr("Cancelled; the previous result is kept.")
                               : status.message() + tr(" — the previous result is kept."));
        return;
    }
    Result<RelevanceResult> scored =
            scoreRelevance(m_plan, int(m_rated.size()), job->statuses(), job->replies());
    Result<MethodJudgement> judgement =
            scored ? judgeMethods(m_active.concept, m_backend ? m_backend->describe() : QString(),
                                  m_active.judge, m_active.k, m_active.permutations, m_corpus,
                                  m_rankings, m_baseline, m_rated, scored.value())
                   : Result<MethodJudgement>(scored.status());
    if (!judgement) {
        finish(judgement.status(),
               judgement.status().message() + tr(" — the previous result is kept."));
        return;
    }
    finish(Status::ok(), tr("Done: %1 distinct lines rated %2 times each by %3.")
                                 .arg(m_rated.size())
                                 .arg(m_active.judge.repeats)
                                 .arg(m_backend ? m_backend->describe() : QString()));
    showResult(std::make_shared<const MethodJudgement>(std::move(judgement).value()));
}

void JudgedMethodsTab::finish(const Status &status, const QString &message)
{
    m_running = false;
    m_progress->setValue(1000);
    if (!message.isEmpty()) {
        m_status->setText(message);
    }
    updateButtons();
    Q_EMIT finishedRun(status);
}

void JudgedMethodsTab::cancel()
{
    if (!m_running) {
        return;
    }
    if (m_job) {
        m_job->cancel();  // onAnswers follows with Cancelled
        return;
    }
    m_requests->cancel(0);  // onFinished follows with Cancelled
    if (m_running) {
        finish(Status::cancelled(), tr("Cancelled; the previous result is kept."));
    }
}

void JudgedMethodsTab::showResult(std::shared_ptr<const MethodJudgement> result)
{
    m_result = std::move(result);
    m_numbersModel->removeRows(0, m_numbersModel->rowCount());
    m_textsModel->removeRows(0, m_textsModel->rowCount());
    if (!m_result) {
        m_summary->clear();
        updateButtons();
        return;
    }
    const MethodJudgement &j = *m_result;
    auto addRow = [this](const QString &representation, const QString &method,
                         const JudgedList &list, double u, double p, const QString &features) {
        const QString interval = std::isfinite(list.rating.low)
                                         ? QStringLiteral("[%1, %2]")
                                                   .arg(list.rating.low, 0, 'f', 2)
                                                   .arg(list.rating.high, 0, 'f', 2)
                                         : QStringLiteral("–");
        m_numbersModel->appendRow({textItem(representation), textItem(method),
                                   numberItem(list.rating.estimate, 2), textItem(interval),
                                   numberItem(list.ratedTexts, 0), numberItem(u, 1),
                                   numberItem(p, 4), textItem(features)});
    };
    for (const JudgedMethod &m : j.methods) {
        QStringList features;
        for (int f : m.ranking.features) {
            features << QString::number(f);
        }
        addRow(m.ranking.representation == QLatin1String("sae") ? tr("SAE features")
                                                                : tr("raw activations"),
               nameOf(m.ranking.method), m.list, m.uVsRandom, m.pVsRandom,
               features.join(QStringLiteral(", ")));
    }
    addRow(tr("random lines"), tr("baseline"), j.baseline, std::nan(""), std::nan(""), QString());
    m_numbers->resizeColumnsToContents();
    m_summary->setText(
            tr("\"%1\" judged by %2 (%3 repeats at temperature %4, seed %5) on %6 corpus lines; "
               "top %7 per method against %7 random lines. Kruskal-Wallis H = %8 over the "
               "methods, permutation p = %9 (%10 permutations).%11")
                    .arg(j.concept, j.judge)
                    .arg(j.options.repeats)
                    .arg(j.options.temperature)
                    .arg(j.options.seed)
                    .arg(j.corpus.size())
                    .arg(j.top)
                    .arg(j.kruskalWallisH, 0, 'f', 2)
                    .arg(j.kruskalWallisP, 0, 'f', 4)
                    .arg(j.permutations)
                    .arg(j.failedRequests > 0 ? tr(" %n request(s) failed and were left out.",
                                                   nullptr, j.failedRequests)
                                              : QString()));
    m_numbers->selectRow(0);
    showTexts(0);
    updateButtons();
    Q_EMIT resultShown();
}

void JudgedMethodsTab::clearResult()
{
    cancel();
    showResult(nullptr);
    m_status->clear();
}

void JudgedMethodsTab::showTexts(int row)
{
    m_textsModel->removeRows(0, m_textsModel->rowCount());
    if (!m_result || row < 0) {
        return;
    }
    const JudgedList &list =
            row < m_result->methods.size() ? m_result->methods[row].list : m_result->baseline;
    for (qsizetype i = 0; i < list.lines.size(); ++i) {
        m_textsModel->appendRow({numberItem(list.lines[i] + 1, 0),
                                 numberItem(list.meanRatings.value(i, std::nan("")), 2),
                                 textItem(m_result->corpus.value(list.lines[i]))});
    }
    m_texts->resizeColumnToContents(0);
    m_texts->resizeColumnToContents(1);
}

Status JudgedMethodsTab::exportNumbers(const QString &path) const
{
    if (!m_result) {
        return Status::invalidInput(tr("nothing to export: judge the methods first"));
    }
    return writeTable(*judgedMethodsTable(*m_result), path);
}

Status JudgedMethodsTab::exportTexts(const QString &path) const
{
    if (!m_result) {
        return Status::invalidInput(tr("nothing to export: judge the methods first"));
    }
    return writeTable(*judgedTextsTable(*m_result), path);
}

QString JudgedMethodsTab::statusText() const
{
    return m_status->text();
}

QString JudgedMethodsTab::summaryText() const
{
    return m_summary->text();
}

void JudgedMethodsTab::updateButtons()
{
    m_run->setEnabled(!m_running && m_backend);
    m_run->setToolTip(m_backend ? tr("Rank the corpus with each method's classifier (the model), "
                                     "then ask %1 to rate the top texts and random ones")
                                          .arg(m_backend->describe())
                                : tr("No language-model endpoint configured (Settings ▸ "
                                     "Language model endpoint…): nothing is sent without one"));
    m_cancel->setEnabled(m_running);
    m_progress->setVisible(m_running);
    m_export->setEnabled(m_result != nullptr);
}

}  // namespace gyrus::widgets
