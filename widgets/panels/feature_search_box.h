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

    FeatureSearchBox(EngineClient *engine, SelectionHub *hub, QWidget *parent = nullptr);

    /// The sides offered for the concept vector.
    void setPromptSet(const PromptSet &set);

    void setCriterion(Criterion criterion);
    Criterion criterion() const;
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

    QString statusText() const;
    bool isRunning() const;

Q_SIGNALS:
    void resultsShown();

private:
    void updateFields();
    void showResult(const FeatureSearchResult &result);
    void setStatus(const QString &text, bool error = false);

    EngineClient *m_engine;
    QPointer<SelectionHub> m_hub;
    RequestTracker *m_requests = nullptr;
    PromptSet m_set;
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
