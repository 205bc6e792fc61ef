// llmtrace/detail/pool_link.hpp: what a pooled record (span, log record) carries for
// detail::record_pool: the pool home of the thread that acquired it last.
// Thread-safety: written by the pool only (see span_pool.hpp).
#pragma once

#include <llmtrace/config.hpp>

LLMTRACE_BEGIN_NAMESPACE
namespace detail {

template <typename Record>
class record_pool;

/// Pool bookkeeping inside a record. Copying a record never copies it: a copy is another record,
/// with its own home.
struct pool_link {
  pool_link() noexcept = default;
  pool_link(const pool_link&) noexcept {}
  pool_link& operator=(const pool_link&) noexcept { return *this; }
  void* home = nullptr;  // the record_pool<Record>::home of the thread that last acquired it
};

}  // namespace detail
LLMTRACE_END_NAMESPACE
