#include "core/tokenizer/onig_regex.h"

#include "core/tokenizer/utf8.h"

#include <mutex>

#include <oniguruma.h>

namespace gyrus::tokenizer {

namespace {

void initializeOnce()
{
    static std::once_flag once;
    std::call_once(once, [] {
        OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
        onig_initialize(encodings, 1);
    });
}

struct RegionDeleter
{
    void operator()(OnigRegion *region) const { onig_region_free(region, 1); }
};

}  // namespace

std::unique_ptr<OnigRegex> OnigRegex::compile(std::string_view pattern, std::string *error)
{
    initializeOnce();
    regex_t *regex = nullptr;
    OnigErrorInfo info;
    const auto *begin = reinterpret_cast<const OnigUChar *>(pattern.data());
    const int rc = onig_new(&regex, begin, begin + pattern.size(), ONIG_OPTION_NONE,
                            ONIG_ENCODING_UTF8, ONIG_SYNTAX_DEFAULT, &info);
    if (rc != ONIG_NORMAL) {
        OnigUChar message[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(message, rc, &info);
        *error = reinterpret_cast<const char *>(message);
        return nullptr;
    }
    std::unique_ptr<OnigRegex> out(new OnigRegex);
    out->m_regex = regex;
    return out;
}

OnigRegex::~OnigRegex()
{
    if (m_regex != nullptr) {
        onig_free(static_cast<regex_t *>(m_regex));
    }
}

void OnigRegex::findAll(std::string_view text,
                        std::vector<std::pair<size_t, size_t>> *matches) const
{
    matches->clear();
    thread_local std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
    const auto *str = reinterpret_cast<const OnigUChar *>(text.data());
    const OnigUChar *end = str + text.size();
    size_t from = 0;
    bool haveLast = false;
    size_t lastEnd = 0;
    while (from <= text.size()) {
        onig_region_clear(region.get());
        const int at = onig_search(static_cast<regex_t *>(m_regex), str, end, str + from, end,
                                   region.get(), ONIG_OPTION_NONE);
        if (at < 0) {
            return;  // ONIG_MISMATCH, or a matcher error that leaves the rest unsplit
        }
        const auto s = size_t(region->beg[0]);
        const auto e = size_t(region->end[0]);
        if (s == e && haveLast && lastEnd == e) {
            from += from < text.size() ? utf8Length(static_cast<unsigned char>(text[from])) : 1;
            continue;
        }
        matches->emplace_back(s, e);
        haveLast = true;
        lastEnd = e;
        from = e;
        if (s == e) {
            // An empty match at `from`: the next search starts at the same place and is skipped
            // by the rule above.
            continue;
        }
    }
}

}  // namespace gyrus::tokenizer
