// Small fd operations Node does not offer.
#pragma once

#include <napi.h>

namespace cpt {

// Adds to `exports`:
//   setBlocking(fd) -> boolean
//     Clears O_NONBLOCK on the open file description of `fd`, and says
//     whether it was set. The module reads and writes an image fd with
//     plain blocking I/O, but a pipe that Node (libuv) has touched, or that
//     was inherited so, is non-blocking: the module would get EAGAIN.
void RegisterFd(Napi::Env env, Napi::Object exports);

} // namespace cpt
