#include "widgets/panels/feature_search_box.h"

#include "core/engine/request_tracker.h"
#include "core/session/selection_hub.h"
#include "core/session/session_state.h"
#include "widgets/common/combo_choices.h"
#include "widgets/common/eliding_style.h"
#include "widgets/common/flow_layout.h"
#include "widgets/common/status_line.h"

#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

namespace gyrus::widgets {

namespace {

enum Slot
{
    SearchSlot,
};

QStandardItem *numberItem(double value, const QString &text)
{
    auto *item = new QStandardItem(text);
    item->setData(value, Qt::UserRole);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

}  // namespace

FeatureSearchBox::FeatureSearchBox(EngineClient *engine, SelectionHub *hub, SessionState *session,
                                   QWidget *parent)
    : QWidget(parent)
    , m_engine(engine)
    , m_hub(hub)
    , m_session(sessionOrFollowing(session, engine, this))
    , m_by(new ElidingComboBox(this))
    , m_text(new QLineEdit(this))
    , m_position(new QSpinBox(this))
    , m_sideA(new ElidingComboBox(this))
    , m_minus(new QLabel(tr("−"), this))
    , m_sideB(new ElidingComboBox(this))
    , m_searchButton(new QPushButton(tr("Search"), this))
    , m_results(new QStandardItemModel(this))
    , m_view(new QTableView(this))
    , m_status(new QLabel(this))
{
    m_by->addItem(tr("Label or notes"), int(Criterion::Label));
    m_by->addItem(tr("Text in top examples"), int(Criterion::ExampleText));
    m_by->addItem(tr("Boosted token"), int(Criterion::BoostedToken));
    m_by->addItem(tr("Fires on token in text"), int(Criterion::FiresOn));
    m_by->addItem(tr("Concept vector (prompt set)"), int(Criterion::Concept));
    m_by->setToolTip(tr("What to search by"));
    m_position->setRange(-1, 4095);
    m_position->setSpecialValueText(tr("last token"));
    m_position->setValue(-1);
    m_position->setPrefix(tr("token "));
    m_position->setToolTip(
            tr("The token of the text (0 = BOS) whose active features are "
               "listed, strongest first"));
    m_sideA->setToolTip(
            tr("Side A of the open prompt set's contrast (condition or "
               "factor=level); features ranked by the cosine of their decoder row "
               "with mean(A) − mean(B) at the SAE's hook"));
    m_sideB->setToolTip(tr("Side B"));
    m_searchButton->setToolTip(tr("Search the loaded SAE's features (Enter)"));
    connect(m_searchButton, &QPushButton::clicked, this, &FeatureSearchBox::search);
    connect(m_text, &QLineEdit::returnPressed, this, &FeatureSearchBox::search);
    connect(m_by, &QComboBox::currentIndexChanged, this, &FeatureSearchBox::updateFields);

    m_results->setHorizontalHeaderLabels(
            {tr("Feature"), tr("Score"), tr("Density"), tr("Label"), tr("Match")});
    m_view->setModel(m_results);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setSortingEnabled(true);
    m_view->setMinimumHeight(m_view->fontMetrics().height() * 6);
    connect(m_view, &QTableView::clicked, this, [this](const QModelIndex &index) {
        const int feature = resultFeature(index.row());
        if (m_hub && feature >= 0) {
            m_hub->selectFeature(feature, QStringLiteral("search"));
        }
    });
    m_status->setWordWrap(true);
    m_status->setForegroundRole(QPalette::PlaceholderText);

    // Groups that reflow into more lines when the dock is narrow.
    m_text->setMinimumWidth(m_text->fontMetrics().horizontalAdvance(QStringLiteral("M")) * 10);
    auto *row = new FlowLayout(nullptr, 6, 3);
    row->addGroup({m_by});
    row->addGroup({m_text});
    row->addGroup({m_position});
    row->addGroup({m_sideA, m_minus, m_sideB});
    row->addGroup({m_searchButton});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_status);

    if (m_engine) {
        m_requests = new RequestTracker(m_engine, this);
        m_requests->onResult(SearchSlot, &EngineClient::featureSearchReady,
                             [this](const FeatureSearchResult &result) { showResult(result); });
        m_requests->onFinished(SearchSlot, [this](const Status &status) {
            if (!status.isOk() && status.code() != Status::Code::Cancelled) {
                setStatus(tr("Search: %1").arg(status.message()), true);
            }
            m_searchButton->setEnabled(true);
        });
    }
    offerSides(m_session->promptSet());
    connect(m_session, &SessionState::promptSetChanged, this, &FeatureSearchBox::offerSides);
    updateFields();
}

void FeatureSearchBox::offerSides(const PromptSet &set)
{
    const QStringList sides = contrastSides(set);
    offerContrastSides(m_sideA, m_sideB, sides);
}

void FeatureSearchBox::setCriterion(Criterion criterion)
{
    m_by->setCurrentIndex(m_by->findData(int(criterion)));
}

FeatureSearchBox::Criterion FeatureSearchBox::criterion() const
{
    return Criterion(m_by->currentData().toInt());
}

void FeatureSearchBox::setText(const QString &text)
{
    m_text->setText(text);
}

int FeatureSearchBox::resultFeature(int row) const
{
    const QStandardItem *item = row >= 0 ? m_results->item(row, 0) : nullptr;
    return item ? item->data(Qt::UserRole).toInt() : -1;
}

void FeatureSearchBox::openResult(int row)
{
    const int feature = resultFeature(row);
    if (feature < 0) {
        return;
    }
    m_view->selectRow(row);
    if (m_hub) {
        m_hub->selectFeature(feature, QStringLiteral("search"));
    }
}

void FeatureSearchBox::updateFields()
{
    const Criterion by = criterion();
    const bool concept = by == Criterion::Concept;
    m_text->setVisible(!concept);
    m_position->setVisible(by == Criterion::FiresOn);
    for (QWidget *widget : {static_cast<QWidget *>(m_sideA), static_cast<QWidget *>(m_minus),
                            static_cast<QWidget *>(m_sideB)}) {
        widget->setVisible(concept);
    }
    switch (by) {
        case Criterion::Label:
            m_text->setPlaceholderText(tr("text in a label or note"));
            break;
        case Criterion::ExampleText:
            m_text->setPlaceholderText(tr("text near a top-activating example"));
            break;
        case Criterion::BoostedToken:
            m_text->setPlaceholderText(tr("a token the decoder promotes"));
            break;
        case Criterion::FiresOn:
            m_text->setPlaceholderText(tr("a text; features active at its token"));
            break;
        case Criterion::Concept:
            break;
    }
}

Result<FeatureSearchRequest> FeatureSearchBox::request() const
{
    FeatureSearchRequest request;
    request.query.limit = 50;
    const QString text = m_text->text();
    const Criterion by = criterion();
    if (by != Criterion::Concept && text.trimmed().isEmpty()) {
        return Status::invalidInput(tr("type what to search for"));
    }
    switch (by) {
        case Criterion::Label:
            request.query.label = text.trimmed();
            break;
        case Criterion::ExampleText:
            request.query.exampleText = text;
            break;
        case Criterion::BoostedToken:
            request.query.boostedToken = text;
            break;
        case Criterion::FiresOn:
            request.query.firesOnText = text;
            request.query.firesAt = m_position->value();
            break;
        case Criterion::Concept: {
            if (m_session->promptSet().items.isEmpty() || m_sideA->currentText().isEmpty()) {
                return Status::invalidInput(
                        tr("open a prompt set with two conditions for a concept vector"));
            }
            if (m_sideA->currentText() == m_sideB->currentText()) {
                return Status::invalidInput(tr("sides A and B are the same"));
            }
            ConceptSource source;
            source.set = m_session->promptSet();
            source.sideA = m_sideA->currentText();
            source.sideB = m_sideB->currentText();
            source.pooling = Pooling::LastToken;
            request.concept = source;
            break;
        }
    }
    if (m_hub) {
        const QHash<int, FeatureAnnotation> &annotations = m_hub->annotations();
        for (auto it = annotations.cbegin(); it != annotations.cend(); ++it) {
            if (!it->label.isEmpty() || !it->notes.isEmpty()) {
                request.notes.insert(it.key(), FeatureNote{it->label, it->notes});
            }
        }
    }
    return request;
}

void FeatureSearchBox::search()
{
    if (!m_requests) {
        return;
    }
    Result<FeatureSearchRequest> built = request();
    if (!built) {
        setStatus(built.status().message(), true);
        return;
    }
    setStatus(tr("Searching…"));
    m_searchButton->setEnabled(false);
    m_requests->start(SearchSlot, m_engine->searchFeatures(built.value()));
}

bool FeatureSearchBox::isRunning() const
{
    return m_requests && m_requests->isRunning(SearchSlot);
}

void FeatureSearchBox::showResult(const FeatureSearchResult &result)
{
    m_result = result;
    m_view->setSortingEnabled(false);
    m_results->removeRows(0, m_results->rowCount());
    const bool byConcept = !result.conceptLabel.isEmpty();
    for (const FeatureSearchHit &hit : result.hits) {
        auto *feature = new QStandardItem(QString::number(hit.feature));
        feature->setData(hit.feature, Qt::UserRole);
        feature->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        QList<QStandardItem *> row{feature};
        row << numberItem(hit.score, QString::number(hit.score, 'g', 4));
        row << (hit.density >= 0 ? numberItem(hit.density, QString::number(hit.density, 'g', 3))
                                 : numberItem(-1, tr("no scan")));
        row << new QStandardItem(hit.label);
        auto *match = new QStandardItem(hit.match);
        match->setToolTip(hit.match.toHtmlEscaped());
        row << match;
        m_results->appendRow(row);
    }
    // Best first, as the search ranks them: no column's order until the user clicks a header.
    m_view->horizontalHeader()->setSortIndicator(-1, Qt::DescendingOrder);
    m_view->setSortingEnabled(true);
    m_view->resizeColumnsToContents();
    QString text = result.hits.isEmpty() ? tr("No feature matches.")
                                         : tr("%n feature(s), best first; click one to select it.",
                                              nullptr, int(result.hits.size()));
    if (byConcept) {
        text = tr("By decoder cosine with %1: ").arg(result.conceptLabel) + text;
    }
    setStatus(text);
    Q_EMIT resultsShown();
}

QString FeatureSearchBox::statusText() const
{
    return m_status->text();
}

void FeatureSearchBox::setStatus(const QString &text, bool error)
{
    showStatusLine(m_status, text, error);
}

}  // namespace gyrus::widgets
