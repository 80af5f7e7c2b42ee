// The exceptions of the Store contract: both are conflicts a client can resolve by reading again
// (a newer version of the stream, or the answer the other write with the same key produced).
#include "a6/service/store/Store.h"

namespace a6::service {

VersionConflict::VersionConflict(const std::string& streamId, std::int64_t expected, std::int64_t actual)
    : Error(ErrorCode::Conflict, "stream " + streamId + " is at version " + std::to_string(actual) +
                                     ", expected version " + std::to_string(expected)),
      actual_(actual) {}

IdempotencyKeyTaken::IdempotencyKeyTaken(const std::string& key)
    : Error(ErrorCode::Conflict, "Idempotency-Key '" + key + "' was recorded by a concurrent write") {}

}  // namespace a6::service
