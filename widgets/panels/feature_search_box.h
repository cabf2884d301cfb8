#pragma once

#include "core/engine/engine_client.h"
#include "core/features/feature_search_types.h"
#include "core/prompts/prompt_set.h"

#include <QPointer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStandardItemModel;
class QTableView;

namespace gyrus {
class RequestTracker;
class SelectionHub;
class SessionState;
}  // namespace gyrus

namespace gyrus::widgets {

/// The Features dock's search: find SAE features by their label or notes, by text in their top
/// scan examples, by a token their decoder boosts, by "fires on this token in this text", or by
/// decoder similarity to the open prompt set's concept vector (side A − side B at the SAE's
/// hook). The engine searches (gpu/analysis/feature_search.h, the code of `gyrus-cli
/// search-features`), off the GUI thread; the results list the feature, its score, activation
/// density and label; clicking one selects it everywhere.
class FeatureSearchBox : public QWidget
{
    Q_OBJECT
public:
    enum class Criterion
    {
        Label,
        ExampleText,
        BoostedToken,
        FiresOn,
        Concept,
    };

    /// The concept vector is of `session`'s open prompt set (null: a session of its own that
    /// follows `engine`).
    FeatureSearchBox(EngineClient *engine, SelectionHub *hub, SessionState *session = nullptr,
                     QWidget *parent = nullptr);

    void setCriterion(Criterion criterion);
    Criterion criterion() const;
    /// The criterion's text (label words, example text, token, the text a feature fires on).
    void setText(const QString &text);
    /// Starts the search the fields describe (an empty text asks for nothing but a concept).
    void search();

    /// The request search() sends; errors name the empty field.
    Result<FeatureSearchRequest> request() const;

    QLineEdit *textEdit() const { return m_text; }

    QSpinBox *positionBox() const { return m_position; }

    QComboBox *sideA() const { return m_sideA; }

    QComboBox *sideB() const { return m_sideB; }

    /// Feature, score, density, label, match (the feature's number in Qt::UserRole of column 0,
    /// numbers at full precision in Qt::UserRole).
    QStandardItemModel *resultModel() const { return m_results; }

    QTableView *resultView() const { return m_view; }

    const FeatureSearchResult &result() const { return m_result; }

    /// The feature in row `row` of the results list as shown; -1 when there is no such row.
    int resultFeature(int row) const;
    /// Selects row `row` of the list and its feature everywhere, as clicking it does.
    void openResult(int row);

    QString statusText() const;
    bool isRunning() const;

Q_SIGNALS:
    void resultsShown();

private:
    void offerSides(const PromptSet &set);  // the sides offered for the concept vector
    void updateFields();
    void showResult(const FeatureSearchResult &result);
    void setStatus(const QString &text, bool error = false);

    EngineClient *m_engine;
    QPointer<SelectionHub> m_hub;
    QPointer<SessionState> m_session;
    RequestTracker *m_requests = nullptr;
    FeatureSearchResult m_result;

    QComboBox *m_by;
    QLineEdit *m_text;
    QSpinBox *m_position;
    QComboBox *m_sideA;
    QLabel *m_minus;
    QComboBox *m_sideB;
    QPushButton *m_searchButton;
    QStandardItemModel *m_results;
    QTableView *m_view;
    QLabel *m_status;
};

}  // namespace gyrus::widgets
