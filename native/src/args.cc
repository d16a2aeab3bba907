#include "args.h"

#include <climits>
#include <cmath>
#include <string>

#include "errors.h"

namespace cpt {

int FdArgument(const Napi::CallbackInfo &info, size_t index, const char *name) {
  const Napi::Env env = info.Env();
  const Napi::Value value = info[index];
  if (!value.IsNumber())
    throw InvalidArgType(env, std::string("The \"") + name +
                                  "\" argument must be of type number");
  const double fd = value.As<Napi::Number>().DoubleValue();
  if (!(fd >= 0 && fd <= INT_MAX) || std::trunc(fd) != fd)
    throw OutOfRange(env, std::string("The \"") + name +
                              "\" argument must be an integer >= 0 and <= " +
                              std::to_string(INT_MAX));
  return static_cast<int>(fd);
}

Napi::Object ObjectArgument(const Napi::CallbackInfo &info, size_t index,
                            const char *name) {
  const Napi::Value value = info[index];
  if (!value.IsObject() || value.IsArray() || value.IsFunction())
    throw InvalidArgType(info.Env(), std::string("The \"") + name +
                                         "\" argument must be of type object");
  return value.As<Napi::Object>();
}

uint64_t OptionalU64Property(const Napi::Object &object, const char *key,
                             uint64_t fallback) {
  const Napi::Env env = object.Env();
  const Napi::Value value = object.Get(key);
  if (value.IsUndefined()) return fallback;
  if (!value.IsBigInt())
    throw InvalidArgType(env, std::string("The \"") + key +
                                  "\" property must be of type bigint");
  bool lossless = false;
  const uint64_t result = value.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless)
    throw OutOfRange(env, std::string("The \"") + key +
                              "\" property must be >= 0n and < 2n ** 64n");
  return result;
}

}  // namespace cpt
