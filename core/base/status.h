#pragma once

#include <QMetaType>
#include <QString>

#include <optional>
#include <utility>

namespace gyrus {

/// Outcome of an operation that can fail on user input or the environment. Public functions in
/// core never throw; they return a Status or a Result<T>. Messages name the file/item and the
/// problem, with expected and actual values where there are any.
class Status
{
public:
    enum class Code
    {
        Ok,
        InvalidInput,  ///< bad file, bad argument, wrong shape: the user can fix it
        NotFound,      ///< a file or object that should exist does not
        Cancelled,     ///< the user (or a newer request) cancelled the work
        OutOfMemory,   ///< CPU or GPU allocation failed; message says what to reduce
        Internal,      ///< a bug or an unexpected library failure
    };

    Status() = default;

    static Status ok() { return Status(); }

    static Status error(Code code, QString message) { return Status(code, std::move(message)); }

    static Status invalidInput(QString message)
    {
        return Status(Code::InvalidInput, std::move(message));
    }

    static Status notFound(QString message) { return Status(Code::NotFound, std::move(message)); }

    static Status cancelled(QString message = QStringLiteral("cancelled"))
    {
        return Status(Code::Cancelled, std::move(message));
    }

    static Status internal(QString message) { return Status(Code::Internal, std::move(message)); }

    bool isOk() const { return m_code == Code::Ok; }

    Code code() const { return m_code; }

    const QString &message() const { return m_message; }

    /// "ok", "invalid-input", ...: stable names for logs and JSON.
    QString codeName() const;

    /// Prefixes the message with context ("loading model.safetensors: ...").
    Status withContext(const QString &context) const;

private:
    Status(Code code, QString message)
        : m_code(code)
        , m_message(std::move(message))
    {}

    Code m_code = Code::Ok;
    QString m_message;
};

/// A value or the Status that explains why there is none.
template <typename T>
class Result
{
public:
    Result(T value)  // NOLINT(google-explicit-constructor): implicit, like std::expected
        : m_value(std::move(value))
    {}

    Result(Status status)  // NOLINT(google-explicit-constructor)
        : m_status(std::move(status))
    {
        Q_ASSERT(!m_status.isOk());
    }

    bool isOk() const { return m_value.has_value(); }

    explicit operator bool() const { return isOk(); }

    const Status &status() const { return m_status; }

    const T &value() const &
    {
        Q_ASSERT(isOk());
        return *m_value;
    }

    T &value() &
    {
        Q_ASSERT(isOk());
        return *m_value;
    }

    T &&value() &&
    {
        Q_ASSERT(isOk());
        return std::move(*m_value);
    }

    const T *operator->() const { return &value(); }

    const T &operator*() const & { return value(); }

private:
    std::optional<T> m_value;
    Status m_status;
};

}  // namespace gyrus

Q_DECLARE_METATYPE(gyrus::Status)
