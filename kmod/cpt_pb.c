// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol Buffers encoding and decoding for image records. The decoder
 * treats every byte as hostile: each read is bounded by the record, every
 * field's wire type is checked against what the schema says.
 */
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cpt_pb.h"

#define CPT_PB_MAX_MESSAGE (16U << 20)

void cpt_pb_init(struct cpt_pb_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void cpt_pb_free(struct cpt_pb_buf *b)
{
	kvfree(b->data);
	cpt_pb_init(b);
}

static bool cpt_pb_reserve(struct cpt_pb_buf *b, size_t more)
{
	size_t cap;
	u8 *data;

	if (b->err)
		return false;
	if (b->len + more <= b->cap)
		return true;
	if (b->len + more > CPT_PB_MAX_MESSAGE) {
		b->err = -E2BIG;
		return false;
	}
	cap = max_t(size_t, 256, b->cap * 2);
	while (cap < b->len + more)
		cap *= 2;
	data = kvrealloc(b->data, b->cap, cap, GFP_KERNEL_ACCOUNT);
	if (!data) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

static void cpt_pb_raw_varint(struct cpt_pb_buf *b, u64 v)
{
	if (!cpt_pb_reserve(b, 10))
		return;
	while (v >= 0x80) {
		b->data[b->len++] = (v & 0x7f) | 0x80;
		v >>= 7;
	}
	b->data[b->len++] = v;
}

void cpt_pb_varint(struct cpt_pb_buf *b, u32 field, u64 value)
{
	cpt_pb_raw_varint(b, (u64)field << 3 | CPT_PB_VARINT);
	cpt_pb_raw_varint(b, value);
}

void cpt_pb_bytes(struct cpt_pb_buf *b, u32 field, const void *data, size_t len)
{
	cpt_pb_raw_varint(b, (u64)field << 3 | CPT_PB_BYTES);
	cpt_pb_raw_varint(b, len);
	if (!cpt_pb_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

void cpt_pb_string(struct cpt_pb_buf *b, u32 field, const char *s)
{
	if (*s)
		cpt_pb_bytes(b, field, s, strlen(s));
}

/* Appends msg as a nested message field and frees it. */
void cpt_pb_message(struct cpt_pb_buf *b, u32 field, struct cpt_pb_buf *msg)
{
	if (msg->err && !b->err)
		b->err = msg->err;
	cpt_pb_bytes(b, field, msg->data, msg->len);
	cpt_pb_free(msg);
}

void cpt_pb_raw(struct cpt_pb_buf *b, struct cpt_pb_buf *fields)
{
	if (fields->err && !b->err)
		b->err = fields->err;
	if (cpt_pb_reserve(b, fields->len)) {
		memcpy(b->data + b->len, fields->data, fields->len);
		b->len += fields->len;
	}
	cpt_pb_free(fields);
}

static int cpt_pb_read_varint(struct cpt_pb_reader *r, u64 *out)
{
	u64 v = 0;
	int shift;

	for (shift = 0; shift < 64; shift += 7) {
		u8 byte;

		if (r->p >= r->end)
			return -EBADMSG;
		byte = *r->p++;
		v |= (u64)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -EBADMSG;
}

/* The next field of the message: 1, 0 at its end, or -EBADMSG. */
static int cpt_pb_next(struct cpt_pb_reader *r, struct cpt_pb_field *f)
{
	u64 key, len;
	int ret;

	/* No field keeps an earlier one's bytes: only a bytes field has any. */
	f->data = NULL;
	f->len = 0;
	if (r->p == r->end)
		return 0;
	ret = cpt_pb_read_varint(r, &key);
	if (ret)
		return ret;
	if (key >> 3 == 0 || key >> 3 > U32_MAX)
		return -EBADMSG;
	f->num = key >> 3;
	f->wire = key & 7;
	switch (f->wire) {
	case CPT_PB_VARINT:
		return cpt_pb_read_varint(r, &f->value) ?: 1;
	case CPT_PB_FIXED64:
		if (r->end - r->p < 8)
			return -EBADMSG;
		memcpy(&f->value, r->p, 8);
		r->p += 8;
		return 1;
	case CPT_PB_FIXED32:
		if (r->end - r->p < 4)
			return -EBADMSG;
		f->value = 0;
		memcpy(&f->value, r->p, 4);
		r->p += 4;
		return 1;
	case CPT_PB_BYTES:
		ret = cpt_pb_read_varint(r, &len);
		if (ret)
			return ret;
		if (len > (u64)(r->end - r->p))
			return -EBADMSG;
		f->data = r->p;
		f->len = len;
		r->p += len;
		return 1;
	default:
		return -EBADMSG;
	}
}

int cpt_pb_get_u64(const struct cpt_pb_field *f, u64 *out)
{
	if (f->wire != CPT_PB_VARINT)
		return -EBADMSG;
	*out = f->value;
	return 0;
}

int cpt_pb_get_u32(const struct cpt_pb_field *f, u32 *out)
{
	if (f->wire != CPT_PB_VARINT || f->value > U32_MAX)
		return -EBADMSG;
	*out = f->value;
	return 0;
}

int cpt_pb_get_bool(const struct cpt_pb_field *f, bool *out)
{
	if (f->wire != CPT_PB_VARINT || f->value > 1)
		return -EBADMSG;
	*out = f->value;
	return 0;
}

/* A string field into buf, NUL-terminated; no NULs inside, and it must fit. */
int cpt_pb_get_string(const struct cpt_pb_field *f, char *buf, size_t size)
{
	if (f->wire != CPT_PB_BYTES || f->len >= size ||
	    memchr(f->data, 0, f->len))
		return -EBADMSG;
	memcpy(buf, f->data, f->len);
	buf[f->len] = 0;
	return 0;
}

/*
 * The walk stops at the first error; the reader then stays at its end, so
 * that a walk resumed by mistake finds nothing more.
 */
bool cpt_pb_next_field(struct cpt_pb_reader *r, struct cpt_pb_field *f)
{
	int ret;

	if (r->err)
		return false;
	ret = cpt_pb_next(r, f);
	if (ret < 0) {
		r->err = ret;
		r->p = r->end;
	}
	return ret > 0;
}

/* A reader of the message field f holds; one that failed if f is no message. */
struct cpt_pb_reader *cpt_pb_reader_init_field(struct cpt_pb_reader *r,
					       const struct cpt_pb_field *f)
{
	if (f->wire == CPT_PB_BYTES) {
		cpt_pb_reader_init(r, f->data, f->len);
	} else {
		cpt_pb_reader_init(r, NULL, 0);
		r->err = -EBADMSG;
	}
	return r;
}

static bool cpt_pb_took(struct cpt_pb_reader *r, int err)
{
	cpt_pb_fail(r, err);
	return !err;
}

bool cpt_pb_read_u64(struct cpt_pb_reader *r, const struct cpt_pb_field *f, u64 *out)
{
	return cpt_pb_took(r, cpt_pb_get_u64(f, out));
}

bool cpt_pb_read_u32(struct cpt_pb_reader *r, const struct cpt_pb_field *f, u32 *out)
{
	return cpt_pb_took(r, cpt_pb_get_u32(f, out));
}

bool cpt_pb_read_bool(struct cpt_pb_reader *r, const struct cpt_pb_field *f, bool *out)
{
	return cpt_pb_took(r, cpt_pb_get_bool(f, out));
}

bool cpt_pb_read_string(struct cpt_pb_reader *r, const struct cpt_pb_field *f, char *buf,
			size_t size)
{
	return cpt_pb_took(r, cpt_pb_get_string(f, buf, size));
}

/* A bytes field's bytes, which stay in the record: nothing is copied. */
bool cpt_pb_read_bytes(struct cpt_pb_reader *r, const struct cpt_pb_field *f,
		       const u8 **data, size_t *len)
{
	if (!cpt_pb_took(r, f->wire == CPT_PB_BYTES ? 0 : -EBADMSG))
		return false;
	*data = f->data;
	*len = f->len;
	return true;
}
