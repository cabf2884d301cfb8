#include "core/tokenizer/pre_tokenizer.h"

#include "core/tokenizer/utf8.h"

#include <QChar>

#include <utility>

namespace gyrus::tokenizer {

const char *gpt2Pattern()
{
    return R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
}

namespace {

using Range = std::pair<size_t, size_t>;

struct Match
{
    size_t begin;
    size_t end;
    bool isMatch;
};

// The matches of a pattern in `text` and the gaps between them, covering all of it (Hugging
// Face's Pattern::find_matches).
void findMatches(const PreTokenizerStep &step, std::string_view text, std::vector<Match> *out)
{
    out->clear();
    if (text.empty()) {
        out->push_back({0, 0, false});
        return;
    }
    thread_local std::vector<Range> ranges;
    ranges.clear();
    if (step.kind == PreTokenizerStep::Kind::Digits) {
        // Each digit alone, or runs of digits (char::is_numeric).
        for (size_t i = 0; i < text.size();) {
            size_t n = 0;
            const char32_t c = decodeUtf8(text, i, &n);
            if (QChar::isNumber(uint(c))) {
                ranges.emplace_back(i, i + n);
            }
            i += n;
        }
    } else if (step.regex) {
        step.regex->findAll(text, &ranges);
    } else if (!step.literal.empty()) {
        for (size_t at = text.find(step.literal); at != std::string_view::npos;
             at = text.find(step.literal, at + step.literal.size())) {
            ranges.emplace_back(at, at + step.literal.size());
        }
    }
    size_t previous = 0;
    for (const auto &[b, e] : ranges) {
        if (b > previous) {
            out->push_back({previous, b, false});
        }
        out->push_back({b, e, true});
        previous = e;
    }
    if (previous < text.size()) {
        out->push_back({previous, text.size(), false});
    }
}

// The pieces a split behaviour keeps (NormalizedString::split), empty ones dropped.
void applyBehavior(SplitBehavior behavior, bool invert, std::vector<Match> &matches,
                   std::vector<Range> *out)
{
    out->clear();
    if (invert) {
        for (Match &m : matches) {
            m.isMatch = !m.isMatch;
        }
    }
    switch (behavior) {
        case SplitBehavior::Isolated:
            for (const Match &m : matches) {
                out->emplace_back(m.begin, m.end);
            }
            break;
        case SplitBehavior::Removed:
            for (const Match &m : matches) {
                if (!m.isMatch) {
                    out->emplace_back(m.begin, m.end);
                }
            }
            break;
        case SplitBehavior::MergedWithPrevious: {
            bool previousMatch = false;
            for (const Match &m : matches) {
                if (m.isMatch && !previousMatch && !out->empty()) {
                    out->back().second = m.end;
                } else {
                    out->emplace_back(m.begin, m.end);
                }
                previousMatch = m.isMatch;
            }
            break;
        }
        case SplitBehavior::MergedWithNext: {
            bool previousMatch = false;
            std::vector<Range> reversed;
            for (auto it = matches.rbegin(); it != matches.rend(); ++it) {
                if (it->isMatch && !previousMatch && !reversed.empty()) {
                    reversed.back().first = it->begin;
                } else {
                    reversed.emplace_back(it->begin, it->end);
                }
                previousMatch = it->isMatch;
            }
            out->assign(reversed.rbegin(), reversed.rend());
            break;
        }
        case SplitBehavior::Contiguous: {
            bool previousMatch = false;
            for (const Match &m : matches) {
                if (m.isMatch && previousMatch && !out->empty()) {
                    out->back().second = m.end;
                } else {
                    out->emplace_back(m.begin, m.end);
                }
                previousMatch = m.isMatch;
            }
            break;
        }
    }
    std::vector<Range> kept;
    kept.reserve(out->size());
    for (const Range &r : *out) {
        if (r.second > r.first) {
            kept.push_back(r);
        }
    }
    out->swap(kept);
}

// Splits every model piece with `behavior` over the matches of `step`.
void splitPieces(const PreTokenizerStep &step, SplitBehavior behavior, bool invert,
                 const NormalizedText &text, std::vector<Piece> *pieces)
{
    std::vector<Piece> out;
    out.reserve(pieces->size() * 2);
    thread_local std::vector<Match> matches;
    thread_local std::vector<Range> ranges;
    for (const Piece &piece : *pieces) {
        if (piece.id >= 0) {
            out.push_back(piece);
            continue;
        }
        const std::string_view view(text.text.data() + piece.begin, piece.end - piece.begin);
        findMatches(step, view, &matches);
        applyBehavior(behavior, invert, matches, &ranges);
        for (const Range &r : ranges) {
            out.push_back({uint32_t(piece.begin + r.first), uint32_t(piece.begin + r.second), -1});
        }
    }
    pieces->swap(out);
}

// Rebuilds `text` piece by piece, letting `edit` change each model piece's own text (prepend,
// replace), so later steps see the edited pieces at their new positions.
template <typename Edit>
void editPieces(NormalizedText *text, std::vector<Piece> *pieces, Edit edit)
{
    NormalizedText out;
    out.text.reserve(text->text.size() + pieces->size() * 3);
    std::vector<Piece> outPieces;
    outPieces.reserve(pieces->size());
    for (size_t p = 0; p < pieces->size(); ++p) {
        const Piece &piece = (*pieces)[p];
        NormalizedText part;
        part.text = text->text.substr(piece.begin, piece.end - piece.begin);
        part.alignBegin.assign(text->alignBegin.begin() + piece.begin,
                               text->alignBegin.begin() + piece.end);
        part.alignEnd.assign(text->alignEnd.begin() + piece.begin,
                             text->alignEnd.begin() + piece.end);
        if (piece.id < 0) {
            edit(&part, p);
        }
        const auto begin = uint32_t(out.text.size());
        out.text += part.text;
        out.alignBegin.insert(out.alignBegin.end(), part.alignBegin.begin(), part.alignBegin.end());
        out.alignEnd.insert(out.alignEnd.end(), part.alignEnd.begin(), part.alignEnd.end());
        outPieces.push_back({begin, uint32_t(out.text.size()), piece.id});
    }
    *text = std::move(out);
    *pieces = std::move(outPieces);
}

}  // namespace

void preTokenize(const std::vector<PreTokenizerStep> &steps, NormalizedText *text,
                 std::vector<Piece> *pieces)
{
    for (const PreTokenizerStep &step : steps) {
        switch (step.kind) {
            case PreTokenizerStep::Kind::Split:
                splitPieces(step, step.behavior, step.invert, *text, pieces);
                break;
            case PreTokenizerStep::Kind::Digits:
                splitPieces(
                        step,
                        step.individualDigits ? SplitBehavior::Isolated : SplitBehavior::Contiguous,
                        false, *text, pieces);
                break;
            case PreTokenizerStep::Kind::ByteLevel:
                if (step.addPrefixSpace) {
                    editPieces(text, pieces, [](NormalizedText *part, size_t) {
                        if (part->text.empty() || part->text[0] != ' ') {
                            part->prepend(" ");
                        }
                    });
                }
                if (step.useRegex) {
                    splitPieces(step, SplitBehavior::Isolated, false, *text, pieces);
                }
                break;
            case PreTokenizerStep::Kind::Metaspace: {
                editPieces(text, pieces, [&](NormalizedText *part, size_t) {
                    part->replaceLiteral(" ", step.replacement);
                    const bool first = !part->alignBegin.empty() && part->alignBegin.front() == 0;
                    const bool prepend = step.prependScheme == PrependScheme::Always ||
                                         (step.prependScheme == PrependScheme::First && first);
                    if (prepend &&
                        part->text.compare(0, step.replacement.size(), step.replacement) != 0) {
                        part->prepend(step.replacement);
                    }
                });
                if (step.split) {
                    PreTokenizerStep literal;
                    literal.literal = step.replacement;
                    splitPieces(literal, SplitBehavior::MergedWithNext, false, *text, pieces);
                }
                break;
            }
        }
    }
}

}  // namespace gyrus::tokenizer
