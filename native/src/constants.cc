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

constexpr unsigned BitOfMask(uint64_t mask)
{
	return (mask != 0 && (mask & (mask - 1)) == 0) ?
		       static_cast<unsigned>(__builtin_ctzll(mask)) :
		       throw std::logic_error(
			       "a CPT_FEATURE_* must be a single bit");
}

constexpr unsigned IoctlBit(unsigned nr, unsigned long request)
{
	return (_IOC_NR(request) == nr && nr < 64) ?
		       nr :
		       throw std::logic_error(
			       "_CPT_x must be the number of CPT_IOC_x");
}

// One row per feature / ioctl, named after the header macro so the JS name
// and the C name cannot drift apart.
// clang-format would split each braced initialiser over five lines.
// clang-format off
#define CPT_FEATURE_ROW(NAME) NamedBit{#NAME, BitOfMask(CPT_FEATURE_##NAME)}
#define CPT_IOCTL_ROW(NAME) NamedBit{#NAME, IoctlBit(_CPT_##NAME, CPT_IOC_##NAME)}
// clang-format on

// Every CPT_FEATURE_* of <linux/cpt.h>; add CPT_FEATURE_ROW(X) for each new
// feature (and bump the size). The static_assert below refuses to build
// while this list and CPT_FEATURES_KNOWN disagree.
constexpr std::array<NamedBit, 20> kFeatures{ {
	CPT_FEATURE_ROW(SESSION),
	CPT_FEATURE_ROW(NEXT_PID),
	CPT_FEATURE_ROW(MESSAGES),
	CPT_FEATURE_ROW(TREE),
	CPT_FEATURE_ROW(STATS),
	CPT_FEATURE_ROW(SYSV_IPC),
	CPT_FEATURE_ROW(PTY),
	CPT_FEATURE_ROW(AUTH),
	CPT_FEATURE_ROW(NEW_PIDNS),
	CPT_FEATURE_ROW(TCP_HOLD),
	CPT_FEATURE_ROW(EXT_UNIX_SK),
	CPT_FEATURE_ROW(USER_RECORDS),
	CPT_FEATURE_ROW(INIT_NS_GROUPS),
	CPT_FEATURE_ROW(NETLINK),
	CPT_FEATURE_ROW(PACKET),
	CPT_FEATURE_ROW(TIMED_WAITS),
	CPT_FEATURE_ROW(TCP_SYN_SENT),
	CPT_FEATURE_ROW(UNIX_PENDING_RIGHTS),
	CPT_FEATURE_ROW(SOCKET_OPTIONS),
	CPT_FEATURE_ROW(INIT_KILL),
} };

// Every CPT_IOC_* of <linux/cpt.h>, by its bit in cpt_api.ioctls.
constexpr std::array<NamedBit, 10> kIoctls{ {
	CPT_IOCTL_ROW(API),
	CPT_IOCTL_ROW(INIT),
	CPT_IOCTL_ROW(SAVE),
	CPT_IOCTL_ROW(RESTORE),
	CPT_IOCTL_ROW(FINALIZE),
	CPT_IOCTL_ROW(SET_NEXT_ID),
	CPT_IOCTL_ROW(MESSAGE),
	CPT_IOCTL_ROW(KEY),
	CPT_IOCTL_ROW(HOLD),
	CPT_IOCTL_ROW(USER_RECORD),
} };

#undef CPT_FEATURE_ROW
#undef CPT_IOCTL_ROW

template <size_t N>
constexpr uint64_t MaskOf(const std::array<NamedBit, N> &table)
{
	uint64_t mask = 0;
	for (const NamedBit &row : table)
		mask |= uint64_t{ 1 } << row.bit;
	return mask;
}

static_assert(MaskOf(kFeatures) == CPT_FEATURES_KNOWN,
	      "kFeatures must list exactly the bits of CPT_FEATURES_KNOWN");

// Enumerations of the header (CPT_SUBSYS_*, CPT_REC_*, ...): name -> value,
// each row again named after its macro.
struct NamedValue {
	const char *name;
	uint32_t value;
};

#define CPT_VALUE_ROW(PREFIX, NAME) \
	NamedValue                  \
	{                           \
#NAME, PREFIX##NAME \
	}

// CPT_SUBSYS_*, in the order a checkpoint saves them and a restart reads
// them. The asserts below keep the table equal to 1..CPT_SUBSYS_MAX.
constexpr std::array<NamedValue, 5> kSubsystems{ {
	CPT_VALUE_ROW(CPT_SUBSYS_, TASK),
	CPT_VALUE_ROW(CPT_SUBSYS_, SIGNALS),
	CPT_VALUE_ROW(CPT_SUBSYS_, FILES),
	CPT_VALUE_ROW(CPT_SUBSYS_, CPU),
	CPT_VALUE_ROW(CPT_SUBSYS_, MM),
} };

constexpr std::array<NamedValue, 12> kRecordTypes{ {
	CPT_VALUE_ROW(CPT_REC_, HEADER),
	CPT_VALUE_ROW(CPT_REC_, MANIFEST),
	CPT_VALUE_ROW(CPT_REC_, TREE),
	CPT_VALUE_ROW(CPT_REC_, IPC),
	CPT_VALUE_ROW(CPT_REC_, SECCOMP),
	CPT_VALUE_ROW(CPT_REC_, TASK),
	CPT_VALUE_ROW(CPT_REC_, SIGNALS),
	CPT_VALUE_ROW(CPT_REC_, FILES),
	CPT_VALUE_ROW(CPT_REC_, CPU),
	CPT_VALUE_ROW(CPT_REC_, MM),
	CPT_VALUE_ROW(CPT_REC_, PAGES),
	CPT_VALUE_ROW(CPT_REC_, TRAILER),
} };

constexpr std::array<NamedValue, 2> kModes{ {
	CPT_VALUE_ROW(CPT_MODE_, CHECKPOINT),
	CPT_VALUE_ROW(CPT_MODE_, RESTART),
} };

constexpr std::array<NamedValue, 3> kFinalizeActions{ {
	CPT_VALUE_ROW(CPT_FINALIZE_, RESUME),
	CPT_VALUE_ROW(CPT_FINALIZE_, KILL),
	CPT_VALUE_ROW(CPT_FINALIZE_, STOP),
} };

constexpr std::array<NamedValue, 5> kIdKinds{ {
	CPT_VALUE_ROW(CPT_ID_, PID),
	CPT_VALUE_ROW(CPT_ID_, SYSV_SHM),
	CPT_VALUE_ROW(CPT_ID_, SYSV_SEM),
	CPT_VALUE_ROW(CPT_ID_, SYSV_MSG),
	CPT_VALUE_ROW(CPT_ID_, PTY),
} };

constexpr std::array<NamedValue, 5> kInitFlags{ {
	CPT_VALUE_ROW(CPT_INIT_, ALLOW_UNAUTHENTICATED),
	CPT_VALUE_ROW(CPT_INIT_, NEW_PIDNS),
	CPT_VALUE_ROW(CPT_INIT_, TCP_ESTABLISHED),
	CPT_VALUE_ROW(CPT_INIT_, EXT_UNIX_SK),
	CPT_VALUE_ROW(CPT_INIT_, KILL),
} };

constexpr std::array<NamedValue, 3> kKeyOps{ {
	CPT_VALUE_ROW(CPT_KEY_, LOAD),
	CPT_VALUE_ROW(CPT_KEY_, UNLOAD),
	CPT_VALUE_ROW(CPT_KEY_, STATUS),
} };

constexpr std::array<NamedValue, 2> kHoldOps{ {
	CPT_VALUE_ROW(CPT_HOLD_, LIST),
	CPT_VALUE_ROW(CPT_HOLD_, RELEASE),
} };

#undef CPT_VALUE_ROW

template <size_t N>
constexpr bool IsOneToN(const std::array<NamedValue, N> &table)
{
	for (size_t i = 0; i < N; i++)
		if (table[i].value != i + 1)
			return false;
	return true;
}

static_assert(kSubsystems.size() == CPT_SUBSYS_MAX && IsOneToN(kSubsystems),
	      "kSubsystems must list CPT_SUBSYS_1..CPT_SUBSYS_MAX in order");

template <size_t N>
constexpr bool ValuesDistinct(const std::array<NamedValue, N> &table)
{
	for (size_t i = 0; i < N; i++)
		for (size_t j = i + 1; j < N; j++)
			if (table[i].value == table[j].value)
				return false;
	return true;
}

static_assert(ValuesDistinct(kRecordTypes), "two CPT_REC_* share a value");

// The image framing TypeScript implements: sizes it checks its own layout
// against (src/image/abi.ts).
static_assert(
	sizeof(struct cpt_record_header) == 16,
	"struct cpt_record_header is not the 16 bytes the image format documents");
static_assert(
	sizeof(struct cpt_pages_header) == 16,
	"struct cpt_pages_header is not the 16 bytes the image format documents");

template <size_t N>
Napi::Object BitTable(Napi::Env env, const std::array<NamedBit, N> &table)
{
	Napi::Object object = Napi::Object::New(env);
	for (const NamedBit &row : table)
		object.Set(row.name, Napi::Number::New(env, row.bit));
	object.Freeze();
	return object;
}

template <size_t N>
Napi::Object ValueTable(Napi::Env env, const std::array<NamedValue, N> &table)
{
	Napi::Object object = Napi::Object::New(env);
	for (const NamedValue &row : table)
		object.Set(row.name, Napi::Number::New(env, row.value));
	object.Freeze();
	return object;
}

} // namespace

const char *SubsysName(uint32_t subsys)
{
	for (const NamedValue &row : kSubsystems)
		if (row.value == subsys)
			return row.name;
	return "UNKNOWN";
}

void RegisterConstants(Napi::Env env, Napi::Object exports)
{
	exports.Set("CPT_API",
		    Napi::BigInt::New(env, static_cast<uint64_t>(CPT_API)));
	exports.Set("DEVICE_NAME", Napi::String::New(env, CPT_DEVICE_NAME));
	exports.Set("FEATURE_BITS", BitTable(env, kFeatures));
	exports.Set("IOCTL_BITS", BitTable(env, kIoctls));
	exports.Set("SUBSYS", ValueTable(env, kSubsystems));
	exports.Set("RECORD_TYPES", ValueTable(env, kRecordTypes));
	exports.Set("MODES", ValueTable(env, kModes));
	exports.Set("FINALIZE_ACTIONS", ValueTable(env, kFinalizeActions));
	exports.Set("ID_KINDS", ValueTable(env, kIdKinds));
	exports.Set("INIT_FLAGS", ValueTable(env, kInitFlags));
	exports.Set("KEY_OPS", ValueTable(env, kKeyOps));
	exports.Set("HOLD_OPS", ValueTable(env, kHoldOps));
	exports.Set("HOLD_ALL", Napi::Number::New(env, CPT_HOLD_ALL));
	exports.Set("KEY_MIN_LEN", Napi::Number::New(env, CPT_KEY_MIN_LEN));
	exports.Set("KEY_MAX_LEN", Napi::Number::New(env, CPT_KEY_MAX_LEN));
	exports.Set("RECORD_MAGIC", Napi::Number::New(env, CPT_RECORD_MAGIC));
	exports.Set("IMAGE_VERSION", Napi::Number::New(env, CPT_IMAGE_VERSION));
	exports.Set("RECORD_HEADER_SIZE",
		    Napi::Number::New(env, sizeof(struct cpt_record_header)));
	exports.Set("PAGES_HEADER_SIZE",
		    Napi::Number::New(env, sizeof(struct cpt_pages_header)));
}

} // namespace cpt
