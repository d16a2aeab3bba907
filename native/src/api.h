// CPT_IOC_API, the handshake every session with /dev/cpt starts with.
#pragma once

#include <napi.h>

namespace cpt {

// Adds api(fd, {features?}) -> {api, features, ioctls} to `exports`.
// Synchronous: the handshake only copies a struct in and out. The blocking
// ioctls are in session.h and restore.h, on PromiseWorkers.
void RegisterApi(Napi::Env env, Napi::Object exports);

} // namespace cpt
