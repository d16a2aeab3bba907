#include "session.h"

#include <errno.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "constants.h"
#include "errors.h"
#include "uapi.h"
#include "worker.h"

namespace cpt {
namespace {

class InitWorker : public PromiseWorker {
public:
	InitWorker(Napi::Env env, int fd, const struct cpt_init &arg)
		: PromiseWorker(env, "cpt:init")
		, fd_(fd)
		, arg_(arg)
	{
	}

protected:
	void Work() override
	{
		Ioctl(fd_, CPT_IOC_INIT, &arg_, "CPT_IOC_INIT");
	}

private:
	int fd_;
	struct cpt_init arg_;
};

class SaveWorker : public PromiseWorker {
public:
	SaveWorker(Napi::Env env, int fd, const struct cpt_subsys &arg)
		: PromiseWorker(env, "cpt:save")
		, fd_(fd)
		, arg_(arg)
	{
	}

protected:
	void Work() override
	{
		Ioctl(fd_, CPT_IOC_SAVE, &arg_,
		      std::string("CPT_IOC_SAVE(") + SubsysName(arg_.subsys) +
			      ")");
	}

	Napi::Value Result(Napi::Env env) override
	{
		Napi::Object result = Napi::Object::New(env);
		result.Set("bytes",
			   Napi::BigInt::New(
				   env, static_cast<uint64_t>(arg_.bytes)));
		return result;
	}

private:
	int fd_;
	struct cpt_subsys arg_;
};

class FinalizeWorker : public PromiseWorker {
public:
	FinalizeWorker(Napi::Env env, int fd, const struct cpt_finalize &arg)
		: PromiseWorker(env, "cpt:finalize")
		, fd_(fd)
		, arg_(arg)
	{
	}

protected:
	void Work() override
	{
		Ioctl(fd_, CPT_IOC_FINALIZE, &arg_, "CPT_IOC_FINALIZE");
	}

	Napi::Value Result(Napi::Env env) override
	{
		Napi::Object result = Napi::Object::New(env);
		result.Set("frozenNs",
			   Napi::BigInt::New(
				   env, static_cast<uint64_t>(arg_.frozen_ns)));
		// Zero from a module without CPT_FEATURE_STATS, which knew only VER0.
		result.Set("tasks",
			   Napi::BigInt::New(
				   env, static_cast<uint64_t>(arg_.tasks)));
		result.Set("pagesScanned",
			   Napi::BigInt::New(env, static_cast<uint64_t>(
							  arg_.pages_scanned)));
		result.Set("pagesWritten",
			   Napi::BigInt::New(env, static_cast<uint64_t>(
							  arg_.pages_written)));
		result.Set("mmScanNs",
			   Napi::BigInt::New(env, static_cast<uint64_t>(
							  arg_.mm_scan_ns)));
		result.Set("mmWriteNs",
			   Napi::BigInt::New(env, static_cast<uint64_t>(
							  arg_.mm_write_ns)));
		return result;
	}

private:
	int fd_;
	struct cpt_finalize arg_;
};

// CPT_IOC_USER_RECORD: a checkpoint's record of cptctl's own, written by
// the session from a copy of the payload; or a restart's, read by it into
// a buffer of the most a payload may be (pages only touched as written).
class UserRecordWorker : public PromiseWorker {
public:
	UserRecordWorker(Napi::Env env, int fd, uint32_t type, uint32_t flags,
			 uint64_t reserved, std::vector<uint8_t> payload,
			 bool read)
		: PromiseWorker(env, "cpt:user-record")
		, fd_(fd)
		, payload_(std::move(payload))
		, read_(read)
	{
		arg_.type = type;
		arg_.flags = flags;
		arg_.reserved[0] = reserved;
	}

protected:
	void Work() override
	{
		if (read_) {
			buffer_.reset(new uint8_t[CPT_USER_RECORD_MAX]);
			arg_.buf = reinterpret_cast<uintptr_t>(buffer_.get());
			arg_.len = CPT_USER_RECORD_MAX;
		} else {
			arg_.buf = reinterpret_cast<uintptr_t>(payload_.data());
			arg_.len = payload_.size();
		}
		Ioctl(fd_, CPT_IOC_USER_RECORD, &arg_, "CPT_IOC_USER_RECORD");
	}

	Napi::Value Result(Napi::Env env) override
	{
		if (!read_)
			return env.Undefined();
		return Napi::Buffer<uint8_t>::Copy(
			env, buffer_.get(), static_cast<size_t>(arg_.len));
	}

private:
	int fd_;
	struct cpt_user_record arg_ {};
	std::vector<uint8_t> payload_;
	std::unique_ptr<uint8_t[]> buffer_;
	bool read_;
};

// userRecord(fd, type, payload): writes it (checkpoint);
// userRecord(fd, type): resolves with the payload read (restart);
// either with a 4th argument {flags, reserved} (reserved[0], a BigInt),
// which cptctl never passes: what tests of the module's refusals send.
Napi::Value UserRecord(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	const int fd = FdArgument(info, 0, "fd");
	const uint32_t type = U32Argument(info, 1, "type");
	const bool read = info.Length() < 3 || info[2].IsUndefined();
	uint32_t flags = 0;
	uint64_t reserved = 0;
	if (info.Length() >= 4 && !info[3].IsUndefined()) {
		const Napi::Object raw = ObjectArgument(info, 3, "raw");
		flags = OptionalU32Property(raw, "flags", 0);
		reserved = OptionalU64Property(raw, "reserved", 0);
	}
	std::vector<uint8_t> payload;
	if (!read) {
		if (!info[2].IsBuffer())
			throw Napi::TypeError::New(env,
						   "payload must be a Buffer");
		const Napi::Buffer<uint8_t> buffer =
			info[2].As<Napi::Buffer<uint8_t>>();
		payload.assign(buffer.Data(), buffer.Data() + buffer.Length());
	}
	return (new UserRecordWorker(env, fd, type, flags, reserved,
				     std::move(payload), read))
		->Start();
}

Napi::Value Init(const Napi::CallbackInfo &info)
{
	const int fd = FdArgument(info, 0, "fd");
	const Napi::Object request = ObjectArgument(info, 1, "request");
	// Zeroed: reserved fields and flags must be zero or the module answers EINVAL.
	struct cpt_init arg {};
	arg.image_fd = U32Property(request, "imageFd");
	arg.mode = U32Property(request, "mode");
	arg.target = OptionalU32Property(request, "target", 0);
	arg.flags = OptionalU32Property(request, "flags", 0);
	return (new InitWorker(info.Env(), fd, arg))->Start();
}

Napi::Value Save(const Napi::CallbackInfo &info)
{
	const int fd = FdArgument(info, 0, "fd");
	struct cpt_subsys arg {};
	arg.subsys = U32Argument(info, 1, "subsys");
	return (new SaveWorker(info.Env(), fd, arg))->Start();
}

Napi::Value Finalize(const Napi::CallbackInfo &info)
{
	const int fd = FdArgument(info, 0, "fd");
	struct cpt_finalize arg {};
	arg.action = U32Argument(info, 1, "action");
	return (new FinalizeWorker(info.Env(), fd, arg))->Start();
}

Napi::Value SetNextId(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	const int fd = FdArgument(info, 0, "fd");
	const Napi::Object request = ObjectArgument(info, 1, "request");
	struct cpt_next_id arg {};
	arg.kind = U32Property(request, "kind");
	arg.id = OptionalU64Property(request, "id", 0);
	const int ret = ioctl(fd, CPT_IOC_SET_NEXT_ID, &arg);
	if (ret < 0)
		throw SystemError(env, errno, "ioctl", "CPT_IOC_SET_NEXT_ID");
	if (ret > 0)
		throw UnexpectedReturn(env, "CPT_IOC_SET_NEXT_ID", ret);
	return env.Undefined();
}

// CPT_IOC_KEY: op, and for CPT_KEY_LOAD the key in a Buffer, which the
// module reads from the Buffer's own memory (no copy of it here).
Napi::Value Key(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	const int fd = FdArgument(info, 0, "fd");
	struct cpt_key arg {};
	arg.op = U32Argument(info, 1, "op");
	if (info.Length() > 2 && !info[2].IsUndefined()) {
		if (!info[2].IsBuffer())
			throw Napi::TypeError::New(env, "key must be a Buffer");
		const Napi::Buffer<uint8_t> key =
			info[2].As<Napi::Buffer<uint8_t>>();
		arg.key = reinterpret_cast<uintptr_t>(key.Data());
		arg.key_len = static_cast<uint32_t>(key.Length());
	}
	const int ret = ioctl(fd, CPT_IOC_KEY, &arg);
	if (ret < 0)
		throw SystemError(env, errno, "ioctl", "CPT_IOC_KEY");
	if (ret > 0)
		throw UnexpectedReturn(env, "CPT_IOC_KEY", ret);
	Napi::Object reply = Napi::Object::New(env);
	reply.Set("loaded", Napi::Boolean::New(env, arg.loaded != 0));
	reply.Set("keyId", Napi::Buffer<uint8_t>::Copy(env, arg.key_id,
						       sizeof(arg.key_id)));
	return reply;
}

// CPT_IOC_HOLD. LIST: (fd, op) -> the holds of the caller's network
// namespace, each {local, peer: 16-byte Buffers, localPort, peerPort,
// family, uid}. RELEASE: (fd, op, tuples or undefined, flags) -> how many
// were dropped; tuples as LIST gives them (uid 0).
Napi::Value Hold(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	const int fd = FdArgument(info, 0, "fd");
	struct cpt_hold arg {};
	std::vector<struct cpt_hold_tuple> tuples;
	arg.op = U32Argument(info, 1, "op");
	arg.tuple_size = sizeof(struct cpt_hold_tuple);
	if (arg.op == CPT_HOLD_LIST) {
		// The count may grow between the calls: ask again until it fits.
		for (;;) {
			arg.count = static_cast<uint32_t>(tuples.size());
			arg.tuples = reinterpret_cast<uintptr_t>(tuples.data());
			if (ioctl(fd, CPT_IOC_HOLD, &arg) < 0)
				throw SystemError(env, errno, "ioctl",
						  "CPT_IOC_HOLD");
			if (arg.count <= tuples.size())
				break;
			tuples.resize(arg.count + 16);
		}
		Napi::Array list = Napi::Array::New(env, arg.count);
		for (uint32_t i = 0; i < arg.count; i++) {
			const struct cpt_hold_tuple &t = tuples[i];
			Napi::Object row = Napi::Object::New(env);
			row.Set("local", Napi::Buffer<uint8_t>::Copy(
						 env, t.local_addr,
						 sizeof(t.local_addr)));
			row.Set("peer",
				Napi::Buffer<uint8_t>::Copy(
					env, t.peer_addr, sizeof(t.peer_addr)));
			row.Set("localPort",
				Napi::Number::New(env, t.local_port));
			row.Set("peerPort",
				Napi::Number::New(env, t.peer_port));
			row.Set("family", Napi::Number::New(env, t.family));
			row.Set("uid", Napi::Number::New(env, t.uid));
			list.Set(i, row);
		}
		return list;
	}
	if (info.Length() > 2 && !info[2].IsUndefined()) {
		if (!info[2].IsArray())
			throw Napi::TypeError::New(env,
						   "tuples must be an Array");
		const Napi::Array list = info[2].As<Napi::Array>();
		tuples.resize(list.Length());
		for (uint32_t i = 0; i < list.Length(); i++) {
			const Napi::Object row = list.Get(i).As<Napi::Object>();
			struct cpt_hold_tuple &t = tuples[i];
			const Napi::Value local = row.Get("local");
			const Napi::Value peer = row.Get("peer");
			if (!local.IsBuffer() || !peer.IsBuffer() ||
			    local.As<Napi::Buffer<uint8_t>>().Length() != 16 ||
			    peer.As<Napi::Buffer<uint8_t>>().Length() != 16)
				throw Napi::TypeError::New(
					env,
					"local and peer must be 16-byte Buffers");
			memcpy(t.local_addr,
			       local.As<Napi::Buffer<uint8_t>>().Data(), 16);
			memcpy(t.peer_addr,
			       peer.As<Napi::Buffer<uint8_t>>().Data(), 16);
			t.local_port = static_cast<uint16_t>(
				U32Property(row, "localPort"));
			t.peer_port = static_cast<uint16_t>(
				U32Property(row, "peerPort"));
			t.family = U32Property(row, "family");
		}
		arg.count = static_cast<uint32_t>(tuples.size());
		arg.tuples = reinterpret_cast<uintptr_t>(tuples.data());
	}
	arg.flags = info.Length() > 3 ? U32Argument(info, 3, "flags") : 0;
	const int ret = ioctl(fd, CPT_IOC_HOLD, &arg);
	if (ret < 0) {
		// The module names what it refused (a connection a restart
		// holds, EBUSY): its note, as a worker's failure carries it.
		Napi::Error error =
			SystemError(env, errno, "ioctl", "CPT_IOC_HOLD");
		const std::string detail = ModuleMessage(fd);
		if (!detail.empty())
			error.Set("detail", Napi::String::New(env, detail));
		throw error;
	}
	if (ret > 0)
		throw UnexpectedReturn(env, "CPT_IOC_HOLD", ret);
	return Napi::Number::New(env, arg.count);
}

} // namespace

void RegisterSession(Napi::Env env, Napi::Object exports)
{
	exports.Set("init", Napi::Function::New(env, Init, "init"));
	exports.Set("save", Napi::Function::New(env, Save, "save"));
	exports.Set("finalize", Napi::Function::New(env, Finalize, "finalize"));
	exports.Set("setNextId",
		    Napi::Function::New(env, SetNextId, "setNextId"));
	exports.Set("key", Napi::Function::New(env, Key, "key"));
	exports.Set("hold", Napi::Function::New(env, Hold, "hold"));
	exports.Set("userRecord",
		    Napi::Function::New(env, UserRecord, "userRecord"));
}

} // namespace cpt
