#include "args.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <string>

#include "errors.h"

namespace cpt {

int FdArgument(const Napi::CallbackInfo &info, size_t index, const char *name)
{
	const Napi::Env env = info.Env();
	const Napi::Value value = info[index];
	if (!value.IsNumber())
		throw InvalidArgType(
			env, std::string("The \"") + name +
				     "\" argument must be of type number");
	const double fd = value.As<Napi::Number>().DoubleValue();
	if (!(fd >= 0 && fd <= INT_MAX) || std::trunc(fd) != fd)
		throw OutOfRange(
			env,
			std::string("The \"") + name +
				"\" argument must be an integer >= 0 and <= " +
				std::to_string(INT_MAX));
	return static_cast<int>(fd);
}

Napi::Object ObjectArgument(const Napi::CallbackInfo &info, size_t index,
			    const char *name)
{
	const Napi::Value value = info[index];
	if (!value.IsObject() || value.IsArray() || value.IsFunction())
		throw InvalidArgType(
			info.Env(),
			std::string("The \"") + name +
				"\" argument must be of type object");
	return value.As<Napi::Object>();
}

uint64_t OptionalU64Property(const Napi::Object &object, const char *key,
			     uint64_t fallback)
{
	const Napi::Env env = object.Env();
	const Napi::Value value = object.Get(key);
	if (value.IsUndefined())
		return fallback;
	if (!value.IsBigInt())
		throw InvalidArgType(
			env, std::string("The \"") + key +
				     "\" property must be of type bigint");
	bool lossless = false;
	const uint64_t result = value.As<Napi::BigInt>().Uint64Value(&lossless);
	if (!lossless)
		throw OutOfRange(
			env,
			std::string("The \"") + key +
				"\" property must be >= 0n and < 2n ** 64n");
	return result;
}

namespace {

// `value` as an integer in [min, max], or a TypeError/RangeError naming it
// (`what` is e.g. 'The "pid" argument' or 'The "mode" property').
double IntegerInRange(const Napi::Env &env, const Napi::Value &value,
		      const std::string &what, double min, double max)
{
	if (!value.IsNumber())
		throw InvalidArgType(env, what + " must be of type number");
	const double number = value.As<Napi::Number>().DoubleValue();
	if (!(number >= min && number <= max) || std::trunc(number) != number)
		throw OutOfRange(
			env, what + " must be an integer >= " +
				     std::to_string(static_cast<int64_t>(min)) +
				     " and <= " +
				     std::to_string(static_cast<int64_t>(max)));
	return number;
}

std::string ArgumentWhat(const char *name)
{
	return std::string("The \"") + name + "\" argument";
}

std::string PropertyWhat(const char *key)
{
	return std::string("The \"") + key + "\" property";
}

} // namespace

uint32_t U32Argument(const Napi::CallbackInfo &info, size_t index,
		     const char *name)
{
	return static_cast<uint32_t>(IntegerInRange(
		info.Env(), info[index], ArgumentWhat(name), 0, UINT32_MAX));
}

uint32_t U32Property(const Napi::Object &object, const char *key)
{
	return static_cast<uint32_t>(
		IntegerInRange(object.Env(), object.Get(key), PropertyWhat(key),
			       0, UINT32_MAX));
}

uint32_t OptionalU32Property(const Napi::Object &object, const char *key,
			     uint32_t fallback)
{
	const Napi::Value value = object.Get(key);
	if (value.IsUndefined())
		return fallback;
	return static_cast<uint32_t>(IntegerInRange(
		object.Env(), value, PropertyWhat(key), 0, UINT32_MAX));
}

int PidArgument(const Napi::CallbackInfo &info, size_t index, const char *name)
{
	return static_cast<int>(IntegerInRange(info.Env(), info[index],
					       ArgumentWhat(name), 1, INT_MAX));
}

int PidProperty(const Napi::Object &object, const char *key)
{
	return static_cast<int>(IntegerInRange(object.Env(), object.Get(key),
					       PropertyWhat(key), 1, INT_MAX));
}

} // namespace cpt
