#pragma once
// An Oniguruma regular expression (the engine Hugging Face's tokenizers compile Split patterns
// with), so \p{L}, \s, (?i:...) and look-arounds mean exactly what they mean there.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gyrus::tokenizer {

class OnigRegex
{
public:
    /// Compiles `pattern` (UTF-8, Oniguruma's default syntax); nullptr with `error` set when it
    /// does not compile.
    static std::unique_ptr<OnigRegex> compile(std::string_view pattern, std::string *error);

    ~OnigRegex();
    OnigRegex(const OnigRegex &) = delete;
    OnigRegex &operator=(const OnigRegex &) = delete;

    /// Byte ranges of the successive non-overlapping matches in `text`; an empty match right
    /// after the previous match is skipped by advancing one character (the `onig` crate's
    /// find_iter).
    void findAll(std::string_view text, std::vector<std::pair<size_t, size_t>> *matches) const;

private:
    OnigRegex() = default;
    void *m_regex = nullptr;  // regex_t*, kept out of this header
};

}  // namespace gyrus::tokenizer
