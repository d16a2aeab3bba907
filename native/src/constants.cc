#include "constants.h"

#include <array>
#include <cstdint>
#include <stdexcept>

#include "uapi.h"

namespace cpt {
namespace {

struct NamedBit {
  const char *name;
  unsigned bit;
};

// In a constant expression the throws below are compile errors, which is
// the point: a malformed table row never reaches run time.

constexpr unsigned BitOfMask(uint64_t mask) {
  return (mask != 0 && (mask & (mask - 1)) == 0)
             ? static_cast<unsigned>(__builtin_ctzll(mask))
             : throw std::logic_error("a CPT_FEATURE_* must be a single bit");
}

constexpr unsigned IoctlBit(unsigned nr, unsigned long request) {
  return (_IOC_NR(request) == nr && nr < 64)
             ? nr
             : throw std::logic_error("_CPT_x must be the number of CPT_IOC_x");
}

// One row per feature / ioctl, named after the header macro so the JS name
// and the C name cannot drift apart.
#define CPT_FEATURE_ROW(NAME) NamedBit{#NAME, BitOfMask(CPT_FEATURE_##NAME)}
#define CPT_IOCTL_ROW(NAME) NamedBit{#NAME, IoctlBit(_CPT_##NAME, CPT_IOC_##NAME)}

// Every CPT_FEATURE_* of <linux/cpt.h>; add CPT_FEATURE_ROW(X) for each new
// feature (and bump the size). The static_assert below refuses to build
// while this list and CPT_FEATURES_KNOWN disagree.
constexpr std::array<NamedBit, 0> kFeatures{};

// Every CPT_IOC_* of <linux/cpt.h>, by its bit in cpt_api.ioctls.
constexpr std::array<NamedBit, 1> kIoctls{{
    CPT_IOCTL_ROW(API),
}};

#undef CPT_FEATURE_ROW
#undef CPT_IOCTL_ROW

template <size_t N>
constexpr uint64_t MaskOf(const std::array<NamedBit, N> &table) {
  uint64_t mask = 0;
  for (const NamedBit &row : table) mask |= uint64_t{1} << row.bit;
  return mask;
}

static_assert(MaskOf(kFeatures) == CPT_FEATURES_KNOWN,
              "kFeatures must list exactly the bits of CPT_FEATURES_KNOWN");

template <size_t N>
Napi::Object BitTable(Napi::Env env, const std::array<NamedBit, N> &table) {
  Napi::Object object = Napi::Object::New(env);
  for (const NamedBit &row : table)
    object.Set(row.name, Napi::Number::New(env, row.bit));
  object.Freeze();
  return object;
}

}  // namespace

void RegisterConstants(Napi::Env env, Napi::Object exports) {
  exports.Set("CPT_API", Napi::BigInt::New(env, static_cast<uint64_t>(CPT_API)));
  exports.Set("DEVICE_NAME", Napi::String::New(env, CPT_DEVICE_NAME));
  exports.Set("FEATURE_BITS", BitTable(env, kFeatures));
  exports.Set("IOCTL_BITS", BitTable(env, kIoctls));
}

}  // namespace cpt
